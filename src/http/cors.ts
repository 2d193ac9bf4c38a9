/**
 * CORS, so browser clients (Aladin Lite, notebooks) can call the services from any origin.
 * Safe because vodax never uses cookies or other ambient credentials: a page can only act as a
 * user with a bearer token it was given, so `Access-Control-Allow-Credentials` is never sent
 * and any origin may call.
 */
import type { Context, Next } from 'koa';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, Accept-Language, Content-Language, Range, X-Requested-With';
const EXPOSED_HEADERS = 'Location, Content-Disposition, WWW-Authenticate, Retry-After, X-VO-Authenticated';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Koa middleware: CORS headers on every answer to a cross-origin request; preflights answered here. */
export function corsMiddleware() {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.get('origin') === '') {
      await next();
      return;
    }
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method') !== '') {
      ctx.set('Access-Control-Allow-Methods', ALLOWED_METHODS);
      ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      ctx.set('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
      ctx.status = 204;
      return;
    }
    await next();
  };
}
