/**
 * The LSST Data Access Services v0 face (SPEC section 4; ids in docs/endpoints.md): the landing
 * page, /meta/v0, /db/v0 (DB3 querytype and user tables under the TAP path), /image/v0 images,
 * cutouts and image jobs. Errors are `{"error": ...}`, except under the TAP path, which is the
 * IVOA face's.
 */
import type { Face, Services } from '../http/face.js';
import { IVOA_PATHS } from '../ivoa/paths.js';
import { landingRoutes } from './landing-routes.js';
import { metaRoutes } from './meta-routes.js';
import { querytypeRoutes } from './querytype-routes.js';
import { userTablesRoutes } from './user-tables-routes.js';
import { imageRoutes } from './image-routes.js';
import { imageJobRoutes } from './image-job-routes.js';
import { isJobPath, notAJobPath } from './image-segments.js';

/** The LSST v0 face over the shared services. */
export function lsstFace(services: Services): Face {
  const { config, db, registry, catalogs, jobs, imageFiles } = services;
  const routes: Face['routes'] = [
    {
      routers: [
        landingRoutes(registry),
        metaRoutes(registry),
        querytypeRoutes(IVOA_PATHS.tap, config, db, catalogs),
        userTablesRoutes(IVOA_PATHS.tap, config, db),
      ],
    },
    // /image/v0/{level}/... and /image/v0/{job}/... share a place in the URL: each request goes to one.
    { routers: [imageRoutes(config, db, imageFiles)], when: notAJobPath },
  ];
  if (jobs?.hasKind('image')) {
    const { submit, job } = imageJobRoutes(config, db, jobs);
    routes.push({ routers: [submit], when: notAJobPath }, { routers: job, when: isJobPath });
  }
  return { name: 'lsst', errorStyles: [], routes };
}
