/**
 * Sharding a registered table: its rows spread over shard servers as foreign partitions of a
 * table range-partitioned on the HEALPix column, boundaries from the data's histogram. The
 * table keeps its name, so TAP_SCHEMA, the registry and every face see it unchanged.
 * Rebalancing builds the next generation of partitions the same way and moves the rows.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { Database } from '../storage/database.js';
import { qualified, quoteIdent } from '../catalog/pg-types.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { balancedBoundaries, HISTOGRAM_ORDER, type HistogramBin, type HpxRange } from './boundaries.js';
import { INDEX_ORDER } from '../healpix/nested.js';
import {
  createDefaultPartitionSql,
  createForeignPartitionSql,
  createPartitionedSql,
  createRemoteTableSql,
  PARTITION_SCHEMA,
  remoteIndexSql,
  REMOTE_SCHEMA,
  shortName,
  type ColumnDef,
} from './ddl.js';
import { shardSession, shardsNamed, type Shard } from './shard-servers.js';

/** A registered table with a position, as sharding needs it. */
export interface TableTarget {
  tapName: string;
  schema: string;
  table: string;
  hpx: string;
}

/** One partition of a sharded table, as recorded. */
export interface PartitionRecord {
  partition: string;
  shard: string;
  remoteTable: string;
  range: HpxRange;
}

/** Rows moved so far, for a progress bar. */
export type MoveProgress = (rows: number, total: number) => void;

const hash = (s: string) => crypto.createHash('sha1').update(s).digest('hex');

/** The registered table `DB.TABLE` (at `level`), which must have a position. */
export async function findTarget(db: Database, level: string, database: string, table: string): Promise<TableTarget> {
  const rows = await db.query<{ table_name: string; pg_schema: string; pg_table: string; hpx_column: string | null }>(
    `SELECT t.table_name, t.pg_schema, t.pg_table, t.hpx_column FROM vodax.tables t JOIN vodax.databases d ON d.name = t.database
     WHERE d.level = $1 AND lower(t.database) = lower($2) AND lower(t.pg_table) = lower($3)`,
    [level, database, table],
  );
  const t = rows[0];
  if (!t) throw new NotFoundError(`no table ${database}.${table} at level ${level}`);
  if (!t.hpx_column) throw new BadRequestError(`table ${t.table_name} has no position (no HEALPix column), so it cannot be sharded by sky region`);
  return { tapName: t.table_name, schema: t.pg_schema, table: t.pg_table, hpx: t.hpx_column };
}

/** The partitions recorded for a table, in HEALPix order. */
export async function partitionsOf(db: Database | pg.ClientBase, t: { schema: string; table: string }): Promise<PartitionRecord[]> {
  const sql = `SELECT partition, shard, remote_table, hpx_lo::text AS lo, hpx_hi::text AS hi FROM vodax.shard_partitions
               WHERE pg_schema = $1 AND pg_table = $2 ORDER BY hpx_lo`;
  const rows = ('pool' in db ? await db.query(sql, [t.schema, t.table]) : (await db.query(sql, [t.schema, t.table])).rows) as Array<{
    partition: string;
    shard: string;
    remote_table: string;
    lo: string;
    hi: string;
  }>;
  return rows.map((r) => ({ partition: r.partition, shard: r.shard, remoteTable: r.remote_table, range: { lo: BigInt(r.lo), hi: BigInt(r.hi) } }));
}

/** The table's rows per HISTOGRAM_ORDER pixel (rows without a position left out). */
export async function histogramOf(db: Database, t: TableTarget): Promise<HistogramBin[]> {
  const shift = 2 * (INDEX_ORDER - HISTOGRAM_ORDER);
  const rows = await db.query<{ p: string; n: string }>(
    `SELECT (${quoteIdent(t.hpx)} >> ${shift})::text AS p, count(*)::text AS n FROM ${qualified(t.schema, t.table)} WHERE ${quoteIdent(t.hpx)} IS NOT NULL GROUP BY 1`,
  );
  return rows.map((r) => [BigInt(r.p), Number(r.n)] as const);
}

/**
 * Spread the table over `shardNames` (in sky order), or re-spread it when it is sharded already
 * (rebalance, also onto shards added since): new partitions are made on the shards, the rows
 * moved into them in HEALPix slices, then the new table takes the old one's name in one
 * transaction and the old partitions' remote tables are dropped.
 */
export async function shardTable(db: Database, t: TableTarget, shardNames: readonly string[], onProgress?: MoveProgress): Promise<PartitionRecord[]> {
  if (shardNames.length === 0) throw new BadRequestError('name at least one shard (--shards a,b,c)');
  const shards = await shardsNamed(db, shardNames);
  const before = await partitionsOf(db, t);
  const histogram = await histogramOf(db, t);
  const total = histogram.reduce((s, [, c]) => s + c, 0) + Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified(t.schema, t.table)} WHERE ${quoteIdent(t.hpx)} IS NULL`))[0]!.n);
  const ranges = balancedBoundaries(histogram, shards.length);
  const generation = Date.now().toString(36);
  const columns = await db.query<ColumnDef & Record<string, unknown>>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [qualified(t.schema, t.table)],
  );
  const indexes = before.length > 0 ? await remoteIndexesOf(db, shards[0]!, before[0]!.remoteTable) : await indexColumnsOf(db, t);
  const parts: PartitionRecord[] = ranges.map((range, i) => ({
    partition: shortName([t.schema, t.table, String(i), shards[i]!.name, generation], hash),
    shard: shards[i]!.name,
    remoteTable: shortName([t.schema, t.table, String(i), generation], hash),
    range,
  }));
  // The shards' tables first: DDL there is outside the coordinator's transaction.
  for (const p of parts) {
    const s = await shardSession(db, shards.find((x) => x.name === p.shard)!);
    try {
      for (const sql of createRemoteTableSql(p.remoteTable, columns)) await s.query(sql);
    } finally {
      await s.end().catch(() => {});
    }
  }
  const staging = shortName([t.table, 'sharding', generation], hash);
  try {
    await db.transaction(async (client) => {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(PARTITION_SCHEMA)}`);
      const parent = { schema: t.schema, table: staging };
      await client.query(createPartitionedSql(t.schema, staging, { schema: t.schema, table: t.table }, t.hpx));
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        await client.query(createForeignPartitionSql(p.partition, parent, p.shard, p.remoteTable, p.range, { first: i === 0, last: i === parts.length - 1 }));
      }
      await client.query(createDefaultPartitionSql(shortName([t.schema, t.table, 'nopos', generation], hash), parent));
      // Moved in HEALPix slices: progress while it runs, and no single statement holds them all.
      const names = columns.map((c) => quoteIdent(c.name)).join(', ');
      let moved = 0;
      for (const slice of moveSlices(histogram, 64)) {
        const where = slice === null ? `${quoteIdent(t.hpx)} IS NULL` : `${quoteIdent(t.hpx)} >= ${slice.lo} AND ${quoteIdent(t.hpx)} < ${slice.hi}`;
        const r = await client.query(`INSERT INTO ${qualified(t.schema, staging)} (${names}) SELECT ${names} FROM ${qualified(t.schema, t.table)} WHERE ${where}`);
        moved += r.rowCount ?? 0;
        onProgress?.(moved, total);
      }
      await client.query(`DROP TABLE ${qualified(t.schema, t.table)}`);
      await client.query(`ALTER TABLE ${qualified(t.schema, staging)} RENAME TO ${quoteIdent(t.table)}`);
      await client.query('DELETE FROM vodax.shard_partitions WHERE pg_schema = $1 AND pg_table = $2', [t.schema, t.table]);
      for (const p of parts) {
        await client.query(
          'INSERT INTO vodax.shard_partitions (pg_schema, pg_table, partition, shard, remote_table, hpx_lo, hpx_hi) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [t.schema, t.table, p.partition, p.shard, p.remoteTable, p.range.lo.toString(), p.range.hi.toString()],
        );
      }
      // No enable_partitionwise_aggregate: postgres_fdw (PG 15-17) cannot push partial aggregates,
      // and per-partition aggregation would give up asynchronous append.
    });
  } catch (e) {
    await dropRemoteTables(db, parts).catch(() => {});
    throw e;
  }
  await indexAndAnalyze(db, t, parts, indexes);
  await dropRemoteTables(db, before);
  return parts;
}

/** Slices of the sky of about equal rows for moving, then the rows without a position. */
function moveSlices(histogram: readonly HistogramBin[], n: number): Array<HpxRange | null> {
  const total = histogram.reduce((s, [, c]) => s + c, 0);
  const out: Array<HpxRange | null> = total === 0 ? [] : balancedBoundaries(histogram, Math.max(1, Math.min(n, Math.ceil(total / 50_000))));
  out.push(null);
  return out;
}

/** Column lists of the table's plain indexes (primary key included), to index the shards alike. */
async function indexColumnsOf(db: Database, t: { schema: string; table: string }): Promise<string[][]> {
  const rows = await db.query<{ cols: string[] }>(
    `SELECT array_agg(a.attname::text ORDER BY k.i) AS cols FROM pg_index x
       CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, i)
       JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
     WHERE x.indrelid = $1::regclass AND x.indexprs IS NULL GROUP BY x.indexrelid`,
    [qualified(t.schema, t.table)],
  );
  return rows.map((r) => r.cols);
}

/** The index column lists of a shard's table (a rebalance indexes the new generation alike). */
async function remoteIndexesOf(db: Database, shard: Shard, remoteTable: string): Promise<string[][]> {
  const s = await shardSession(db, shard);
  try {
    const r = await s.query<{ cols: string[] }>(
      `SELECT array_agg(a.attname::text ORDER BY k.i) AS cols FROM pg_index x
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, i)
         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
       WHERE x.indrelid = $1::regclass AND x.indexprs IS NULL GROUP BY x.indexrelid`,
      [qualified(REMOTE_SCHEMA, remoteTable)],
    );
    return r.rows.map((x) => x.cols);
  } finally {
    await s.end().catch(() => {});
  }
}

/** Index the shards' new tables, gather their statistics there and on the coordinator. */
async function indexAndAnalyze(db: Database, t: TableTarget, parts: readonly PartitionRecord[], indexes: readonly string[][]): Promise<void> {
  const shards = await shardsNamed(db, [...new Set(parts.map((p) => p.shard))]);
  for (const p of parts) {
    const s = await shardSession(db, shards.find((x) => x.name === p.shard)!);
    try {
      for (const sql of remoteIndexSql(p.remoteTable, t.hpx, indexes)) await s.query(sql);
      await s.query(`ANALYZE ${qualified(REMOTE_SCHEMA, p.remoteTable)}`);
    } finally {
      await s.end().catch(() => {});
    }
  }
  await db.query(`ANALYZE ${qualified(t.schema, t.table)}`);
}

/** Drop the remote tables of partitions no longer in use (a shard that is down keeps its copy). */
async function dropRemoteTables(db: Database, parts: readonly PartitionRecord[]): Promise<void> {
  if (parts.length === 0) return;
  const shards = await shardsNamed(db, [...new Set(parts.map((p) => p.shard))]);
  for (const p of parts) {
    let s: pg.Client;
    try {
      s = await shardSession(db, shards.find((x) => x.name === p.shard)!);
    } catch {
      continue;
    }
    try {
      await s.query(`DROP TABLE IF EXISTS ${qualified(REMOTE_SCHEMA, p.remoteTable)}`);
    } finally {
      await s.end().catch(() => {});
    }
  }
}

/** Rows per shard of a sharded table, with each shard's HEALPix range and sky extent. */
export interface ShardStatus {
  shard: string;
  partition: string;
  rows: number | null;
  hpxLo: string;
  hpxHi: string;
  /** The range as order-HISTOGRAM_ORDER pixels, inclusive: a sky region a HiPS or MOC tool can show. */
  pixels: string;
  error?: string;
}

/** Count each shard's rows (a shard that is down says so) and show its range. */
export async function shardStatus(db: Database, t: TableTarget): Promise<ShardStatus[]> {
  const parts = await partitionsOf(db, t);
  if (parts.length === 0) throw new BadRequestError(`table ${t.tapName} is not sharded (vodax shard create)`);
  const shift = BigInt(2 * (INDEX_ORDER - HISTOGRAM_ORDER));
  const out: ShardStatus[] = [];
  for (const p of parts) {
    const base = {
      shard: p.shard,
      partition: p.partition,
      hpxLo: p.range.lo.toString(),
      hpxHi: p.range.hi.toString(),
      pixels: `${HISTOGRAM_ORDER}/${p.range.lo >> shift}-${(p.range.hi >> shift) - 1n}`,
    };
    try {
      const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified(PARTITION_SCHEMA, p.partition)}`);
      out.push({ ...base, rows: Number(r[0]!.n) });
    } catch (e) {
      out.push({ ...base, rows: null, error: (e as Error).message });
    }
  }
  return out;
}
