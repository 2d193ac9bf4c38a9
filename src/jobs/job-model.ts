/** The vocabulary of the UWS job engine: phases, jobs as seen by runners and routes, job kinds. */

/** UWS 1.1 execution phases (ExecutionPhase in UWS.xsd). */
export const PHASES = ['PENDING', 'QUEUED', 'EXECUTING', 'COMPLETED', 'ERROR', 'ABORTED', 'UNKNOWN', 'HELD', 'SUSPENDED', 'ARCHIVED'] as const;

/** One UWS execution phase. */
export type Phase = (typeof PHASES)[number];

/** Phases in which a job may still change by itself or by a RUN: WAIT blocks only in these. */
export const ACTIVE_PHASES: readonly Phase[] = ['PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED'];

/** Phases a job never leaves (except by destruction). */
export const FINAL_PHASES: readonly Phase[] = ['COMPLETED', 'ERROR', 'ABORTED', 'ARCHIVED'];

/** True when `s` names a UWS phase. */
export function isPhase(s: string): s is Phase {
  return (PHASES as readonly string[]).includes(s);
}

/** Job parameters: lower-cased names, each with its values in the order given. */
export type JobParameters = Record<string, string[]>;

/**
 * One result of a job: a file the runner wrote in its result folder (`file`, a plain name), or
 * a link elsewhere (`href`). `id` is what clients see: `results/<id>`.
 */
export interface JobResult {
  id: string;
  file?: string;
  href?: string;
  mimeType: string;
  size?: number;
}

/** Why a job failed: the UWS errorSummary, with an optional longer text for `/error`. */
export interface JobError {
  type: 'fatal' | 'transient';
  message: string;
  detail?: string;
}

/** A job as stored: what routes render and runners read. */
export interface JobView {
  id: string;
  kind: string;
  owner: string | null;
  runId: string | null;
  phase: Phase;
  created: Date;
  started: Date | null;
  ended: Date | null;
  /** Seconds the job may run (never 0: the engine always bounds it). */
  executionDuration: number;
  destruction: Date;
  quote: Date | null;
  parameters: JobParameters;
  error: JobError | null;
  results: JobResult[];
  /** The base URL of the request that created the job (or PUBLIC_URL): links its results carry start with it. */
  baseUrl: string | null;
}

/** What the engine gives a runner. */
export interface RunContext {
  /** Aborted on ABORT, on an exceeded execution duration, on deletion and on shutdown. */
  signal: AbortSignal;
  /** Folder the runner writes its result files into (exists, empty but for `uploads/`). */
  resultDir: string;
  /** Folder holding the files uploaded with the job (multipart parts, by part name). */
  uploadDir: string;
  owner: string | null;
  /** Report progress in [0, 1]; shown in jobInfo while the job runs. */
  progress(fraction: number): void;
}

/** One kind of asynchronous work ('tap', 'soda', 'image'): how to check and run its jobs. */
export interface JobKind {
  name: string;
  /** Check parameters when they are set (throw BadRequestError on bad ones). */
  validate?(params: JobParameters): void;
  /** Run the job: write result files under ctx.resultDir (streaming), honour ctx.signal. */
  run(job: JobView, ctx: RunContext): Promise<JobResult[]>;
}
