/** Work that must wait until a response is over (cleanup of what the request used). */
import type { Context } from 'koa';

/**
 * Run `fn` once the response has closed: sent to its end, or cut by the client or the server.
 * A failure of `fn` is swallowed: there is nobody left to tell, and an event listener must
 * never throw (it would end the process).
 */
export function afterResponse(ctx: Context, fn: () => unknown): void {
  const run = () => void Promise.resolve().then(fn).catch(() => {});
  if (ctx.res.closed) run();
  else ctx.res.once('close', run);
}
