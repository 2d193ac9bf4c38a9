/**
 * `npm run bench`: every benchmark, each printed as a table of ratios beside its physical
 * reference. `npm run bench -- ingest stream` runs some; BENCH_ROWS and BENCH_SCALE set sizes,
 * SOAK_SECONDS and SOAK_CLIENTS the soak's length and load, BENCH_START_RUNS the starts timed.
 */
import { benchIngest } from './ingest.js';
import { benchTapStream } from './tap-stream.js';
import { benchUws } from './uws.js';
import { benchCutout } from './cutout.js';
import { benchAdql } from './adql.js';
import { benchCone } from './cone.js';
import { benchSoak } from './soak.js';
import { benchHips } from './hips.js';
import { benchSia } from './sia.js';
import { benchShard } from './shard.js';
import { benchStart } from './start.js';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const sizes = process.env.BENCH_ROWS ? process.env.BENCH_ROWS.split(',').map(Number) : null;

if (want('ingest')) await benchIngest(sizes ?? [1_000_000, 10_000_000]);
if (want('adql')) await benchAdql();
if (want('cone')) await benchCone(Number(process.env.BENCH_SCALE ?? 100));
if (want('stream')) await benchTapStream();
if (want('uws')) await benchUws();
if (want('cutout')) await benchCutout();
if (want('soak')) await benchSoak();
if (want('hips')) await benchHips();
if (want('sia')) await benchSia();
if (want('shard')) await benchShard(Number(process.env.BENCH_SHARD_ROWS ?? 10_000_000));
if (want('start')) await benchStart();
