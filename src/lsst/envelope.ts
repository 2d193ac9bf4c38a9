/** The LSST v0 answer shape: {"result": ...}, with paging flags for lists that page. */
import type { Context } from 'koa';
import type { Page } from '../registry/registry.js';

/** Answer `result` in the v0 JSON envelope. */
export function sendResult(ctx: Context, result: unknown): void {
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = JSON.stringify({ result }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Answer a page of a list: result plus start, count, more and stable. */
export function sendPage<T>(ctx: Context, page: Page<T>): void {
  ctx.type = 'application/json; charset=utf-8';
  // A page is only guaranteed consistent with a later one when there is no later one.
  ctx.body = JSON.stringify({ result: page.items, start: page.start, count: page.count, more: page.more, stable: !page.more });
}
