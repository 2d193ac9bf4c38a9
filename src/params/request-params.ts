/**
 * Request parameters as every face reads them: names case-insensitive (kept lower-cased, as
 * DALI requires), each possibly repeated, values in the order sent. The typed getters turn a
 * bad value into a BadRequestError naming the parameter and the value; an absent or empty
 * parameter is undefined, so each caller applies its own default.
 */
import { BadRequestError } from '../errors.js';

/** Bounds of an integer parameter. */
export interface IntBounds {
  min?: number;
  max?: number;
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const ZONE = /(Z|[+-]\d{2}:?\d{2})$/;

/** The parameters of one request (or of one stored job). */
export class RequestParams {
  readonly #values = new Map<string, string[]>();

  /** From name/value pairs, e.g. a URLSearchParams. */
  static fromEntries(entries: Iterable<[string, string]>): RequestParams {
    const p = new RequestParams();
    for (const [name, value] of entries) p.add(name, value);
    return p;
  }

  /** From a record of values by name, as UWS stores a job's parameters. */
  static fromRecord(record: Record<string, readonly string[]>): RequestParams {
    const p = new RequestParams();
    for (const [name, values] of Object.entries(record)) for (const v of values) p.add(name, v);
    return p;
  }

  /** A record of values by lower-case name, as UWS stores a job's parameters. */
  toRecord(): Record<string, string[]> {
    return Object.fromEntries([...this.#values].map(([k, v]) => [k, [...v]]));
  }

  /** Add a value under the parameter's lower-case name. */
  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.#values.get(key);
    if (list) list.push(value);
    else this.#values.set(key, [value]);
  }

  /** Whether the parameter was given at all (even empty). */
  has(name: string): boolean {
    return this.all(name).length > 0;
  }

  /** The lower-case names given, in the order first seen. */
  names(): string[] {
    return [...this.#values.keys()];
  }

  /** Every value of a parameter, in the order given. */
  all(name: string): string[] {
    return [...(this.#values.get(name.toLowerCase()) ?? [])];
  }

  /** The first value of a parameter, as sent, or undefined. */
  first(name: string): string | undefined {
    return this.#values.get(name.toLowerCase())?.[0];
  }

  /** These parameters but the ones named. */
  without(names: Iterable<string>): RequestParams {
    const drop = new Set([...names].map((n) => n.toLowerCase()));
    const p = new RequestParams();
    for (const [k, v] of this.#values) if (!drop.has(k)) p.#values.set(k, [...v]);
    return p;
  }

  /** How many values there are, all parameters together. */
  get size(): number {
    let n = 0;
    for (const v of this.#values.values()) n += v.length;
    return n;
  }

  /** The value of a single-valued parameter, as sent; repeated values must agree. */
  single(name: string): string | undefined {
    const values = this.all(name);
    if (values.length === 0 || values[0]!.trim() === '') return undefined;
    if (new Set(values).size > 1) throw new BadRequestError(`parameter ${name} given more than once with different values`);
    return values[0];
  }

  /** An integer, within the bounds given. */
  int(name: string, bounds: IntBounds = {}): number | undefined {
    const raw = this.single(name);
    return raw === undefined ? undefined : parseInteger(name, raw, bounds);
  }

  /** A finite number. */
  number(name: string): number | undefined {
    const raw = this.single(name);
    return raw === undefined ? undefined : parseNumber(name, raw);
  }

  /** A time in DALI's ISO 8601 (a time without a zone is UTC). */
  isoTime(name: string): Date | undefined {
    const raw = this.single(name);
    return raw === undefined ? undefined : parseIsoTime(name, raw);
  }

  /** A whole number of seconds (UWS EXECUTIONDURATION, WAIT). */
  seconds(name: string): number | undefined {
    const raw = this.single(name);
    return raw === undefined ? undefined : parseSeconds(name, raw);
  }

  /** One of the values given, returned as listed there. */
  oneOf<T extends string>(name: string, values: readonly T[], options: { caseInsensitive?: boolean } = {}): T | undefined {
    const raw = this.single(name);
    return raw === undefined ? undefined : parseOneOf(name, raw, values, options);
  }
}

/** An integer value of parameter `name` within `bounds`. */
export function parseInteger(name: string, raw: string, bounds: IntBounds = {}): number {
  const t = raw.trim();
  if (!INTEGER.test(t)) throw new BadRequestError(`parameter ${name} must be an integer, got '${raw}'`);
  const n = Number(t);
  const { min, max } = bounds;
  const low = min !== undefined && n < min;
  const high = max !== undefined && n > max;
  if (low || high) {
    const range = min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
    throw new BadRequestError(`parameter ${name} must be ${range}, got ${t}`);
  }
  return n;
}

/** A finite number value of parameter `name`. */
export function parseNumber(name: string, raw: string): number {
  const t = raw.trim();
  if (!NUMBER.test(t)) throw new BadRequestError(`parameter ${name} must be a number, got '${raw}'`);
  return Number(t);
}

/**
 * A DALI time value of parameter `name`: a date, or a date and time to the minute, second or
 * fraction, with an optional zone; a time without a zone is UTC.
 */
export function parseIsoTime(name: string, raw: string): Date {
  const s = raw.trim();
  const bad = () => new BadRequestError(`parameter ${name} must be an ISO 8601 time, got '${raw}'`);
  if (!ISO_TIME.test(s)) throw bad();
  const zoned = ZONE.test(s) || !s.includes(':') ? s : `${s}Z`;
  const d = new Date(zoned.length === 10 ? `${zoned}T00:00:00Z` : zoned);
  if (Number.isNaN(d.getTime())) throw bad();
  return d;
}

/** A whole number of seconds, value of parameter `name`. */
export function parseSeconds(name: string, raw: string): number {
  const t = raw.trim();
  if (!INTEGER.test(t)) throw new BadRequestError(`parameter ${name} must be an integer number of seconds, got '${raw}'`);
  return Number(t);
}

/** One of `values`, value of parameter `name`. */
export function parseOneOf<T extends string>(name: string, raw: string, values: readonly T[], options: { caseInsensitive?: boolean } = {}): T {
  const t = raw.trim();
  const same = options.caseInsensitive ? (v: string) => v.toLowerCase() === t.toLowerCase() : (v: string) => v === t;
  const found = values.find(same);
  if (found === undefined) throw new BadRequestError(`parameter ${name} must be one of ${values.join(', ')}, got '${raw}'`);
  return found;
}
