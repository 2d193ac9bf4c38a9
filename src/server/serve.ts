/** Running the server: storage, sample data on first start, HTTP, graceful shutdown. */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createApp } from '../http/app.js';
import { Registry } from '../registry/registry.js';
import { addressOf, openStorage } from './storage.js';
import { ensureSampleData } from './sample-data.js';
import { engineFromConfig } from '../uws/engine.js';
import { tapJobKind } from '../uws/tap-kind.js';
import { imageJobKind } from '../images/image-job-kind.js';

/** A running vodax server. */
export interface RunningServer {
  url: string;
  /** Stop accepting, let running requests finish (bounded), close the database. */
  close(): Promise<void>;
}

/** Start vodax with this configuration. */
export async function startServer(config: Config, log: Logger, options: { sampleData?: boolean } = {}): Promise<RunningServer> {
  // Spools (FITS, IPAC), uploads and job results live under DATA_DIR, even with an external database.
  fs.mkdirSync(path.join(config.dataDir, 'tmp'), { recursive: true });
  const storage = await openStorage(config, log);
  try {
    if (options.sampleData !== false) await ensureSampleData(storage.db, log, { dataDir: config.dataDir, baseUrl: config.publicUrl ?? `http://${config.host}:${config.port}` });
  } catch (e) {
    await storage.close();
    throw e;
  }
  const registry = new Registry(storage.db, addressOf(storage.url));
  const jobs = engineFromConfig(config, storage.db, log, [tapJobKind(storage.db, config), imageJobKind(storage.db, config)]);
  try {
    await jobs.start();
  } catch (e) {
    await storage.close();
    throw e;
  }
  const app = createApp({ config, log, db: storage.db, registry, jobs });
  const server = http.createServer(app.callback());
  server.requestTimeout = 0; // long downloads are legitimate; the database enforces query timeouts
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log.info('vodax listening', { url });
  let closing: Promise<void> | null = null;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = setTimeout(() => sockets.forEach((s) => s.destroy()), 10_000);
        await closed;
        clearTimeout(deadline);
        await jobs.stop();
        await storage.close();
        log.info('vodax stopped');
      })()),
  };
}
