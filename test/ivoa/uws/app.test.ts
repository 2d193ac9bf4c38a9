/** TAP async as the application mounts it: /db/v0/tap/async, owners from real bearer tokens. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { addUser } from '../../../src/auth/users.js';
import { loadConfig } from '../../../src/config.js';
import { createApp } from '../../../src/server/app.js';
import { createLogger } from '../../../src/log.js';
import { Registry } from '../../../src/catalog/table-registry.js';
import { addressOf } from '../../../src/server/storage.js';
import { JobEngine } from '../../../src/jobs/job-engine.js';
import { freshDatabase, type TestDatabase } from '../../support/database.js';
import { engineOptions, untilPhase, workKind } from './support.js';

describe('UWS in the application', function () {
  this.timeout(30_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let engine: JobEngine;
  let server: http.Server;
  let url: string;
  const alice = `alice${crypto.randomBytes(3).toString('hex')}`;
  const bob = `bob${crypto.randomBytes(3).toString('hex')}`;
  let tokens: Record<string, string>;

  /** Serve the application over an engine on a free port. */
  const serve = async (e: JobEngine) => {
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const app = createApp({ config, log: createLogger('silent'), db: fresh.db, registry: new Registry(fresh.db, addressOf(fresh.url)), jobs: e });
    const s = http.createServer(app.callback());
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return { s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  };

  before(async () => {
    fresh = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-uws-app-'));
    engine = new JobEngine(engineOptions(fresh.db, dataDir, { kinds: [workKind(fresh.db, 'tap')] }));
    await engine.start();
    ({ s: server, url } = await serve(engine));
    tokens = { [alice]: (await addUser(fresh.db, alice)).token, [bob]: (await addUser(fresh.db, bob)).token };
  });
  after(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await engine?.stop(1000);
    await fresh?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const auth = (user?: string): Record<string, string> => (user ? { authorization: `Bearer ${tokens[user]}` } : {});

  it('serves /db/v0/tap/async; the owner is the bearer of the token; others get 404', async () => {
    const res = await fetch(`${url}/db/v0/tap/async`, {
      method: 'POST',
      body: new URLSearchParams({ seconds: '0', PHASE: 'RUN' }),
      headers: auth(alice),
      redirect: 'manual',
    });
    expect(res.status).to.equal(303);
    const job = res.headers.get('location')!;
    expect(job).to.match(new RegExp(`^${url}/db/v0/tap/async/[A-Za-z0-9_-]{22}$`));
    const id = job.slice(job.lastIndexOf('/') + 1);
    await untilPhase(engine, id, ['COMPLETED']);
    expect(await (await fetch(`${job}/owner`, { headers: auth(alice) })).text()).to.equal(alice);
    expect(await (await fetch(`${url}/db/v0/tap/async`, { headers: auth(alice) })).text()).to.contain(`<uws:jobref id="${id}"`);
    expect(await (await fetch(`${url}/db/v0/tap/async`, { headers: auth(bob) })).text()).not.to.contain('<uws:jobref');
    expect((await fetch(`${job}/results/result`, { headers: auth(bob) })).status).to.equal(404);
    expect((await fetch(job)).status).to.equal(404);
    expect((await fetch(job, { headers: { authorization: 'Bearer vdx_not-a-token' } })).status).to.equal(401);
  });

  it('is not mounted when the engine has no tap kind', async () => {
    const bare = new JobEngine(engineOptions(fresh.db, dataDir, { kinds: [workKind(fresh.db, 'soda')] }));
    const { s, url: bareUrl } = await serve(bare);
    try {
      expect((await fetch(`${bareUrl}/db/v0/tap/async`)).status).to.equal(404);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});
