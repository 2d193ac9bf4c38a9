/**
 * A job's life cycle as requests drive it, once for every face: UWS interprets five control
 * parameters itself (PHASE, ACTION, RUNID, EXECUTIONDURATION, DESTRUCTION) and every other
 * parameter belongs to the job. The UWS binding and the LSST image jobs both create jobs here,
 * and both find the job a path names through visibleJob.
 */
import { BadRequestError, NotFoundError } from '../errors.js';
import type { RequestParams } from '../params/request-params.js';
import type { JobEngine } from './job-engine.js';
import type { JobView } from './job-model.js';

/** The parameters UWS interprets (lower-case, as stored). */
export const CONTROL_PARAMETERS: readonly string[] = ['phase', 'action', 'runid', 'executionduration', 'destruction'];

/** The control parameters of a request, checked; each absent unless given. */
export interface JobControl {
  phase?: 'RUN' | 'ABORT';
  action?: 'DELETE';
  runId?: string;
  /** Seconds. */
  executionDuration?: number;
  destruction?: Date;
}

/** Split a request's parameters into UWS control (checked: 400 when wrong) and the job's own. */
export function splitJobControl(params: RequestParams): { control: JobControl; own: RequestParams } {
  const control: JobControl = {
    phase: params.oneOf('PHASE', ['RUN', 'ABORT'] as const, { caseInsensitive: true }),
    action: params.oneOf('ACTION', ['DELETE'] as const, { caseInsensitive: true }),
    runId: params.single('RUNID'),
    executionDuration: params.seconds('EXECUTIONDURATION'),
    destruction: params.isoTime('DESTRUCTION'),
  };
  return { control, own: params.without(CONTROL_PARAMETERS) };
}

/** A request to create a job. */
export interface JobSubmission {
  kind: string;
  owner: string | null;
  /** Every parameter of the request, control parameters included. */
  params: RequestParams;
  /** An id chosen before (files received for the job before it exists). */
  id?: string;
  /** The base URL of the request (or PUBLIC_URL), kept for the links the job's results carry. */
  baseUrl?: string | null;
  /** Whether the job runs at once whatever the request says (PHASE may still only be RUN). */
  runAtOnce?: boolean;
  /** The parameters the job stores, from its own: checked (throwing 400s), completed. */
  jobParameters?: (own: RequestParams) => RequestParams | Promise<RequestParams>;
  /** Once the job exists, before it runs: the files received for it go into its folder. */
  created?: (job: JobView) => Promise<void>;
}

/**
 * Create a job: PENDING, or QUEUED at once with PHASE=RUN (or `runAtOnce`). On any failure no
 * job and no job folder remain.
 */
export async function submitJob(engine: JobEngine, submission: JobSubmission): Promise<JobView> {
  const id = submission.id ?? engine.newId();
  let created = false;
  try {
    const { control, own } = splitJobControl(submission.params);
    if (control.action !== undefined) throw new BadRequestError('ACTION applies to an existing job');
    if (control.phase !== undefined && control.phase !== 'RUN') throw new BadRequestError(`PHASE at creation must be RUN, got '${submission.params.single('PHASE')}'`);
    const parameters = submission.jobParameters ? await submission.jobParameters(own) : own;
    const runNow = control.phase === 'RUN' || submission.runAtOnce === true;
    let job = await engine.create({
      id,
      kind: submission.kind,
      owner: submission.owner,
      runId: control.runId ?? null,
      parameters: parameters.toRecord(),
      executionDuration: control.executionDuration,
      destruction: control.destruction,
      baseUrl: submission.baseUrl,
      // Queued in the same statement, unless files must reach the job folder first.
      run: runNow && !submission.created,
    });
    created = true;
    if (submission.created) {
      await submission.created(job);
      if (runNow) job = await engine.run(id);
    }
    return job;
  } catch (e) {
    if (created) await engine.delete(id).catch(() => {});
    else await engine.files.remove(id).catch(() => {});
    throw e;
  }
}

/**
 * Apply a request's control and job parameters to an existing job, in a sensible order:
 * run id, parameters (while PENDING), the files received, execution duration, destruction, and
 * last the phase. ACTION=DELETE is the caller's to act on (it answers differently).
 */
export async function updateJob(engine: JobEngine, job: JobView, params: RequestParams, received: () => Promise<void> = async () => {}): Promise<void> {
  const { control, own } = splitJobControl(params);
  if (control.runId !== undefined) await engine.setRunId(job.id, control.runId);
  if (own.size > 0) await engine.setParameters(job.id, own.toRecord());
  await received();
  if (control.executionDuration !== undefined) await engine.setExecutionDuration(job.id, control.executionDuration);
  if (control.destruction !== undefined) await engine.setDestruction(job.id, control.destruction);
  if (control.phase === 'RUN') await engine.run(job.id);
  else if (control.phase === 'ABORT') await engine.abort(job.id);
}

/** The job `id` if it is of one of `kinds` and `caller` may see it; else 404 (another user's job too). */
export async function visibleJob(engine: JobEngine, id: string, caller: string | null, kinds: readonly string[], what = 'job'): Promise<JobView> {
  const job = await engine.get(id);
  if (!job || !kinds.includes(job.kind) || (job.owner !== null && job.owner !== caller)) throw new NotFoundError(`no ${what} '${id}'`);
  return job;
}
