/** Parsing of request parameters into typed values, with clear 400s. */
import type { Context } from 'koa';
import { BadRequestError } from '../../errors.js';

/** One query parameter as a string (the first, if repeated), or undefined. */
export function stringParam(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[0] : v;
}

/** An integer query parameter within [min, max], or the fallback when absent. */
export function intParam(ctx: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = stringParam(ctx, name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^[+-]?\d+$/.test(raw.trim())) throw new BadRequestError(`parameter ${name} must be an integer, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new BadRequestError(`parameter ${name} must be between ${min} and ${max}, got ${raw}`);
  return n;
}
