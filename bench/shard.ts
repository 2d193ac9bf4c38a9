/**
 * Sharding benchmark: one catalog (BENCH_SHARD_ROWS rows, default 1e7, positions over the whole
 * sky) on one PostgreSQL server, and the same catalog over four shard servers (postgres_fdw,
 * HEALPix range partitions), all on this machine. Cone latency, COUNT, a full scan, and what each
 * shard costs; then a written extrapolation to 1e9 rows on real machines beside Qserv's figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded, type EmbeddedServer } from '../src/storage/embedded.js';
import { createLogger } from '../src/log.js';
import { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrations.js';
import { createDatabase, loadTable } from '../src/ingest/loader.js';
import type { CellValue, TableMeta } from '../src/formats/table-model.js';
import { loadCatalog } from '../src/catalog/query-catalog.js';
import { prepareQuery } from '../src/query/prepared-query.js';
import { addShard } from '../src/shard/shard-servers.js';
import { findTarget, shardStatus, shardTable } from '../src/shard/sharded-table.js';
import { shardsInPlan } from '../src/shard/shard-plan.js';
import { PARTITION_SCHEMA } from '../src/shard/ddl.js';
import { printTable } from './support.js';

const SHARDS = ['s1', 's2', 's3', 's4'];

const meta = (name: string): TableMeta => ({
  name,
  columns: [
    { name: 'id', datatype: 'long', nullable: false },
    { name: 'ra', datatype: 'double' },
    { name: 'decl', datatype: 'double' },
    { name: 'mag', datatype: 'double' },
  ] as TableMeta['columns'],
  position: { ra: 'ra', dec: 'decl' },
  primaryKey: ['id'],
});

/** Positions uniform over the sphere, the same every run. */
function* rows(n: number): Generator<CellValue[]> {
  let s = 4242;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < n; i++) yield [i, next() * 360, (Math.asin(2 * next() - 1) * 180) / Math.PI, 14 + next() * 10];
}

/** Median and 90th percentile (ms) of `runs` calls. */
async function timed(runs: number, fn: (i: number) => Promise<unknown>): Promise<{ median: number; p90: number }> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)]!, p90: t[Math.min(t.length - 1, Math.floor(t.length * 0.9))]! };
}

export async function benchShard(n: number): Promise<void> {
  const log = createLogger('silent');
  const dirs: string[] = [];
  const servers: EmbeddedServer[] = [];
  const start = async (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vodax-bench-${name}-`));
    fs.chmodSync(dir, 0o755);
    dirs.push(dir);
    const s = await startEmbedded(path.join(dir, 'pg'), 0, log);
    servers.push(s);
    return s;
  };
  try {
    const coordinator = await start('coordinator');
    const shardServers = await Promise.all(SHARDS.map((s) => start(s)));
    const db = new Database(coordinator.url, 8);
    try {
      await migrate(db);
      const t0 = Date.now();
      await db.transaction(async (c) => {
        await createDatabase(c, { name: 'Bench', level: 'L2', owner: 'bench', description: '', annotations: {} });
        await loadTable(c, 'Bench', { meta: meta('Flat'), rows: rows(n) });
        await loadTable(c, 'Bench', { meta: meta('Sharded'), rows: rows(n) });
      });
      const loadS = (Date.now() - t0) / 1000;
      for (let i = 0; i < SHARDS.length; i++) await addShard(db, SHARDS[i]!, shardServers[i]!.url);
      const target = await findTarget(db, 'L2', 'Bench', 'Sharded');
      const t1 = Date.now();
      await shardTable(db, target, SHARDS);
      const shardS = (Date.now() - t1) / 1000;
      // A fresh pool, as a server started after sharding has.
      await db.close();
      const q = new Database(coordinator.url, 8);
      try {
        const catalog = await loadCatalog(q, { user: null });
        const run = (adql: string) => {
          const p = prepareQuery(catalog, adql, 10_000_000);
          return q.query(p.sql, p.params);
        };
        let seed = 7;
        const centre = () => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          const a = seed / 2 ** 31;
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return [a * 360, (Math.asin(2 * (seed / 2 ** 31) - 1) * 180) / Math.PI * 0.9] as const;
        };
        const cone = (t: string, r: number) => {
          const [ra, dec] = centre();
          return `SELECT id, ra, decl, mag FROM Bench.${t} WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', ${ra.toFixed(4)}, ${dec.toFixed(4)}, ${r}))`;
        };
        const results: (string | number)[][] = [];
        for (const t of ['Flat', 'Sharded']) {
          await run(cone(t, 0.1)); // warm
          seed = 7;
          const c01 = await timed(40, () => run(cone(t, 0.1)));
          seed = 7;
          const c1 = await timed(20, () => run(cone(t, 1)));
          const count = await timed(3, () => run(`SELECT COUNT(*) FROM Bench.${t}`));
          const scan = await timed(2, () => run(`SELECT COUNT(*) FROM Bench.${t} WHERE mag > 23.9 AND ra + decl > 0`));
          results.push([t === 'Flat' ? 'one server' : `${SHARDS.length} shards`, c01.median, c01.p90, c1.median, count.median, scan.median]);
        }
        // The same cones planned from the coordinator's own statistics (ANALYZE of the foreign
        // partitions) instead of asking each shard: one round trip fewer per shard touched.
        for (const name of SHARDS) await q.query(`ALTER SERVER vodax_shard_${name} OPTIONS (SET use_remote_estimate 'false')`);
        seed = 7;
        const local01 = await timed(40, () => run(cone('Sharded', 0.1)));
        seed = 7;
        const local1 = await timed(20, () => run(cone('Sharded', 1)));
        results.push([`${SHARDS.length} shards, local estimates`, local01.median, local01.p90, local1.median, '', '']);
        for (const name of SHARDS) await q.query(`ALTER SERVER vodax_shard_${name} OPTIONS (SET use_remote_estimate 'true')`);
        printTable(`shard: ${n.toLocaleString('en-US')} rows, one server vs ${SHARDS.length} shards (all on this machine, ${os.cpus().length} cores)`, ['catalog', 'cone 0.1° ms', 'p90', 'cone 1° ms', 'COUNT(*) ms', 'full scan ms'], results);
        // Which shards a cone touches, and each shard's own cost of a full scan.
        seed = 7;
        const touched: number[] = [];
        for (let i = 0; i < 40; i++) {
          const p = prepareQuery(catalog, cone('Sharded', 0.1), 1000);
          const plan = await q.query(`EXPLAIN (FORMAT JSON) ${p.sql}`, p.params);
          touched.push((await shardsInPlan(q, plan)).length);
        }
        const status = await shardStatus(q, target);
        const perShard: (string | number)[][] = [];
        for (const s of status) {
          const scan = await timed(2, () => q.query(`SELECT count(*) FROM ${PARTITION_SCHEMA}."${s.partition}" WHERE mag > 23.9 AND ra + decl > 0`));
          perShard.push([s.shard, s.rows ?? 'down', s.pixels, scan.median]);
        }
        printTable('per shard', ['shard', 'rows', 'range (order 8 pixels)', 'full scan through fdw ms'], perShard);
        const avgTouched = touched.reduce((a, b) => a + b, 0) / touched.length;
        const [flat, sharded] = results as [number[], number[]];
        console.log(`\nload ${n.toLocaleString('en-US')} rows twice: ${loadS.toFixed(1)} s; shard create (histogram, move, index, analyze): ${shardS.toFixed(1)} s`);
        console.log(`a 0.1° cone touches ${avgTouched.toFixed(2)} of ${SHARDS.length} shards on average; sharded/unsharded cone latency ${(Number(sharded[1]) / Number(flat[1])).toFixed(2)}x`);
        console.log(`
Extrapolation to 1e9 rows (real machines, one shard server each, local NVMe):
- Rows per shard: a shard of 2.5e8 rows (40 shards for 1e10 at the same size) keeps its HEALPix btree
  at depth 4-5, so a 0.1° cone costs on a shard what it costs here: an index range scan of a few
  hundred rows, ~${Number(flat[1]).toFixed(1)} ms measured here for one server. With 1e9 rows over 4-8 shards a
  0.1° cone touches ${avgTouched.toFixed(1)} shard(s) (measured here), so its latency is one shard's scan plus the
  coordinator's planning and one network round trip per shard touched (0.2-0.5 ms in a rack) plus
  use_remote_estimate's EXPLAIN round trip: expect ${(Number(sharded[1]) + 1).toFixed(0)}-${(Number(sharded[1]) * 2 + 2).toFixed(0)} ms, as here.
- COUNT(*) and the full scan (a COUNT with a WHERE) are computed on every shard at once (one
  aggregate per partition, pushed down whole, asynchronous append): each shard counts its own
  rows and sends one row, so they cost the slowest shard's scan plus a round trip. Measured here:
  ${(Number(sharded[4]) / Number(flat[4])).toFixed(2)}x (COUNT) and ${(Number(sharded[5]) / Number(flat[5])).toFixed(2)}x (full scan) of one server, with ${SHARDS.length} shard servers sharing ${os.cpus().length} cores.
  Over 8 real machines, 1e9 rows are ~1.25e8 rows per shard at ~2-5e7 rows/s per server
  (sequential, cached): a COUNT or full scan of 1e9 rows in about 3-6 s.
- Qserv's published figures (LSST DP0/DR tests, 2015-2020: ~1e10-row Object table on 20-30 workers)
  are sub-second for low-volume queries (cones, point lookups) and minutes to about an hour for
  full-table scans of ~1e10 rows; these shards answer cones in the same class and full scans
  proportionally (rows / shards / per-server scan rate), without Qserv's shared scans.`);
      } finally {
        await q.close();
      }
    } catch (e) {
      await db.close().catch(() => {});
      throw e;
    }
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => {});
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}
