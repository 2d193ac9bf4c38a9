/**
 * Job engines of several vodax processes over one database (each with its own instance id, as
 * `vodax serve` gives it): every job runs exactly once, a change made through one engine reaches
 * the others (WAIT, ABORT of a job another runs, deletion, a job queued elsewhere), a starting
 * engine leaves a live sibling's jobs alone, and the jobs of a sibling that is gone are ended.
 * The same with real processes: test/jobs/multi-process.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { JobEngine, INTERRUPTED_MESSAGE } from '../../src/jobs/job-engine.js';
import type { JobKind } from '../../src/jobs/job-model.js';
import { newInstanceId, startInstance, type Instance } from '../../src/storage/instance.js';
import { createLogger } from '../../src/log.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { engineOptions, sleepingBackends, untilPhase, workKind } from '../ivoa/uws/support.js';
import { eventually } from '../support/chaos-clients.js';

describe('UWS job engines of several processes on one database', function () {
  this.timeout(60_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  const engines: JobEngine[] = [];
  const instances: Instance[] = [];
  beforeEach(async () => {
    fresh = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-siblings-'));
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop(1000);
    for (const i of instances.splice(0)) await i.stop();
    await fresh?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** An engine registered as an instance of its own, as a server process is. */
  const sibling = async (over: Parameters<typeof engineOptions>[2] = {}, start = true) => {
    const id = newInstanceId();
    instances.push(await startInstance(fresh.db, id, { log: createLogger('silent') }));
    const e = new JobEngine(engineOptions(fresh.db, dataDir, { instanceId: id, recoverIntervalMs: 200, ...over }));
    engines.push(e);
    if (start) await e.start();
    return { engine: e, id };
  };

  it('runs every job exactly once when two engines claim from the same queue', async () => {
    const runs = new Map<string, number>();
    const counting = (): JobKind => ({
      name: 'count',
      async run(job) {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
        return [];
      },
    });
    const a = await sibling({ kinds: [counting()], concurrency: 3 });
    const b = await sibling({ kinds: [counting()], concurrency: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await (i % 2 ? a : b).engine.create({ kind: 'count', owner: 'u', parameters: {}, run: true })).id);
    for (const id of ids) await untilPhase(a.engine, id, ['COMPLETED'], 20_000);
    expect(ids.map((id) => runs.get(id))).to.deep.equal(ids.map(() => 1));
    const byRunner = await fresh.db.query<{ runner: string; n: number }>('SELECT runner, count(*)::int AS n FROM vodax.jobs GROUP BY runner');
    expect(byRunner.map((r) => r.runner).sort()).to.deep.equal([a.id, b.id].sort());
  });

  it('WAIT through one engine wakes on a change made through the other', async () => {
    const a = await sibling();
    const b = await sibling();
    const job = await a.engine.create({ kind: 'work', owner: 'u', parameters: { seconds: ['0'] } });
    const t0 = Date.now();
    const waiting = b.engine.waitForChange(job.id, 'PENDING', 20_000);
    await new Promise((r) => setTimeout(r, 200));
    await a.engine.run(job.id);
    await waiting;
    expect(Date.now() - t0).to.be.below(5000);
    expect((await b.engine.get(job.id))!.phase).to.not.equal('PENDING');
  });

  it('ABORT through one engine stops the job the other runs, its query cancelled', async () => {
    const a = await sibling();
    const b = await sibling({ kinds: [workKind(fresh.db, 'other')] }); // b cannot run 'work': a runs it
    const job = await a.engine.create({ kind: 'work', owner: 'u', parameters: { seconds: ['30'] }, run: true });
    await untilPhase(a.engine, job.id, ['EXECUTING'], 5000);
    expect(await eventually(async () => (await sleepingBackends(fresh.db)) === 1)).to.equal(true);
    expect((await b.engine.abort(job.id)).phase).to.equal('ABORTED');
    expect(await eventually(async () => (await sleepingBackends(fresh.db)) === 0, 5000)).to.equal(true, 'the running query was not cancelled');
    expect(await eventually(() => a.engine.progress(job.id) === null, 5000)).to.equal(true, 'the job still runs where it ran');
    expect((await a.engine.get(job.id))!.phase).to.equal('ABORTED');
  });

  it('deletion through one engine stops the job the other runs and removes its folder', async () => {
    const a = await sibling();
    const b = await sibling({ kinds: [workKind(fresh.db, 'other')] });
    const job = await a.engine.create({ kind: 'work', owner: 'u', parameters: { seconds: ['30'] }, run: true });
    await untilPhase(a.engine, job.id, ['EXECUTING'], 5000);
    expect(await b.engine.delete(job.id)).to.equal(true);
    expect(await eventually(async () => (await sleepingBackends(fresh.db)) === 0, 5000)).to.equal(true);
    expect(await eventually(() => !fs.existsSync(path.join(dataDir, 'results', job.id)), 5000)).to.equal(true);
  });

  it('a job queued through an engine that cannot run it is run by one that can', async () => {
    const runner = await sibling();
    const front = await sibling({ kinds: [workKind(fresh.db, 'work')], concurrency: 0 });
    const job = await front.engine.create({ kind: 'work', owner: 'u', parameters: { seconds: ['0'] }, run: true });
    await untilPhase(front.engine, job.id, ['COMPLETED'], 5000);
    const [row] = await fresh.db.query<{ runner: string }>('SELECT runner FROM vodax.jobs WHERE id = $1', [job.id]);
    expect(row!.runner).to.equal(runner.id);
  });

  it('an engine starting leaves the jobs a live sibling runs alone; the jobs of one that is gone end as interrupted', async () => {
    const a = await sibling();
    const job = await a.engine.create({ kind: 'work', owner: 'u', parameters: { seconds: ['2'] }, run: true });
    await untilPhase(a.engine, job.id, ['EXECUTING'], 5000);
    await sibling(); // starts while a runs the job
    await new Promise((r) => setTimeout(r, 500)); // several recovery rounds of the newcomer
    expect((await a.engine.get(job.id))!.phase).to.equal('EXECUTING');
    await untilPhase(a.engine, job.id, ['COMPLETED'], 10_000);

    // A process that is gone: its instance row goes (the sweep of a live one removes it), its job stays EXECUTING.
    const gone = newInstanceId();
    await fresh.db.query(
      `INSERT INTO vodax.jobs (id, kind, owner, phase, started, execution_duration, destruction, parameters, runner)
       VALUES ('orphanjob', 'work', 'u', 'EXECUTING', now(), 60, now() + interval '1 day', '{}'::jsonb, $1)`,
      [gone],
    );
    expect(await eventually(async () => (await a.engine.get('orphanjob'))?.phase === 'ERROR', 5000)).to.equal(true);
    expect((await a.engine.get('orphanjob'))!.error!.message).to.equal(INTERRUPTED_MESSAGE);
  });
});
