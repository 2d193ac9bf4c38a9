/**
 * CSV and TSV written by PostgreSQL: each row becomes one finished line of text in SQL (fields
 * formatted, quoted or escaped and joined exactly as csv-writer.ts and tsv-writer.ts do), and
 * the lines come out of a binary COPY, whose framing tells rows apart without parsing CSV and
 * counts them for MAXREC. Node only strips the framing and copies bytes.
 */
import type { ColumnMeta } from '../../registry/types.js';
import { csvField } from '../csv-writer.js';
import { tsvField } from '../tsv-writer.js';
import { isStringColumn } from '../table-writer.js';
import type { ResultField } from '../../storage/database.js';
import { PG_OID, columnRef, plainTextSql, wrappedQuery } from './column-sql.js';
import { TupleChunks } from './binary-tuples.js';

/** The two text formats with a fast path. */
export type TextFormat = 'csv' | 'tsv';

const CHUNK = 1 << 16;

/** A CSV field of string text: "" when empty, quoted (quotes doubled) when it holds , " CR or LF. */
function csvQuoteSql(e: string): string {
  return (
    `CASE WHEN ${e} = '' THEN '""' WHEN ${e} ~ ('[",' || chr(13) || chr(10) || ']')` +
    ` THEN '"' || replace(${e}, '"', '""') || '"' ELSE ${e} END`
  );
}

/** A TSV field of string text: backslash, tab, LF and CR escaped with a backslash. */
function tsvEscapeSql(e: string): string {
  return (
    `replace(replace(replace(replace(${e}, chr(92), chr(92) || chr(92)), chr(9), chr(92) || 't'),` +
    ` chr(10), chr(92) || 'n'), chr(13), chr(92) || 'r')`
  );
}

/** The COPY statement writing one line per row of `sql`, or null when a column has no exact rewrite. */
export function textCopySql(format: TextFormat, sql: string, columns: ColumnMeta[], fields: ResultField[]): string | null {
  if (fields.length !== columns.length || columns.length === 0) return null;
  const parts: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const ref = columnRef(i);
    const text = plainTextSql(columns[i], fields[i].dataTypeID, ref);
    if (text === null) return null;
    // Timestamps never hold a character that needs quoting or escaping.
    const quoted = isStringColumn(columns[i]) && fields[i].dataTypeID !== PG_OID.timestamp;
    const field = quoted ? (format === 'csv' ? csvQuoteSql(text) : tsvEscapeSql(text)) : text;
    parts.push(`coalesce(${field}, '')`);
  }
  const line = `${parts.join(format === 'csv' ? " || ',' || " : ' || chr(9) || ')} || ${format === 'csv' ? 'chr(13) || chr(10)' : 'chr(10)'}`;
  return `COPY (${wrappedQuery(sql, columns.length, [line])}) TO STDOUT (FORMAT binary)`;
}

/** The header line the generic writer starts with. */
export function textHeader(format: TextFormat, columns: ColumnMeta[]): Buffer {
  const line = format === 'csv' ? `${columns.map((c) => csvField(c.name)).join(',')}\r\n` : `${columns.map((c) => tsvField(c.name)).join('\t')}\n`;
  return Buffer.from(line, 'utf8');
}

/**
 * The text document: the header, then the lines of the COPY stream `copy`, at most `maxrec` of
 * them (the query asks for one more, which only tells overflow; CSV and TSV cannot report it).
 */
export async function* textDocument(format: TextFormat, columns: ColumnMeta[], copy: AsyncIterable<Buffer>, maxrec: number): AsyncGenerator<Buffer> {
  yield textHeader(format, columns);
  const tuples = new TupleChunks();
  let out = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  let rows = 0;
  for await (const chunk of copy) {
    const { buf, start } = tuples.feed(chunk);
    let p = start;
    const end = buf.length;
    while (p + 2 <= end) {
      const count = buf.readInt16BE(p);
      if (count === -1) {
        tuples.ended = true;
        p = end;
        break;
      }
      if (p + 6 > end) break;
      const len = buf.readInt32BE(p + 2);
      if (p + 6 + len > end) break;
      if (rows < maxrec) {
        if (pos + len > out.length) {
          if (pos > 0) yield out.subarray(0, pos);
          out = Buffer.allocUnsafe(Math.max(CHUNK, len));
          pos = 0;
        }
        buf.copy(out, pos, p + 6, p + 6 + len);
        pos += len;
      }
      rows++;
      p += 6 + len;
    }
    if (!tuples.ended) tuples.keep(buf, p);
  }
  if (!tuples.ended || tuples.pending) throw new Error('the COPY stream ended inside a row');
  if (pos > 0) yield out.subarray(0, pos);
}
