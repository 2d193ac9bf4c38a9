/**
 * A TAP query as a UWS job: submitted with PHASE=RUN, its phase polled until it ends, aborted on
 * request, then its result (asked for as JSON) or its error document read.
 */
import { TAP, call, errorOf, parseJsonTable, serviceError, tapParams, type QueryRequest, type ResultTable } from './api.js';

const ENDED = new Set(['COMPLETED', 'ERROR', 'ABORTED']);
const POLL_MS = 400;

/** A submitted job: its URL, and the phase as it was last seen. */
export interface AsyncJob {
  url: string;
  phase: string;
}

/** Create and start a job; its URL is where the 303 after the POST leads. */
export async function submitJob(q: QueryRequest): Promise<AsyncJob> {
  const body = tapParams(q, 'json');
  body.set('PHASE', 'RUN');
  const res = await call(`${TAP}/async`, { method: 'POST', body });
  if (!res.ok) throw await errorOf(res);
  // fetch followed the 303 to the job itself; its URL is the job's.
  return { url: res.url.replace(/[?#].*$/, ''), phase: 'QUEUED' };
}

/** The job's phase now. */
export async function phaseOf(job: AsyncJob): Promise<string> {
  const res = await call(`${job.url}/phase`);
  if (!res.ok) throw await errorOf(res);
  return (await res.text()).trim();
}

/** Ask the service to abort the job (UWS: PHASE=ABORT posted to its phase). */
export async function abortJob(job: AsyncJob): Promise<void> {
  const res = await call(`${job.url}/phase`, { method: 'POST', body: new URLSearchParams({ PHASE: 'ABORT' }) });
  if (!res.ok) throw await errorOf(res);
}

/** Poll until the job ends, telling `onPhase` each phase seen; the final phase. */
export async function waitForJob(job: AsyncJob, onPhase: (phase: string) => void, stopped: () => boolean): Promise<string> {
  for (;;) {
    job.phase = await phaseOf(job);
    onPhase(job.phase);
    if (ENDED.has(job.phase) || stopped()) return job.phase;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The finished job's result table. */
export async function jobResult(job: AsyncJob): Promise<ResultTable> {
  const res = await call(`${job.url}/results/result`);
  if (!res.ok) throw await errorOf(res);
  return parseJsonTable(await res.text());
}

/** Why the job failed: its error document's message, with the ADQL position when it has one. */
export async function jobError(job: AsyncJob): Promise<Error> {
  const res = await call(`${job.url}/error`);
  const e = await errorOf(res);
  return serviceError(e.message, res.status);
}
