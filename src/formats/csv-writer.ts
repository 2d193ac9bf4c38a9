/**
 * CSV output per RFC 4180: a header line of column names, CRLF line ends, a field quoted (quotes
 * doubled) when it holds a comma, quote, CR or LF. NULL is an empty field; an empty string is
 * written "" so the two stay distinct. Numbers keep full round-trip precision; NaN and infinities
 * are NaN, Infinity, -Infinity; arrays are space-separated numbers. CSV cannot flag overflow.
 */
import type { CellValue } from './table-model.js';
import { TextChunker, batchesOf, type TableDocument, type TableWriter } from './table-writer.js';
import { plainFormatter, isStringColumn, withFloatText } from './cell-values.js';

const NEEDS_QUOTES = /[",\r\n]/;

/** A CSV field: quoted when RFC 4180 requires it, and when empty (to tell it from NULL). */
export function csvField(s: string): string {
  if (s === '') return '""';
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function* writeCsv(doc: TableDocument): AsyncGenerator<Buffer> {
  const formatters = doc.columns.map((c, i) => {
    const f = withFloatText(doc, i, c, plainFormatter(c));
    return isStringColumn(c) ? (v: Exclude<CellValue, null>) => csvField(f(v)) : f;
  });
  const n = formatters.length;
  const out = new TextChunker();
  out.push(`${doc.columns.map((c) => csvField(c.name)).join(',')}\r\n`);
  for await (const batch of batchesOf(doc.rows)) {
    for (const row of batch) {
      let s = '';
      for (let i = 0; i < n; i++) {
        const v = row[i];
        if (i > 0) s += ',';
        if (v !== null && v !== undefined) s += formatters[i](v);
      }
      out.push(`${s}\r\n`);
      if (out.full) yield out.take();
    }
  }
  if (!out.empty) yield out.take();
}

/** CSV (RFC 4180) with a header line. */
export const csvWriter: TableWriter = {
  name: 'csv',
  mimeType: 'text/csv;header=present',
  extension: 'csv',
  inBandErrors: false,
  write: writeCsv,
};
