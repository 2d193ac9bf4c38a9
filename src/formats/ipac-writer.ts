/**
 * IPAC table text: `\keyword = value` lines, then four `|`-delimited header lines (names, types,
 * units, null values) and fixed-width data lines whose columns line up under the header. The
 * widths must be known before the first line, so the rows are spooled to a temporary file while
 * the longest value of each column is measured, then written out; the spool is deleted after.
 * NULL is written as `null`; tabs and line breaks inside strings become blanks; booleans are
 * char T/F, arrays char with space-separated numbers.
 */
import type { CellValue, ColumnMeta } from './table-model.js';
import { RowSpool } from './spool-writer.js';
import { TextChunker, batchesOf, type TableDocument, type TableWriter, type WriteOptions } from './table-writer.js';
import { isArrayColumn, isStringColumn, plainFormatter } from './cell-values.js';

const NULL_TEXT = 'null';

/** The IPAC type of a column. */
export function ipacType(col: ColumnMeta): string {
  if (isStringColumn(col) || isArrayColumn(col) || col.datatype === 'boolean') return 'char';
  switch (col.datatype) {
    case 'long':
      return 'long';
    case 'float':
      return 'float';
    case 'double':
      return 'double';
    default:
      return 'int';
  }
}

/** A column name IPAC accepts: letters, digits and underscores. */
function ipacName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** One-line text for a keyword value or a cell: no tabs, line breaks or other controls. */
function oneLine(s: string): string {
  return /[\u0000-\u001f\u007f]/.test(s) ? s.replace(/[\u0000-\u001f\u007f]/g, ' ') : s;
}

/** The text of a non-null cell, as it goes into the fixed-width column. */
function cellText(col: ColumnMeta): (v: Exclude<CellValue, null>) => string {
  const f = plainFormatter(col);
  if (col.datatype === 'boolean') return (v) => (f(v) === 'true' ? 'T' : 'F');
  return isStringColumn(col) ? (v) => oneLine(f(v)) : f;
}

function keyword(name: string, value: string): string {
  return `\\${name} = '${oneLine(value).replace(/'/g, ' ')}'\n`;
}

async function* writeIpac(doc: TableDocument, options: WriteOptions = {}): AsyncGenerator<Buffer> {
  const cols = doc.columns;
  const n = cols.length;
  const texts = cols.map(cellText);
  const names = cols.map((c) => ipacName(c.name));
  const types = cols.map(ipacType);
  const units = cols.map((c) => oneLine(c.unit ?? ''));
  const widths = cols.map((_, i) => Math.max(names[i].length, types[i].length, units[i].length, NULL_TEXT.length));
  const spool = await RowSpool.create(options.tmpDir);
  try {
    for await (const batch of batchesOf(doc.rows)) {
      for (const row of batch) {
        for (let i = 0; i < n; i++) {
          const v = row[i];
          if (v === null || v === undefined) continue;
          const w = texts[i](v).length;
          if (w > widths[i]) widths[i] = w;
        }
      }
      await spool.append(batch);
    }
    await spool.finish();
    const info = doc.info ?? {};
    const out = new TextChunker();
    out.push('\\fixlen = T\n');
    if (info.tableName) out.push(keyword('TABLE_NAME', info.tableName));
    if (info.query !== undefined) out.push(keyword('QUERY', info.query));
    if (info.lang !== undefined) out.push(keyword('QUERY_LANG', info.lang));
    if (info.requestDate !== undefined) out.push(keyword('REQUEST_DATE', info.requestDate));
    if (doc.overflowed()) {
      out.push(keyword('QUERY_STATUS', 'OVERFLOW'));
      out.push('\\ The result was truncated: more rows exist than were returned (MAXREC).\n');
    }
    if (info.description) out.push(`\\ ${oneLine(info.description)}\n`);
    const headerLine = (cells: string[]): string => `|${cells.map((c, i) => c.padEnd(widths[i], ' ')).join('|')}|\n`;
    out.push(headerLine(names));
    out.push(headerLine(types));
    out.push(headerLine(units));
    out.push(headerLine(cols.map(() => NULL_TEXT)));
    const right = cols.map((c) => !isStringColumn(c) && !isArrayColumn(c) && c.datatype !== 'boolean');
    for await (const batch of spool.read()) {
      for (const row of batch) {
        let s = ' ';
        for (let i = 0; i < n; i++) {
          const v = row[i];
          const t = v === null || v === undefined ? NULL_TEXT : texts[i](v);
          s += (right[i] ? t.padStart(widths[i], ' ') : t.padEnd(widths[i], ' ')) + ' ';
        }
        out.push(`${s}\n`);
        if (out.full) yield out.take();
      }
    }
    if (!out.empty) yield out.take();
  } finally {
    await spool.dispose();
  }
}

/** IPAC table text with fixed-width columns. */
export const ipacWriter: TableWriter = {
  name: 'ipac',
  mimeType: 'text/plain;charset=utf-8',
  extension: 'tbl',
  inBandErrors: false,
  write: writeIpac,
};
