/** The job engine itself: queue order and concurrency, kinds, clean stop, and recovery after SIGKILL. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { JobEngine, INTERRUPTED_MESSAGE } from '../../src/jobs/job-engine.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { engineOptions, sleepingBackends, untilPhase, workKind } from '../ivoa/uws/support.js';
import { statusOf } from '../../src/http/error-table.js';
import type { VodaxError } from '../../src/errors.js';

describe('UWS job engine', function () {
  this.timeout(60_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  const engines: JobEngine[] = [];
  beforeEach(async () => {
    fresh = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-uws-engine-'));
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop(1000);
    await fresh?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const engine = async (over: Parameters<typeof engineOptions>[2] = {}) => {
    const e = new JobEngine(engineOptions(fresh.db, dataDir, over));
    engines.push(e);
    await e.start();
    return e;
  };

  it('runs QUEUED jobs in order of creation, no more at once than its concurrency', async () => {
    const e = await engine({ concurrency: 1 });
    const blocker = await e.create({ kind: 'work', owner: 'a', parameters: { seconds: ['0.5'] }, run: true });
    await untilPhase(e, blocker.id, ['EXECUTING'], 5000);
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await e.create({ kind: 'work', owner: 'a', parameters: { seconds: ['0.2'] } }));
    for (const j of [...jobs].reverse()) await e.run(j.id); // RUN order must not matter: creation order does
    for (const j of jobs) expect((await e.get(j.id))!.phase).to.equal('QUEUED');
    await new Promise((r) => setTimeout(r, 100));
    expect(await sleepingBackends(fresh.db)).to.equal(1);
    for (const j of jobs) await untilPhase(e, j.id, ['COMPLETED'], 10_000);
    const done = await Promise.all([blocker, ...jobs].map((j) => e.get(j.id)));
    for (let i = 1; i < done.length; i++) {
      expect(done[i]!.started!.getTime()).to.be.at.least(done[i - 1]!.ended!.getTime());
    }
  });

  it('ABORT of a PENDING or QUEUED job makes it ABORTED and it never runs; finished jobs stay as they are', async () => {
    const e = await engine({ concurrency: 1 });
    const blocker = await e.create({ kind: 'work', owner: 'a', parameters: { seconds: ['0.5'] }, run: true });
    await untilPhase(e, blocker.id, ['EXECUTING'], 5000);
    const queued = await e.run((await e.create({ kind: 'work', owner: 'a', parameters: { seconds: ['0'] } })).id);
    expect(queued.phase).to.equal('QUEUED');
    const pending = await e.create({ kind: 'work', owner: 'a', parameters: { seconds: ['0'] } });
    expect((await e.abort(queued.id)).phase).to.equal('ABORTED');
    expect((await e.abort(pending.id)).phase).to.equal('ABORTED');
    await untilPhase(e, blocker.id, ['COMPLETED'], 5000);
    await new Promise((r) => setTimeout(r, 200));
    const q = (await e.get(queued.id))!;
    expect(q.phase).to.equal('ABORTED');
    expect(q.started).to.equal(null);
    expect(q.ended).to.be.instanceOf(Date);
    try {
      await e.run(pending.id);
      expect.fail('RUN of an ABORTED job must be refused');
    } catch (err) {
      expect(statusOf(err as VodaxError)).to.equal(409);
    }
    expect((await e.abort(blocker.id)).phase).to.equal('COMPLETED');
  });

  it('runs two at once with concurrency 2', async () => {
    const e = await engine({ concurrency: 2 });
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await e.create({ kind: 'work', owner: 'a', parameters: { seconds: ['1'] }, run: true }));
    await untilPhase(e, jobs[1]!.id, ['EXECUTING'], 5000);
    expect((await e.get(jobs[0]!.id))!.phase).to.equal('EXECUTING');
    expect((await e.get(jobs[2]!.id))!.phase).to.equal('QUEUED');
    await new Promise((r) => setTimeout(r, 200));
    expect(await sleepingBackends(fresh.db)).to.equal(2);
  });

  it('leaves jobs of a kind it does not know QUEUED until the kind is registered', async () => {
    const e = await engine({ kinds: [workKind(fresh.db)] });
    const later = workKind(fresh.db, 'later');
    await fresh.db.query(
      `INSERT INTO vodax.jobs (id, kind, owner, phase, execution_duration, destruction) VALUES ('soda1', 'later', 'a', 'QUEUED', 60, now() + interval '1 day')`,
    );
    await e.create({ kind: 'work', owner: 'a', parameters: {}, run: true }).then((j) => untilPhase(e, j.id, ['COMPLETED']));
    expect((await e.get('soda1'))!.phase).to.equal('QUEUED');
    e.registerKind(later);
    await untilPhase(e, 'soda1', ['COMPLETED']);
    expect(() => e.registerKind(later)).to.throw(/twice/);
  });

  it('a clean stop puts running jobs back in the queue; the next start runs them again', async () => {
    const e1 = await engine({ concurrency: 1 });
    const job = await e1.create({ kind: 'work', owner: 'a', parameters: { seconds: ['30'] }, run: true });
    await untilPhase(e1, job.id, ['EXECUTING']);
    await e1.stop(2000);
    expect((await fresh.db.query(`SELECT phase FROM vodax.jobs WHERE id = $1`, [job.id]))[0]!.phase).to.equal('QUEUED');
    expect(await sleepingBackends(fresh.db)).to.equal(0);
    const e2 = await engine({ concurrency: 1 });
    await untilPhase(e2, job.id, ['EXECUTING']);
    await e2.abort(job.id);
    expect((await e2.get(job.id))!.phase).to.equal('ABORTED');
  });

  it('after SIGKILL: running jobs become ERROR, queued ones run, nothing is lost, orphan folders go', async function () {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'restart-child.ts'), fresh.url, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    const ids = JSON.parse(line) as Record<'completed' | 'running' | 'queued1' | 'queued2' | 'pending', string>;
    fs.writeFileSync(path.join(dataDir, 'results', ids.running, 'partial.txt'), 'half a result');
    fs.mkdirSync(path.join(dataDir, 'results', 'orphan-without-job'), { recursive: true });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const before = await fresh.db.query<{ id: string; phase: string }>('SELECT id, phase FROM vodax.jobs ORDER BY created');
    expect(before.map((r) => r.phase)).to.deep.equal(['COMPLETED', 'EXECUTING', 'QUEUED', 'QUEUED', 'PENDING']);

    const e = await engine({ concurrency: 1 });
    const running = (await e.get(ids.running))!;
    expect(running.phase).to.equal('ERROR');
    expect(running.error!.message).to.equal(INTERRUPTED_MESSAGE);
    expect(fs.readdirSync(path.join(dataDir, 'results', ids.running))).to.deep.equal(['uploads']);
    await untilPhase(e, ids.queued2, ['COMPLETED'], 10_000);
    const q1 = (await e.get(ids.queued1))!;
    const q2 = (await e.get(ids.queued2))!;
    expect(q1.phase).to.equal('COMPLETED');
    expect(q2.started!.getTime()).to.be.at.least(q1.started!.getTime());
    expect(fs.readFileSync(path.join(dataDir, 'results', ids.queued2, 'result.txt'), 'utf8')).to.equal('1\n2\n3\n4\n');
    expect((await e.get(ids.pending))!.phase).to.equal('PENDING');
    const completed = (await e.get(ids.completed))!;
    expect(completed.phase).to.equal('COMPLETED');
    expect(fs.readFileSync(path.join(dataDir, 'results', ids.completed, 'result.txt'), 'utf8')).to.equal('1\n2\n3\n4\n5\n6\n7\n');
    expect(fs.existsSync(path.join(dataDir, 'results', 'orphan-without-job'))).to.equal(false);
    const folders = fs.readdirSync(path.join(dataDir, 'results')).sort();
    expect(folders).to.deep.equal(Object.values(ids).sort());
  });
});
