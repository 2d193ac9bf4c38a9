/**
 * The UWS 1.1 REST binding, generic over job kinds: mounted once per service at its async
 * base (TAP: /db/v0/tap/async; SODA: /image/v0/soda/async).
 */
import fs from 'node:fs';
import Router from '@koa/router';
import type { Context } from 'koa';
import { callerOf } from '../../auth/middleware.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { baseUrl } from '../../http/base-url.js';
import { queryParams, readRequest, type RequestLimits } from '../../http/request/read-request.js';
import { parseInteger, parseIsoTime, parseOneOf, RequestParams } from '../../params/request-params.js';
import type { JobEngine } from '../../jobs/job-engine.js';
import { submitJob, updateJob, visibleJob } from '../../jobs/job-submission.js';
import { StagedUploads } from '../../jobs/job-uploads.js';
import { ACTIVE_PHASES, PHASES, type JobError, type JobResult, type JobView } from '../../jobs/job-model.js';
import { UWS_XML_TYPE, jobListXml, jobXml, parametersXml, resultsXml, uwsTime } from './job-documents.js';

/** How a UWS binding is mounted. */
export interface UwsRouteOptions {
  /** Kind of the jobs created here. */
  kind: string;
  /** Kinds listed and reachable here (default: just `kind`). */
  listKinds?: string[];
  /** PUBLIC_URL, or null to derive links from the request. */
  publicUrl: string | null;
  /** Longest blocking WAIT, in seconds. */
  maxWaitSeconds?: number;
  /** The `/error` document of a failed job (TAP: a DALI error document); text/plain of the message without. */
  errorDocument?: (error: JobError) => { type: string; body: string };
  /** What one request may carry (requestLimitsOf the configuration). */
  limits: RequestLimits;
}

/** The UWS routes under `base` over `engine`. */
export function uwsRoutes(base: string, engine: JobEngine, options: UwsRouteOptions): Router {
  const kinds = options.listKinds ?? [options.kind];
  const maxWait = options.maxWaitSeconds ?? 60;
  const limits = options.limits;
  const r = new Router({ prefix: base });

  const listUrl = (ctx: Context) => `${baseUrl(ctx, options.publicUrl)}${base}`;
  const jobUrl = (ctx: Context, id: string) => `${listUrl(ctx)}/${encodeURIComponent(id)}`;
  const resultUrl = (ctx: Context, job: JobView) => (res: JobResult) =>
    res.href ?? `${jobUrl(ctx, job.id)}/results/${encodeURIComponent(res.id)}`;
  const seeOther = (ctx: Context, url: string) => {
    ctx.redirect(url);
    ctx.status = 303;
  };
  const text = (ctx: Context, body: string) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = body;
  };
  const jobOf = (ctx: Context): Promise<JobView> => visibleJob(engine, ctx.params.id!, callerOf(ctx), kinds);

  /**
   * Read a request for job `id`, its files (when `allowFiles`) staged for the job; the staged
   * files are removed if reading or `use` fails.
   */
  const withRequest = async <T>(ctx: Context, id: string, allowFiles: boolean, use: (params: RequestParams, uploads: StagedUploads) => Promise<T>): Promise<T> => {
    const uploads = new StagedUploads(engine.files, id);
    try {
      const params = await readRequest(ctx, limits, allowFiles ? { onFile: (part) => uploads.save(part) } : {});
      return await use(params, uploads);
    } catch (e) {
      await uploads.discard();
      throw e;
    }
  };

  // The job list (UWS 1.1 section 2.2.2.1): the caller's own jobs; anonymous jobs are listed to no one.
  r.get('/', async (ctx) => {
    // PHASE repeats (any of them); of several AFTER the latest counts, of several LAST the last.
    const q = queryParams(ctx);
    const phases = q.all('phase').map((p) => parseOneOf('PHASE', p, PHASES, { caseInsensitive: true }));
    const afters = q.all('after').map((a) => parseIsoTime('AFTER', a));
    const lasts = q.all('last');
    const last = lasts.length > 0 ? parseInteger('LAST', lasts[lasts.length - 1]!, { min: 1 }) : undefined;
    const after = afters.length ? new Date(Math.max(...afters.map((d) => d.getTime()))) : undefined;
    const owner = callerOf(ctx);
    const jobs = owner === null ? [] : await engine.list({ owner, kinds, phases, after, last });
    ctx.type = UWS_XML_TYPE;
    ctx.body = jobListXml(jobs, (id) => jobUrl(ctx, id));
  });

  // Creating a job: PENDING, or QUEUED at once with PHASE=RUN; 303 to it. Without files it is
  // stored QUEUED in one statement; files must reach its folder before it may run.
  r.post('/', async (ctx) => {
    const id = engine.newId();
    try {
      await withRequest(ctx, id, true, (params, uploads) =>
        submitJob(engine, { id, kind: options.kind, owner: callerOf(ctx), params, baseUrl: baseUrl(ctx, options.publicUrl), created: uploads.staged ? () => uploads.commit() : undefined }),
      );
    } catch (e) {
      // The files of a request that failed while being read had a job folder made for them.
      await engine.files.remove(id).catch(() => {});
      throw e;
    }
    seeOther(ctx, jobUrl(ctx, id));
  });

  // The job resource, optionally blocking (WAIT) until its phase changes.
  r.get('/:id', async (ctx) => {
    let job = await jobOf(ctx);
    const q = queryParams(ctx);
    const n = q.seconds('WAIT');
    if (n !== undefined) {
      const wait = n < 0 ? maxWait : Math.min(n, maxWait);
      const expected = q.oneOf('PHASE', PHASES, { caseInsensitive: true });
      const blocks = ACTIVE_PHASES.includes(job.phase) && (expected === undefined || expected === job.phase);
      if (blocks && wait > 0) {
        const gone = new AbortController();
        const onClose = () => gone.abort();
        ctx.res.once('close', onClose);
        try {
          await engine.waitForChange(job.id, job.phase, wait * 1000, gone.signal);
        } finally {
          ctx.res.off('close', onClose);
        }
        job = await jobOf(ctx);
      }
    }
    ctx.type = UWS_XML_TYPE;
    ctx.body = jobXml(job, resultUrl(ctx, job), { progress: job.phase === 'EXECUTING' ? engine.progress(job.id) : null });
  });

  // Changing a job: parameters (while PENDING), RUNID, EXECUTIONDURATION, DESTRUCTION, PHASE, ACTION=DELETE.
  r.post('/:id', async (ctx) => {
    const job = await jobOf(ctx);
    const deleted = await withRequest(ctx, job.id, job.phase === 'PENDING', async (params, uploads) => {
      if (params.oneOf('ACTION', ['DELETE'] as const, { caseInsensitive: true }) === undefined) {
        await updateJob(engine, job, params, () => uploads.commit());
        return false;
      }
      await uploads.discard();
      await engine.delete(job.id);
      return true;
    });
    seeOther(ctx, deleted ? listUrl(ctx) : jobUrl(ctx, job.id));
  });

  r.delete('/:id', async (ctx) => {
    const job = await jobOf(ctx);
    await engine.delete(job.id);
    seeOther(ctx, listUrl(ctx));
  });

  /** POST to a child resource holding one control parameter: it alone is applied, and required. */
  const controlResource = (name: 'PHASE' | 'EXECUTIONDURATION' | 'DESTRUCTION', required: string) =>
    r.post(`/:id/${name.toLowerCase()}`, async (ctx) => {
      const job = await jobOf(ctx);
      const value = (await readRequest(ctx, limits)).single(name);
      if (value === undefined) throw new BadRequestError(`${required} is required`);
      await updateJob(engine, job, RequestParams.fromEntries([[name, value]]));
      seeOther(ctx, jobUrl(ctx, job.id));
    });

  r.get('/:id/phase', async (ctx) => text(ctx, (await jobOf(ctx)).phase));
  controlResource('PHASE', 'PHASE=RUN or PHASE=ABORT');
  r.get('/:id/executionduration', async (ctx) => text(ctx, String((await jobOf(ctx)).executionDuration)));
  controlResource('EXECUTIONDURATION', 'EXECUTIONDURATION');
  r.get('/:id/destruction', async (ctx) => text(ctx, uwsTime((await jobOf(ctx)).destruction)));
  controlResource('DESTRUCTION', 'DESTRUCTION');

  r.get('/:id/error', async (ctx) => {
    const job = await jobOf(ctx);
    if (!job.error) return text(ctx, '');
    const doc = options.errorDocument?.(job.error);
    if (doc) {
      ctx.type = doc.type;
      ctx.body = doc.body;
    } else {
      text(ctx, job.error.detail ? `${job.error.message}\n\n${job.error.detail}` : job.error.message);
    }
  });

  r.get('/:id/quote', async (ctx) => {
    const job = await jobOf(ctx);
    text(ctx, job.quote ? uwsTime(job.quote) : '');
  });
  r.get('/:id/owner', async (ctx) => text(ctx, (await jobOf(ctx)).owner ?? ''));
  r.get('/:id/runId', async (ctx) => text(ctx, (await jobOf(ctx)).runId ?? ''));

  r.get('/:id/parameters', async (ctx) => {
    const job = await jobOf(ctx);
    ctx.type = UWS_XML_TYPE;
    ctx.body = parametersXml(job.parameters, true);
  });
  r.post('/:id/parameters', async (ctx) => {
    const job = await jobOf(ctx);
    await withRequest(ctx, job.id, job.phase === 'PENDING', (params, uploads) => updateJob(engine, job, params, () => uploads.commit()));
    seeOther(ctx, jobUrl(ctx, job.id));
  });

  r.get('/:id/results', async (ctx) => {
    const job = await jobOf(ctx);
    ctx.type = UWS_XML_TYPE;
    ctx.body = resultsXml(job.results, resultUrl(ctx, job), true);
  });

  // A result: its file streamed with its content type, or a redirect to where it lives.
  r.get('/:id/results/:rid', async (ctx) => {
    const job = await jobOf(ctx);
    const result = job.results.find((x) => x.id === ctx.params.rid);
    if (!result) throw new NotFoundError(`job '${job.id}' has no result '${ctx.params.rid}'`);
    const file = engine.resultFile(job, result);
    if (!file) {
      if (!result.href) throw new NotFoundError(`result '${result.id}' is not available`);
      seeOther(ctx, result.href);
      return;
    }
    const stat = await fs.promises.stat(file).catch(() => null);
    if (!stat?.isFile()) throw new NotFoundError(`the file of result '${result.id}' is gone`);
    ctx.type = result.mimeType;
    ctx.length = stat.size;
    ctx.body = fs.createReadStream(file);
  });

  return r;
}
