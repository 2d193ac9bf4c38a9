/**
 * TSV output (text/tab-separated-values): a header line of names, one line per row (LF), fields
 * separated by tabs. The media type forbids tabs and line breaks inside fields, so they are
 * escaped the way PostgreSQL's text COPY does: backslash as \\, tab as \t, LF as \n, CR as \r.
 * NULL is an empty field. Numbers, booleans and arrays as in CSV.
 */
import type { CellValue } from './table-model.js';
import { TextChunker, batchesOf, type TableDocument, type TableWriter } from './table-writer.js';
import { plainFormatter, isStringColumn, withFloatText } from './cell-values.js';

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A TSV field: backslash, tab, LF and CR escaped with a backslash. */
export function tsvField(s: string): string {
  return SPECIAL.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : s;
}

async function* writeTsv(doc: TableDocument): AsyncGenerator<Buffer> {
  const formatters = doc.columns.map((c, i) => {
    const f = withFloatText(doc, i, c, plainFormatter(c));
    return isStringColumn(c) ? (v: Exclude<CellValue, null>) => tsvField(f(v)) : f;
  });
  const n = formatters.length;
  const out = new TextChunker();
  out.push(`${doc.columns.map((c) => tsvField(c.name)).join('\t')}\n`);
  for await (const batch of batchesOf(doc.rows)) {
    for (const row of batch) {
      let s = '';
      for (let i = 0; i < n; i++) {
        const v = row[i];
        if (i > 0) s += '\t';
        if (v !== null && v !== undefined) s += formatters[i](v);
      }
      out.push(`${s}\n`);
      if (out.full) yield out.take();
    }
  }
  if (!out.empty) yield out.take();
}

/** Tab-separated values with a header line. */
export const tsvWriter: TableWriter = {
  name: 'tsv',
  mimeType: 'text/tab-separated-values',
  extension: 'tsv',
  inBandErrors: false,
  write: writeTsv,
};
