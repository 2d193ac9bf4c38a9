/** Opening a table file (CSV, TSV, VOTable, FITS) as a streaming TableSource, by format or extension. */
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import type { TableSource } from '../registry/types.js';
import { BadRequestError } from '../errors.js';
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

/** Open `file` for streaming; `onBytes` hears how many bytes have been read so far. */
export async function readTableFile(
  file: string,
  options: { format?: TableFileFormat; tableName: string; onBytes?: (bytes: number, total: number) => void },
): Promise<TableSource> {
  const format = options.format ?? formatFromName(file);
  if (!format) throw new BadRequestError(`${file}: cannot tell the format from the name; give --format csv, tsv, votable or fits`);
  const total = (await fs.promises.stat(file)).size;
  let read = 0;
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        read += chunk.length;
        options.onBytes?.(read, total);
        done(null, chunk);
      },
    }),
  );
  switch (format) {
    case 'csv':
      return readCsv(input, { file, tableName: options.tableName });
    case 'tsv':
      return readCsv(input, { file, tableName: options.tableName, delimiter: '\t' });
    case 'votable':
      return readVotable(input, { file, tableName: options.tableName });
    case 'fits':
      return readFitsTable(input, { file, tableName: options.tableName });
  }
}
