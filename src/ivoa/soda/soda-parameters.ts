/**
 * SODA 1.0 parameters (pure): ID, the regions CIRCLE, POLYGON and POS (CIRCLE, RANGE, POLYGON),
 * the intervals BAND and TIME, and RESPONSEFORMAT; errors name the parameter and start with the
 * SODA 1.0 error label (section 5.2), `UsageError`, or `MultiValuedParamNotSupported`.
 *
 * Multiplicity (SODA 1.0 section 3.1: optional, and may differ between sync and async): async
 * takes any number of each and makes one result per ID x region x band x time (section 6);
 * sync takes one of each and refuses more with MultiValuedParamNotSupported, naming async. A
 * multi-part sync answer would be no file a pyvo user (or any SODA client, which falls back to
 * one request per value as the standard tells it to) could open, and its parts could not carry
 * the per-cut 204 of no overlap.
 */
import { BadRequestError } from '../../errors.js';
import type { RequestParams } from '../../params/request-params.js';
import { formatByName, type ImageFormat } from '../../images/image-request.js';
import type { SkyRegion } from '../../images/sky-region.js';
import type { Interval, RegionCut } from '../../images/region-cutout.js';
import type { SodaJob } from '../../images/soda-job-kind.js';

/** Most vertices of a polygon (each edge is traced through the WCS). */
export const MAX_POLYGON_VERTICES = 500;
/** Most results one async job may ask for (IDs x regions x bands x times). */
export const MAX_SODA_RESULTS = 1000;

/** A request as read: every value of every parameter. */
export interface SodaRequest {
  ids: string[];
  regions: SkyRegion[];
  bands: Interval[];
  times: Interval[];
  format: ImageFormat;
}

/** A sync request: one of each. */
export interface SodaSyncRequest {
  id: string;
  cut: RegionCut;
  format: ImageFormat;
}

function usage(name: string, why: string, raw?: string): BadRequestError {
  return new BadRequestError(`UsageError: parameter ${name}${raw === undefined ? '' : ` '${raw.trim().slice(0, 200)}'`}: ${why}`);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number of a parameter's value; -Inf and +Inf only where `infinite`. */
function numberOf(name: string, token: string, raw: string, infinite: boolean): number {
  if (infinite && /^\+?inf(inity)?$/i.test(token)) return Infinity;
  if (infinite && /^-inf(inity)?$/i.test(token)) return -Infinity;
  if (!NUMBER.test(token)) throw usage(name, `'${token.slice(0, 40)}' is not a number`, raw);
  const v = Number(token);
  if (!Number.isFinite(v)) throw usage(name, `'${token.slice(0, 40)}' is out of range`, raw);
  return v;
}

function numbersOf(name: string, text: string, raw: string, infinite: boolean): number[] {
  const t = text.trim();
  return t === '' ? [] : t.split(/\s+/).map((tok) => numberOf(name, tok, raw, infinite));
}

function checkPosition(name: string, ra: number, dec: number, raw: string): void {
  if (!(ra >= 0 && ra <= 360)) throw usage(name, `RA ${ra} is outside 0..360 degrees`, raw);
  if (!(dec >= -90 && dec <= 90)) throw usage(name, `Dec ${dec} is outside -90..90 degrees`, raw);
}

/** A DALI circle: ra dec radius (degrees). */
export function parseCircle(name: string, text: string, raw = text): SkyRegion {
  const n = numbersOf(name, text, raw, false);
  if (n.length !== 3) throw usage(name, 'a circle is three numbers: ra dec radius (degrees)', raw);
  const [ra, dec, radius] = n as [number, number, number];
  checkPosition(name, ra, dec, raw);
  if (!(radius > 0 && radius <= 180)) throw usage(name, 'the radius must be above 0 and at most 180 degrees', raw);
  return { shape: 'circle', ra, dec, radius };
}

/** A DALI polygon: ra1 dec1 ra2 dec2 ra3 dec3 ... (degrees, at least three distinct vertices). */
export function parsePolygon(name: string, text: string, raw = text): SkyRegion {
  const n = numbersOf(name, text, raw, false);
  if (n.length < 6 || n.length % 2 !== 0) throw usage(name, 'a polygon is at least three vertices, ra dec each (degrees)', raw);
  if (n.length > 2 * MAX_POLYGON_VERTICES) throw usage(name, `a polygon has at most ${MAX_POLYGON_VERTICES} vertices, not ${n.length / 2}`, raw);
  const vertices: Array<[number, number]> = [];
  for (let k = 0; k < n.length; k += 2) {
    checkPosition(name, n[k]!, n[k + 1]!, raw);
    vertices.push([n[k]!, n[k + 1]!]);
  }
  if (new Set(vertices.map(([a, d]) => `${a % 360} ${d}`)).size < 3) throw usage(name, 'a polygon needs at least three distinct vertices', raw);
  return { shape: 'polygon', vertices };
}

/** A POS RANGE: ra1 ra2 dec1 dec2 (degrees; -Inf, +Inf for open ends; ra1 > ra2 wraps through RA 0). */
function parseRange(text: string, raw: string): SkyRegion {
  const n = numbersOf('POS', text, raw, true);
  if (n.length !== 4) throw usage('POS', 'RANGE is four numbers: ra1 ra2 dec1 dec2 (degrees; -Inf, +Inf for open ends)', raw);
  const [ra1, ra2, dec1, dec2] = n as [number, number, number, number];
  for (const ra of [ra1, ra2]) if (Number.isFinite(ra) && !(ra >= 0 && ra <= 360)) throw usage('POS', `RA ${ra} is outside 0..360 degrees`, raw);
  if (ra1 === Infinity || ra2 === -Infinity) throw usage('POS', 'an open RA end is -Inf for ra1 or +Inf for ra2', raw);
  if (dec1 > 90 || dec2 < -90 || dec1 > dec2) throw usage('POS', 'the Dec interval must meet -90..90 with dec1 <= dec2', raw);
  return { shape: 'range', ra1, ra2, dec1, dec2 };
}

/** A POS value: CIRCLE ra dec r | RANGE ra1 ra2 dec1 dec2 | POLYGON ra1 dec1 ... */
export function parsePos(raw: string): SkyRegion {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(raw);
  const shape = (m?.[1] ?? '').toUpperCase();
  const rest = m?.[2] ?? '';
  if (shape === 'CIRCLE') return parseCircle('POS', rest, raw);
  if (shape === 'POLYGON') return parsePolygon('POS', rest, raw);
  if (shape === 'RANGE') return parseRange(rest, raw);
  throw usage('POS', 'expected CIRCLE ra dec radius, RANGE ra1 ra2 dec1 dec2 or POLYGON ra1 dec1 ra2 dec2 ...', raw);
}

/** A DALI interval: lo hi, either end open (-Inf, +Inf). */
export function parseInterval(name: string, raw: string): Interval {
  const n = numbersOf(name, raw, raw, true);
  if (n.length !== 2) throw usage(name, 'an interval is two numbers: lo hi (-Inf, +Inf for open ends)', raw);
  const [lo, hi] = n as [number, number];
  if (lo > hi || lo === Infinity || hi === -Infinity) throw usage(name, 'the interval ends are in the wrong order (lo must not exceed hi)', raw);
  return { lo, hi };
}

/** The output format (FITS unless asked). */
function formatOf(p: RequestParams): ImageFormat {
  const values = p.all('RESPONSEFORMAT').filter((v) => v.trim() !== '');
  if (new Set(values.map((v) => v.trim())).size > 1) throw new BadRequestError('MultiValuedParamNotSupported: RESPONSEFORMAT takes one value');
  if (values.length === 0) return 'fits';
  const f = formatByName(values[0]!);
  if (!f) throw usage('RESPONSEFORMAT', 'not a format of this service; use image/fits (the default), image/png, image/jpeg or application/x-hdf5', values[0]);
  return f;
}

/** Values given, empty ones dropped (DALI: an empty value is as good as none). */
function valuesOf(p: RequestParams, name: string): string[] {
  return p.all(name).filter((v) => v.trim() !== '');
}

/** Every value of every SODA parameter; UsageError on any bad one. */
export function sodaRequestOf(p: RequestParams): SodaRequest {
  if (valuesOf(p, 'POL').length > 0) throw usage('POL', 'these images have no polarization axis; leave POL out');
  const ids = valuesOf(p, 'ID').map((v) => v.trim());
  if (ids.length === 0) throw usage('ID', 'is required: the dataset identifier, ivo://vodax/image?{id} (obs_publisher_did in ivoa.obscore)');
  const regions = [
    ...valuesOf(p, 'CIRCLE').map((v) => parseCircle('CIRCLE', v)),
    ...valuesOf(p, 'POLYGON').map((v) => parsePolygon('POLYGON', v)),
    ...valuesOf(p, 'POS').map(parsePos),
  ];
  const bands = valuesOf(p, 'BAND').map((v) => parseInterval('BAND', v));
  const times = valuesOf(p, 'TIME').map((v) => parseInterval('TIME', v));
  return { ids, regions, bands, times, format: formatOf(p) };
}

/** Every combination of region, band and time (an absent parameter: one combination, no filter). */
function cutsOf(r: SodaRequest): RegionCut[] {
  const cuts: RegionCut[] = [];
  for (const region of r.regions.length ? r.regions : [null]) {
    for (const band of r.bands.length ? r.bands : [null]) {
      for (const time of r.times.length ? r.times : [null]) cuts.push({ region, band, time });
    }
  }
  return cuts;
}

/** A sync request: one ID, at most one region, band and time; more is MultiValuedParamNotSupported. */
export function sodaSyncRequestOf(p: RequestParams, asyncPath: string | null): SodaSyncRequest {
  const r = sodaRequestOf(p);
  const instead = asyncPath ? `Submit several values to ${asyncPath} (one result per combination) or make one request each` : 'Make one request each';
  const several = (what: string, n: number) =>
    new BadRequestError(`MultiValuedParamNotSupported: ${what} given ${n} times; sync cuts one dataset with one region, band and time. ${instead}`);
  if (r.ids.length > 1) throw several('ID', r.ids.length);
  if (r.regions.length > 1) throw several('a region (CIRCLE, POLYGON, POS together)', r.regions.length);
  if (r.bands.length > 1) throw several('BAND', r.bands.length);
  if (r.times.length > 1) throw several('TIME', r.times.length);
  return { id: r.ids[0]!, cut: cutsOf(r)[0]!, format: r.format };
}

/** An async job's work: each ID with each combination, at most MAX_SODA_RESULTS results. */
export function sodaJobOf(p: RequestParams): SodaJob {
  const r = sodaRequestOf(p);
  const cuts = cutsOf(r);
  const n = r.ids.length * cuts.length;
  if (n > MAX_SODA_RESULTS) throw usage('ID', `the job would make ${n} results (IDs x regions x bands x times); at most ${MAX_SODA_RESULTS}`);
  return { ids: r.ids, cuts, format: r.format };
}
