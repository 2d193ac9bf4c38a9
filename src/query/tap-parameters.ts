/** The TAP request parameters (TAP 1.1, DALI): one reading for sync and async alike. */
import type { Limits } from '../config.js';
import { BadRequestError } from '../errors.js';
import { negotiateFormat, resolveFormat, DEFAULT_FORMAT, type ResolvedFormat } from '../formats/output-formats.js';
import type { RequestParams } from '../params/request-params.js';
import { asksForHtml } from '../params/accept.js';

/** A TAP query request, checked. */
export interface TapQueryParameters {
  lang: 'ADQL';
  query: string;
  /** Rows to return at most; 0 asks for the metadata only. */
  maxrec: number;
  format: ResolvedFormat;
  runId: string | null;
}

const LANGS = new Set(['adql', 'adql-2.0', 'adql-2.1']);

/** Longest query text accepted, in characters. */
export const MAX_QUERY_LENGTH = 100_000;

/** Read LANG, QUERY (alias sql), MAXREC, RESPONSEFORMAT (alias FORMAT), REQUEST and RUNID. */
export function tapQueryParameters(params: RequestParams, limits: Limits, accept?: string): TapQueryParameters {
  const request = params.first('REQUEST');
  if (request !== undefined && request.toLowerCase() !== 'doquery') {
    throw new BadRequestError(`REQUEST=${request} is not supported; use REQUEST=doQuery (or leave it out)`);
  }
  const lang = params.first('LANG') ?? 'ADQL';
  if (!LANGS.has(lang.trim().toLowerCase())) {
    throw new BadRequestError(`LANG=${lang} is not supported; use ADQL (ADQL-2.0 and ADQL-2.1 are accepted too)`);
  }
  const query = params.first('QUERY') ?? params.first('sql');
  if (query === undefined || query.trim() === '') throw new BadRequestError('missing parameter QUERY: the ADQL query to run');
  if (query.length > MAX_QUERY_LENGTH) throw new BadRequestError(`QUERY is longer than ${MAX_QUERY_LENGTH} characters`);
  return { lang: 'ADQL', query, maxrec: maxrecOf(params, limits), format: formatOf(params, accept), runId: params.first('RUNID') ?? null };
}

/** MAXREC: a non-negative integer, lowered to the hard limit; the default when absent. */
function maxrecOf(params: RequestParams, limits: Limits): number {
  const raw = params.first('MAXREC');
  if (raw === undefined || raw.trim() === '') return limits.defaultMaxrec;
  if (!/^\s*\d+\s*$/.test(raw)) throw new BadRequestError(`MAXREC must be a non-negative integer, got '${raw}'`);
  return Math.min(Number(raw), limits.hardMaxrec);
}

/**
 * RESPONSEFORMAT (or FORMAT) by short name or media type; else a table format the Accept header
 * prefers (so `Accept: application/json` gets the v0 JSON shape); else VOTable, as TAP requires.
 * HTML counts only when the header means it (see asksForHtml).
 */
function formatOf(params: RequestParams, accept?: string): ResolvedFormat {
  const raw = params.first('RESPONSEFORMAT') ?? params.first('FORMAT');
  if (raw !== undefined && raw.trim() !== '') {
    const f = resolveFormat(raw);
    if (!f) throw new BadRequestError(`RESPONSEFORMAT=${raw} is not supported; use votable, votable/b2, fits, csv, tsv, json, html or ipac`);
    return f;
  }
  const negotiated = negotiateFormat(accept);
  if (negotiated && (negotiated.format.name !== 'html' || asksForHtml(accept ?? ''))) return negotiated;
  return { format: DEFAULT_FORMAT, contentType: DEFAULT_FORMAT.mimeType };
}
