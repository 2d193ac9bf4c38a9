/** An HTTP server over the test database, on a free loopback port. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/server/app.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { testDatabase } from './database.js';

/** A running test server: its base URL and a way to stop it. */
export interface TestServer {
  url: string;
  /** Its own DATA_DIR (spools, uploads). */
  dataDir: string;
  close(): Promise<void>;
}

/** Start the app over the shared test database. */
export async function testServer(env: NodeJS.ProcessEnv = {}): Promise<TestServer> {
  const { db, url: dbUrl } = await testDatabase();
  // A DATA_DIR of its own (spools, uploads), never the working tree's ./var.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-test-data-'));
  const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir, ...env });
  const app = createApp({ config, log: createLogger('silent'), db, registry: new Registry(db, addressOf(dbUrl)) });
  const server = createHttpServer(app.callback(), config.limits);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          fs.rmSync(dataDir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}

/** GET a path and parse the JSON answer, keeping the status. */
export async function getJson(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { headers: { accept: 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
