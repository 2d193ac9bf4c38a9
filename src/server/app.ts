/** The Koa application: middleware and the routes of both faces over the shared services. */
import Koa from 'koa';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Database } from '../storage/database.js';
import type { Registry } from '../catalog/table-registry.js';
import { errorMiddleware } from '../http/error-table.js';
import { requestLog } from '../http/request-log.js';
import { corsMiddleware } from '../http/cors.js';
import { admission, requestLimits } from '../http/limits.js';
import { authMiddleware } from '../auth/middleware.js';
import { landingRoutes } from '../lsst/landing-routes.js';
import { metaRoutes } from '../lsst/meta-routes.js';
import { vosiRoutes } from '../ivoa/vosi/vosi-routes.js';
import { syncRoutes } from '../ivoa/tap/sync-routes.js';
import { serviceRoutes } from '../ivoa/tap/service-routes.js';
import { querytypeRoutes } from '../lsst/querytype-routes.js';
import { userTablesRoutes } from '../lsst/user-tables-routes.js';
import { CatalogCache } from '../catalog/query-catalog.js';
import { USER_FUNCTIONS } from '../adql/functions.js';
import { errorStyleMiddleware } from '../http/error-style.js';
import { serverHeader } from '../http/server-header.js';
import { imageRoutes } from '../lsst/image-routes.js';
import { hipsRoutes } from '../ivoa/hips/hips-routes.js';
import type { HipsOnDemand } from '../images/hips-on-demand.js';
import type { JobEngine } from '../jobs/job-engine.js';
import { uwsRoutes } from '../ivoa/uws/uws-routes.js';
import { imageJobRoutes } from '../lsst/image-job-routes.js';

/** What the routes are built over; one instance per running server. */
export interface Services {
  config: Config;
  log: Logger;
  db: Database;
  registry: Registry;
  /** The UWS job engine; TAP async is served when it has the 'tap' kind. */
  jobs?: JobEngine;
  /** The server's HiPS builds: a HiPS not built yet is built on the first request for it. */
  hips?: HipsOnDemand;
}

// What the TAP capabilities declare: the functions beyond ADQL, and anonymous or bearer-token access.
const TAP_UDFS = USER_FUNCTIONS.map((f) => ({ form: f.signature, description: f.description }));
const SECURITY_METHODS = [null, 'ivo://ivoa.net/sso#token'];

/** Build the HTTP application. */
export function createApp(services: Services): Koa {
  const app = new Koa();
  app.proxy = services.config.publicUrl !== null;
  app.silent = true;
  app.use(requestLog(services.log));
  app.use(serverHeader());
  app.use(errorStyleMiddleware());
  app.use(errorMiddleware(services.log));
  app.use(corsMiddleware());
  app.use(requestLimits(services.config.limits));
  app.use(authMiddleware(services.db));
  app.use(admission(services.config.limits));
  const startedAt = new Date();
  const catalogs = new CatalogCache(services.db);
  const routers = [
    landingRoutes(services.registry),
    metaRoutes(services.registry),
    hipsRoutes(services.config, services.db, services.registry, services.hips),
    imageRoutes(services.config, services.db),
    userTablesRoutes('/db/v0/tap', services.config, services.db),
    vosiRoutes('/db/v0/tap', services.db, startedAt),
    syncRoutes('/db/v0/tap', services.config, services.db, catalogs),
    querytypeRoutes('/db/v0/tap', services.config, services.db, catalogs),
    serviceRoutes('/db/v0/tap', services.config, TAP_UDFS, SECURITY_METHODS),
  ];
  if (services.jobs?.hasKind('tap')) routers.push(uwsRoutes('/db/v0/tap/async', services.jobs, { kind: 'tap', publicUrl: services.config.publicUrl }));
  // Last: its UWS binding answers /image/v0/{job}, which must not shadow the other /image/v0 routes.
  if (services.jobs?.hasKind('image')) routers.push(...imageJobRoutes(services.config, services.db, services.jobs));
  for (const router of routers) {
    app.use(router.routes());
    // Status and Allow header only; the error middleware turns them into the face's error document.
    app.use(router.allowedMethods());
  }
  return app;
}
