/** Running the server: storage, sample data on first start, HTTP, graceful shutdown. Endpoint ids: docs/endpoints.md. */
import fs from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createApp } from './app.js';
import { createHttpServer, cutByServer } from '../http/http-server.js';
import { scratchRoot, sweepScratch } from '../system/scratch.js';
import { Registry } from '../catalog/table-registry.js';
import { CatalogCache } from '../catalog/query-catalog.js';
import { addressOf, openStorage, type Storage } from './storage.js';
import { ensureSampleData } from '../sample-data/load-sample-data.js';
import { engineFromConfig } from '../jobs/job-engine.js';
import { tapJobKind } from '../query/tap-job-kind.js';
import { imageJobKind } from '../images/image-job-kind.js';
import { sodaJobKindOf } from '../ivoa/soda/soda-service.js';
import { HipsOnDemand } from '../images/hips-on-demand.js';
import { ImageFileCache } from '../images/image-files.js';
import { ConflictError } from '../errors.js';

/** A running vodax server. */
export interface RunningServer {
  url: string;
  /** Stop accepting, let running requests finish (bounded), close the database. */
  close(): Promise<void>;
}

/** The sample data on first start (then the quick HiPS), or a check that it is all there. */
export async function prepareSampleData(config: Config, log: Logger, storage: Storage, hips: HipsOnDemand): Promise<void> {
  const sample = await ensureSampleData(storage.db, log, { dataDir: config.dataDir, baseUrl: config.publicUrl ?? `http://${config.host}:${config.port}` });
  if (sample.imagesRegistered > 0) await hips.firstStart();
}

/** Start vodax with this configuration. */
export async function startServer(config: Config, log: Logger, options: { sampleData?: boolean } = {}): Promise<RunningServer> {
  // Spools (FITS, IPAC), uploads and job results live under DATA_DIR, even with an external
  // database; what a dead server left there is removed now.
  fs.mkdirSync(scratchRoot(config.dataDir), { recursive: true });
  const swept = await sweepScratch(scratchRoot(config.dataDir));
  if (swept.length) log.info('removed scratch files of a server that is gone', { count: swept.length });
  const storage = await openStorage(config, log);
  // HiPS not built yet are built by the server on first request; the quick one on first start.
  const hips = new HipsOnDemand(storage.db, config.dataDir, log);
  try {
    if (options.sampleData !== false) await prepareSampleData(config, log, storage, hips);
  } catch (e) {
    await storage.close();
    throw e;
  }
  const registry = new Registry(storage.db, addressOf(storage.url));
  // One catalog cache for the server: sync queries, TAP jobs and DB3 see the same tables.
  const catalogs = new CatalogCache(storage.db);
  const jobs = engineFromConfig(config, storage.db, log, [tapJobKind({ config, db: storage.db, catalogs }), imageJobKind(storage.db, config), sodaJobKindOf(storage.db, config)], storage.instance.id);
  try {
    await jobs.start();
  } catch (e) {
    await storage.close();
    throw e;
  }
  // The server's open image files: closed once the requests using them are done.
  const imageFiles = new ImageFileCache(config.dataDir);
  const app = createApp({ config, log, db: storage.db, registry, catalogs, jobs, hips, imageFiles });
  const server = createHttpServer(app.callback(), config.limits);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (e) {
    // Nothing may keep running when the port cannot be had: the jobs, the pool, the embedded database.
    await Promise.all([jobs.stop(0), hips.stop()]);
    await storage.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConflictError(`port ${config.port} on ${config.host} is in use: another server listens there (set PORT)`);
    if (code === 'EACCES') throw new ConflictError(`port ${config.port} on ${config.host} may not be used by this user (set PORT)`);
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log.info('vodax listening', { url });
  let closing: Promise<void> | null = null;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        // Within SHUTDOWN_GRACE running requests may finish and jobs reach a stop; then the
        // remaining sockets are cut (each cut request cancels its query and frees its
        // connection) and connections still out are closed by force.
        const graceMs = config.limits.shutdownGrace * 1000;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = setTimeout(() => sockets.forEach((s) => cutByServer(s)), graceMs);
        const t0 = Date.now();
        await Promise.all([closed, jobs.stop(graceMs), hips.stop()]);
        clearTimeout(deadline);
        const t1 = Date.now();
        await imageFiles.close();
        const { forced } = await storage.close();
        log.info('vodax stopped', { requestsAndJobsMs: t1 - t0, storageMs: Date.now() - t1, connectionsClosedByForce: forced });
      })()),
  };
}
