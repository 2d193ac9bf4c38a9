/** SQL over `vodax.jobs`: every read and every phase change of the job engine. */
import type { Database } from '../storage/database.js';
import type { JobError, JobParameters, JobResult, JobView, Phase } from './job-model.js';

/** A row of vodax.jobs as pg returns it. */
interface JobRow extends Record<string, unknown> {
  id: string;
  kind: string;
  owner: string | null;
  run_id: string | null;
  phase: Phase;
  created: Date;
  started: Date | null;
  ended: Date | null;
  execution_duration: number;
  destruction: Date;
  quote: Date | null;
  parameters: JobParameters;
  error: JobError | null;
  results: JobResult[];
  base_url: string | null;
}

const COLUMNS = 'id, kind, owner, run_id, phase, created, started, ended, execution_duration, destruction, quote, parameters, error, results, base_url';

/** The view of a row. */
function toView(r: JobRow): JobView {
  return {
    id: r.id,
    kind: r.kind,
    owner: r.owner,
    runId: r.run_id,
    phase: r.phase,
    created: r.created,
    started: r.started,
    ended: r.ended,
    executionDuration: r.execution_duration,
    destruction: r.destruction,
    quote: r.quote,
    parameters: r.parameters,
    error: r.error,
    results: r.results,
    baseUrl: r.base_url,
  };
}

/** A job as it is created. */
export interface NewJob {
  id: string;
  kind: string;
  owner: string | null;
  runId: string | null;
  executionDuration: number;
  destruction: Date;
  parameters: JobParameters;
  baseUrl: string | null;
  /** QUEUED: created to run at once (PHASE=RUN), in one statement. */
  phase: 'PENDING' | 'QUEUED';
}

/** One entry of a job list. */
export interface JobRef {
  id: string;
  phase: Phase;
  runId: string | null;
  owner: string | null;
  created: Date;
}

/** Filters of a job list (UWS 1.1 section 2.2.2.1). */
export interface ListFilter {
  owner: string;
  kinds: string[];
  phases?: Phase[];
  after?: Date;
  last?: number;
}

/** Persistence of jobs; one instance per engine. */
export class JobStore {
  constructor(private readonly db: Database) {}

  /** Insert a PENDING job. */
  async insert(job: NewJob): Promise<JobView> {
    const [row] = await this.db.query<JobRow>(
      `INSERT INTO vodax.jobs (id, kind, owner, run_id, phase, execution_duration, destruction, parameters, base_url)
       VALUES ($1, $2, $3, $4, $9, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [job.id, job.kind, job.owner, job.runId, job.executionDuration, job.destruction, JSON.stringify(job.parameters), job.baseUrl, job.phase],
    );
    return toView(row!);
  }

  /** The job with this id, or null. */
  async get(id: string): Promise<JobView | null> {
    const [row] = await this.db.query<JobRow>(`SELECT ${COLUMNS} FROM vodax.jobs WHERE id = $1`, [id]);
    return row ? toView(row) : null;
  }

  /** The current phase of a job, or null when it is gone. */
  async phaseOf(id: string): Promise<Phase | null> {
    const [row] = await this.db.query<{ phase: Phase }>('SELECT phase FROM vodax.jobs WHERE id = $1', [id]);
    return row?.phase ?? null;
  }

  /** An owner's jobs, newest first, filtered; ARCHIVED only when asked for by phase. */
  async list(f: ListFilter): Promise<JobRef[]> {
    const params: unknown[] = [f.owner, f.kinds];
    const where = ['owner = $1', 'kind = ANY($2)'];
    if (f.phases && f.phases.length > 0) {
      params.push(f.phases);
      where.push(`phase = ANY($${params.length})`);
    } else {
      where.push(`phase <> 'ARCHIVED'`);
    }
    if (f.after) {
      params.push(f.after);
      where.push(`created > $${params.length}`);
    }
    let limit = '';
    if (f.last !== undefined) {
      params.push(f.last);
      limit = `LIMIT $${params.length}`;
    }
    const rows = await this.db.query<{ id: string; phase: Phase; run_id: string | null; owner: string | null; created: Date }>(
      `SELECT id, phase, run_id, owner, created FROM vodax.jobs WHERE ${where.join(' AND ')} ORDER BY created DESC, id DESC ${limit}`,
      params,
    );
    return rows.map((r) => ({ id: r.id, phase: r.phase, runId: r.run_id, owner: r.owner, created: r.created }));
  }

  /** Move a job from one of `from` to `to`; null when it was in none of them (or is gone). */
  async transition(id: string, from: readonly Phase[], to: Phase, extra: { error?: JobError; results?: JobResult[] } = {}): Promise<JobView | null> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE vodax.jobs SET phase = $3,
         started = CASE WHEN $3 = 'EXECUTING' THEN now() ELSE started END,
         ended = CASE WHEN $3 IN ('COMPLETED', 'ERROR', 'ABORTED') THEN now() ELSE ended END,
         error = COALESCE($4::jsonb, error),
         results = COALESCE($5::jsonb, results)
       WHERE id = $1 AND phase = ANY($2) RETURNING ${COLUMNS}`,
      [id, from, to, extra.error ? JSON.stringify(extra.error) : null, extra.results ? JSON.stringify(extra.results) : null],
    );
    return row ? toView(row) : null;
  }

  /**
   * Take the oldest QUEUED job of one of `kinds` and mark it EXECUTING by `runner` (an instance
   * id); null when none waits. SKIP LOCKED: processes claiming at once each get another job.
   */
  async claimNext(kinds: string[], runner: string | null = null): Promise<JobView | null> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE vodax.jobs SET phase = 'EXECUTING', started = now(), runner = $2
       WHERE id = (SELECT id FROM vodax.jobs WHERE phase = 'QUEUED' AND kind = ANY($1)
                   ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [kinds, runner],
    );
    return row ? toView(row) : null;
  }

  /** Put EXECUTING jobs back in the queue (clean shutdown): they run again from the start. */
  async requeue(ids: string[]): Promise<void> {
    await this.db.query(`UPDATE vodax.jobs SET phase = 'QUEUED', started = NULL, runner = NULL WHERE id = ANY($1) AND phase = 'EXECUTING'`, [ids]);
  }

  /**
   * Jobs left EXECUTING by a process that died become ERROR; returns their ids. With
   * `onlyGoneRunners`, only those whose runner has no row in vodax.instances (the instances keep
   * the rows of live processes, see storage/instance.ts); otherwise every EXECUTING job.
   */
  async failInterrupted(message: string, onlyGoneRunners = false): Promise<string[]> {
    const gone = onlyGoneRunners ? `AND (runner IS NULL OR NOT EXISTS (SELECT 1 FROM vodax.instances i WHERE i.id = runner))` : '';
    const rows = await this.db.query<{ id: string }>(
      `UPDATE vodax.jobs SET phase = 'ERROR', ended = now(), results = '[]'::jsonb, error = $1::jsonb
       WHERE phase = 'EXECUTING' ${gone} RETURNING id`,
      [JSON.stringify({ type: 'transient', message } satisfies JobError)],
    );
    return rows.map((r) => r.id);
  }

  /** Replace the named parameters of a PENDING job; null when the job is not PENDING. */
  async setParameters(id: string, params: JobParameters): Promise<JobView | null> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE vodax.jobs SET parameters = parameters || $2::jsonb WHERE id = $1 AND phase = 'PENDING' RETURNING ${COLUMNS}`,
      [id, JSON.stringify(params)],
    );
    return row ? toView(row) : null;
  }

  /** Set the run id (any phase). */
  async setRunId(id: string, runId: string): Promise<void> {
    await this.db.query('UPDATE vodax.jobs SET run_id = $2 WHERE id = $1', [id, runId]);
  }

  /** Set the execution duration of a PENDING job; null when it is not PENDING. */
  async setExecutionDuration(id: string, seconds: number): Promise<JobView | null> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE vodax.jobs SET execution_duration = $2 WHERE id = $1 AND phase = 'PENDING' RETURNING ${COLUMNS}`,
      [id, seconds],
    );
    return row ? toView(row) : null;
  }

  /** Set the destruction time. */
  async setDestruction(id: string, at: Date): Promise<void> {
    await this.db.query('UPDATE vodax.jobs SET destruction = $2 WHERE id = $1', [id, at]);
  }

  /** Delete a job row; true when it existed. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM vodax.jobs WHERE id = $1 RETURNING id', [id]);
    return rows.length > 0;
  }

  /** Delete every job whose destruction time has passed; returns their ids. */
  async deleteExpired(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>('DELETE FROM vodax.jobs WHERE destruction <= now() RETURNING id');
    return rows.map((r) => r.id);
  }

  /** The earliest destruction time of any job, or null when there are none. */
  async nextDestruction(): Promise<Date | null> {
    const [row] = await this.db.query<{ at: Date | null }>('SELECT min(destruction) AS at FROM vodax.jobs');
    return row?.at ?? null;
  }

  /** Which of these ids have a job row. */
  async existing(ids: string[]): Promise<Set<string>> {
    const rows = await this.db.query<{ id: string }>('SELECT id FROM vodax.jobs WHERE id = ANY($1)', [ids]);
    return new Set(rows.map((r) => r.id));
  }
}

/**
 * Insert `count` finished jobs of one owner and kind in one statement (benchmarks): phases
 * cycle through COMPLETED, ERROR, ABORTED, PENDING; creation times one second apart.
 */
export async function insertManyJobs(db: Database, count: number, owner: string, kind: string): Promise<void> {
  await db.query(
    `INSERT INTO vodax.jobs (id, kind, owner, phase, created, execution_duration, destruction, parameters)
     SELECT 'bench' || g || '_' || md5(random()::text), $2, $3,
            (ARRAY['COMPLETED','ERROR','ABORTED','PENDING'])[1 + g % 4],
            now() - make_interval(secs => $1 - g), 600, now() + interval '1 day', '{"query":["SELECT 1"]}'::jsonb
     FROM generate_series(1, $1::int) AS g`,
    [count, kind, owner],
  );
}
