/** The one place where errors become HTTP answers. */
import type { Context, Next } from 'koa';
import { isVodaxError, MethodNotAllowedError, NotFoundError, NotImplementedError, UnavailableError, UnauthorizedError, VodaxError } from '../errors.js';
import type { Logger } from '../log.js';
import { bearerChallenge } from '../auth/challenge.js';
import { daliErrorDocument, DALI_ERROR_CONTENT_TYPE } from '../ivoa/dali/error-document.js';

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

/** The body of an error in the style of the route family the request belongs to. */
export function renderError(e: VodaxError, ctx: Context): { type: string; body: string } {
  const style: ErrorStyle = (ctx.state.errorStyle as ErrorStyle | undefined) ?? 'json';
  return RENDERERS[style](e, ctx);
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
  // Koa's and the routers' own HTTP errors for methods.
  if (status === 405) return new MethodNotAllowedError(`${ctx.method} is not allowed on ${ctx.path}`);
  if (status === 501) return new NotImplementedError(`${ctx.method} is not a method this service implements`);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new VodaxError((err as Error).message, status, 'BadRequest');
  }
  log.error('internal error', { method: ctx.method, path: ctx.path, error: err });
  return new VodaxError('internal server error; the fault is logged', 500, 'InternalError');
}
