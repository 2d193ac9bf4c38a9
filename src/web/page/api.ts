/**
 * The page's requests to vodax: every one carries the signed-in user's token (kept in
 * sessionStorage, so it lives as long as the tab and never reaches another site), and TAP
 * answers become tables or errors with the ADQL position they name.
 */

const TOKEN_KEY = 'vodax.token';
export const TAP = '/db/v0/tap';

/** The bearer token of this tab, or '' for an anonymous caller. */
export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Keep (or, when empty, forget) the token for this tab. */
export function setToken(value: string): void {
  const t = value.trim();
  if (t === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, t);
}

/** fetch with the caller's token, if any. */
export function call(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const t = token();
  if (t !== '') headers.set('Authorization', `Bearer ${t}`);
  return fetch(url, { ...init, headers });
}

/** A column of a result, as the JSON answer describes it. */
export interface Column {
  name: string;
  datatype: string;
  arraysize?: string;
  xtype?: string;
  unit?: string;
  ucd?: string;
  utype?: string;
  description?: string;
}

/** A result table: rows hold numbers, strings, booleans, arrays or null. */
export interface ResultTable {
  columns: Column[];
  rows: unknown[][];
  /** MAXREC cut the rows. */
  overflow: boolean;
}

/** A failed request, with the ADQL position when the message names one ("line L, column C: ..."). */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly line: number | null = null,
    readonly column: number | null = null,
  ) {
    super(message);
  }
}

/** The error a non-2xx answer carries: a DALI error document, {"error": ...} or plain text. */
export async function errorOf(res: Response): Promise<ServiceError> {
  const text = await res.text();
  return serviceError(messageOf(text, res.headers.get('content-type') ?? '') || `${res.status} ${res.statusText}`, res.status);
}

/** The error's message from a DALI error document, a JSON error or text. */
function messageOf(text: string, type: string): string {
  if (type.includes('json')) {
    try {
      const j = JSON.parse(text) as { error?: { message?: string } | string };
      return typeof j.error === 'string' ? j.error : (j.error?.message ?? text);
    } catch {
      return text;
    }
  }
  if (type.includes('xml') || text.trimStart().startsWith('<?xml')) {
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const info = [...doc.getElementsByTagName('INFO')].find((i) => i.getAttribute('name') === 'QUERY_STATUS');
    if (info) return (info.textContent ?? '').trim();
  }
  return text.trim();
}

/** A ServiceError with the line and column its message starts with, as vodax's ADQL errors do. */
export function serviceError(message: string, status: number): ServiceError {
  const m = /line (\d+), column (\d+)/.exec(message);
  return m ? new ServiceError(message, status, Number(m[1]), Number(m[2])) : new ServiceError(message, status);
}

/**
 * Parse vodax's JSON table answer. Integers beyond 2^53 are kept as their exact digits (a string)
 * rather than rounded, so an id shown or copied is the real one.
 */
export function parseJsonTable(text: string): ResultTable {
  type Source = { source?: string };
  const exact = (_k: string, v: unknown, ctx?: Source) =>
    typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source) ? ctx.source : v;
  const j = JSON.parse(text, exact as (k: string, v: unknown) => unknown) as {
    result: { metadata: { elements: Column[] }; table: { data: unknown[][] } };
    more?: boolean;
    error?: { message: string };
  };
  if (j.error) throw serviceError(j.error.message, 200);
  return { columns: j.result.metadata.elements, rows: j.result.table.data, overflow: j.more === true };
}

/** The form fields of a TAP query. */
export interface QueryRequest {
  query: string;
  maxrec: number | null;
}

/** The TAP parameters of a query in `format`. */
export function tapParams(q: QueryRequest, format: string): URLSearchParams {
  const p = new URLSearchParams({ REQUEST: 'doQuery', LANG: 'ADQL', QUERY: q.query, RESPONSEFORMAT: format });
  if (q.maxrec !== null) p.set('MAXREC', String(q.maxrec));
  return p;
}

/** A GET URL of the query's result in `format` (a download link: the same query, another format). */
export function syncUrl(q: QueryRequest, format: string): string {
  return `${TAP}/sync?${tapParams(q, format).toString()}`;
}

/** Run a query synchronously; the table, or a ServiceError with the ADQL position. */
export async function runSync(q: QueryRequest, signal?: AbortSignal): Promise<ResultTable> {
  const res = await call(`${TAP}/sync`, { method: 'POST', body: tapParams(q, 'json'), signal: signal ?? null });
  if (!res.ok) throw await errorOf(res);
  return parseJsonTable(await res.text());
}

/** Run a query for the page's own use (TAP_SCHEMA); only its rows. */
export async function rowsOf(query: string): Promise<unknown[][]> {
  return (await runSync({ query, maxrec: null })).rows;
}

/** One output format the TAP service offers (from its capabilities). */
export interface OutputFormat {
  alias: string;
  mime: string;
}

/** The output formats of the TAP capabilities, each by its first short name. */
export async function outputFormats(): Promise<OutputFormat[]> {
  const res = await call(`${TAP}/capabilities`);
  if (!res.ok) throw await errorOf(res);
  const doc = new DOMParser().parseFromString(await res.text(), 'application/xml');
  return [...doc.getElementsByTagName('outputFormat')].map((f) => ({
    mime: f.getElementsByTagName('mime')[0]?.textContent?.trim() ?? '',
    alias: f.getElementsByTagName('alias')[0]?.textContent?.trim() ?? '',
  })).filter((f) => f.alias !== '');
}

/**
 * Read the first TABLEDATA table of a VOTable (a DataLink links document, for one): cells as
 * their text, an empty cell as null. Numbers stay text: the page reads links, not values.
 */
export function parseVotable(text: string): ResultTable {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) throw new ServiceError('the answer is not XML', 200);
  const table = doc.getElementsByTagName('TABLE')[0];
  if (!table) throw new ServiceError('the VOTable holds no table', 200);
  const columns: Column[] = [...table.getElementsByTagName('FIELD')].map((f) => ({
    name: f.getAttribute('name') ?? '',
    datatype: f.getAttribute('datatype') ?? 'char',
    ucd: f.getAttribute('ucd') ?? undefined,
  }));
  const rows = [...table.getElementsByTagName('TR')].map((tr) =>
    [...tr.getElementsByTagName('TD')].map((td) => (td.textContent === '' || td.textContent === null ? null : td.textContent)),
  );
  return { columns, rows, overflow: false };
}
