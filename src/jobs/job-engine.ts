/**
 * The UWS job engine: one for all asynchronous work (TAP queries, SODA cutouts, image jobs).
 * Jobs live in `vodax.jobs`; QUEUED jobs run in order of creation, a bounded number at once;
 * execution durations, ABORT and destruction are enforced here; a restart loses nothing.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import type { Logger } from '../log.js';
import { BadRequestError, ConflictError, NotFoundError, UnavailableError, isVodaxError } from '../errors.js';
import { JobStore, type JobRef, type ListFilter } from './job-store.js';
import { JobFiles, isSafeName, newJobId } from './job-files.js';
import { Reaper } from './job-reaper.js';
import { FINAL_PHASES, type JobError, type JobKind, type JobParameters, type JobResult, type JobView, type Phase } from './job-model.js';
import { listen, type Listener } from '../storage/notifications.js';

/** The channel on which the database announces every change of a job's phase (migration 10). */
const JOBS_CHANNEL = 'vodax_jobs';

/** The message of a job that was running when its server died. */
export const INTERRUPTED_MESSAGE = 'interrupted by a server restart';

/** Settings of an engine. */
export interface EngineOptions {
  db: Database;
  log: Logger;
  /** Job folders go under `<dataDir>/results/`. */
  dataDir: string;
  /** Jobs executing at once. */
  concurrency: number;
  /** Execution duration of a job that asks for none (seconds). */
  defaultDuration: number;
  /** Longest execution duration allowed (seconds); longer requests are clamped. */
  maxDuration: number;
  /** Days from creation to destruction, and the latest destruction allowed. */
  destructionDays: number;
  kinds?: JobKind[];
  /** Longest sleep of the reaper between checks (ms). */
  reapIntervalMs?: number;
  /**
   * This process's id in vodax.instances, when several vodax processes may share the database:
   * jobs claimed here carry it; only jobs of processes that are gone are taken for interrupted;
   * changes made by other processes are heard (WAIT, ABORT, deletion, newly queued jobs).
   * Without it the engine takes itself for the only one.
   */
  instanceId?: string;
  /** How often (ms) to look for jobs of processes that are gone (with instanceId; default 5000). */
  recoverIntervalMs?: number;
}

/** A job in progress in this process. */
interface Execution {
  controller: AbortController;
  /** Why the signal was aborted, once it was. */
  reason: 'abort' | 'timeout' | 'deleted' | 'shutdown' | null;
  done: Promise<void>;
  progress: number;
}

/** The reason given to an aborted signal: says which of the engine's stops it was. */
class StopRequest extends Error {}

/** A change the job's phase no longer allows (409). */
export class PhaseConflictError extends ConflictError {}

/** The job engine. Create, `start()`, use, `stop()`. */
export class JobEngine {
  readonly store: JobStore;
  readonly files: JobFiles;
  private readonly kinds = new Map<string, JobKind>();
  private readonly executions = new Map<string, Execution>();
  private readonly events = new EventEmitter();
  private readonly reaper: Reaper;
  private started = false;
  private stopping = false;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private listener: Listener | null = null;
  private recoverTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: EngineOptions) {
    this.store = new JobStore(options.db);
    this.files = new JobFiles(options.dataDir);
    this.events.setMaxListeners(0);
    for (const k of options.kinds ?? []) this.registerKind(k);
    this.reaper = new Reaper(
      {
        reapDue: () => this.reapDue(),
        nextDestruction: () => this.store.nextDestruction(),
        onError: (e) => options.log.error('job reaper failed', { error: e }),
      },
      options.reapIntervalMs,
    );
  }

  /** Add a kind of job; its QUEUED jobs start running. */
  registerKind(kind: JobKind): void {
    if (this.kinds.has(kind.name)) throw new Error(`job kind '${kind.name}' is registered twice`);
    this.kinds.set(kind.name, kind);
    if (this.started) this.pump();
  }

  /** True when a kind of this name is registered. */
  hasKind(name: string): boolean {
    return this.kinds.has(name);
  }

  /** The kind of this name (throws when unknown). */
  kind(name: string): JobKind {
    const k = this.kinds.get(name);
    if (!k) throw new Error(`no job kind '${name}'`);
    return k;
  }

  /**
   * Recover and begin: jobs left EXECUTING by a dead process become ERROR, folders without a
   * job are removed, due jobs are destroyed, QUEUED jobs start.
   */
  async start(): Promise<void> {
    if (this.started) return;
    await this.recoverInterrupted();
    await this.removeOrphanFolders();
    this.started = true;
    this.stopping = false;
    await this.reaper.start();
    if (this.options.instanceId) {
      this.listener = listen(this.options.db, JOBS_CHANNEL, { onPayload: (p) => this.heard(p), onReconnect: () => this.pump() }, this.options.log);
      await this.listener.ready;
      // A sibling that dies leaves its jobs EXECUTING: they are ended here without waiting for a restart.
      const every = this.options.recoverIntervalMs ?? 5000;
      this.recoverTimer = setInterval(() => void this.recoverInterrupted().catch((e: unknown) => this.options.log.error('job recovery failed', { error: e })), every);
      this.recoverTimer.unref();
    }
    this.pump();
  }

  /** Jobs left EXECUTING by a process that is gone (any, without instanceId) become ERROR. */
  private async recoverInterrupted(): Promise<void> {
    const interrupted = await this.store.failInterrupted(INTERRUPTED_MESSAGE, this.options.instanceId !== undefined);
    for (const id of interrupted) await this.files.clearResults(id);
    if (interrupted.length) this.options.log.warn('jobs interrupted by the end of their server set to ERROR', { jobs: interrupted.length });
  }

  /** A change announced by the database ('<id> <phase>' or '<id> DELETED'), made here or by another process. */
  private heard(payload: string): void {
    const [id, what] = payload.split(' ');
    if (!id || !what) return;
    this.events.emit(id, what);
    const ex = this.executions.get(id);
    if (ex && what === 'ABORTED') this.signal(ex, 'abort');
    else if (ex && what === 'DELETED') this.signal(ex, 'deleted');
    else if (what === 'QUEUED') this.pump();
  }

  /**
   * Stop: no new executions; running jobs are stopped and put back in the queue (they run
   * again at the next start); waits for them at most `graceMs`.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    this.started = false;
    if (this.recoverTimer) clearInterval(this.recoverTimer);
    this.recoverTimer = null;
    await this.listener?.close();
    this.listener = null;
    await this.reaper.stop();
    await this.pumping;
    const ids = [...this.executions.keys()];
    for (const ex of this.executions.values()) this.signal(ex, 'shutdown');
    const all = Promise.all([...this.executions.values()].map((e) => e.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (ids.length) {
      await this.store.requeue(ids);
      for (const id of ids) await this.files.clearResults(id);
    }
    this.events.removeAllListeners();
  }

  /** A fresh job id, for a caller that receives uploads before creating the job. */
  newId(): string {
    return newJobId();
  }

  /** Create a PENDING job (its folder exists afterwards), or a QUEUED one when asked to run it at once. */
  async create(input: {
    id?: string;
    kind: string;
    owner: string | null;
    runId?: string | null;
    parameters: JobParameters;
    executionDuration?: number;
    destruction?: Date;
    run?: boolean;
    /** The base URL of the creating request (or PUBLIC_URL), kept for the links its results carry. */
    baseUrl?: string | null;
  }): Promise<JobView> {
    const kind = this.kind(input.kind);
    kind.validate?.(input.parameters);
    const id = input.id ?? newJobId();
    if (!isSafeName(id)) throw new BadRequestError('invalid job id');
    const now = Date.now();
    // To run at once, the folder comes first: the job may be claimed as soon as it is inserted.
    if (input.run) await this.files.create(id);
    const job = await this.store.insert({
      id,
      kind: kind.name,
      owner: input.owner,
      runId: input.runId ?? null,
      executionDuration: this.clampDuration(input.executionDuration ?? this.options.defaultDuration),
      destruction: this.clampDestruction(input.destruction ?? new Date(now + this.options.destructionDays * 86_400_000), new Date(now)),
      parameters: input.parameters,
      baseUrl: input.baseUrl ?? null,
      phase: input.run ? 'QUEUED' : 'PENDING',
    }).catch(async (e: unknown) => {
      if (input.run) await this.files.remove(id).catch(() => {});
      throw e;
    });
    if (!input.run) await this.files.create(id);
    this.reaper.notice(job.destruction);
    if (input.run) {
      this.emitPhase(job);
      this.pump();
    }
    return job;
  }

  /** The job, or null. */
  get(id: string): Promise<JobView | null> {
    return isSafeName(id) ? this.store.get(id) : Promise.resolve(null);
  }

  /** An owner's jobs, newest first, filtered. */
  list(filter: ListFilter): Promise<JobRef[]> {
    return this.store.list(filter);
  }

  /** Progress in [0, 1] of a job running here, or null. */
  progress(id: string): number | null {
    return this.executions.get(id)?.progress ?? null;
  }

  /** Replace the named parameters of a PENDING job (409 in any other phase). */
  async setParameters(id: string, params: JobParameters): Promise<JobView> {
    const job = await this.mustGet(id);
    if (Object.keys(params).length === 0) return job;
    if (job.phase !== 'PENDING') throw new PhaseConflictError(`parameters can change only while the job is PENDING; it is ${job.phase}`);
    this.kinds.get(job.kind)?.validate?.({ ...job.parameters, ...params });
    const updated = await this.store.setParameters(id, params);
    if (!updated) throw new PhaseConflictError('parameters can change only while the job is PENDING');
    return updated;
  }

  /** Set the run id of a job. */
  async setRunId(id: string, runId: string): Promise<void> {
    await this.mustGet(id);
    await this.store.setRunId(id, runId);
  }

  /** Set the execution duration of a PENDING job, clamped to the maximum; 0 asks for the maximum. */
  async setExecutionDuration(id: string, seconds: number): Promise<JobView> {
    const job = await this.mustGet(id);
    if (job.phase !== 'PENDING') throw new PhaseConflictError(`the execution duration can change only while the job is PENDING; it is ${job.phase}`);
    const updated = await this.store.setExecutionDuration(id, this.clampDuration(seconds));
    if (!updated) throw new PhaseConflictError('the execution duration can change only while the job is PENDING');
    return updated;
  }

  /** Set the destruction time, clamped to the latest allowed. */
  async setDestruction(id: string, at: Date): Promise<void> {
    await this.mustGet(id);
    const clamped = this.clampDestruction(at, new Date());
    await this.store.setDestruction(id, clamped);
    this.reaper.notice(clamped);
  }

  /** PHASE=RUN: a PENDING (or HELD) job is queued; QUEUED/EXECUTING stay; a finished job is a 409. */
  async run(id: string): Promise<JobView> {
    const job = await this.mustGet(id);
    if (job.phase === 'PENDING' || job.phase === 'HELD') {
      const queued = await this.store.transition(id, ['PENDING', 'HELD'], 'QUEUED');
      if (queued) {
        this.emitPhase(queued);
        this.pump();
        return queued;
      }
      return this.mustGet(id);
    }
    if (job.phase === 'QUEUED' || job.phase === 'EXECUTING') return job;
    throw new PhaseConflictError(`the job is ${job.phase}; it cannot run again`);
  }

  /** PHASE=ABORT: a job not yet finished becomes ABORTED; a running one is stopped (waited for ≤ 1 s). */
  async abort(id: string): Promise<JobView> {
    const job = await this.mustGet(id);
    if ((FINAL_PHASES as Phase[]).includes(job.phase)) return job;
    const aborted = await this.store.transition(id, ['PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED', 'UNKNOWN'], 'ABORTED');
    const ex = this.executions.get(id);
    if (ex) {
      this.signal(ex, 'abort');
      await waitAtMost(ex.done, 1000);
    }
    if (aborted) this.emitPhase(aborted);
    return (await this.store.get(id)) ?? job;
  }

  /** Delete a job and its folder (stopping it if it runs); false when there was no such job. */
  async delete(id: string): Promise<boolean> {
    if (!isSafeName(id)) return false;
    const existed = await this.store.delete(id);
    const ex = this.executions.get(id);
    if (ex) {
      // The runner may still write: the folder goes once it has stopped.
      this.signal(ex, 'deleted');
      await waitAtMost(ex.done, 1000);
    } else {
      await this.files.remove(id);
    }
    if (existed) this.events.emit(id, 'DELETED');
    return existed;
  }

  /**
   * Resolve when the job's phase is no longer `phase`, after `ms`, or when `signal` aborts,
   * whichever comes first. Listens before it looks, so no change is missed.
   */
  async waitForChange(id: string, phase: Phase, ms: number, signal?: AbortSignal): Promise<void> {
    let done!: () => void;
    const changed = new Promise<void>((resolve) => (done = resolve));
    const onPhase = (p: string) => {
      if (p !== phase) done();
    };
    this.events.on(id, onPhase);
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    try {
      const now = await this.store.phaseOf(id);
      if (now !== phase) return;
      await changed;
    } finally {
      clearTimeout(timer);
      this.events.off(id, onPhase);
      signal?.removeEventListener('abort', done);
    }
  }

  /** The absolute path of a result file of a job, or null when the result is not a file here. */
  resultFile(job: JobView, result: JobResult): string | null {
    return result.file ? this.files.resultPath(job.id, result.file) : null;
  }

  private async mustGet(id: string): Promise<JobView> {
    const job = await this.get(id);
    if (!job) throw new NotFoundError(`no job '${id}'`);
    return job;
  }

  private clampDuration(seconds: number): number {
    if (!Number.isInteger(seconds) || seconds < 0) throw new BadRequestError(`EXECUTIONDURATION must be an integer number of seconds >= 0, got ${seconds}`);
    return seconds === 0 ? this.options.maxDuration : Math.min(seconds, this.options.maxDuration);
  }

  private clampDestruction(at: Date, now: Date): Date {
    if (Number.isNaN(at.getTime())) throw new BadRequestError('DESTRUCTION must be an ISO 8601 time');
    const latest = now.getTime() + this.options.destructionDays * 86_400_000;
    return new Date(Math.min(at.getTime(), latest));
  }

  private emitPhase(job: { id: string; phase: Phase }): void {
    this.events.emit(job.id, job.phase);
  }

  private signal(ex: Execution, reason: NonNullable<Execution['reason']>): void {
    if (ex.reason) return;
    ex.reason = reason;
    ex.controller.abort(new StopRequest(reason));
  }

  /** Start QUEUED jobs while slots are free; one pump at a time, re-run when asked meanwhile. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        while (!this.stopping && this.started && this.executions.size < this.options.concurrency) {
          let job: JobView | null;
          try {
            job = await this.store.claimNext([...this.kinds.keys()], this.options.instanceId ?? null);
          } catch (e) {
            this.options.log.error('job queue: claiming the next job failed', { error: e });
            break;
          }
          if (!job) break;
          if (this.stopping) {
            await this.store.requeue([job.id]);
            break;
          }
          this.emitPhase(job);
          this.execute(job);
        }
      } while (this.pumpAgain && !this.stopping);
    })().finally(() => {
      this.pumping = null;
    });
  }

  /** Run one claimed job to its end, under its execution duration. */
  private execute(job: JobView): void {
    const kind = this.kinds.get(job.kind)!;
    const ex: Execution = { controller: new AbortController(), reason: null, done: Promise.resolve(), progress: 0 };
    this.executions.set(job.id, ex);
    const timer = setTimeout(() => this.signal(ex, 'timeout'), Math.min(job.executionDuration * 1000, 2 ** 31 - 1));
    ex.done = (async () => {
      let results: JobResult[] | null = null;
      let failure: unknown = null;
      try {
        await this.files.clearResults(job.id);
        results = await kind.run(job, {
          signal: ex.controller.signal,
          resultDir: this.files.dir(job.id),
          uploadDir: this.files.uploadDir(job.id),
          owner: job.owner,
          progress: (f) => {
            if (Number.isFinite(f)) ex.progress = Math.min(1, Math.max(0, f));
          },
        });
      } catch (e) {
        failure = e;
      } finally {
        clearTimeout(timer);
      }
      await this.finish(job, ex, results, failure);
    })()
      .catch((e: unknown) => this.options.log.error('job bookkeeping failed', { job: job.id, error: e }))
      .finally(() => {
        this.executions.delete(job.id);
        this.pump();
      });
  }

  /** Record how a job ended, unless ABORT, deletion or shutdown already decided. */
  private async finish(job: JobView, ex: Execution, results: JobResult[] | null, failure: unknown): Promise<void> {
    if (ex.reason === 'shutdown') return; // stop() re-queues it
    if (ex.reason === 'deleted') {
      await this.files.remove(job.id);
      return;
    }
    if (ex.reason === 'abort') {
      await this.files.clearResults(job.id);
      return;
    }
    let ended: JobView | null;
    if (ex.reason === 'timeout') {
      await this.files.clearResults(job.id);
      ended = await this.store.transition(job.id, ['EXECUTING'], 'ERROR', {
        error: {
          type: 'fatal',
          message: `execution duration of ${job.executionDuration} s exceeded: the job was stopped and its database query cancelled`,
        },
        results: [],
      });
    } else if (failure === null && results) {
      ended = await this.store.transition(job.id, ['EXECUTING'], 'COMPLETED', { results: await this.sized(job.id, results) });
    } else {
      await this.files.clearResults(job.id);
      ended = await this.store.transition(job.id, ['EXECUTING'], 'ERROR', { error: this.describe(job, failure), results: [] });
    }
    if (ended) this.emitPhase(ended);
    // Aborted between its claim and its start: nothing of the run is kept.
    else await this.files.clearResults(job.id);
  }

  /** Results with the size of their files filled in; names that could escape are refused. */
  private async sized(id: string, results: JobResult[]): Promise<JobResult[]> {
    return Promise.all(
      results.map(async (r) => {
        if (!r.file) return r;
        const p = this.files.resultPath(id, r.file);
        if (!p) throw new Error(`result file name '${r.file}' is not a plain file name`);
        const size = r.size ?? (await fs.promises.stat(p)).size;
        return { ...r, size };
      }),
    );
  }

  /** The errorSummary of a failure: the message of errors raised on purpose; a logged fault otherwise. */
  private describe(job: JobView, failure: unknown): JobError {
    if (isVodaxError(failure)) {
      return { type: failure instanceof UnavailableError ? 'transient' : 'fatal', message: failure.message };
    }
    this.options.log.error('job failed', { job: job.id, kind: job.kind, error: failure });
    return { type: 'fatal', message: 'internal error while running the job; the fault is logged' };
  }

  /** Destroy every job whose destruction time has passed, with its folder. */
  private async reapDue(): Promise<void> {
    for (const id of await this.store.deleteExpired()) {
      const ex = this.executions.get(id);
      if (ex) this.signal(ex, 'deleted');
      else await this.files.remove(id);
      this.events.emit(id, 'DELETED');
    }
  }

  /** Remove job folders that have no job row (left by a crash between the two). */
  private async removeOrphanFolders(): Promise<void> {
    const names = await this.files.folders();
    if (names.length === 0) return;
    const known = await this.store.existing(names);
    const orphans = names.filter((n) => !known.has(n));
    for (const n of orphans) await fs.promises.rm(path.join(this.files.root, n), { recursive: true, force: true });
    if (orphans.length) this.options.log.warn('removed job folders without a job', { folders: orphans.length });
  }
}

/** An engine with the limits of a configuration (not started). */
export function engineFromConfig(config: Config, db: Database, log: Logger, kinds: JobKind[], instanceId?: string): JobEngine {
  return new JobEngine({
    instanceId,
    db,
    log,
    dataDir: config.dataDir,
    concurrency: config.limits.concurrentQueries,
    defaultDuration: config.limits.asyncDefaultDuration,
    maxDuration: config.limits.asyncMaxDuration,
    destructionDays: config.limits.destructionDays,
    kinds,
  });
}

/** Wait for `p`, but no longer than `ms`. */
async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
