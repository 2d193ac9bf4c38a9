/** Structured request logging: one record per request with status, size and duration. */
import { callerOf } from '../auth/middleware.js';
import type { Context, Next } from 'koa';
import type { Logger } from '../log.js';
import { wasCutByServer } from './http-server.js';

/** Koa middleware logging each request when it has been answered. */
export function requestLog(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const t0 = process.hrtime.bigint();
    // Several layers (logging, admission, cancellation, Koa's stream pipeline) each watch 'close'.
    ctx.res.setMaxListeners(32);
    ctx.res.once('close', () => {
      const finished = ctx.res.writableFinished;
      // What really happened: the status the client was sent (none when it left before the
      // headers went out: Koa's provisional 404 is not an answer), and whether it was cut off.
      log.info('request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.res.headersSent ? ctx.res.statusCode : null,
        bytes: ctx.res.getHeader('content-length') ?? null,
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
        user: callerOf(ctx),
        aborted: !finished,
        ...(finished ? {} : { abortedBy: ctx.state.closedByServer === true || wasCutByServer(ctx.req.socket) ? 'server' : 'client', phase: ctx.res.headersSent ? 'body' : 'before-headers' }),
      });
    });
    await next();
  };
}
