/**
 * The output formats vodax offers, and how a request picks one: by RESPONSEFORMAT/FORMAT value
 * (short name or media type, case-insensitive, with media-type parameters such as
 * ;serialization=BINARY2) or by HTTP Accept negotiation with q-values. The list, with aliases,
 * is what the TAP capabilities document advertises.
 */
import type { TableWriter } from './table-writer.js';
import { votableWriter } from './votable-writer.js';
import { votableBinary2Writer } from './votable-binary2-writer.js';
import { fitsTableWriter } from './fits-table-writer.js';
import { csvWriter } from './csv-writer.js';
import { tsvWriter } from './tsv-writer.js';
import { jsonWriter } from './json-writer.js';
import { htmlWriter } from './html-writer.js';
import { ipacWriter } from './ipac-writer.js';

/** One output format: its writer and every name a request may use for it. */
export interface OutputFormat {
  /** Short name (the writer's name), e.g. 'votable', 'votable-b2', 'csv'. */
  name: string;
  /** The canonical media type, sent as Content-Type unless the request named another alias. */
  mimeType: string;
  /** Short names accepted (lower case). */
  shortNames: readonly string[];
  /** Media types accepted (lower case, parameters as written), beyond `mimeType`. */
  mediaTypes: readonly string[];
  /** File name extension for results, without the dot. */
  extension: string;
  /** One line for people (capabilities, landing pages). */
  description: string;
  writer: TableWriter;
}

const VOTABLE_MEDIA = ['application/x-votable+xml', 'text/xml'];

function format(writer: TableWriter, shortNames: string[], mediaTypes: string[], description: string): OutputFormat {
  return { name: writer.name, mimeType: writer.mimeType, shortNames, mediaTypes, extension: writer.extension, description, writer };
}

/** Every output format, the default (VOTable TABLEDATA) first. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  format(
    votableWriter,
    ['votable', 'vot', 'votable/td', 'votable/tabledata', 'votable_td', 'votabletd', 'xml'],
    [...VOTABLE_MEDIA, 'application/x-votable+xml;serialization=tabledata', 'text/xml;serialization=tabledata'],
    'VOTable 1.4, TABLEDATA serialization',
  ),
  format(
    votableBinary2Writer,
    ['votable/b2', 'votable/binary2', 'votableb2', 'votable_b2', 'votable-b2', 'binary2'],
    ['application/x-votable+xml;serialization=binary2', 'text/xml;serialization=binary2'],
    'VOTable 1.4, BINARY2 serialization',
  ),
  format(fitsTableWriter, ['fits'], ['application/fits', 'image/fits', 'application/x-fits'], 'FITS binary table (BINTABLE)'),
  format(csvWriter, ['csv'], ['text/csv', 'text/csv;header=present'], 'Comma-separated values (RFC 4180) with a header line'),
  format(tsvWriter, ['tsv', 'tab'], ['text/tab-separated-values'], 'Tab-separated values with a header line'),
  format(jsonWriter, ['json'], ['application/json'], 'JSON in the LSST DAX v0 table shape'),
  format(htmlWriter, ['html'], ['text/html'], 'An HTML page with the table'),
  format(ipacWriter, ['ipac', 'ipac-table', 'ipac_table', 'text'], ['text/plain', 'text/x-ipac-table'], 'IPAC table text'),
];

/** The format used when a request names none. */
export const DEFAULT_FORMAT: OutputFormat = OUTPUT_FORMATS[0];

/** A chosen format and the Content-Type to answer with. */
export interface ResolvedFormat {
  format: OutputFormat;
  contentType: string;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})((?:\\s*;\\s*${TOKEN}\\s*=\\s*(?:${TOKEN}|"[^"\\\\\\r\\n]*"))*)\\s*$`);
const PARAM = new RegExp(`;\\s*(${TOKEN})\\s*=\\s*(${TOKEN}|"[^"\\\\\\r\\n]*")`, 'g');

/** A parsed media type: lower-case type/subtype and parameters (names lower case, values unquoted). */
interface MediaType {
  base: string;
  params: Map<string, string>;
}

function parseMediaType(value: string): MediaType | null {
  const m = MEDIA_TYPE.exec(value.trim());
  if (!m) return null;
  const params = new Map<string, string>();
  for (const p of m[3].matchAll(PARAM)) params.set(p[1].toLowerCase(), p[2].replace(/^"(.*)"$/, '$1'));
  return { base: `${m[1]}/${m[2]}`.toLowerCase(), params };
}

function byShortName(value: string): OutputFormat | undefined {
  const key = value.trim().toLowerCase();
  return OUTPUT_FORMATS.find((f) => f.shortNames.includes(key));
}

/** The format a media type denotes; VOTable's serialization parameter picks TABLEDATA or BINARY2. */
function byMediaType(mt: MediaType): OutputFormat | undefined {
  if (VOTABLE_MEDIA.includes(mt.base)) {
    const ser = (mt.params.get('serialization') ?? 'tabledata').toLowerCase();
    if (ser === 'tabledata') return OUTPUT_FORMATS[0];
    if (ser === 'binary2') return OUTPUT_FORMATS[1];
    return undefined;
  }
  return OUTPUT_FORMATS.find((f) => f.mimeType.split(';')[0].toLowerCase() === mt.base || f.mediaTypes.some((m) => m.split(';')[0] === mt.base));
}

/**
 * The format a RESPONSEFORMAT/FORMAT value names, or null when none matches. Named by media type,
 * the answer's Content-Type is that media type as given (DALI: the client controls it); named by
 * short name, it is the format's own.
 */
export function resolveFormat(value: string): ResolvedFormat | null {
  const format = byShortName(value);
  if (format) return { format, contentType: format.mimeType };
  const mt = parseMediaType(value);
  if (!mt) return null;
  const byType = byMediaType(mt);
  return byType ? { format: byType, contentType: value.trim() } : null;
}

/** One media range of an Accept header. */
interface AcceptRange {
  range: string;
  q: number;
  order: number;
}

function parseAccept(accept: string): AcceptRange[] {
  const out: AcceptRange[] = [];
  accept.split(',').forEach((part, order) => {
    const pieces = part.split(';').map((s) => s.trim());
    if (!pieces[0]) return;
    let q = 1;
    const params: string[] = [];
    for (const p of pieces.slice(1)) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
      if (m) q = Math.min(1, Number(m[1]) || 0);
      else if (p) params.push(p);
    }
    out.push({ range: [pieces[0], ...params].join(';'), q, order });
  });
  // Highest q first; among equals, the more specific range, then the header's order.
  const specificity = (r: string): number => (r.startsWith('*/') ? 0 : r.endsWith('/*') ? 1 : 2);
  return out.filter((r) => r.q > 0).sort((a, b) => b.q - a.q || specificity(b.range) - specificity(a.range) || a.order - b.order);
}

/**
 * The format an HTTP Accept header prefers: `fallback` for no header or * / *, the first format
 * of a type for type/*, else the best-ranked media type vodax writes; null when the header
 * accepts nothing vodax writes (answer 406).
 */
export function negotiateFormat(accept: string | undefined, fallback: OutputFormat = DEFAULT_FORMAT): ResolvedFormat | null {
  if (!accept || accept.trim() === '') return { format: fallback, contentType: fallback.mimeType };
  for (const { range } of parseAccept(accept)) {
    const lower = range.toLowerCase();
    if (lower === '*/*' || lower.startsWith('*/*;')) return { format: fallback, contentType: fallback.mimeType };
    if (/^[^/]+\/\*$/.test(lower)) {
      const type = lower.split('/')[0];
      const f = fallback.mimeType.startsWith(`${type}/`) ? fallback : OUTPUT_FORMATS.find((x) => x.mimeType.startsWith(`${type}/`));
      if (f) return { format: f, contentType: f.mimeType };
      continue;
    }
    const mt = parseMediaType(range);
    const f = mt ? byMediaType(mt) : undefined;
    if (f) return { format: f, contentType: range };
  }
  return null;
}

/** The format with this short name (the writer's name), if any. */
export function formatByName(name: string): OutputFormat | undefined {
  return OUTPUT_FORMATS.find((f) => f.name === name);
}
