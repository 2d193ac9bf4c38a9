/** Koa middleware: who is calling. `Authorization: Bearer <token>` names a user; no header is anonymous. */
import type { Context, Next } from 'koa';
import type { Database } from '../storage/database.js';
import { UnauthorizedError } from '../errors.js';
import { BearerTokenError } from './challenge.js';
import { userOfToken } from './users.js';

/** The caller's user name, or null for an anonymous caller (after authMiddleware ran). */
export function callerOf(ctx: Context): string | null {
  return (ctx.state.user as string | undefined) ?? null;
}

/** The caller as the registry and catalogs need it. */
export function viewerOf(ctx: Context): { user: string | null } {
  return { user: callerOf(ctx) };
}

/**
 * Sets `ctx.state.user` from a valid bearer token; answers 401 (with the challenge, set where
 * errors become answers) for an unknown, revoked or malformed one. Tokens are looked up on every
 * request, so a revocation counts at once.
 */
export function authMiddleware(db: Database) {
  return async (ctx: Context, next: Next): Promise<void> => {
    // Answers depend on who asks: shared caches must keep them apart.
    ctx.vary('Authorization');
    const header = ctx.get('authorization');
    if (header !== '') {
      // Another scheme (Basic...) is no bearer credential at all: RFC 6750 says no error code then.
      if (!/^Bearer(\s|$)/i.test(header)) throw new UnauthorizedError('vodax takes bearer tokens only: "Authorization: Bearer <token>"');
      const m = /^Bearer +([^\s,]+) *$/i.exec(header);
      if (!m) throw new BearerTokenError('the Authorization header must be "Bearer <token>", with one token');
      const user = await userOfToken(db, m[1]!);
      if (user === null) throw new BearerTokenError('the bearer token is unknown or has been revoked');
      ctx.state.user = user;
      // IVOA AuthVO: confirm the authenticated identity on every answer to an authenticated caller.
      ctx.set('X-VO-Authenticated', user);
    }
    await next();
  };
}
