/**
 * JSON output in the LSST DAX v0 shape:
 * {"result":{"metadata":{"elements":[{"name","datatype",...}]},"table":{"data":[[...],...]}},"more":bool}
 * streamed row by row. Longs are written as exact JSON numbers (JSON has no integer limit; a
 * reader that needs exactness parses them as big integers); NaN and infinities are null; arrays
 * are JSON arrays; timestamps strings. When the rows fail part-way the document is closed with
 * "more":false and an "error":{"code","message"} member beside "result".
 */
import type { CellValue, ColumnMeta } from './table-model.js';
import { isVodaxError } from '../errors.js';
import { TextChunker, batchesOf, errorMessage, type TableDocument, type TableWriter } from './table-writer.js';
import { cellToArray, cellToBoolean, cellToIntegerText, cellToNumber, cellToString, isArrayColumn, isIntegerDatatype, isStringColumn, withFloatText } from './cell-values.js';

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function jsonInteger(v: Exclude<CellValue, null>): string {
  const s = cellToIntegerText(v);
  return s === '' ? 'null' : s;
}

/** The JSON text of a non-null cell of this column. */
function jsonFormatter(col: ColumnMeta): (v: Exclude<CellValue, null>) => string {
  if (isStringColumn(col)) return (v) => JSON.stringify(cellToString(v));
  if (col.datatype === 'boolean') return (v) => (cellToBoolean(v) ? 'true' : 'false');
  const integer = isIntegerDatatype(col.datatype);
  if (isArrayColumn(col)) {
    const el = integer ? (x: number) => (Number.isFinite(x) ? String(Math.trunc(x)) : 'null') : jsonNumber;
    return (v) => `[${cellToArray(v).map(el).join(',')}]`;
  }
  if (integer) return jsonInteger;
  return (v) => jsonNumber(typeof v === 'number' ? v : cellToNumber(v));
}

/** The metadata element of a column: name and datatype, plus what else is known. */
function element(col: ColumnMeta): Record<string, string> {
  const e: Record<string, string> = { name: col.name, datatype: col.datatype };
  for (const k of ['arraysize', 'xtype', 'unit', 'ucd', 'utype', 'description'] as const) {
    const v = col[k];
    if (v != null && v !== '') e[k] = v;
  }
  return e;
}

/** The document up to its first row: metadata, and the data array opened. */
export function jsonHead(columns: ColumnMeta[]): string {
  return `{"result":{"metadata":{"elements":${JSON.stringify(columns.map(element))}},"table":{"data":[`;
}

/** How a JSON document ends: with "more" (MAXREC cut the rows), or with the error that stopped them. */
export function jsonTail(ending: { more: boolean } | { error: unknown }): string {
  if ('more' in ending) return `\n]}},"more":${ending.more ? 'true' : 'false'}}\n`;
  const e = ending.error;
  const code = isVodaxError(e) ? e.code : 'QueryFailed';
  return `\n]}},"more":false,"error":${JSON.stringify({ code, message: errorMessage(e) })}}\n`;
}

async function* writeJson(doc: TableDocument): AsyncGenerator<Buffer> {
  const formatters = doc.columns.map((c, i) => withFloatText(doc, i, c, jsonFormatter(c)));
  const n = formatters.length;
  const out = new TextChunker();
  out.push(jsonHead(doc.columns));
  let sep = '\n';
  let tail: string;
  try {
    for await (const batch of batchesOf(doc.rows)) {
      for (const row of batch) {
        let s = '[';
        for (let i = 0; i < n; i++) {
          const v = row[i];
          if (i > 0) s += ',';
          s += v === null || v === undefined ? 'null' : formatters[i](v);
        }
        out.push(`${sep}${s}]`);
        sep = ',\n';
        if (out.full) yield out.take();
      }
    }
    tail = jsonTail({ more: doc.overflowed() });
  } catch (e) {
    doc.onError?.(e);
    tail = jsonTail({ error: e });
  }
  out.push(tail);
  yield out.take();
}

/** JSON in the LSST v0 table shape, with "more" set when MAXREC cut the rows. */
export const jsonWriter: TableWriter = {
  name: 'json',
  mimeType: 'application/json',
  extension: 'json',
  inBandErrors: true,
  write: writeJson,
};
