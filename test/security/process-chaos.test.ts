/**
 * Chaos at the process level, with real `vodax serve` processes on one database and DATA_DIR:
 * kill -9 under async load and half-sent uploads, then a restart (every job still listed,
 * finished results byte-identical, interrupted jobs ended, no backend of the dead server still
 * running, no spool left); then SIGTERM under load (a clean exit within the shutdown grace).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { addUser } from '../../src/auth/users.js';
import { eventually } from '../support/chaos-clients.js';
import { scratchRoot } from '../../src/system/scratch.js';
import { serveProcess } from '../support/vodax-process.js';

const LONG = 'SELECT COUNT(*) AS n FROM DC_W13_Stripe82.Object AS a, DC_W13_Stripe82.Object AS b, DC_W13_Stripe82.Object AS c';

describe('chaos: kill -9 and SIGTERM of a real server under load', function () {
  this.timeout(240_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let token: string;
  const children: ChildProcess[] = [];
  before(async () => {
    fresh = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-process-chaos-'));
    fs.chmodSync(dataDir, 0o755);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fresh.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ DATABASE_URL: fresh.url, DATA_DIR: dataDir, SHUTDOWN_GRACE: '2' });
  const auth = () => ({ authorization: `Bearer ${token}` });
  /** Submit and run an async TAP job; answers its URL. */
  const submit = async (base: string, query: string): Promise<string> => {
    const res = await fetch(`${base}/db/v0/tap/async`, { method: 'POST', headers: auth(), body: new URLSearchParams({ LANG: 'ADQL', QUERY: query, PHASE: 'RUN' }), redirect: 'manual' });
    expect(res.status).to.equal(303);
    return res.headers.get('location')!;
  };
  const phase = async (job: string) => (await (await fetch(`${job}/phase`, { headers: auth() })).text()).trim();
  /** Backends of this database still running something for `appNames`. */
  const running = async (appNames: string[]) =>
    (
      await fresh.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = ANY($1) AND state <> 'idle'`,
        [appNames],
      )
    )[0]!.n;

  it('kill -9 under async load: the restart lists every job, keeps finished results byte for byte, ends the interrupted, stops the dead queries, sweeps the spools', async () => {
    const first = await serveProcess(env());
    children.push(first.child);
    token = (await addUser(fresh.db, 'chaos')).token;
    const done = [await submit(first.url, 'SELECT TOP 50 objectId, ra, decl FROM DC_W13_Stripe82.Object ORDER BY objectId'), await submit(first.url, 'SELECT COUNT(*) AS n FROM DC_W13_Stripe82.Source')];
    for (const job of done) expect(await eventually(async () => (await phase(job)) === 'COMPLETED', 30_000), job).to.equal(true);
    const results = await Promise.all(done.map(async (job) => Buffer.from(await (await fetch(`${job}/results/result`, { headers: auth() })).arrayBuffer())));
    const long = [await submit(first.url, LONG), await submit(first.url, LONG), await submit(first.url, LONG)];
    for (const job of long) expect(await eventually(async () => (await phase(job)) === 'EXECUTING', 30_000), job).to.equal(true);
    // Half an upload: its spool folder exists when the server dies.
    const port = Number(new URL(first.url).port);
    const upload = net.connect(port, '127.0.0.1');
    upload.on('error', () => {});
    upload.write(
      'POST /db/v0/tap/sync HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n\r\n' +
        '--B\r\nContent-Disposition: form-data; name="t"; filename="t.vot"\r\n\r\n' + 'x'.repeat(100_000),
    );
    expect(await eventually(() => fs.readdirSync(scratchRoot(dataDir)).some((n) => n.startsWith(`upload-${first.child.pid}-`)), 10_000), 'spool exists').to.equal(true);
    const names = (
      await fresh.db.query<{ application_name: string }>(
        `SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query ILIKE '%count(%' AND application_name LIKE 'vodax:%'`,
      )
    ).map((r) => r.application_name);
    expect(names, 'the first server runs the long jobs').to.have.length(1);
    expect(await running(names)).to.be.at.least(3);

    first.child.kill('SIGKILL');
    await first.exited;
    upload.destroy();
    const second = await serveProcess(env());
    children.push(second.child);
    expect(await eventually(async () => (await running(names)) === 0, 10_000), 'no backend of the dead server runs on').to.equal(true);
    expect(fs.readdirSync(scratchRoot(dataDir)).filter((n) => n.startsWith(`upload-${first.child.pid}-`)), 'spools swept').to.deep.equal([]);
    const list = await (await fetch(`${second.url}/db/v0/tap/async`, { headers: auth() })).text();
    for (const job of [...done, ...long]) expect(list, job).to.include(job.split('/').pop()!);
    for (const [i, job] of done.entries()) {
      const again = job.replace(first.url, second.url);
      expect(await phase(again)).to.equal('COMPLETED');
      expect(Buffer.from(await (await fetch(`${again}/results/result`, { headers: auth() })).arrayBuffer()).equals(results[i]!), `${job} byte-identical`).to.equal(true);
    }
    for (const job of long) expect(await phase(job.replace(first.url, second.url))).to.be.oneOf(['ERROR', 'QUEUED', 'EXECUTING']);

    // SIGTERM under load: long sync queries, downloads nobody reads, running jobs.
    const load: Promise<unknown>[] = [];
    for (let i = 0; i < 2; i++) load.push(fetch(`${second.url}/db/v0/tap/sync`, { method: 'POST', body: new URLSearchParams({ QUERY: LONG, RESPONSEFORMAT: 'csv' }) }).catch(() => null));
    const stalled: net.Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const s = net.connect(Number(new URL(second.url).port), '127.0.0.1');
      s.on('error', () => {});
      s.pause(); // never reads: the answer backs up
      s.write(`GET /db/v0/tap/sync?${new URLSearchParams({ QUERY: 'SELECT * FROM DC_W13_Stripe82.Source', RESPONSEFORMAT: 'votable' })} HTTP/1.1\r\nHost: x\r\n\r\n`);
      stalled.push(s);
    }
    await submit(second.url, LONG);
    await new Promise((r) => setTimeout(r, 1500));
    const secondNames = (
      await fresh.db.query<{ application_name: string }>(`SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'vodax:%'`)
    ).map((r) => r.application_name);
    const t0 = Date.now();
    second.child.kill('SIGTERM');
    const code = await second.exited;
    const ms = Date.now() - t0;
    stalled.forEach((s) => s.destroy());
    await Promise.all(load);
    expect(code, 'clean exit').to.equal(0);
    // The grace is 2 s; closing the pool by force takes at most 2 s more. Loose for a loaded machine.
    expect(ms, `exit took ${ms} ms`).to.be.below(8000);
    expect(await eventually(async () => (await running(secondNames)) === 0, 5000), 'nothing of the stopped server runs on').to.equal(true);
  });
});
