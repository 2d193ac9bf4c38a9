/**
 * The IVOA face: TAP with VOSI and the UWS binding at /db/v0/tap, HiPS under /image/v0/hips and
 * /db/v0/hips. A new protocol is a folder beside tap/ (sia/, soda/, datalink/, scs/) whose routes
 * are added here; DALI services answer errors as DALI error documents.
 */
import type { Face, Services } from '../http/face.js';
import { USER_FUNCTIONS } from '../adql/functions.js';
import { daliJobErrorDocument, renderDaliError } from './dali/error-document.js';
import { IVOA_PATHS } from './paths.js';
import { vosiRoutes } from './vosi/vosi-routes.js';
import { syncRoutes } from './tap/sync-routes.js';
import { serviceRoutes } from './tap/service-routes.js';
import { uwsRoutes } from './uws/uws-routes.js';
import { requestLimitsOf } from '../http/request/read-request.js';
import { hipsRoutes } from './hips/hips-routes.js';
import { siaRoutes } from './sia/sia-routes.js';
import { datalinkRoutes } from './datalink/datalink-routes.js';
import { scsRoutes } from './scs/scs-routes.js';
import { renderScsError } from './scs/scs-error-document.js';
import { sodaRouters } from './soda/soda-service.js';
import { renderSodaError } from './soda/soda-error.js';

// What the TAP capabilities declare: the functions beyond ADQL, and anonymous or bearer-token access.
const TAP_UDFS = USER_FUNCTIONS.map((f) => ({ form: f.signature, description: f.description }));
const SECURITY_METHODS = [null, 'ivo://ivoa.net/sso#token'];
// The image services over the same data, named in the TAP capabilities so a TAP client finds them.
const COMPANIONS = [
  { standardID: 'ivo://ivoa.net/std/SIA#query-2.0', path: `${IVOA_PATHS.sia}/query`, version: '2.0' },
  { standardID: 'ivo://ivoa.net/std/DataLink#links-1.1', path: `${IVOA_PATHS.datalink}/links`, version: '1.1' },
  { standardID: 'ivo://ivoa.net/std/SODA#sync-1.0', path: `${IVOA_PATHS.soda}/sync`, version: '1.0' },
  { standardID: 'ivo://ivoa.net/std/SODA#async-1.0', path: `${IVOA_PATHS.soda}/async`, version: '1.0' },
];

/** The IVOA face over the shared services. */
export function ivoaFace(services: Services): Face {
  const { config, db, catalogs, jobs } = services;
  const tap = [
    vosiRoutes(IVOA_PATHS.tap, db, services.startedAt),
    syncRoutes(IVOA_PATHS.tap, config, db, catalogs),
    serviceRoutes(IVOA_PATHS.tap, config, TAP_UDFS, SECURITY_METHODS, COMPANIONS),
  ];
  if (jobs?.hasKind('tap')) tap.push(uwsRoutes(IVOA_PATHS.tapAsync, jobs, { kind: 'tap', publicUrl: config.publicUrl, errorDocument: daliJobErrorDocument, limits: requestLimitsOf(config.limits) }));
  return {
    name: 'ivoa',
    errorStyles: [{ prefixes: [IVOA_PATHS.tap, IVOA_PATHS.sia, IVOA_PATHS.datalink], render: renderDaliError }, { prefixes: [IVOA_PATHS.soda], render: renderSodaError }, { prefixes: [IVOA_PATHS.scs], render: renderScsError }],
    routes: [{ routers: tap }, { routers: [siaRoutes(IVOA_PATHS.sia, config, db, catalogs, services.startedAt, SECURITY_METHODS)] }, { routers: [scsRoutes(IVOA_PATHS.scs, config, db, catalogs, services.startedAt, SECURITY_METHODS)] }, { routers: [datalinkRoutes(IVOA_PATHS.datalink, config, db)] }, { routers: sodaRouters(services, SECURITY_METHODS) }, { routers: [hipsRoutes(config, db, services.registry, services.hips)] }],
  };
}
