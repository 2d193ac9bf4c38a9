/**
 * SIA 2.0 query parameters into one ADQL query over ivoa.obscore (pure). Values of one
 * parameter are ORed, parameters are ANDed (SIA 2.0 section 2.1); intervals follow DALI (two
 * numbers, either end may be -Inf or +Inf). Going through ADQL means the query runs as TAP
 * queries do: the caller's view of the tables, MAXREC overflow, every output format.
 *
 * The spatial constraint is index-driven: the exact footprint test (INTERSECTS on s_region) is
 * ANDed with a cone on the image centre (CONTAINS on s_ra, s_dec, which the translator turns
 * into HEALPix ranges). The cone is the search region's bounding circle widened by the largest
 * image radius (`footprintMargin`), so no image whose footprint meets the region is missed.
 */
import type { Limits } from '../../config.js';
import { BadRequestError } from '../../errors.js';
import { DEFAULT_FORMAT, resolveFormat, type ResolvedFormat } from '../../formats/output-formats.js';
import type { RequestParams } from '../../params/request-params.js';

/** An SIA query, ready for runTapQuery. */
export interface SiaQuery {
  adql: string;
  maxrec: number;
  format: ResolvedFormat;
}

export interface SiaOptions {
  limits: Pick<Limits, 'defaultMaxrec' | 'hardMaxrec'>;
  /** Half the largest image field diameter, degrees: how far a footprint reaches from its centre. */
  footprintMargin: number;
}

/** The ObsCore columns returned, in ObsCore order (never vodax's own index columns). */
export const OBSCORE_COLUMNS = [
  'dataproduct_type', 'dataproduct_subtype', 'calib_level', 'obs_collection', 'obs_id', 'obs_publisher_did',
  'access_url', 'access_format', 'access_estsize', 'target_name', 's_ra', 's_dec', 's_fov', 's_region',
  's_resolution', 's_xel1', 's_xel2', 's_pixel_scale', 't_min', 't_max', 't_exptime', 't_resolution', 't_xel',
  'em_min', 'em_max', 'em_res_power', 'em_xel', 'em_ucd', 'o_ucd', 'pol_states', 'pol_xel', 'facility_name', 'instrument_name',
] as const;

/** The polarization states ObsCore names (SIA 2.0 POL). */
const POL_STATES = ['I', 'Q', 'U', 'V', 'RR', 'LL', 'RL', 'LR', 'XX', 'YY', 'XY', 'YX', 'POLI', 'POLA'];

/** String parameters matched exactly against one column. */
const STRING_COLUMNS: ReadonlyArray<[string, string]> = [
  ['ID', 'obs_publisher_did'],
  ['COLLECTION', 'obs_collection'],
  ['FACILITY', 'facility_name'],
  ['INSTRUMENT', 'instrument_name'],
  ['DPTYPE', 'dataproduct_type'],
  ['TARGET', 'target_name'],
];

/**
 * The formats in which every image is offered: access_url is its DataLink document, whose
 * #this links give the file as FITS and as HDF5. FORMAT naming one of them (or the document
 * itself) holds for every record; any other format for none.
 */
const OFFERED_FORMATS = ['image/fits', 'application/fits', 'application/x-hdf5', 'application/x-votable+xml;content=datalink'];

/** Interval parameters whose value must lie in the interval. */
const VALUE_IN_INTERVAL: ReadonlyArray<[string, string]> = [
  ['FOV', 's_fov'],
  ['SPATRES', 's_resolution'],
  ['EXPTIME', 't_exptime'],
  ['TIMERES', 't_resolution'],
  ['SPECRP', 'em_res_power'],
];

/** Interval parameters whose [min, max] column pair must overlap the interval. */
const OVERLAPPING: ReadonlyArray<[string, string, string]> = [
  ['BAND', 'em_min', 'em_max'],
  ['TIME', 't_min', 't_max'],
];

/** A DALI interval; an open end is infinite. */
export interface Interval {
  lo: number;
  hi: number;
}

/** The SIA query the parameters ask for. */
export function siaQuery(params: RequestParams, options: SiaOptions): SiaQuery {
  const conditions: string[] = [];
  // Each value is a condition, or null when it holds everywhere (then so does the parameter).
  const add = (disjuncts: Array<string | null>) => {
    if (disjuncts.length === 0 || disjuncts.includes(null)) return;
    const ors = disjuncts as string[];
    conditions.push(ors.length === 1 ? ors[0]! : `(${ors.join(' OR ')})`);
  };
  add(values(params, 'POS').map((v) => orOf(posCondition(v, options.footprintMargin))));
  for (const [name, lo, hi] of OVERLAPPING) {
    add(values(params, name).map((v) => overlap(lo, hi, parseInterval(name, v))));
  }
  for (const [name, column] of VALUE_IN_INTERVAL) {
    add(values(params, name).map((v) => within(column, parseInterval(name, v))));
  }
  add(values(params, 'POL').map((v) => polCondition(v)));
  add(values(params, 'CALIB').map((v) => `calib_level = ${calibLevel(v)}`));
  add(values(params, 'FORMAT').map((v) => (OFFERED_FORMATS.includes(v.trim().toLowerCase().replace(/\s+/g, '')) ? null : `access_format = ${adqlString(v)}`)));
  for (const [name, column] of STRING_COLUMNS) {
    add(values(params, name).map((v) => `${column} = ${adqlString(v)}`));
  }
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return {
    adql: `SELECT ${OBSCORE_COLUMNS.join(', ')} FROM ivoa.obscore${where}`,
    maxrec: maxrecOf(params, options.limits),
    format: formatOf(params),
  };
}

/** Conditions ORed into one; none (the whole sky) is null. */
function orOf(conditions: string[]): string | null {
  if (conditions.length === 0) return null;
  return conditions.length === 1 ? conditions[0]! : `(${conditions.join(' OR ')})`;
}

/** The non-empty values of a parameter. */
function values(params: RequestParams, name: string): string[] {
  return params.all(name).filter((v) => v.trim() !== '');
}

function bad(name: string, message: string, raw: string): BadRequestError {
  return new BadRequestError(`parameter ${name}: ${message}, got '${raw}'`);
}

/** A number of a DALI value: finite, or (where `infinite`) -Inf, +Inf, Inf. */
function parseNumberOf(name: string, token: string, raw: string, infinite: boolean): number {
  if (infinite && /^[+]?inf(inity)?$/i.test(token)) return Infinity;
  if (infinite && /^-inf(inity)?$/i.test(token)) return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(token)) throw bad(name, `'${token}' is not a number`, raw);
  return Number(token);
}

/** A DALI interval `lo hi` (a single number is the interval of that one value). */
export function parseInterval(name: string, raw: string): Interval {
  const parts = raw.trim().split(/\s+/);
  if (parts.length < 1 || parts.length > 2) throw bad(name, 'expected an interval of two numbers (lo hi, -Inf and +Inf for open ends)', raw);
  const [lo, hi] = parts.length === 2 ? parts.map((p) => parseNumberOf(name, p, raw, true)) : [0, 0].map(() => parseNumberOf(name, parts[0]!, raw, false));
  if (lo! > hi!) throw bad(name, 'the interval ends in the wrong order (lo must not exceed hi)', raw);
  return { lo: lo!, hi: hi! };
}

/** `column` within the interval; null when the interval is the whole line. */
function within(column: string, i: Interval): string | null {
  if (i.lo === i.hi) return `${column} = ${num(i.lo)}`;
  const parts: string[] = [];
  if (i.lo !== -Infinity) parts.push(`${column} >= ${num(i.lo)}`);
  if (i.hi !== Infinity) parts.push(`${column} <= ${num(i.hi)}`);
  return andOf(parts);
}

/** [lo, hi] columns overlapping the interval; null when it is the whole line. */
function overlap(loCol: string, hiCol: string, i: Interval): string | null {
  const parts: string[] = [];
  if (i.hi !== Infinity) parts.push(`${loCol} <= ${num(i.hi)}`);
  if (i.lo !== -Infinity) parts.push(`${hiCol} >= ${num(i.lo)}`);
  return andOf(parts);
}

function andOf(parts: string[]): string | null {
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

function polCondition(raw: string): string {
  const state = raw.trim();
  if (!POL_STATES.includes(state)) throw bad('POL', `must be one of ${POL_STATES.join(', ')}`, raw);
  // ObsCore pol_states lists the states between slashes: /I/Q/U/.
  return `pol_states LIKE ${adqlString(`%/${state}/%`)}`;
}

function calibLevel(raw: string): number {
  const t = raw.trim();
  if (!/^\d+$/.test(t) || Number(t) > 4) throw bad('CALIB', 'must be a calibration level, an integer from 0 to 4', raw);
  return Number(t);
}

function maxrecOf(params: RequestParams, limits: SiaOptions['limits']): number {
  const raw = params.single('MAXREC');
  if (raw === undefined) return limits.defaultMaxrec;
  if (!/^\s*\d+\s*$/.test(raw)) throw bad('MAXREC', 'must be a non-negative integer', raw);
  return Math.min(Number(raw), limits.hardMaxrec);
}

function formatOf(params: RequestParams): ResolvedFormat {
  const raw = params.single('RESPONSEFORMAT');
  if (raw === undefined) return { format: DEFAULT_FORMAT, contentType: DEFAULT_FORMAT.mimeType };
  const f = resolveFormat(raw);
  if (!f) throw bad('RESPONSEFORMAT', 'not a supported format; use votable, votable/b2, fits, csv, tsv, json, html or ipac', raw);
  return f;
}

// ---------------------------------------------------------------------------------------------
// POS

type Vertex = readonly [number, number];

/** The conditions of one POS value (none: the whole sky). */
export function posCondition(raw: string, margin: number): string[] {
  const parts = raw.trim().split(/\s+/);
  const shape = parts[0]!.toUpperCase();
  const nums = (infinite: boolean) => parts.slice(1).map((p) => parseNumberOf('POS', p, raw, infinite));
  if (shape === 'CIRCLE') {
    const n = nums(false);
    if (n.length !== 3) throw bad('POS', 'CIRCLE takes three numbers: ra dec radius (degrees)', raw);
    const [ra, dec, r] = n as [number, number, number];
    checkPosition(ra, dec, raw);
    if (!(r > 0 && r <= 180)) throw bad('POS', 'the CIRCLE radius must be above 0 and at most 180 degrees', raw);
    return [footprintMeets(`CIRCLE('ICRS', ${num(ra)}, ${num(dec)}, ${num(r)})`, [ra, dec], r, margin)];
  }
  if (shape === 'POLYGON') {
    const n = nums(false);
    if (n.length < 6 || n.length % 2 !== 0) throw bad('POS', 'POLYGON takes at least three vertices, ra dec each (degrees)', raw);
    const vertices: Vertex[] = [];
    for (let k = 0; k < n.length; k += 2) {
      checkPosition(n[k]!, n[k + 1]!, raw);
      vertices.push([n[k]!, n[k + 1]!]);
    }
    return [polygonMeets(vertices, margin)];
  }
  if (shape === 'RANGE') {
    const n = nums(true);
    if (n.length !== 4) throw bad('POS', 'RANGE takes four numbers: ra1 ra2 dec1 dec2 (degrees; -Inf, +Inf for open ends)', raw);
    return rangeConditions(n as [number, number, number, number], margin, raw);
  }
  throw bad('POS', 'expected CIRCLE ra dec radius, RANGE ra1 ra2 dec1 dec2 or POLYGON ra1 dec1 ra2 dec2 ...', raw);
}

function checkPosition(ra: number, dec: number, raw: string): void {
  if (!(ra >= 0 && ra <= 360)) throw bad('POS', `RA ${ra} is outside 0..360 degrees`, raw);
  if (!(dec >= -90 && dec <= 90)) throw bad('POS', `Dec ${dec} is outside -90..90 degrees`, raw);
}

/**
 * The footprint meets `region` (exact), and the centre lies within the region's bounding
 * circle widened by the margin (the HEALPix index); past a hemisphere the cone is left out.
 */
function footprintMeets(region: string, centre: Vertex, radius: number, margin: number): string {
  const exact = `INTERSECTS(s_region, ${region}) = 1`;
  const r = radius + margin;
  if (!(r < 90)) return exact;
  return `(CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ${num(centre[0])}, ${num(centre[1])}, ${num(r)})) = 1 AND ${exact})`;
}

function polygonMeets(vertices: readonly Vertex[], margin: number): string {
  const region = `POLYGON('ICRS', ${vertices.map(([a, d]) => `${num(a)}, ${num(d)}`).join(', ')})`;
  const { centre, radius } = boundingCircle(vertices);
  return footprintMeets(region, centre, radius, margin);
}

/** Largest RA extent of one polygon piece of a RANGE, and longest step along a Dec edge. */
const RANGE_PIECE_DEG = 60;
const RANGE_STEP_DEG = 1;
/** A RANGE edge at a pole is drawn this close to it (a polygon cannot have an edge of zero length). */
const POLE_GAP_DEG = 1e-6;

/**
 * RANGE ra1 ra2 dec1 dec2 (ra1 > ra2 wraps through RA 0). Lines of constant Dec are not great
 * circles: a limited RA range is cut into pieces of at most 60 degrees, each a polygon whose Dec
 * edges are drawn in steps of a degree. An RA range all round is a band: a connected footprint
 * meets it if and only if it meets both the cap above dec1 and the cap below dec2.
 */
function rangeConditions([ra1, ra2, dec1, dec2]: [number, number, number, number], margin: number, raw: string): string[] {
  const lo = Math.max(dec1, -90);
  const hi = Math.min(dec2, 90);
  if (dec1 > 90 || dec2 < -90 || lo > hi) throw bad('POS', 'the RANGE Dec interval must lie in -90..90 with dec1 <= dec2', raw);
  const openRa = ra1 === -Infinity || ra2 === Infinity || (ra1 <= 0 && ra2 >= 360);
  for (const ra of [ra1, ra2]) if (Number.isFinite(ra) && !(ra >= 0 && ra <= 360)) throw bad('POS', `RA ${ra} is outside 0..360 degrees`, raw);
  if (openRa) {
    const caps: string[] = [];
    if (lo > -90) caps.push(`INTERSECTS(s_region, CIRCLE('ICRS', 0, 90, ${num(90 - lo)})) = 1`);
    if (hi < 90) caps.push(`INTERSECTS(s_region, CIRCLE('ICRS', 0, -90, ${num(90 + hi)})) = 1`);
    if (caps.length === 0) return [];
    // The centre is within the margin of the band: an index-free but cheap prefilter.
    const band = [lo > -90 ? `s_dec >= ${num(lo - margin)}` : '', hi < 90 ? `s_dec <= ${num(hi + margin)}` : ''].filter(Boolean);
    return [`(${[...band, ...caps].join(' AND ')})`];
  }
  const span = ra1 <= ra2 ? ra2 - ra1 : 360 - ra1 + ra2;
  const pieces = Math.max(1, Math.ceil(span / RANGE_PIECE_DEG));
  const d1 = Math.max(lo, -90 + POLE_GAP_DEG);
  const d2 = Math.min(hi, 90 - POLE_GAP_DEG);
  const out: string[] = [];
  for (let p = 0; p < pieces; p++) {
    const a = ra1 + (span * p) / pieces;
    const b = ra1 + (span * (p + 1)) / pieces;
    const steps = Math.max(1, Math.ceil((b - a) / RANGE_STEP_DEG));
    const along = (dec: number, reverse: boolean): Vertex[] => {
      const vs: Vertex[] = [];
      for (let k = 0; k <= steps; k++) vs.push([normRa(a + ((b - a) * k) / steps), dec]);
      return reverse ? vs.reverse() : vs;
    };
    const vertices = span === 0 || d1 === d2 ? [] : [...along(d1, false), ...along(d2, true)];
    if (vertices.length === 0) {
      // A degenerate range (a line or a point): its bounding circle, tiny.
      out.push(footprintMeets(`CIRCLE('ICRS', ${num(normRa(a))}, ${num(d1)}, ${num(1e-9)})`, [normRa(a), d1], 1e-9, margin));
      break;
    }
    out.push(polygonMeets(vertices, margin));
  }
  return out;
}

function normRa(ra: number): number {
  const r = ra % 360;
  return r < 0 ? r + 360 : r;
}

/** A circle enclosing every vertex: around their mean direction, out to the farthest. */
export function boundingCircle(vertices: readonly Vertex[]): { centre: Vertex; radius: number } {
  const rad = Math.PI / 180;
  let x = 0;
  let y = 0;
  let z = 0;
  for (const [a, d] of vertices) {
    x += Math.cos(d * rad) * Math.cos(a * rad);
    y += Math.cos(d * rad) * Math.sin(a * rad);
    z += Math.sin(d * rad);
  }
  const n = Math.hypot(x, y, z);
  if (n < 1e-12) return { centre: [0, 0], radius: 180 };
  const centre: Vertex = [normRa(Math.atan2(y, x) / rad), Math.asin(z / n) / rad];
  let radius = 0;
  for (const v of vertices) radius = Math.max(radius, sphericalDistance(centre, v));
  // A hair more, so rounding never puts a vertex outside.
  return { centre, radius: radius * (1 + 1e-9) + 1e-9 };
}

function sphericalDistance([a1, d1]: Vertex, [a2, d2]: Vertex): number {
  const rad = Math.PI / 180;
  const s = Math.sin(((d2 - d1) * rad) / 2) ** 2 + Math.cos(d1 * rad) * Math.cos(d2 * rad) * Math.sin(((a2 - a1) * rad) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(s)))) / rad;
}

/** A number as ADQL text, exact (JavaScript's shortest round-trip form). */
function num(x: number): string {
  return String(x);
}

/** An ADQL string literal. */
function adqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
