/**
 * `npm run bench`: every benchmark, each printed as a table of ratios beside its physical
 * reference. `npm run bench -- ingest` runs one; BENCH_ROWS overrides the sizes.
 */
import { benchIngest } from './ingest.js';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const sizes = process.env.BENCH_ROWS ? process.env.BENCH_ROWS.split(',').map(Number) : null;

if (want('ingest')) await benchIngest(sizes ?? [1_000_000, 10_000_000]);
