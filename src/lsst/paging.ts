/** The v0 paging parameters of a list request: `start` (from 0) and `count` (1000 by default). */
import type { RequestParams } from '../params/request-params.js';

/** Most items one page may ask for. */
export const MAX_COUNT = 100_000;

/** Where a page starts and how many items it holds at most. */
export function pagingOf(params: RequestParams): { start: number; count: number } {
  return {
    start: params.int('start', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0,
    count: params.int('count', { min: 1, max: MAX_COUNT }) ?? 1000,
  };
}
