/**
 * Users and their bearer tokens in `vodax.users` / `vodax.tokens`. Every check reads the
 * database, so a token issued or revoked by the command line counts at once in a running server.
 */
import type { Database } from '../storage/database.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { hashToken, looksLikeToken, newToken, TOKEN_PREFIX, tokenId } from './tokens.js';

/** A token just issued: its clear text (shown once) and its short id. */
export interface IssuedToken {
  user: string;
  token: string;
  id: string;
}

/** A user as `vodax user list` shows it. */
export interface UserSummary {
  name: string;
  created: Date;
  activeTokens: string[];
  revokedTokens: number;
  databases: string[];
}

/** A valid user name: a letter, then letters, digits, `_`, `.`, `-`; at most 63 characters. */
export function checkUserName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new BadRequestError(`invalid user name '${name}': a letter, then letters, digits, '_', '.' or '-', at most 63 characters`);
  }
  return name;
}

/** Create a user and issue their first token; BadRequestError when the name is taken. */
export async function addUser(db: Database, name: string): Promise<IssuedToken> {
  checkUserName(name);
  return db.transaction(async (client) => {
    const made = await client.query('INSERT INTO vodax.users (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    if (made.rowCount === 0) throw new BadRequestError(`user '${name}' exists already; use 'vodax user token ${name}' for a new token`);
    const token = newToken();
    await client.query('INSERT INTO vodax.tokens (hash, username, prefix) VALUES ($1, $2, $3)', [hashToken(token), name, tokenId(token)]);
    return { user: name, token, id: tokenId(token) };
  });
}

/** Make sure a user exists (no token issued); true when it was created now. */
export async function ensureUser(db: Database, name: string): Promise<boolean> {
  checkUserName(name);
  const rows = await db.query('INSERT INTO vodax.users (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING name', [name]);
  return rows.length === 1;
}

/** Issue another token to an existing user. */
export async function issueToken(db: Database, name: string): Promise<IssuedToken> {
  await requireUser(db, name);
  const token = newToken();
  await db.query('INSERT INTO vodax.tokens (hash, username, prefix) VALUES ($1, $2, $3)', [hashToken(token), name, tokenId(token)]);
  return { user: name, token, id: tokenId(token) };
}

/**
 * Revoke a user's tokens: all of them, or the one whose text starts with `prefix` (at least
 * the id shown at issue, `vdx_` and 8 characters). Returns how many were revoked.
 */
export async function revokeTokens(db: Database, name: string, prefix?: string): Promise<number> {
  await requireUser(db, name);
  if (prefix === undefined) {
    const rows = await db.query('UPDATE vodax.tokens SET revoked = now() WHERE username = $1 AND revoked IS NULL RETURNING hash', [name]);
    return rows.length;
  }
  if (prefix.length < TOKEN_PREFIX.length + 4 || !prefix.startsWith(TOKEN_PREFIX)) {
    throw new BadRequestError(`--token takes the start of a token as 'vodax user list' shows it (${TOKEN_PREFIX}xxxxxxxx)`);
  }
  // The stored id is the token's first characters: either may be the longer of the two.
  const candidates = await db.query<{ hash: string }>(
    `SELECT hash FROM vodax.tokens
     WHERE username = $1 AND revoked IS NULL AND (starts_with(prefix, $2) OR starts_with($2, prefix))`,
    [name, prefix],
  );
  const exact = candidates.find((c) => c.hash === hashToken(prefix));
  if (exact) candidates.splice(0, candidates.length, exact);
  if (candidates.length === 0) throw new NotFoundError(`user '${name}' has no active token starting with '${prefix}'`);
  if (candidates.length > 1) throw new BadRequestError(`'${prefix}' matches ${candidates.length} tokens of '${name}'; give more characters`);
  await db.query('UPDATE vodax.tokens SET revoked = now() WHERE hash = $1', [candidates[0]!.hash]);
  return 1;
}

/** The user a bearer token belongs to, or null when it is unknown or revoked. */
export async function userOfToken(db: Database, token: string): Promise<string | null> {
  if (!looksLikeToken(token)) return null;
  const rows = await db.query<{ username: string }>('SELECT username FROM vodax.tokens WHERE hash = $1 AND revoked IS NULL', [hashToken(token)]);
  return rows[0]?.username ?? null;
}

/** Every user with their active token ids and the databases they own. */
export async function listUsers(db: Database): Promise<UserSummary[]> {
  const rows = await db.query<{ name: string; created: Date; active: string[] | null; revoked: number; dbs: string[] | null }>(
    `SELECT u.name, u.created,
            (SELECT array_agg(coalesce(t.prefix, '(old token)') ORDER BY t.created) FROM vodax.tokens t WHERE t.username = u.name AND t.revoked IS NULL) AS active,
            (SELECT count(*)::int FROM vodax.tokens t WHERE t.username = u.name AND t.revoked IS NOT NULL) AS revoked,
            (SELECT array_agg(d.name ORDER BY d.name) FROM vodax.databases d WHERE d.owner = u.name) AS dbs
     FROM vodax.users u ORDER BY u.name`,
  );
  return rows.map((r) => ({ name: r.name, created: r.created, activeTokens: r.active ?? [], revokedTokens: r.revoked, databases: r.dbs ?? [] }));
}

/** NotFoundError unless the user exists. */
export async function requireUser(db: Database, name: string): Promise<void> {
  const rows = await db.query('SELECT 1 FROM vodax.users WHERE name = $1', [name]);
  if (rows.length === 0) throw new NotFoundError(`no user '${name}'; create one with 'vodax user add ${name}'`);
}
