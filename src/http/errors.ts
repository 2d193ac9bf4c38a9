/** The one place where errors become HTTP answers. */
import type { Context, Next } from 'koa';
import { isVodaxError, NotFoundError, UnavailableError, UnauthorizedError, VodaxError } from '../errors.js';
import type { Logger } from '../log.js';
import { bearerChallenge } from '../auth/challenge.js';
import { daliErrorDocument, DALI_ERROR_CONTENT_TYPE } from '../formats/dali-error.js';

/** How a route family reports errors: LSST JSON, or DALI VOTable (set by the IVOA routes). */
export type ErrorStyle = 'json' | 'dali';

/** Renders an error body for an error style. */
export type ErrorRenderer = (e: VodaxError, ctx: Context) => { type: string; body: string };

/** JSON error body per SPEC section 4: {"error": {"code", "message"}}. */
export const renderJsonError: ErrorRenderer = (e) => ({
  type: 'application/json; charset=utf-8',
  body: JSON.stringify({ error: { code: e.code, message: e.message } }),
});

/** DALI error document (VOTable, QUERY_STATUS=ERROR) for the IVOA face. */
export const renderDaliError: ErrorRenderer = (e) => ({
  type: `${DALI_ERROR_CONTENT_TYPE}; charset=utf-8`,
  body: daliErrorDocument(e.message),
});

const RENDERERS: Record<ErrorStyle, ErrorRenderer> = { json: renderJsonError, dali: renderDaliError };

/** Koa middleware: map thrown errors to status and body; log real faults as errors. */
export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new NotFoundError(`no resource at ${ctx.path}`);
      }
    } catch (err) {
      const e = toVodaxError(err, ctx, log);
      const style: ErrorStyle = (ctx.state.errorStyle as ErrorStyle | undefined) ?? 'json';
      const render = RENDERERS[style];
      const { type, body } = render(e, ctx);
      if (ctx.headerSent || !ctx.writable) {
        // Too late for a status: the stream is cut, which the client sees as an error.
        ctx.res.destroy();
        return;
      }
      ctx.status = e.status;
      ctx.type = type;
      ctx.body = body;
      if (e instanceof UnauthorizedError) ctx.set('WWW-Authenticate', bearerChallenge(e));
      if (e instanceof UnavailableError && e.retryAfterSeconds) ctx.set('Retry-After', String(e.retryAfterSeconds));
    }
  };
}

/** Known errors pass through; client-side HTTP errors keep their status; anything else is a logged 500. */
function toVodaxError(err: unknown, ctx: Context, log: Logger): VodaxError {
  if (isVodaxError(err)) return err;
  const status = (err as { status?: number; expose?: boolean }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new VodaxError((err as Error).message, status, 'BadRequest');
  }
  log.error('internal error', { method: ctx.method, path: ctx.path, error: err });
  return new VodaxError('internal server error; the fault is logged', 500, 'InternalError');
}
