/**
 * The functions a query may call beyond ADQL's grammar: the user-defined functions this
 * service declares in its TAP capabilities, and the unit table of IN_UNIT. Anything else
 * (pg_sleep, set_config, ...) does not exist.
 */
import { INT, TEXT, type ValueKind, type ValueType } from './value-types.js';

/** A user-defined function: its signature, result and PostgreSQL rendering. */
export interface UserFunction {
  /** Name as declared (lower case; ADQL matches it case-insensitively). */
  name: string;
  /** Argument kinds, in order ('any' accepts every kind). */
  args: ReadonlyArray<ValueKind | 'any'>;
  result: ValueType;
  /** True for aggregates (allowed where aggregates are). */
  aggregate: boolean;
  /** The TAPRegExt form, for the capabilities document. */
  signature: string;
  description: string;
  /** PostgreSQL text given the translated (bracketed) arguments. */
  sql(args: string[]): string;
}

/** The user-defined functions this service implements (declare them in the TAP capabilities). */
export const USER_FUNCTIONS: readonly UserFunction[] = [
  {
    name: 'ivo_hasword',
    args: ['string', 'string'],
    result: INT,
    aggregate: false,
    signature: 'ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER',
    description: 'Returns 1 when needle occurs in haystack as a word or a sequence of words, ignoring case and punctuation; 0 otherwise.',
    sql: ([h, n]) => `CAST(to_tsvector('simple', ${h}) @@ phraseto_tsquery('simple', ${n}) AS integer)`,
  },
  {
    name: 'ivo_nocasematch',
    args: ['string', 'string'],
    result: INT,
    aggregate: false,
    signature: 'ivo_nocasematch(value TEXT, pattern TEXT) -> INTEGER',
    description: 'Returns 1 when value matches the LIKE pattern ignoring case (like ILIKE); 0 otherwise.',
    sql: ([v, p]) => `CAST((${v} ILIKE ${p}) AS integer)`,
  },
  {
    name: 'ivo_hashlist_has',
    args: ['string', 'string'],
    result: INT,
    aggregate: false,
    signature: 'ivo_hashlist_has(hashlist TEXT, item TEXT) -> INTEGER',
    description: "Returns 1 when item is one of the '#'-separated entries of hashlist, ignoring case; 0 otherwise.",
    sql: ([l, i]) => `CAST((lower(${i}) = ANY (string_to_array(lower(${l}), '#'))) AS integer)`,
  },
  {
    name: 'ivo_interval_overlaps',
    args: ['numeric', 'numeric', 'numeric', 'numeric'],
    result: INT,
    aggregate: false,
    signature: 'ivo_interval_overlaps(l1 NUMERIC, h1 NUMERIC, l2 NUMERIC, h2 NUMERIC) -> INTEGER',
    description: 'Returns 1 when the closed intervals [l1, h1] and [l2, h2] overlap; 0 otherwise.',
    sql: ([l1, h1, l2, h2]) => `CAST((${h1} >= ${l2} AND ${h2} >= ${l1} AND ${h1} >= ${l1} AND ${h2} >= ${l2}) AS integer)`,
  },
  {
    name: 'ivo_string_agg',
    args: ['any', 'string'],
    result: TEXT,
    aggregate: true,
    signature: 'ivo_string_agg(expr TEXT, deli TEXT) -> TEXT',
    description: 'Aggregate: the values of expr in a group joined by deli.',
    sql: ([e, d]) => `string_agg(CAST(${e} AS text), ${d})`,
  },
];

/**
 * How this service implements what ADQL leaves to services, for the capabilities' language
 * notes. ROUND: the standard does not say how halves round; both forms use one rule.
 */
export const ROUNDING_NOTE =
  'ROUND(x) and ROUND(x, n) round half away from zero, on the decimal value of x (a DOUBLE read with 15 significant digits, a REAL with 6): ' +
  'ROUND(2.5) = 3, ROUND(-2.5) = -3, ROUND(1.005, 2) = 1.01; TRUNCATE(x[, n]) cuts toward zero the same way.';

/** The other choices the language notes describe: RAND(seed). */
export const RAND_NOTE =
  'RAND(seed) is reproducible: a hash of the seed and the row (in a grouped select list, the group), the same in every run; identical rows get identical values. RAND() is not reproducible.';

/** The user-defined function of that name (case-insensitive), or undefined. */
export function userFunction(name: string): UserFunction | undefined {
  const lower = name.toLowerCase();
  return USER_FUNCTIONS.find((f) => f.name === lower);
}

// IN_UNIT: linear units by dimension, as factors to the dimension's base unit.
const DEG = Math.PI / 180;
const UNIT_GROUPS: ReadonlyArray<{ dimension: string; units: Record<string, number> }> = [
  { dimension: 'angle', units: { deg: 1, arcmin: 1 / 60, arcsec: 1 / 3600, mas: 1 / 3.6e6, uas: 1 / 3.6e9, rad: 1 / DEG, mrad: 1e-3 / DEG } },
  {
    dimension: 'length',
    units: { m: 1, km: 1e3, cm: 1e-2, mm: 1e-3, um: 1e-6, nm: 1e-9, Angstrom: 1e-10, AU: 1.495978707e11, pc: 3.0856775814913673e16, kpc: 3.0856775814913673e19, Mpc: 3.0856775814913673e22, lyr: 9.4607304725808e15 },
  },
  { dimension: 'time', units: { s: 1, ms: 1e-3, min: 60, h: 3600, d: 86400, yr: 31557600, a: 31557600 } },
  { dimension: 'flux density', units: { Jy: 1, mJy: 1e-3, uJy: 1e-6, nJy: 1e-9 } },
  { dimension: 'frequency', units: { Hz: 1, kHz: 1e3, MHz: 1e6, GHz: 1e9 } },
];

/** Every unit IN_UNIT converts, for error messages. */
export const KNOWN_UNITS: readonly string[] = UNIT_GROUPS.flatMap((g) => Object.keys(g.units));

/**
 * The factor converting values in unit `from` to unit `to`, or an explanation of why not.
 */
export function unitFactor(from: string, to: string): { factor: number } | { error: string } {
  const find = (u: string) => UNIT_GROUPS.find((g) => u in g.units);
  const gTo = find(to);
  if (!gTo) return { error: `IN_UNIT does not know the unit "${to}"; known units: ${KNOWN_UNITS.join(', ')}` };
  const gFrom = find(from);
  if (!gFrom) return { error: `IN_UNIT cannot convert from "${from}"; known units: ${KNOWN_UNITS.join(', ')}` };
  if (gFrom !== gTo) return { error: `IN_UNIT cannot convert ${gFrom.dimension} ("${from}") to ${gTo.dimension} ("${to}")` };
  return { factor: gFrom.units[from]! / gTo.units[to]! };
}
