/**
 * Load on loopback, bounded in time: many concurrent clients, well over the admission limits.
 * Callers over the limits get 503 with Retry-After (after a short queue), nothing crashes,
 * memory stays bounded, and the server answers normally afterwards. The server runs in a
 * process of its own, so its memory is measured without the clients'.
 */
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { addUser } from '../../src/auth/users.js';
import { testDatabase } from '../support/database.js';

const SERVER = path.join(import.meta.dirname, '..', 'support', 'bare-server.ts');

/** Resident memory of a process, bytes. */
function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

describe('security: load on loopback', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let base: string;
  let dataDir: string;
  const tokens: string[] = [];
  before(async () => {
    const { db, url } = await testDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-load-'));
    child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
      env: {
        ...process.env,
        DATABASE_URL: url,
        DATA_DIR: dataDir,
        CONCURRENT_REQUESTS: '4',
        CONCURRENT_REQUESTS_PER_CALLER: '2',
        REQUEST_QUEUE: '8',
        REQUEST_QUEUE_WAIT: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    base = await new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    const sfx = crypto.randomBytes(3).toString('hex');
    for (let i = 0; i < 3; i++) tokens.push((await addUser(db, `load${i}${sfx}`)).token);
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

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
    const rssBefore = rssOf(child.pid!);
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
    const grown = rssOf(child.pid!) - rssBefore;
    expect(grown, `the server's RSS grew by ${(grown / 1e6).toFixed(0)} MB`).to.be.below(150e6);
    // Afterwards, a single caller is served at once.
    await new Promise((r) => setTimeout(r, 200));
    const after = await fetch(base + '/meta/v0/db', { headers: { accept: 'application/json' } });
    expect(after.status).to.equal(200);
    expect((await after.json()).result).to.include('L2');
  });
});
