/**
 * Simple Cone Search 1.1 parameters into one ADQL query over one table (pure; the table comes in
 * as the caller's catalog describes it). The cone is written as ADQL CONTAINS on the table's
 * declared position columns, which the translator turns into HEALPix ranges: the same
 * index-driven cone, over the same rows, as the caller's own TAP query.
 *
 * RA, DEC, SR are required (degrees, ICRS); SR=0 asks for the metadata only, as MAXREC=0 does
 * (SCS 1.1 section 2.1.3). VERB picks the columns: 1 the identifier and the position, 2 (the
 * default) the principal columns, 3 all of them. MAXREC and RESPONSEFORMAT are DALI's.
 */
import type { Limits } from '../../config.js';
import { BadRequestError } from '../../errors.js';
import { DEFAULT_FORMAT, resolveFormat, type ResolvedFormat } from '../../formats/output-formats.js';
import type { CatalogTable } from '../../catalog/query-catalog.js';
import type { ColumnMeta } from '../../formats/table-model.js';
import type { RequestParams } from '../../params/request-params.js';

/**
 * The largest cone accepted, degrees (the capabilities' maxSR). The cone is index-driven at any
 * size, but a cone search is for a neighbourhood; wider searches are TAP's job, where MAXREC and
 * async jobs suit them.
 */
export const MAX_SR_DEG = 10;

/** The verbosity levels of VERB. */
export const VERBOSITIES = ['1', '2', '3'] as const;

/** A cone search, ready for runTapQuery. */
export interface ScsQuery {
  adql: string;
  maxrec: number;
  format: ResolvedFormat;
  cone: { ra: number; dec: number; sr: number };
  verb: 1 | 2 | 3;
}

export interface ScsOptions {
  limits: Pick<Limits, 'defaultMaxrec' | 'hardMaxrec'>;
}

/** A table a cone search can run on: one with declared RA/Dec columns. */
export type ConeTable = CatalogTable & { readonly position: NonNullable<CatalogTable['position']> };

/** Whether the catalog declares a position (RA/Dec, HEALPix-indexed) for the table. */
export function hasPosition(table: CatalogTable): table is ConeTable {
  return table.position !== null;
}

/** The cone search the parameters ask for on `table`. */
export function scsQuery(params: RequestParams, table: ConeTable, options: ScsOptions): ScsQuery {
  const ra = required(params, 'RA', 'the right ascension of the cone centre (ICRS, decimal degrees)');
  const dec = required(params, 'DEC', 'the declination of the cone centre (ICRS, decimal degrees)');
  const sr = required(params, 'SR', 'the radius of the cone (decimal degrees)');
  if (!(ra >= 0 && ra <= 360)) throw new BadRequestError(`parameter RA must lie in 0..360 degrees, got ${ra}`);
  if (!(dec >= -90 && dec <= 90)) throw new BadRequestError(`parameter DEC must lie in -90..90 degrees, got ${dec}`);
  if (sr < 0) throw new BadRequestError(`parameter SR must not be negative, got ${sr}`);
  if (sr > MAX_SR_DEG) throw new BadRequestError(`parameter SR must be at most ${MAX_SR_DEG} degrees (this service's maxSR), got ${sr}; use TAP for wider searches`);
  const verb = Number(params.oneOf('VERB', VERBOSITIES) ?? '2') as 1 | 2 | 3;
  const maxrec = sr === 0 ? 0 : maxrecOf(params, options.limits);
  const { ra: raCol, dec: decCol } = positionColumns(table);
  const where = `1 = CONTAINS(POINT('ICRS', ${identifier(raCol)}, ${identifier(decCol)}), CIRCLE('ICRS', ${num(ra)}, ${num(dec)}, ${num(sr)}))`;
  const columns = coneColumns(table, verb).map(identifier).join(', ');
  return {
    adql: `SELECT ${columns} FROM ${identifier(table.schema)}.${identifier(table.name)} WHERE ${where}`,
    maxrec,
    format: formatOf(params),
    cone: { ra, dec, sr },
    verb,
  };
}

/** The declared names of the position columns (the catalog's RA/Dec columns). */
export function positionColumns(table: ConeTable): { ra: string; dec: string } {
  return { ra: declared(table, table.position.ra), dec: declared(table, table.position.dec) };
}

/** The column SCS calls the record's ID: the one whose UCD is meta.id;meta.main, if any. */
export function idColumn(table: CatalogTable): ColumnMeta | undefined {
  return table.columns.find((c) => ucdWords(c.ucd).join(';') === 'meta.id;meta.main');
}

/**
 * The columns of a verbosity, in table order: 1 the ID and the position, 2 the principal
 * columns (always with those three), 3 every declared column.
 */
export function coneColumns(table: ConeTable, verb: 1 | 2 | 3): string[] {
  const { ra, dec } = positionColumns(table);
  const id = idColumn(table)?.name;
  const minimal = new Set([id, ra, dec].filter((n): n is string => n !== undefined));
  if (verb === 1) return [...minimal];
  return table.columns.filter((c) => verb === 3 || c.principal || minimal.has(c.name)).map((c) => c.name);
}

/** A UCD's words, lower case, without spaces. */
function ucdWords(ucd: string | null | undefined): string[] {
  return (ucd ?? '').split(';').map((w) => w.trim().toLowerCase()).filter(Boolean);
}

/** The declared column named `name` (the registry's spelling may differ in case). */
function declared(table: CatalogTable, name: string): string {
  const exact = table.columns.find((c) => c.name === name);
  return (exact ?? table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase()))?.name ?? name;
}

function required(params: RequestParams, name: string, what: string): number {
  const value = params.number(name);
  if (value === undefined) throw new BadRequestError(`parameter ${name} is required: ${what}`);
  return value;
}

function maxrecOf(params: RequestParams, limits: ScsOptions['limits']): number {
  const n = params.int('MAXREC', { min: 0 });
  return n === undefined ? limits.defaultMaxrec : Math.min(n, limits.hardMaxrec);
}

/** RESPONSEFORMAT by short name or media type; VOTable by default, as SCS requires. */
function formatOf(params: RequestParams): ResolvedFormat {
  const raw = params.single('RESPONSEFORMAT');
  if (raw === undefined) return { format: DEFAULT_FORMAT, contentType: DEFAULT_FORMAT.mimeType };
  const f = resolveFormat(raw);
  if (!f) throw new BadRequestError(`parameter RESPONSEFORMAT: '${raw}' is not a supported format; use votable, votable/b2, fits, csv, tsv, json, html or ipac`);
  return f;
}

/** An ADQL delimited identifier: the exact name, whatever its case or spelling. */
function identifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A number as ADQL text, exact (JavaScript's shortest round-trip form). */
function num(x: number): string {
  return String(x);
}
