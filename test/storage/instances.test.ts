/**
 * The queries of a vodax that died (kill -9) do not run on: the next vodax to start on the same
 * database ends its sessions, and never those of a live sibling. And on the embedded server,
 * PostgreSQL itself ends the query of a client that vanished.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server/vodax-server.js';
import { Database } from '../../src/storage/database.js';
import { applicationName, newInstanceId, startInstance } from '../../src/storage/instance.js';
import { freshDatabase, testDatabase, type TestDatabase } from '../support/database.js';

const log = createLogger('silent');

/** Poll `check` until it is true, or fail after `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Backend pids in this database whose application_name is `name`, optionally only those waiting on a lock. */
async function backends(db: Database, name: string, waitingOnLock = false): Promise<number[]> {
  const rows = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1
        AND ($2 = false OR (state = 'active' AND wait_event_type = 'Lock')) ORDER BY pid`,
    [name, waitingOnLock],
  );
  return rows.map((r) => r.pid);
}

describe('storage: instances end the sessions of a vodax that is gone', function () {
  this.timeout(60_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  const children: ChildProcess[] = [];
  const dirs: string[] = [];

  before(async () => {
    fresh = await freshDatabase();
    // A stock PostgreSQL does not check for vanished clients (client_connection_check_interval
    // 0): then only vodax can end a dead one's queries. New sessions of this database get that.
    const name = new URL(fresh.url).pathname.slice(1);
    await fresh.db.query(`ALTER DATABASE ${name} SET client_connection_check_interval = 0`);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fresh.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** A vodax server process on the fresh database; resolves once it listens. */
  async function serverProcess(): Promise<{ child: ChildProcess; url: string }> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-instance-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'server-child.ts')], {
      env: { ...process.env, DATABASE_URL: fresh.url, DATA_DIR: dataDir, PORT: '0', LOG_FORMAT: 'silent', SYNC_TIMEOUT: '60' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
    });
    return { child, url: (JSON.parse(line) as { url: string }).url };
  }

  /** The instance id a server process registered. */
  async function instanceOf(child: ChildProcess): Promise<string> {
    const [row] = await fresh.db.query<{ id: string }>('SELECT id FROM vodax.instances WHERE pid = $1', [child.pid]);
    if (!row) throw new Error(`server process ${child.pid} has no row in vodax.instances`);
    return row.id;
  }

  it('after kill -9, the next server ends the dead one’s running query; a live sibling’s query runs on and answers', async () => {
    const [dead, live] = await Promise.all([serverProcess(), serverProcess()]);
    const deadName = applicationName(await instanceOf(dead.child));
    const liveName = applicationName(await instanceOf(live.child));
    // Queries that stay running without burning CPU: they wait for a lock this test holds.
    const locker = new pg.Client({ connectionString: fresh.url });
    await locker.connect();
    let server: RunningServer | null = null;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "TAP_SCHEMA".columns IN ACCESS EXCLUSIVE MODE');
      const ask = (base: string) =>
        fetch(`${base}/db/v0/tap/sync`, {
          method: 'POST',
          body: new URLSearchParams({ LANG: 'ADQL', RESPONSEFORMAT: 'csv', QUERY: 'SELECT COUNT(*) AS n FROM TAP_SCHEMA.columns' }),
        }).then(async (r) => ({ status: r.status, body: await r.text() }));
      const deadAnswer = ask(dead.url).catch((e: Error) => e);
      const liveAnswer = ask(live.url);
      await until('both servers have a query waiting', 15_000, async () => (await backends(fresh.db, deadName, true)).length > 0 && (await backends(fresh.db, liveName, true)).length > 0);
      const liveQuery = await backends(fresh.db, liveName, true);

      const exited = new Promise((r) => dead.child.once('exit', r));
      dead.child.kill('SIGKILL');
      await exited;
      expect(await deadAnswer).to.be.instanceOf(Error);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await backends(fresh.db, deadName, true), 'the dead server’s query runs on in PostgreSQL').to.have.length.above(0);

      const serving = startServer(loadConfig({ DATABASE_URL: fresh.url, DATA_DIR: dirs[0]!, PORT: '0', LOG_FORMAT: 'silent' }), log, { sampleData: false });
      await until('the dead server’s sessions are gone', 5000, async () => (await backends(fresh.db, deadName)).length === 0);
      expect(await backends(fresh.db, liveName, true), 'the live sibling’s query still waits, untouched').to.include.members(liveQuery);
      const rows = await fresh.db.query<{ id: string }>('SELECT id FROM vodax.instances');
      expect(rows.map((r) => applicationName(r.id))).to.include(liveName).and.not.include(deadName);

      await locker.query('ROLLBACK');
      const answer = await liveAnswer;
      expect(answer.status).to.equal(200);
      const [header, count] = answer.body.trim().split(/\r?\n/);
      expect(header).to.equal('n');
      expect(Number(count)).to.be.above(0);
      server = await serving;
    } finally {
      await locker.end();
      await server?.close();
    }
  });

  it('ends sessions of instances elsewhere whose heartbeat stopped, and of unregistered ones once old enough; not of live ones', async () => {
    const db = new Database(fresh.url, 2, { applicationName: applicationName('sweeper') });
    const clients: pg.Client[] = [];
    /** A session named after `instance`, as that instance's pool would open it. */
    const session = async (instance: string) => {
      const c = new pg.Client({ connectionString: fresh.url, application_name: applicationName(instance) });
      c.on('error', () => {});
      await c.connect();
      clients.push(c);
      return c;
    };
    try {
      // The sweeper makes the table; the rows then stand for instances on another machine.
      const probe = await startInstance(db, 'sweeper', { log });
      await probe.stop();
      await fresh.db.query(
        `INSERT INTO vodax.instances (id, pid, host, machine, beat_at) VALUES
           ('far-dead', 1, 'elsewhere', 'another-boot/pid:[1]', now() - interval '1 hour'),
           ('far-live', 1, 'elsewhere', 'another-boot/pid:[1]', now())`,
      );
      await session('far-dead');
      await session('far-live');
      await session('unregistered-old');
      await new Promise((r) => setTimeout(r, 1200));
      await session('unregistered-young');
      // far-live beats: its heartbeat is fresh when the sweep looks.
      await fresh.db.query(`UPDATE vodax.instances SET beat_at = now() WHERE id = 'far-live'`);
      const instance = await startInstance(db, 'sweeper', { log, staleMs: 1000, beatMs: 60_000 });
      try {
        // pg_terminate_backend only signals: a loaded machine takes a moment to end the sessions.
        await until('the dead instance\'s session is gone', 5000, async () => (await backends(db, applicationName('far-dead'))).length === 0);
        await until('the old unregistered session is gone', 5000, async () => (await backends(db, applicationName('unregistered-old'))).length === 0);
        expect(await backends(db, applicationName('far-live'))).to.have.length(1);
        expect(await backends(db, applicationName('unregistered-young'))).to.have.length(1);
        const ids = (await db.query<{ id: string }>('SELECT id FROM vodax.instances')).map((r) => r.id);
        expect(ids).to.include.members(['far-live', 'sweeper']).and.not.include('far-dead');
      } finally {
        await instance.stop();
      }
      expect((await db.query('SELECT id FROM vodax.instances WHERE id = $1', ['sweeper'])).length, 'stop() removes the row').to.equal(0);
    } finally {
      for (const c of clients) await c.end().catch(() => {});
      await fresh.db.query(`DELETE FROM vodax.instances WHERE id LIKE 'far-%'`);
      await db.close();
    }
  });

  it('beats: its row is refreshed, and put back when another vodax removed it', async () => {
    const id = newInstanceId();
    const db = new Database(fresh.url, 2, { applicationName: applicationName(id) });
    const instance = await startInstance(db, id, { log, beatMs: 100 });
    try {
      const beatAt = async () => (await fresh.db.query<{ b: Date }>('SELECT beat_at AS b FROM vodax.instances WHERE id = $1', [id]))[0]?.b;
      const first = (await beatAt())!;
      await until('the heartbeat advances', 3000, async () => ((await beatAt())?.getTime() ?? 0) > first.getTime());
      await fresh.db.query('DELETE FROM vodax.instances WHERE id = $1', [id]);
      await until('the row is back', 3000, async () => (await beatAt()) !== undefined);
    } finally {
      await instance.stop();
      await db.close();
    }
  });

  it('on the embedded server, PostgreSQL itself ends the query of a client killed outright', async function () {
    if (process.env.TEST_DATABASE_URL) this.skip();
    const { url } = await testDatabase();
    const name = `vodax-check-${process.pid}-${Date.now()}`;
    // A bare client process: no vodax, so nothing but PostgreSQL can notice it is gone.
    const script = `const pg = require('pg'); const c = new pg.Client({ connectionString: process.argv[1], application_name: process.argv[2] });
      c.connect().then(() => { console.log('connected'); return c.query('SELECT pg_sleep(60)'); });`;
    const child = spawn(process.execPath, ['-e', script, url, name], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const { db } = await testDatabase();
    const sleeping = async () =>
      (await db.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = $2', [name, 'active'])).length > 0;
    await until('the query runs', 5000, sleeping);
    child.kill('SIGKILL');
    await until('PostgreSQL ended the query of the vanished client', 6000, async () => !(await sleeping()));
  });
});
