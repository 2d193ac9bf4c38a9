/**
 * What a face is to the composition root: the routers it serves and the error style of its
 * paths, built over the shared services it is given. The root mounts faces; it knows no route.
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Database } from '../storage/database.js';
import type { Registry } from '../catalog/table-registry.js';
import type { CatalogCache } from '../catalog/query-catalog.js';
import type { JobEngine } from '../jobs/job-engine.js';
import type { HipsOnDemand } from '../images/hips-on-demand.js';
import type { ImageFileCache } from '../images/image-files.js';
import type { ErrorStyle } from './error-style.js';

/** What the faces are built over; one instance per running server. */
export interface Services {
  config: Config;
  log: Logger;
  db: Database;
  registry: Registry;
  /** The tables each caller may query, shared by sync queries, jobs and DB3. */
  catalogs: CatalogCache;
  /** The UWS job engine; TAP async is served when it has the 'tap' kind, image jobs with 'image'. */
  jobs?: JobEngine;
  /** The server's HiPS builds: a HiPS not built yet is built on the first request for it. */
  hips?: HipsOnDemand;
  /** The image files kept open for image answers (cutouts of one image in a row reuse its file); without it each answer opens its own. */
  imageFiles?: ImageFileCache;
  /** When the service started (VOSI availability). */
  startedAt: Date;
}

/** A group of routers mounted together, optionally only for the requests `when` accepts. */
export interface RouteGroup {
  routers: Router[];
  /** Which requests the group answers; without it, every request. */
  when?: (ctx: Context) => boolean;
}

/** One face of the service. */
export interface Face {
  name: string;
  /** Error styles of the face's paths; paths no face claims answer `{"error": ...}`. */
  errorStyles: ErrorStyle[];
  routes: RouteGroup[];
}
