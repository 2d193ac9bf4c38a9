/**
 * Who owns a database and who else may see it: creating a user's database, sharing it with
 * named users (`vodax.shares`). The registry's visibility rules read what this writes.
 */
import type { Database } from '../storage/database.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { createDatabase } from './loader.js';
import { canonicalLevel, isPrivateLevel } from '../catalog/levels.js';
import { LEVELS, type Level } from '../catalog/model.js';
import { checkUserName, requireUser } from '../auth/users.js';

/** What `vodax db create` needs. */
export interface NewDatabase {
  level: string;
  name: string;
  owner: string;
  description?: string;
}

/** Create an empty database owned by an existing user; returns its canonical level. */
export async function createOwnedDatabase(db: Database, spec: NewDatabase): Promise<Level> {
  const level = canonicalLevel(spec.level);
  if (!level) throw new BadRequestError(`no level '${spec.level}'; levels are ${LEVELS.join(', ')}`);
  checkUserName(spec.owner);
  await requireUser(db, spec.owner);
  await db.transaction(async (client) => {
    const taken = await client.query('SELECT 1 FROM vodax.databases WHERE name = $1', [spec.name]);
    if (taken.rowCount) throw new BadRequestError(`a database '${spec.name}' exists already`);
    const schema = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [spec.name]);
    if (schema.rowCount) throw new BadRequestError(`'${spec.name}' is taken by an existing PostgreSQL schema`);
    await createDatabase(client, { name: spec.name, level, owner: spec.owner, description: spec.description ?? '', annotations: {} });
  });
  return level;
}

/** Let `user` see the database `name` (meaningful for private levels); idempotent. */
export async function shareDatabase(db: Database, name: string, user: string): Promise<{ level: Level; added: boolean }> {
  const level = await requireDatabase(db, name);
  await requireUser(db, user);
  const rows = await db.query('INSERT INTO vodax.shares (database, username) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING username', [
    name,
    user,
  ]);
  return { level, added: rows.length === 1 };
}

/** Stop sharing the database `name` with `user`; true when a share was removed. */
export async function unshareDatabase(db: Database, name: string, user: string): Promise<boolean> {
  await requireDatabase(db, name);
  const rows = await db.query('DELETE FROM vodax.shares WHERE database = $1 AND username = $2 RETURNING username', [name, user]);
  return rows.length === 1;
}

/** The users a database is shared with. */
export async function sharesOf(db: Database, name: string): Promise<string[]> {
  await requireDatabase(db, name);
  const rows = await db.query<{ username: string }>('SELECT username FROM vodax.shares WHERE database = $1 ORDER BY username', [name]);
  return rows.map((r) => r.username);
}

/** True when a database's level makes sharing meaningful (it is private otherwise). */
export function sharingMatters(level: Level): boolean {
  return isPrivateLevel(level);
}

/** The level of an existing database, or NotFoundError. */
async function requireDatabase(db: Database, name: string): Promise<Level> {
  const rows = await db.query<{ level: Level }>('SELECT level FROM vodax.databases WHERE name = $1', [name]);
  if (rows.length === 0) throw new NotFoundError(`no database '${name}'`);
  return rows[0]!.level;
}
