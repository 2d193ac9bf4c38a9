/**
 * Two real `vodax serve` processes over one database and one DATA_DIR, as behind a proxy: a job
 * submitted to one is seen, waited on and fetched through the other; ABORT through either stops
 * the query wherever it runs; a restart of one leaves the other's running job alone; kill -9 of
 * the one running a job gets the job ended (interrupted) by the other, its query stopped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { serveProcess, type VodaxProcess } from '../support/vodax-process.js';
import { eventually } from '../support/chaos-clients.js';
import { addUser } from '../../src/auth/users.js';
import { INTERRUPTED_MESSAGE } from '../../src/jobs/job-engine.js';

const LONG = 'SELECT COUNT(*) AS n FROM TAP_SCHEMA.columns AS a, TAP_SCHEMA.columns AS b, TAP_SCHEMA.columns AS c, TAP_SCHEMA.columns AS d';

describe('jobs across two vodax processes on one database', function () {
  this.timeout(240_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let token: string;
  const procs: VodaxProcess[] = [];
  let a: VodaxProcess;
  let b: VodaxProcess;
  const env = () => ({ DATABASE_URL: fresh.url, DATA_DIR: dataDir, SHUTDOWN_GRACE: '2' });
  const start = async () => {
    const p = await serveProcess(env());
    procs.push(p);
    return p;
  };
  before(async () => {
    fresh = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-two-processes-'));
    fs.chmodSync(dataDir, 0o755);
    a = await start(); // loads the sample data
    b = await start();
    token = (await addUser(fresh.db, 'twin')).token;
  });
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await fresh.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const auth = () => ({ authorization: `Bearer ${token}` });
  const submit = async (base: string, query: string, run: boolean): Promise<string> => {
    const res = await fetch(`${base}/db/v0/tap/async`, { method: 'POST', headers: auth(), body: new URLSearchParams({ LANG: 'ADQL', QUERY: query, ...(run ? { PHASE: 'RUN' } : {}) }), redirect: 'manual' });
    expect(res.status).to.equal(303);
    return new URL(res.headers.get('location')!).pathname;
  };
  const phase = async (base: string, job: string) => (await (await fetch(`${base}${job}/phase`, { headers: auth() })).text()).trim();
  /** Which process runs a job: the pid of the instance named in its row. */
  const runnerPid = async (job: string): Promise<number | null> => {
    const rows = await fresh.db.query<{ pid: number }>('SELECT i.pid FROM vodax.jobs j JOIN vodax.instances i ON i.id = j.runner WHERE j.id = $1', [job.split('/').pop()]);
    return rows[0]?.pid ?? null;
  };
  const longQueries = async () =>
    (await fresh.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND query ILIKE '%count(%' AND query LIKE '%"t4"%'`))[0]!.n;

  it('a job created through one is waited on through the other, which wakes when the first runs it, and serves the same result', async () => {
    const job = await submit(a.url, 'SELECT TOP 5 table_name, column_name FROM TAP_SCHEMA.columns ORDER BY table_name, column_name', false);
    const t0 = Date.now();
    const waited = fetch(`${b.url}${job}?WAIT=60&PHASE=PENDING`, { headers: auth() }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 500));
    const run = await fetch(`${a.url}${job}/phase`, { method: 'POST', headers: auth(), body: new URLSearchParams({ PHASE: 'RUN' }), redirect: 'manual' });
    expect(run.status).to.equal(303);
    const doc = await waited;
    expect(Date.now() - t0, 'WAIT on the other process woke on the change').to.be.below(15_000);
    expect(doc).to.match(/<uws:phase>(QUEUED|EXECUTING|COMPLETED)<\/uws:phase>/);
    expect(await eventually(async () => (await phase(b.url, job)) === 'COMPLETED', 30_000)).to.equal(true);
    const fromA = await (await fetch(`${a.url}${job}/results/result`, { headers: auth() })).text();
    const fromB = await (await fetch(`${b.url}${job}/results/result`, { headers: auth() })).text();
    expect(fromB).to.include('<TABLEDATA>');
    expect(fromB).to.equal(fromA);
  });

  it('ABORT through the process that does not run the job stops its query in the one that does', async () => {
    const job = await submit(a.url, LONG, true);
    expect(await eventually(async () => (await phase(a.url, job)) === 'EXECUTING', 30_000)).to.equal(true);
    expect(await eventually(async () => (await longQueries()) === 1, 10_000), 'the query runs').to.equal(true);
    const running = await runnerPid(job);
    const other = running === a.child.pid ? b : a;
    const res = await fetch(`${other.url}${job}/phase`, { method: 'POST', headers: auth(), body: new URLSearchParams({ PHASE: 'ABORT' }), redirect: 'manual' });
    expect(res.status).to.equal(303);
    expect(await phase(a.url, job)).to.equal('ABORTED');
    expect(await eventually(async () => (await longQueries()) === 0, 10_000), 'the query was cancelled where it ran').to.equal(true);
  });

  it('a restart of one leaves the job the other runs alone; kill -9 of the runner gets its job ended by the survivor', async () => {
    const job = await submit(b.url, LONG, true);
    expect(await eventually(async () => (await phase(b.url, job)) === 'EXECUTING', 30_000)).to.equal(true);
    const pid = await runnerPid(job);
    const runner = pid === a.child.pid ? a : b;
    let other = runner === a ? b : a;
    other.child.kill('SIGTERM');
    expect(await other.exited).to.equal(0);
    other = await start();
    await new Promise((r) => setTimeout(r, 6000)); // more than a recovery round of the newcomer
    expect(await phase(other.url, job), 'still running after the sibling restarted').to.equal('EXECUTING');
    expect(await longQueries()).to.equal(1);

    runner.child.kill('SIGKILL');
    await runner.exited;
    expect(await eventually(async () => (await phase(other.url, job)) === 'ERROR', 30_000), 'the survivor ended the job').to.equal(true);
    const error = await (await fetch(`${other.url}${job}/error`, { headers: auth() })).text();
    expect(error).to.include(INTERRUPTED_MESSAGE);
    expect(await eventually(async () => (await longQueries()) === 0, 30_000), 'the dead process\'s query was ended').to.equal(true);
  });
});
