/** Structured request logging: one record per request with status, size and duration. */
import { callerOf } from '../auth/middleware.js';
import type { Context, Next } from 'koa';
import type { Logger } from '../log.js';

/** Koa middleware logging each request when it has been answered. */
export function requestLog(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const t0 = process.hrtime.bigint();
    // Several layers (logging, admission, cancellation, Koa's stream pipeline) each watch 'close'.
    ctx.res.setMaxListeners(32);
    ctx.res.once('close', () => {
      log.info('request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        bytes: ctx.res.getHeader('content-length') ?? null,
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
        user: callerOf(ctx),
        aborted: !ctx.res.writableFinished,
      });
    });
    await next();
  };
}
