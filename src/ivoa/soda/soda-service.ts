/**
 * The SODA service's routers: sync, capabilities, availability, and the UWS binding at
 * /image/v0/soda/async when the job engine runs the 'soda' kind. The SPEC lists the LSST face's
 * image jobs (/image/v0/{job}) under the SODA async endpoint too, so its job list shows both kinds.
 */
import type Router from '@koa/router';
import type { Services } from '../../http/face.js';
import { requestLimitsOf } from '../../http/request/read-request.js';
import { IMAGE_JOB_KIND } from '../../images/image-job-kind.js';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import type { JobKind } from '../../jobs/job-model.js';
import { SODA_JOB_KIND, sodaJobKind } from '../../images/soda-job-kind.js';
import { sodaErrorText } from './soda-error.js';
import { IVOA_PATHS } from '../paths.js';
import { uwsRoutes } from '../uws/uws-routes.js';
import { sodaRoutes } from './soda-routes.js';
import { sodaJobOf } from './soda-parameters.js';

/** Where SODA's UWS jobs live. */
export const SODA_ASYNC_PATH = `${IVOA_PATHS.soda}/async`;

/** The SODA routers over the shared services. */
export function sodaRouters(services: Services, securityMethods: readonly (string | null)[]): Router[] {
  const { config, db, jobs } = services;
  const withAsync = jobs?.hasKind(SODA_JOB_KIND) ?? false;
  const routers = [sodaRoutes(IVOA_PATHS.soda, config, db, services.startedAt, securityMethods, withAsync ? SODA_ASYNC_PATH : null, services.imageFiles)];
  if (jobs && withAsync) {
    const listKinds = jobs.hasKind(IMAGE_JOB_KIND) ? [SODA_JOB_KIND, IMAGE_JOB_KIND] : [SODA_JOB_KIND];
    routers.push(uwsRoutes(SODA_ASYNC_PATH, jobs, { kind: SODA_JOB_KIND, listKinds, publicUrl: config.publicUrl, errorDocument: (e) => ({ type: 'text/plain', body: `${sodaErrorText('InternalError', e.message)}\n` }), limits: requestLimitsOf(config.limits) }));
  }
  return routers;
}

/** The 'soda' job kind, reading its parameters as SODA does (for the composition root to register). */
export function sodaJobKindOf(db: Database, config: Config): JobKind {
  return sodaJobKind(db, config, sodaJobOf);
}
