/** Opening a table file (CSV, TSV, VOTable, FITS) as a streaming TableSource, by format or extension. */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline, Transform } from 'node:stream';
import type { TableSource } from '../formats/table-model.js';
import { BadRequestError, InputFileError } from '../errors.js';
import { isArrayColumn } from '../formats/infer-types.js';
import { readCsv } from '../formats/csv-reader.js';
import { readVotable } from '../formats/votable-reader.js';
import { readFitsTable } from '../formats/fits-table-reader.js';

/** Table file formats that ingest reads. */
export type TableFileFormat = 'csv' | 'tsv' | 'votable' | 'fits';

/** The format of a file from its extension, or null. */
export function formatFromName(file: string): TableFileFormat | null {
  const ext = path.extname(file.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.vot' || ext === '.xml' || ext === '.votable') return 'votable';
  if (ext === '.fits' || ext === '.fit' || ext === '.fts') return 'fits';
  return null;
}

/** What to do about a position column that is not numeric. */
const POSITION_HINT = 'positions must be numeric degrees';

/** How many column names a message lists at most. */
const NAMES_SHOWN = 20;

/**
 * Open `file` for streaming; `onBytes` hears how many bytes have been read so far. With
 * `position`, those columns must be numbers (a CSV reads them as double and names the first
 * value that is not one), and become the table's position.
 */
export async function readTableFile(
  file: string,
  options: { format?: TableFileFormat; tableName: string; onBytes?: (bytes: number, total: number) => void; position?: { ra: string; dec: string } },
): Promise<TableSource> {
  const format = options.format ?? formatFromName(file);
  if (!format) throw new BadRequestError(`${file}: cannot tell the format from the name; give --format csv, tsv, votable or fits`);
  const total = await fileSize(file);
  let read = 0;
  const input = new Transform({
    transform(chunk: Buffer, _enc, done) {
      read += chunk.length;
      options.onBytes?.(read, total);
      done(null, chunk);
    },
  });
  // pipeline, not pipe: a read error reaches the reader through `input` instead of going unheard.
  pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), input, () => {});
  const position = options.position;
  const roles = position ? { [position.ra]: { role: 'right ascension', hint: POSITION_HINT }, [position.dec]: { role: 'declination', hint: POSITION_HINT } } : undefined;
  let source: TableSource;
  switch (format) {
    case 'csv':
      source = await readCsv(input, { file, tableName: options.tableName, numericColumns: roles });
      break;
    case 'tsv':
      source = await readCsv(input, { file, tableName: options.tableName, delimiter: '\t', numericColumns: roles });
      break;
    case 'votable':
      source = await readVotable(input, { file, tableName: options.tableName });
      break;
    case 'fits':
      source = await readFitsTable(input, { file, tableName: options.tableName });
      break;
  }
  if (position) {
    try {
      checkPositionColumns(source, file, position);
    } catch (e) {
      // The rows were never started, so their reader cannot end the input: end it here.
      input.destroy();
      throw e;
    }
    source.meta.position = position;
  }
  return source;
}

/** Why a file cannot be read, in words, for the errors the operating system gives by code. */
const UNREADABLE: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENOTDIR: 'a folder on its path is not a folder',
};

/** The size of a regular file; an InputFileError saying why when it is not one that can be read. */
async function fileSize(file: string): Promise<number> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new InputFileError(`cannot read it: ${Object.hasOwn(UNREADABLE, code) ? UNREADABLE[code] : ((e as Error).message ?? code)}`, file);
  }
  if (stat.isDirectory()) throw new InputFileError('cannot read it: a directory, not a file', file);
  return stat.size;
}

/** The position columns of a typed table (VOTable, FITS) must exist and hold scalar numbers. */
function checkPositionColumns(source: TableSource, file: string, position: { ra: string; dec: string }): void {
  const columns = source.meta.columns;
  for (const [name, role] of [
    [position.ra, 'right ascension'],
    [position.dec, 'declination'],
  ] as const) {
    const col = columns.find((c) => c.name === name);
    if (!col) {
      const names = columns.map((c) => c.name);
      const listed = names.slice(0, NAMES_SHOWN).join(', ') + (names.length > NAMES_SHOWN ? ', …' : '');
      throw new InputFileError(`no column "${name}" for ${role}; the table has ${listed}`, file);
    }
    const what = isArrayColumn(col) ? `an array of ${col.datatype}` : col.datatype;
    if ((col.datatype !== 'double' && col.datatype !== 'float') || isArrayColumn(col)) {
      throw new InputFileError(`${role} column "${name}" is ${what}, not a number; ${POSITION_HINT} (float or double)`, file);
    }
  }
}
