/** The Server header on every answer: clients and validators (taplint) report what they talked to. */
import type { Context, Next } from 'koa';

const SERVER = 'vodax/0.1';

/** Koa middleware setting `Server`. */
export function serverHeader() {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.set('Server', SERVER);
    await next();
  };
}
