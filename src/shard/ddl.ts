/**
 * The SQL a sharded table is made of, as text (pure): the postgres_fdw foreign server of a
 * shard and its user mapping, the table on the shard, and on the coordinator the table
 * range-partitioned on its HEALPix column with one foreign partition per shard.
 */
import { qualified, quoteIdent } from '../catalog/pg-types.js';
import type { HpxRange } from './boundaries.js';

/** Schema on the coordinator holding the partitions (out of the databases' own schemas). */
export const PARTITION_SCHEMA = 'vodax_shards';
/** Schema on each shard holding its part of every sharded table. */
export const REMOTE_SCHEMA = 'vodax_shard';
/** Foreign servers are named after their shard with this prefix (errors name the shard back). */
export const SERVER_PREFIX = 'vodax_shard_';
/** Seconds a connection to a shard may take before the query fails naming the shard. */
export const CONNECT_TIMEOUT_SECONDS = 5;
/** Rows fetched per round trip from a shard. */
export const FETCH_SIZE = 10_000;
/** Rows sent per round trip when rows are moved or ingested into a shard. */
export const BATCH_SIZE = 1000;

/** Where a shard's database is (no credentials: those go in the user mapping only). */
export interface ShardAddress {
  host: string;
  port: number;
  dbname: string;
}

/** A column as the coordinator describes it: its name and its type as `format_type` spells it. */
export interface ColumnDef {
  name: string;
  type: string;
}

/** A SQL string literal. */
export function quoteLiteral(s: string): string {
  if (s.includes('\u0000')) throw new Error('literal contains a NUL character');
  return "'" + s.replace(/'/g, "''") + "'";
}

/** A shard name: short, plain, usable inside identifiers. */
export function checkShardName(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,29}$/.test(name)) throw new RangeError(`shard name '${name}' must be lower-case letters, digits and _, starting with a letter, at most 30 characters`);
}

/** The foreign server of a shard. */
export function serverName(shard: string): string {
  return SERVER_PREFIX + shard;
}

/**
 * CREATE SERVER for a shard with the pushdown settings: remote estimates (so the planner costs
 * remote scans as the shard sees them), a large fetch size, asynchronous append (shards scanned
 * at once), and a connect timeout so a shard that is down fails the query, not hangs it.
 */
export function createServerSql(shard: string, a: ShardAddress): string {
  return (
    `CREATE SERVER ${quoteIdent(serverName(shard))} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (` +
    [
      ['host', a.host],
      ['port', String(a.port)],
      ['dbname', a.dbname],
      ['connect_timeout', String(CONNECT_TIMEOUT_SECONDS)],
      ['use_remote_estimate', 'true'],
      ['fetch_size', String(FETCH_SIZE)],
      ['async_capable', 'true'],
      ['extensions', ''],
    ]
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k} ${quoteLiteral(v!)}`)
      .join(', ') +
    ')'
  );
}

/** The user mapping every coordinator role connects to the shard with. */
export function createUserMappingSql(shard: string, user: string, password: string): string {
  return `CREATE USER MAPPING FOR PUBLIC SERVER ${quoteIdent(serverName(shard))} OPTIONS (user ${quoteLiteral(user)}, password ${quoteLiteral(password)})`;
}

/** The table holding one shard's rows, with the columns of the coordinator's table. */
export function createRemoteTableSql(remoteTable: string, columns: readonly ColumnDef[]): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(REMOTE_SCHEMA)}`,
    `CREATE TABLE ${qualified(REMOTE_SCHEMA, remoteTable)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`,
  ];
}

/** The indexes of a shard's table: the HEALPix column and every plain column index of the original. */
export function remoteIndexSql(remoteTable: string, hpx: string, indexes: readonly (readonly string[])[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const cols of [[hpx], ...indexes]) {
    const key = cols.join('\u0000');
    if (cols.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push(`CREATE INDEX ON ${qualified(REMOTE_SCHEMA, remoteTable)} (${cols.map(quoteIdent).join(', ')})`);
  }
  return out;
}

/** The coordinator's partitioned table, shaped like `like`. */
export function createPartitionedSql(schema: string, table: string, like: { schema: string; table: string }, hpx: string): string {
  return `CREATE TABLE ${qualified(schema, table)} (LIKE ${qualified(like.schema, like.table)} INCLUDING DEFAULTS) PARTITION BY RANGE (${quoteIdent(hpx)})`;
}

/**
 * One foreign partition. The first starts at MINVALUE and the last ends at MAXVALUE, so every
 * index has a shard and a constant HEALPix range always prunes the rows without a position
 * (the default partition, local) away.
 */
export function createForeignPartitionSql(
  partition: string,
  parent: { schema: string; table: string },
  shard: string,
  remoteTable: string,
  range: HpxRange,
  bounds: { first: boolean; last: boolean },
): string {
  const from = bounds.first ? 'MINVALUE' : String(range.lo);
  const to = bounds.last ? 'MAXVALUE' : String(range.hi);
  return (
    `CREATE FOREIGN TABLE ${qualified(PARTITION_SCHEMA, partition)} PARTITION OF ${qualified(parent.schema, parent.table)} ` +
    `FOR VALUES FROM (${from}) TO (${to}) SERVER ${quoteIdent(serverName(shard))} ` +
    `OPTIONS (schema_name ${quoteLiteral(REMOTE_SCHEMA)}, table_name ${quoteLiteral(remoteTable)}, batch_size ${quoteLiteral(String(BATCH_SIZE))})`
  );
}

/** The local partition of the rows without a position (NULL HEALPix index). */
export function createDefaultPartitionSql(partition: string, parent: { schema: string; table: string }): string {
  return `CREATE TABLE ${qualified(PARTITION_SCHEMA, partition)} PARTITION OF ${qualified(parent.schema, parent.table)} DEFAULT`;
}

/**
 * Names that fit PostgreSQL's 63 bytes: the readable part cut, a short hash of the whole added
 * so two long names never collide.
 */
export function shortName(parts: readonly string[], hash: (s: string) => string): string {
  const whole = parts.join('__');
  if (Buffer.byteLength(whole) <= 63) return whole;
  const h = hash(whole).slice(0, 8);
  let cut = whole;
  while (Buffer.byteLength(cut) > 54) cut = cut.slice(0, -1);
  return `${cut}_${h}`;
}
