/** The composition root of HTTP: the middleware every request passes, then the faces. */
import Koa from 'koa';
import type { Context, Next } from 'koa';
import { errorMiddleware } from '../http/error-table.js';
import { errorStyleMiddleware } from '../http/error-style.js';
import { requestLog } from '../http/request-log.js';
import { corsMiddleware } from '../http/cors.js';
import { admission, requestLimits } from '../http/limits.js';
import { serverHeader } from '../http/server-header.js';
import { authMiddleware } from '../auth/middleware.js';
import type { Face, RouteGroup, Services } from '../http/face.js';
import { CatalogCache } from '../catalog/query-catalog.js';
import { ivoaFace } from '../ivoa/index.js';
import { lsstFace } from '../lsst/index.js';
import { webFace } from '../web/index.js';

export type { Services } from '../http/face.js';

/** What createApp needs: the services, of which the query catalogs and the start time have defaults. */
export type AppServices = Omit<Services, 'catalogs' | 'startedAt'> & Partial<Pick<Services, 'catalogs' | 'startedAt'>>;

/** Build the HTTP application over the services. */
export function createApp(given: AppServices): Koa {
  const services: Services = { ...given, catalogs: given.catalogs ?? new CatalogCache(given.db), startedAt: given.startedAt ?? new Date() };
  const faces: Face[] = [ivoaFace(services), lsstFace(services), webFace()];
  const app = new Koa();
  app.proxy = services.config.publicUrl !== null;
  app.silent = true;
  app.use(requestLog(services.log));
  app.use(serverHeader());
  app.use(errorStyleMiddleware(faces.flatMap((f) => f.errorStyles)));
  app.use(errorMiddleware(services.log));
  app.use(corsMiddleware());
  app.use(requestLimits(services.config.limits));
  app.use(authMiddleware(services.db));
  app.use(admission(services.config.limits));
  for (const group of faces.flatMap((f) => f.routes)) mountGroup(app, group);
  return app;
}

/** Mount a group's routers, each with its Allow/405/501 verdicts (the error middleware words them). */
function mountGroup(app: Koa, group: RouteGroup): void {
  for (const router of group.routers) {
    for (const mw of [router.routes(), router.allowedMethods()]) {
      const when = group.when;
      if (!when) {
        app.use(mw);
        continue;
      }
      const guarded = (ctx: Context, next: Next) => (when(ctx) ? mw(ctx as never, next) : next());
      // Still names its router, as router.routes() does, for whoever lists the routes (the fuzz test).
      app.use(Object.assign(guarded, { router: (mw as { router?: unknown }).router }));
    }
  }
}
