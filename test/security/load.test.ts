/**
 * Load on loopback, bounded in time: many concurrent clients, well over the admission limits.
 * Callers over the limits get 503 with Retry-After (after a short queue), nothing crashes,
 * memory stays bounded, and the server answers normally afterwards.
 */
import { expect } from 'chai';
import crypto from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { addUser } from '../../src/auth/users.js';
import { testDatabase } from '../support/database.js';

/**
 * A full garbage collection, also without --expose-gc: what the process still holds after the
 * load, not the garbage a collection has not reached yet, is what must stay bounded.
 */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('security: load on loopback', function () {
  this.timeout(60_000);
  let server: http.Server;
  let base: string;
  const tokens: string[] = [];
  before(async () => {
    const { db, url } = await testDatabase();
    const config = loadConfig({
      LOG_FORMAT: 'silent',
      CONCURRENT_REQUESTS: '4',
      CONCURRENT_REQUESTS_PER_CALLER: '2',
      REQUEST_QUEUE: '8',
      REQUEST_QUEUE_WAIT: '1',
    });
    const app = createApp({ config, log: createLogger('silent'), db, registry: new Registry(db, addressOf(url)) });
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sfx = crypto.randomBytes(3).toString('hex');
    for (let i = 0; i < 3; i++) tokens.push((await addUser(db, `load${i}${sfx}`)).token);
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sheds load past the limits with 503 + Retry-After, stays up, and memory stays bounded', async () => {
    const paths = ['/db/v0/tap/tables', '/meta/v0/db/L2/DC_W13_Stripe82/tables/Object/schema', '/meta/v0/db/L2/DC_W13_Stripe82/tables/Object', '/'];
    const one = async (i: number): Promise<{ status: number; retryAfter: string | null }> => {
      const headers: Record<string, string> = { accept: 'application/json' };
      const t = i % 4 === 0 ? null : tokens[i % 3]!;
      if (t) headers.authorization = `Bearer ${t}`;
      const res = await fetch(base + paths[i % paths.length]!, { headers, signal: AbortSignal.timeout(15_000) });
      await res.arrayBuffer();
      return { status: res.status, retryAfter: res.headers.get('retry-after') };
    };
    // Warm up (JIT, pools), then measure.
    await Promise.all(Array.from({ length: 8 }, (_, i) => one(i)));
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    const statuses = new Map<number, number>();
    let waves = 0;
    while (Date.now() - t0 < 6000) {
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => one(i)));
      waves++;
      for (const r of results) {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 503) expect(Number(r.retryAfter)).to.be.at.least(1);
      }
    }
    const elapsed = Date.now() - t0;
    expect(elapsed).to.be.below(10_000);
    expect([...statuses.keys()].every((s) => s === 200 || s === 503), JSON.stringify([...statuses])).to.equal(true);
    expect(statuses.get(200) ?? 0).to.be.greaterThan(20);
    expect(statuses.get(503) ?? 0).to.be.greaterThan(100);
    expect(waves).to.be.at.least(1);
    collectGarbage();
    const grown = process.memoryUsage().rss - rssBefore;
    const heapGrown = process.memoryUsage().heapUsed - heapBefore;
    expect(grown, `RSS grew by ${(grown / 1e6).toFixed(0)} MB`).to.be.below(300e6);
    expect(heapGrown, `the heap grew by ${(heapGrown / 1e6).toFixed(0)} MB`).to.be.below(50e6);
    // Afterwards, a single caller is served at once.
    await new Promise((r) => setTimeout(r, 200));
    const after = await fetch(base + '/meta/v0/db', { headers: { accept: 'application/json' } });
    expect(after.status).to.equal(200);
    expect((await after.json()).result).to.include('L2');
  });
});
