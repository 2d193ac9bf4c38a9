/**
 * UWS benchmark: with 10,000 jobs of one owner stored, how long the job list takes over HTTP
 * (LAST=100, phase filters, the whole list), and submit-to-COMPLETED of a trivial job.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createLogger } from '../src/log.js';
import { errorMiddleware } from '../src/http/error-table.js';
import { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrations.js';
import { JobEngine } from '../src/jobs/job-engine.js';
import { uwsRoutes } from '../src/ivoa/uws/uws-routes.js';
import { requestLimitsOf } from '../src/http/request/read-request.js';
import { loadConfig } from '../src/config.js';
import { insertManyJobs } from '../src/jobs/job-store.js';
import type { JobKind } from '../src/jobs/job-model.js';
import { benchServer, printTable } from './support.js';

/** A trivial job: one row from the database written to a file. */
function trivialKind(db: Database): JobKind {
  return {
    name: 'bench',
    async run(_job, ctx) {
      let text = '';
      for await (const batch of db.streamReadOnly('SELECT 1', [], { signal: ctx.signal })) text += batch.map((r) => String(r[0])).join('\n');
      fs.writeFileSync(path.join(ctx.resultDir, 'result.txt'), text + '\n');
      return [{ id: 'result', file: 'result.txt', mimeType: 'text/plain' }];
    },
  };
}

/** Median and 95th percentile of the durations (ms) of `runs` calls. */
async function timeIt(runs: number, fn: () => Promise<unknown>): Promise<{ median: number; p95: number; last: unknown }> {
  const times: number[] = [];
  let last: unknown;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)]!, last };
}

/** Run the UWS benchmark and print its table. */
export async function benchUws(jobs = 10_000): Promise<void> {
  const pg = await benchServer();
  const db = new Database(pg.url, 10);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-uws-'));
  const owner = `bench-uws-${process.pid}`;
  const engine = new JobEngine({
    db,
    log: createLogger('silent'),
    dataDir,
    concurrency: 4,
    defaultDuration: 60,
    maxDuration: 600,
    destructionDays: 1,
    kinds: [trivialKind(db)],
  });
  let server: http.Server | null = null;
  try {
    await migrate(db);
    await engine.start();
    const t0 = performance.now();
    await insertManyJobs(db, jobs, owner, 'bench');
    await db.query('ANALYZE vodax.jobs');
    const insertMs = performance.now() - t0;

    const app = new Koa();
    app.use(errorMiddleware(createLogger('silent')));
    app.use(async (ctx, next) => {
      ctx.state.user = owner;
      await next();
    });
    app.use(uwsRoutes('/async', engine, { kind: 'bench', publicUrl: null, limits: requestLimitsOf(loadConfig({}).limits) }).routes());
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/async`;
    const list = async (query: string) => {
      const xml = await (await fetch(`${base}?${query}`)).text();
      return (xml.match(/<uws:jobref /g) ?? []).length;
    };

    const rows: (string | number)[][] = [[`insert ${jobs.toLocaleString('en-US')} jobs (one statement)`, jobs, insertMs, insertMs]];
    for (const [label, query, runs] of [
      ['LAST=100', 'LAST=100', 30],
      ['PHASE=EXECUTING (none)', 'PHASE=EXECUTING', 30],
      ['PHASE=COMPLETED&LAST=100', 'PHASE=COMPLETED&LAST=100', 30],
      ['PHASE=PENDING (a quarter)', 'PHASE=PENDING', 10],
      ['whole list', '', 5],
    ] as const) {
      const t = await timeIt(runs, () => list(query));
      rows.push([label, t.last as number, t.median, t.p95]);
    }
    const submit = await timeIt(40, async () => {
      const res = await fetch(base, { method: 'POST', body: new URLSearchParams({ PHASE: 'RUN' }), redirect: 'manual' });
      const job = res.headers.get('location')!;
      let xml = await (await fetch(`${job}?WAIT=10`)).text();
      while (!xml.includes('<uws:phase>COMPLETED</uws:phase>')) {
        if (/<uws:phase>(ERROR|ABORTED)</.test(xml)) throw new Error(`benchmark job failed: ${xml}`);
        xml = await (await fetch(`${job}?WAIT=10`)).text();
      }
      return 1;
    });
    rows.push(['submit (PHASE=RUN) to COMPLETED, trivial job, WAIT', 1, submit.median, submit.p95]);
    printTable(`UWS with ${jobs.toLocaleString('en-US')} jobs stored (HTTP on loopback)`, ['request', 'jobs', 'median ms', 'p95 ms'], rows);
  } finally {
    if (server) await new Promise((r) => server!.close(r));
    await engine.stop();
    await db.query('DELETE FROM vodax.jobs WHERE owner = $1', [owner]).catch(() => {});
    await db.close();
    await pg.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
