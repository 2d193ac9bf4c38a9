/**
 * HTML output: a self-contained page with a readable table (a header row of names with units
 * under them, column descriptions as tooltips), every string escaped, NULL as an empty cell, and
 * a note after the table when MAXREC cut it short or when the rows failed part-way.
 */
import type { CellValue } from './table-model.js';
import { TextChunker, batchesOf, errorMessage, type TableDocument, type TableWriter } from './table-writer.js';
import { isStringColumn, plainFormatter } from './cell-values.js';
import { escapeXmlAttr, escapeXmlText } from '../xml/escape.js';

const STYLE =
  'body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}' +
  'th,td{border:1px solid #ccc;padding:2px 6px}th{background:#eee;vertical-align:top}' +
  'td.num{text-align:right;font-family:monospace}.unit{font-weight:normal;color:#666}' +
  '.note{font-weight:bold}.error{color:#b00}pre{white-space:pre-wrap}';

function pageHead(doc: TableDocument): string {
  const info = doc.info ?? {};
  const title = escapeXmlText(info.tableName ?? 'Query result');
  let s = `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<h1>${title}</h1>\n`;
  if (info.description) s += `<p>${escapeXmlText(info.description)}</p>\n`;
  if (info.query !== undefined) s += `<pre class="query">${escapeXmlText(info.query)}</pre>\n`;
  if (info.requestDate !== undefined) s += `<p>Requested ${escapeXmlText(info.requestDate)}</p>\n`;
  s += '<table>\n<thead>\n<tr>';
  for (const c of doc.columns) {
    const tip = c.description ? ` title="${escapeXmlAttr(c.description)}"` : '';
    const unit = c.unit ? `<br><span class="unit">${escapeXmlText(c.unit)}</span>` : '';
    s += `<th${tip}>${escapeXmlText(c.name)}${unit}</th>`;
  }
  return `${s}</tr>\n</thead>\n<tbody>\n`;
}

async function* writeHtml(doc: TableDocument): AsyncGenerator<Buffer> {
  const cells = doc.columns.map((c) => {
    const f = plainFormatter(c);
    const open = isStringColumn(c) || c.datatype === 'boolean' ? '<td>' : '<td class="num">';
    return (v: Exclude<CellValue, null>) => `${open}${escapeXmlText(f(v))}</td>`;
  });
  const n = cells.length;
  const out = new TextChunker();
  out.push(pageHead(doc));
  let note = '';
  try {
    for await (const batch of batchesOf(doc.rows)) {
      for (const row of batch) {
        let s = '<tr>';
        for (let i = 0; i < n; i++) {
          const v = row[i];
          s += v === null || v === undefined ? '<td></td>' : cells[i](v);
        }
        out.push(`${s}</tr>\n`);
        if (out.full) yield out.take();
      }
    }
    if (doc.overflowed()) note = '<p class="note">The result was truncated: more rows exist than were returned (MAXREC).</p>\n';
  } catch (e) {
    doc.onError?.(e);
    note = `<p class="note error">Error: the result is incomplete: ${escapeXmlText(errorMessage(e))}</p>\n`;
  }
  out.push(`</tbody>\n</table>\n${note}</body>\n</html>\n`);
  yield out.take();
}

/** A readable HTML page holding the table. */
export const htmlWriter: TableWriter = {
  name: 'html',
  mimeType: 'text/html;charset=utf-8',
  extension: 'html',
  inBandErrors: true,
  write: writeHtml,
};
