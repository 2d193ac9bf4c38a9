/** The one place where errors become HTTP answers: the status of each error kind, and the catch-all. */
import type { Context, Next } from 'koa';
import { isVodaxError, MethodNotAllowedError, NotFoundError, NotImplementedError, UnavailableError, UnauthorizedError, VodaxError, type ErrorKind } from '../errors.js';
import type { Logger } from '../log.js';
import { bearerChallenge } from '../auth/challenge.js';
import { renderError } from './error-style.js';

/** The HTTP status of every error kind. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  BadRequest: 400,
  BadInput: 400,
  QuerySyntax: 400,
  Unauthorized: 401,
  Forbidden: 403,
  QuotaExceeded: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  RequestTimeout: 408,
  QueryCancelled: 408,
  Conflict: 409,
  LimitExceeded: 413,
  UriTooLong: 414,
  UnsupportedMediaType: 415,
  HeadersTooLarge: 431,
  InternalError: 500,
  NotImplemented: 501,
  Unavailable: 503,
  ShardUnavailable: 503,
};

/** The HTTP status an error answers with. */
export function statusOf(e: VodaxError): number {
  return STATUS_OF_KIND[e.kind];
}

/** Koa middleware: map thrown errors to status and body; log real faults as errors. */
export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        // The routers' verdicts without a body: nothing here, or not with this method.
        if (ctx.status === 404) throw new NotFoundError(`no resource at ${ctx.path}`);
        if (ctx.status === 405) throw new MethodNotAllowedError(`${ctx.method} is not allowed on ${ctx.path} (allowed: ${ctx.response.get('Allow') || 'none'})`);
        if (ctx.status === 501) throw new NotImplementedError(`${ctx.method} is not a method this service implements (allowed here: ${ctx.response.get('Allow') || 'none'})`);
      }
    } catch (err) {
      const e = toVodaxError(err, ctx, log);
      const { type, body } = renderError(e, ctx);
      if (ctx.headerSent || !ctx.writable) {
        // Too late for a status: the stream is cut, which the client sees as an error.
        ctx.state.closedByServer = true;
        ctx.res.destroy();
        return;
      }
      ctx.status = statusOf(e);
      ctx.type = type;
      ctx.body = body;
      if (e instanceof UnauthorizedError) ctx.set('WWW-Authenticate', bearerChallenge(e));
      if (e instanceof UnavailableError && e.retryAfterSeconds) ctx.set('Retry-After', String(e.retryAfterSeconds));
    }
  };
}

/** Known errors pass through; client-side HTTP errors keep their meaning; anything else is a logged 500. */
function toVodaxError(err: unknown, ctx: Context, log: Logger): VodaxError {
  if (isVodaxError(err)) return err;
  const status = (err as { status?: number }).status;
  // Koa's and the routers' own HTTP errors.
  if (status === 405) return new MethodNotAllowedError(`${ctx.method} is not allowed on ${ctx.path}`);
  if (status === 501) return new NotImplementedError(`${ctx.method} is not a method this service implements`);
  if (status === 404) return new NotFoundError(`no resource at ${ctx.path}`);
  if (typeof status === 'number' && status >= 400 && status < 500) return new VodaxError('BadRequest', (err as Error).message);
  log.error('internal error', { method: ctx.method, path: ctx.path, error: err });
  return new VodaxError('InternalError', 'internal server error; the fault is logged');
}
