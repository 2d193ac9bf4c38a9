/** Which error shape a path answers with, decided before any route runs (so 401/413/503 agree). */
import type { Context, Next } from 'koa';

// The IVOA services answer DALI error documents; everything else the LSST {"error": ...}.
const IVOA_PREFIXES = ['/db/v0/tap', '/image/v0/sia', '/image/v0/soda', '/image/v0/datalink'];

/** Koa middleware setting ctx.state.errorStyle from the path. */
export function errorStyleMiddleware() {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (IVOA_PREFIXES.some((p) => ctx.path === p || ctx.path.startsWith(p + '/'))) ctx.state.errorStyle = 'dali';
    await next();
  };
}
