/**
 * The LSST v0 answer: {"result": ...} in JSON (with paging flags for lists that page), or the
 * same content as a table in any other format (HTML, CSV, TSV, FITS, VOTable...), chosen by the
 * `format` parameter or the Accept header, through the shared serializers.
 */
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { Page } from '../catalog/table-registry.js';
import type { CellValue, ColumnMeta } from '../formats/table-model.js';
import { BadRequestError } from '../errors.js';
import { formatByName, negotiateFormat, resolveFormat, type ResolvedFormat } from '../formats/output-formats.js';
import { queryParams } from '../http/request/read-request.js';
import { readableHtml } from '../web/readable-html.js';

const JSON_FORMAT = formatByName('json')!;

/** The format the caller asked for; JSON (the v0 envelope) unless they asked otherwise. */
function chosenFormat(ctx: Context): ResolvedFormat {
  const named = queryParams(ctx).first('format');
  if (named !== undefined && named !== '') {
    const f = resolveFormat(named);
    if (!f) throw new BadRequestError(`format=${named} is not supported; use json, html, csv, tsv, fits, votable or ipac`);
    return f;
  }
  return negotiateFormat(ctx.get('accept') || undefined, JSON_FORMAT) ?? { format: JSON_FORMAT, contentType: JSON_FORMAT.mimeType };
}

/** JSON.stringify that keeps bigints exact. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Answer `result` in the v0 envelope, or as a table in the requested format. */
export function sendResult(ctx: Context, result: unknown, title = 'result'): void {
  const f = chosenFormat(ctx);
  if (f.format === JSON_FORMAT) {
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = toJson({ result });
    return;
  }
  // A person in a browser: the answer as a readable page rather than a flat table.
  if (f.format.name === 'html') return sendReadable(ctx, readableHtml(ctx.path, result));
  sendTable(ctx, f, asTable(result), title, false);
}

/** Answer a page of a list: result plus start, count, more and stable (JSON), or a table. */
export function sendPage<T>(ctx: Context, page: Page<T>, title = 'result'): void {
  const f = chosenFormat(ctx);
  if (f.format === JSON_FORMAT) {
    ctx.type = 'application/json; charset=utf-8';
    // A page is only guaranteed consistent with a later one when there is no later one.
    ctx.body = toJson({ result: page.items, start: page.start, count: page.count, more: page.more, stable: !page.more });
    return;
  }
  if (f.format.name === 'html') return sendReadable(ctx, readableHtml(ctx.path, page.items, page));
  sendTable(ctx, f, asTable(page.items), title, page.more);
}

function sendReadable(ctx: Context, html: string): void {
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}

/** Stream a table through the chosen serializer. */
function sendTable(ctx: Context, f: ResolvedFormat, table: { columns: ColumnMeta[]; rows: CellValue[][] }, title: string, more: boolean): void {
  ctx.type = f.contentType;
  ctx.body = Readable.from(f.format.writer.write({ columns: table.columns, rows: [table.rows], overflowed: () => more, info: { tableName: title } }));
}

/**
 * A JSON-shaped result as a table: a list of scalars is one column `value`; a list of objects
 * has a column per key; an object (or the v0 `[object, annotations]` pair) is `name`/`value` rows.
 */
export function asTable(result: unknown): { columns: ColumnMeta[]; rows: CellValue[][] } {
  if (Array.isArray(result) && result.every((x) => x === null || typeof x !== 'object')) {
    return { columns: [column('value', result)], rows: result.map((x) => [cell(x)]) };
  }
  if (Array.isArray(result) && result.length > 0 && result.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
    const objects = result as Record<string, unknown>[];
    // The v0 [description, annotations] pair reads best as name/value rows.
    if (objects.length === 2 && !Object.keys(objects[1]!).some((k) => k in objects[0]!)) return keyValue({ ...objects[0], ...objects[1] });
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
    return {
      columns: keys.map((k) => column(k, objects.map((o) => o[k]))),
      rows: objects.map((o) => keys.map((k) => cell(o[k]))),
    };
  }
  if (result !== null && typeof result === 'object' && !Array.isArray(result)) return keyValue(result as Record<string, unknown>);
  return { columns: [column('value', [result])], rows: [[cell(result)]] };
}

/** name/value rows of an object; nested values as JSON text. */
function keyValue(o: Record<string, unknown>): { columns: ColumnMeta[]; rows: CellValue[][] } {
  return {
    columns: [
      { name: 'name', datatype: 'char', arraysize: '*' },
      { name: 'value', datatype: 'char', arraysize: '*' },
    ],
    rows: Object.entries(o).map(([k, v]) => [k, v === null || v === undefined ? null : typeof v === 'object' ? toJson(v) : String(v)]),
  };
}

/** The column type that holds every value of a list: long, double, boolean or text. */
function column(name: string, values: unknown[]): ColumnMeta {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return { name, datatype: 'boolean' };
  if (present.length > 0 && present.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) return { name, datatype: 'long' };
  if (present.length > 0 && present.every((v) => typeof v === 'number')) return { name, datatype: 'double' };
  return { name, datatype: 'char', arraysize: '*' };
}

/** A JSON value as a cell of its column. */
function cell(v: unknown): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return v;
  return toJson(v);
}
