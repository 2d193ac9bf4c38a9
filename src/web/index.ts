/**
 * The web face: pages for people in a browser, over the IVOA face's services (the query page
 * runs its queries through TAP, as any client would). Its browser code is src/web/page/.
 */
import type { Face } from '../http/face.js';
import { IVOA_PATHS } from '../ivoa/paths.js';
import { queryPageRoutes } from './query-page-routes.js';

/** The web face; it needs no service of its own. */
export function webFace(): Face {
  return { name: 'web', errorStyles: [], routes: [{ routers: [queryPageRoutes(IVOA_PATHS.tap)] }] };
}
