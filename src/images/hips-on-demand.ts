/**
 * HiPS built by the server: the quick one on first start (the sample's r-band coadd, before
 * listening), and any other image or catalogue HiPS on the first request for it, in the
 * background. One object per running server holds the state: builds (image and catalogue HiPS
 * alike) run one at a time, in the order asked for, never two of the same HiPS; a failure is
 * logged and answered until a retry is allowed; stop() aborts the build under way (a full build
 * leaves nothing behind) and waits for it. A `vodax hips` build of the same HiPS in another
 * process is waited for (the build lock, hips-lock.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../storage/database.js';
import type { Logger } from '../log.js';
import { buildHips, hipsId, hipsRoot, hipsTargets, type HipsBuildOptions, type HipsBuildResult, type HipsTarget } from './hips-build.js';
import { buildCatalogHips, catalogHipsRoot, type CatalogHipsOptions, type CatalogHipsResult, type CatalogHipsTarget } from './hips-catalog-build.js';

/** The HiPS `npm start` builds on first start, before listening (about 5 s on the sample data). */
export const FIRST_START_HIPS: HipsTarget = { level: 'L2', collection: 'DR1', kind: 'deepCoadd', band: 'r', owner: null };

/** The command that builds the HiPS of the image collections (all of them, or one). */
export function hipsBuildCommand(t?: HipsTarget): string {
  if (!t) return 'npm run vodax -- hips build';
  return `npm run vodax -- hips build --level ${t.level} --collection ${t.collection} --kind ${t.kind}${t.band ? ` --filter ${t.band}` : ''}${t.owner ? ` --owner ${t.owner}` : ''}`;
}

/** A HiPS's name as the command line and logs give it: L2/DR1/deepCoadd/r (L3: level/owner:collection/...). */
export function hipsName(t: HipsTarget): string {
  return `${t.level}/${t.owner ? `${t.owner}:` : ''}${t.collection}/${t.kind}${t.band ? `/${t.band}` : ''}`;
}

/** The command that builds the catalogue HiPS of a table. */
export function catalogHipsBuildCommand(t: CatalogHipsTarget): string {
  return `npm run vodax -- hips catalog --level ${t.level} --db ${t.database} --table ${t.table}`;
}

/** A catalogue HiPS's name as logs give it: L2/DC_W13_Stripe82/Object. */
export function catalogHipsName(t: CatalogHipsTarget): string {
  return `${t.level}/${t.database}/${t.table}`;
}

/** True when the HiPS has been built (its properties file exists). */
export function isHipsBuilt(dataDir: string, t: HipsTarget): boolean {
  try {
    return fs.existsSync(path.join(hipsRoot(dataDir, t), 'properties'));
  } catch {
    return false;
  }
}

/** Where a HiPS asked for stands. */
export interface HipsBuildStatus {
  state: 'queued' | 'building' | 'failed';
  /** Builds that run before this one (0 when it is under way). */
  ahead: number;
  /** Seconds a client should wait before asking again. */
  retryAfter: number;
  /** Why the last build failed. */
  error?: string;
}

type Build = (db: Pick<Database, 'query'>, dataDir: string, t: HipsTarget, options: HipsBuildOptions) => Promise<HipsBuildResult>;
type CatalogBuild = (db: Database, dataDir: string, t: CatalogHipsTarget, options: CatalogHipsOptions) => Promise<CatalogHipsResult>;

/** A build asked for: of an image HiPS or a catalogue HiPS. */
interface Job {
  /** What logs call it: 'HiPS' or 'catalogue HiPS'. */
  what: string;
  /** Its name in logs: L2/DR1/deepCoadd/r. */
  name: string;
  /** Builds it; resolves to what the log line of its end adds. */
  build: (options: { signal: AbortSignal; onWait: (pid: number) => void }) => Promise<Record<string, unknown>>;
  /** Order of the request: builds run by it. */
  seq: number;
  state: 'queued' | 'building' | 'failed';
  error?: string;
  failedAt?: number;
}

/** Options of the server's HiPS builds. */
export interface HipsOnDemandOptions {
  /** Seconds one HiPS build is expected to take (Retry-After); default 6. */
  secondsPerBuild?: number;
  /** Seconds after a failure before a request starts the build again; default 60. */
  retryFailedAfter?: number;
  /** The build function (tests); default buildHips. */
  build?: Build;
  /** The catalogue build function (tests); default buildCatalogHips. */
  buildCatalog?: CatalogBuild;
}

/** The HiPS builds of one running server. */
export class HipsOnDemand {
  private readonly jobs = new Map<string, Job>();
  private readonly abort = new AbortController();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private nextSeq = 0;
  private readonly secondsPerBuild: number;
  private readonly retryFailedAfterMs: number;
  private readonly build: Build;
  private readonly buildCatalog: CatalogBuild;

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly log: Logger,
    options: HipsOnDemandOptions = {},
  ) {
    this.secondsPerBuild = options.secondsPerBuild ?? 6;
    this.retryFailedAfterMs = (options.retryFailedAfter ?? 60) * 1000;
    this.build = options.build ?? buildHips;
    this.buildCatalog = options.buildCatalog ?? buildCatalogHips;
  }

  /**
   * On first start (the sample images just registered): builds FIRST_START_HIPS unless it exists,
   * and logs one line naming the command that builds the rest (which are otherwise built on
   * first request). Does nothing when there are no such images; a failure is logged, not thrown.
   */
  async firstStart(): Promise<void> {
    const all = await hipsTargets(this.db);
    const quick = all.find((t) => hipsId(t) === hipsId(FIRST_START_HIPS));
    if (!quick) return;
    const others = all.filter((t) => t !== quick && !isHipsBuilt(this.dataDir, t)).length;
    const rest = others > 0 ? `; the other ${others} HiPS are built on first request (a 503 with Retry-After until ready), or all now with \`${hipsBuildCommand()}\`` : '';
    if (isHipsBuilt(this.dataDir, quick)) return;
    const t0 = Date.now();
    try {
      const r = await this.build(this.db, this.dataDir, quick, { signal: this.abort.signal });
      this.log.info(`HiPS ${hipsName(quick)} built (first start)${rest}`, { tiles: r.tilesWritten, seconds: (Date.now() - t0) / 1000 });
    } catch (e) {
      // Not fatal: the server starts, and builds it on the first request for it.
      this.log.error(`HiPS ${hipsName(quick)} could not be built on first start; it is built on the first request for it, or run \`${hipsBuildCommand(quick)}\``, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Starts building a HiPS that is not built (unless it is already queued, under way, or failed recently) and says where it stands. */
  request(target: HipsTarget): HipsBuildStatus {
    return this.enqueue(`image ${hipsId(target)}`, 'HiPS', hipsName(target), async (o) => {
      // Asked for while an earlier build of it was ending (the caller saw it unbuilt): nothing to do.
      if (isHipsBuilt(this.dataDir, target)) return { mode: 'unchanged', tiles: 0 };
      const r = await this.build(this.db, this.dataDir, target, o);
      return { mode: r.mode, tiles: r.tilesWritten };
    });
  }

  /** The same for the catalogue HiPS of a table (the caller has checked the caller may see the table). */
  requestCatalog(target: CatalogHipsTarget): HipsBuildStatus {
    return this.enqueue(`catalog ${catalogHipsName(target)}`, 'catalogue HiPS', catalogHipsName(target), async (o) => {
      if (fs.existsSync(path.join(catalogHipsRoot(this.dataDir, target), 'properties'))) return { rows: 0, tiles: 0 };
      const r = await this.buildCatalog(this.db, this.dataDir, target, o);
      return { rows: r.rows, tiles: r.tiles };
    });
  }

  private enqueue(key: string, what: string, name: string, build: Job['build']): HipsBuildStatus {
    const job = this.jobs.get(key);
    if (job && (job.state !== 'failed' || Date.now() - job.failedAt! < this.retryFailedAfterMs)) return this.statusOf(key, job);
    if (this.stopped) return { state: 'failed', ahead: 0, retryAfter: 10, error: 'the server is stopping' };
    const fresh: Job = { what, name, build, seq: this.nextSeq++, state: 'queued' };
    this.jobs.set(key, fresh);
    this.chain = this.chain.then(() => this.run(key, fresh));
    return this.statusOf(key, fresh);
  }

  /** Aborts the build under way, drops those queued, and waits until nothing runs. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.chain;
  }

  private statusOf(key: string, job: Job): HipsBuildStatus {
    if (job.state === 'failed') return { state: 'failed', ahead: 0, retryAfter: Math.max(1, Math.ceil((this.retryFailedAfterMs - (Date.now() - job.failedAt!)) / 1000)), error: job.error };
    let ahead = 0;
    for (const [k, j] of this.jobs) if (k !== key && j.state !== 'failed' && j.seq < job.seq) ahead++;
    return { state: job.state, ahead, retryAfter: Math.max(2, Math.ceil(this.secondsPerBuild * (ahead + 1))) };
  }

  private async run(key: string, job: Job): Promise<void> {
    if (this.stopped) {
      this.jobs.delete(key);
      return;
    }
    job.state = 'building';
    const { what, name } = job;
    const t0 = Date.now();
    this.log.info(`building the ${what} ${name} (first request for it)`, { hips: name });
    try {
      const onWait = (pid: number) => this.log.info(`${what} ${name}: process ${pid} is building it; this build waits for it`, { hips: name, pid });
      const r = await job.build({ signal: this.abort.signal, onWait });
      this.jobs.delete(key);
      this.log.info(`${what} ${name} built`, { hips: name, ...r, seconds: (Date.now() - t0) / 1000 });
    } catch (e) {
      if (this.abort.signal.aborted) {
        this.jobs.delete(key);
        this.log.info(`${what} build of ${name} stopped (server stopping)`, { hips: name });
        return;
      }
      job.state = 'failed';
      job.error = e instanceof Error ? e.message : String(e);
      job.failedAt = Date.now();
      this.log.error(`${what} build of ${name} failed`, { hips: name, error: job.error, stack: e instanceof Error ? e.stack : undefined });
    }
  }
}
