/**
 * The shard servers registered on the coordinator: a postgres_fdw foreign server and user
 * mapping each, and a row in vodax.shards (address only; the credentials stay in the mapping).
 */
import pg from 'pg';
import type { Database } from '../storage/database.js';
import { BadRequestError, ConflictError, NotFoundError, ShardUnavailableError } from '../errors.js';
import { checkShardName, createServerSql, createUserMappingSql, serverName, type ShardAddress } from './ddl.js';

/** A registered shard. */
export interface Shard extends ShardAddress {
  name: string;
  server: string;
}

/** A shard's connection string, split into its address and its credentials. */
export function parseShardUrl(url: string): ShardAddress & { user: string; password: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BadRequestError(`not a connection string: give postgres://user:password@host:port/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new BadRequestError('the shard URL must start with postgres://');
  const dbname = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!u.hostname || !dbname || !u.username) throw new BadRequestError('the shard URL needs a user, a host and a database: postgres://user:password@host:port/database');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 5432,
    dbname,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

/** Register a shard: check it answers, then its foreign server, user mapping and row. */
export async function addShard(db: Database, name: string, url: string): Promise<Shard> {
  try {
    checkShardName(name);
  } catch (e) {
    throw new BadRequestError((e as Error).message);
  }
  const a = parseShardUrl(url);
  const probe = new pg.Client({ host: a.host, port: a.port, database: a.dbname, user: a.user, password: a.password, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch {
    throw new ShardUnavailableError(name);
  } finally {
    await probe.end().catch(() => {});
  }
  return db.transaction(async (client) => {
    const taken = await client.query('SELECT 1 FROM vodax.shards WHERE name = $1', [name]);
    if (taken.rows.length > 0) throw new ConflictError(`shard ${name} is registered already`);
    await client.query('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
    await client.query(createServerSql(name, a));
    await client.query(createUserMappingSql(name, a.user, a.password));
    await client.query('INSERT INTO vodax.shards (name, server, host, port, dbname) VALUES ($1, $2, $3, $4, $5)', [name, serverName(name), a.host, a.port, a.dbname]);
    return { name, server: serverName(name), host: a.host, port: a.port, dbname: a.dbname };
  });
}

/** Every registered shard, by name. */
export async function listShards(db: Database): Promise<Shard[]> {
  return db.query<Shard & Record<string, unknown>>('SELECT name, server, host, port, dbname FROM vodax.shards ORDER BY name');
}

/** The named shards, in the order given; unknown names are an error listing the known ones. */
export async function shardsNamed(db: Database, names: readonly string[]): Promise<Shard[]> {
  const all = new Map((await listShards(db)).map((s) => [s.name, s]));
  if (new Set(names).size !== names.length) throw new BadRequestError('a shard is named twice');
  return names.map((n) => {
    const s = all.get(n);
    if (!s) throw new NotFoundError(`no shard ${n}; registered: ${[...all.keys()].join(', ') || 'none (vodax shard add NAME URL)'}`);
    return s;
  });
}

/**
 * A direct session on a shard (to create and drop its tables), with the credentials of its user
 * mapping: read on the coordinator, never printed.
 */
export async function shardSession(db: Database, shard: Shard): Promise<pg.Client> {
  const rows = await db.query<{ opts: string[] | null }>(
    `SELECT umoptions AS opts FROM pg_user_mappings WHERE srvname = $1 AND usename = 'public'`,
    [shard.server],
  );
  const opts = new Map((rows[0]?.opts ?? []).map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));
  const client = new pg.Client({
    host: shard.host,
    port: shard.port,
    database: shard.dbname,
    user: opts.get('user'),
    password: opts.get('password'),
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch {
    throw new ShardUnavailableError(shard.name);
  }
  return client;
}
