/** Shared pieces of the UWS tests: a job kind doing real database work, an engine, an HTTP binding. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { BadRequestError } from '../../../src/errors.js';
import { errorMiddleware } from '../../../src/http/error-table.js';
import { errorStyleMiddleware } from '../../../src/http/error-style.js';
import { daliJobErrorDocument, renderDaliError } from '../../../src/ivoa/dali/error-document.js';
import { createLogger } from '../../../src/log.js';
import type { Database } from '../../../src/storage/database.js';
import { JobEngine, type EngineOptions } from '../../../src/jobs/job-engine.js';
import { uwsRoutes } from '../../../src/ivoa/uws/uws-routes.js';
import type { JobKind, JobParameters } from '../../../src/jobs/job-model.js';
import { freshDatabase } from '../../support/database.js';
import { loadConfig } from '../../../src/config.js';
import { requestLimitsOf } from '../../../src/http/request/read-request.js';

/** The request limits of the default configuration. */
const DEFAULT_LIMITS = requestLimitsOf(loadConfig({}).limits);

/** First value of a job parameter. */
function first(params: JobParameters, name: string): string | undefined {
  return params[name]?.[0];
}

/**
 * A job kind that does real work: `SELECT pg_sleep(seconds)` through the cancellable cursor,
 * then streams `rows` numbers from the database into result.txt; `fail` makes it fail after the sleep.
 */
export function workKind(db: Database, name = 'work'): JobKind {
  return {
    name,
    validate(params) {
      const s = first(params, 'seconds');
      if (s !== undefined && !/^\d+(\.\d+)?$/.test(s)) throw new BadRequestError(`seconds must be a number, got '${s}'`);
    },
    async run(job, ctx) {
      const seconds = Number(first(job.parameters, 'seconds') ?? '0');
      for await (const _ of db.streamReadOnly('SELECT pg_sleep($1)', [seconds], { signal: ctx.signal })) void _;
      ctx.progress(0.5);
      const fail = first(job.parameters, 'fail');
      if (fail !== undefined) throw new BadRequestError(`failing on purpose: ${fail}`);
      const rows = Number(first(job.parameters, 'rows') ?? '3');
      const out = fs.createWriteStream(path.join(ctx.resultDir, 'result.txt'));
      for await (const batch of db.streamReadOnly('SELECT g FROM generate_series(1, $1::int) AS g', [rows], { signal: ctx.signal, batchSize: 1000 })) {
        if (!out.write(batch.map((r) => String(r[0])).join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
      const uploaded = fs.existsSync(path.join(ctx.uploadDir, 'table')) ? fs.readFileSync(path.join(ctx.uploadDir, 'table'), 'utf8') : null;
      if (uploaded !== null) fs.writeFileSync(path.join(ctx.resultDir, 'upload-echo.txt'), uploaded);
      return [
        { id: 'result', file: 'result.txt', mimeType: 'text/plain' },
        ...(uploaded !== null ? [{ id: 'echo', file: 'upload-echo.txt', mimeType: 'text/csv' }] : []),
      ];
    },
  };
}

/** A test engine over a fresh database and a temporary DATA_DIR. */
export interface Harness {
  db: Database;
  dbUrl: string;
  dataDir: string;
  engine: JobEngine;
  url: string;
  base: string;
  close(): Promise<void>;
}

/** Engine options for tests (short durations), over a database and a folder. */
export function engineOptions(db: Database, dataDir: string, over: Partial<EngineOptions> = {}): EngineOptions {
  return {
    db,
    log: createLogger('silent'),
    dataDir,
    concurrency: 2,
    defaultDuration: 60,
    maxDuration: 120,
    destructionDays: 7,
    reapIntervalMs: 60_000,
    ...over,
    kinds: over.kinds ?? [workKind(db)],
  };
}

/** Start an engine and its HTTP binding at /db/v0/tap/async; `x-test-user` sets ctx.state.user. */
export async function harness(over: Partial<EngineOptions> = {}, maxWaitSeconds = 5): Promise<Harness> {
  const fresh = await freshDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-uws-'));
  const engine = new JobEngine(engineOptions(fresh.db, dataDir, over));
  await engine.start();
  const base = '/db/v0/tap/async';
  const app = new Koa();
  app.silent = true;
  // Mounted as the IVOA face mounts it: DALI error documents under the TAP path.
  app.use(errorStyleMiddleware([{ prefixes: [base], render: renderDaliError }]));
  app.use(errorMiddleware(createLogger('silent')));
  app.use(async (ctx, next) => {
    const user = ctx.get('x-test-user');
    if (user) ctx.state.user = user;
    await next();
  });
  const router = uwsRoutes(base, engine, { kind: 'work', publicUrl: null, maxWaitSeconds, limits: DEFAULT_LIMITS });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    db: fresh.db,
    dbUrl: fresh.url,
    dataDir,
    engine,
    url: `http://127.0.0.1:${port}`,
    base,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await engine.stop(1000);
      await fresh.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The TAP async binding of `engine` on a loopback port: its server and the job list's URL. */
export async function tapAsyncServer(engine: JobEngine): Promise<{ server: http.Server; base: string }> {
  const app = new Koa();
  app.use(errorStyleMiddleware([{ prefixes: ['/db/v0/tap/async'], render: renderDaliError }]));
  app.use(errorMiddleware(createLogger('silent')));
  app.use(uwsRoutes('/db/v0/tap/async', engine, { kind: 'tap', publicUrl: null, errorDocument: daliJobErrorDocument, limits: DEFAULT_LIMITS }).routes());
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/db/v0/tap/async` };
}

/** POST a form; never follows redirects. */
export function postForm(url: string, form: Record<string, string | string[]>, user?: string): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return fetch(url, { method: 'POST', body, redirect: 'manual', headers: user ? { 'x-test-user': user } : {} });
}

/** GET with an optional user; never follows redirects. */
export function get(url: string, user?: string): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: user ? { 'x-test-user': user } : {} });
}

/** Create a job through the binding and return its URL and id. */
export async function createJob(h: Harness, form: Record<string, string | string[]>, user?: string): Promise<{ url: string; id: string }> {
  const res = await postForm(h.url + h.base, form, user);
  if (res.status !== 303) throw new Error(`create answered ${res.status}: ${await res.text()}`);
  const url = res.headers.get('location')!;
  return { url, id: url.slice(url.lastIndexOf('/') + 1) };
}

/** Poll the engine until the job is in one of `phases` (fails after `ms`). */
export async function untilPhase(engine: JobEngine, id: string, phases: string[], ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const job = await engine.get(id);
    if (job && phases.includes(job.phase)) return job.phase;
    if (Date.now() > end) throw new Error(`job ${id} is ${job?.phase ?? 'gone'}, not ${phases.join('/')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sessions running pg_sleep in this database (other than ours). */
/** Poll `probe` until it returns `want` or `ms` pass; answers the last value (work that ends just after an answer). */
export async function eventually<T>(probe: () => T | Promise<T>, want: T, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v === want || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function sleepingBackends(db: Database): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep%'`,
  );
  return row!.n;
}

const SCHEMA = path.join(path.dirname(new URL(import.meta.url).pathname), 'data', 'UWS-1.1.xsd');

/** Validate an XML document against the UWS 1.1 schema with STILTS; resolves to the problems ('' when valid). */
export async function uwsSchemaProblems(xml: string): Promise<string> {
  const file = path.join(os.tmpdir(), `vodax-uws-${process.pid}-${Math.random().toString(36).slice(2)}.xml`);
  fs.writeFileSync(file, xml);
  try {
    return await new Promise((resolve) => {
      execFile('stilts', ['xsdvalidate', `doc=${file}`, `schemaloc=http://www.ivoa.net/xml/UWS/v1.0=${SCHEMA}`], (err, stdout, stderr) =>
        resolve(err ? `${stdout}${stderr}`.trim() || String(err) : ''),
      );
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}
