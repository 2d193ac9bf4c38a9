/**
 * The UWS 1.1 REST binding, generic over job kinds: mounted once per service at its async
 * base (TAP: /db/v0/tap/async; SODA: /image/v0/soda/async).
 */
import { callerOf } from '../../auth/middleware.js';
import fs from 'node:fs';
import Router from '@koa/router';
import type { Context } from 'koa';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { baseUrl } from '../../http/base-url.js';
import type { JobEngine } from '../../jobs/job-engine.js';
import { DEFAULT_PARAM_LIMITS, readUwsParams, type ParamLimits } from '../../http/request/uws-body-reader.js';
import { ACTIVE_PHASES, isPhase, type JobError, type JobParameters, type JobResult, type JobView, type Phase } from '../../jobs/job-model.js';
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
  limits?: Partial<ParamLimits>;
}

/** Parameters UWS itself interprets; every other parameter belongs to the job. */
const CONTROL = new Set(['phase', 'action', 'runid', 'executionduration', 'destruction']);


/** The single value of a control parameter, or undefined; repeated values must agree. */
function single(params: JobParameters, name: string): string | undefined {
  const v = params[name];
  if (!v || v.length === 0) return undefined;
  if (new Set(v).size > 1) throw new BadRequestError(`parameter ${name.toUpperCase()} given more than once with different values`);
  return v[0];
}

/** Split control parameters from job parameters. */
function split(params: JobParameters): { control: JobParameters; job: JobParameters } {
  const control: JobParameters = {};
  const job: JobParameters = {};
  for (const [k, v] of Object.entries(params)) (CONTROL.has(k) ? control : job)[k] = v;
  return { control, job };
}

/** An integer number of seconds. */
function seconds(raw: string, name: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new BadRequestError(`${name} must be an integer number of seconds, got '${raw}'`);
  return Number(raw);
}

/** An ISO 8601 time; one without a zone is UTC (DALI). */
function isoTime(raw: string, name: string): Date {
  const s = raw.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) {
    throw new BadRequestError(`${name} must be an ISO 8601 time, got '${raw}'`);
  }
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(s) || !s.includes(':') ? s : `${s}Z`;
  const d = new Date(zoned.length === 10 ? `${zoned}T00:00:00Z` : zoned);
  if (Number.isNaN(d.getTime())) throw new BadRequestError(`${name} must be an ISO 8601 time, got '${raw}'`);
  return d;
}

/** A UWS phase named in a request (case-insensitive). */
function phaseParam(raw: string): Phase {
  const p = raw.trim().toUpperCase();
  if (!isPhase(p)) throw new BadRequestError(`PHASE must be a UWS phase, got '${raw}'`);
  return p;
}

/** The UWS routes under `base` over `engine`. */
export function uwsRoutes(base: string, engine: JobEngine, options: UwsRouteOptions): Router {
  const kinds = options.listKinds ?? [options.kind];
  const maxWait = options.maxWaitSeconds ?? 60;
  const limits: ParamLimits = { ...DEFAULT_PARAM_LIMITS, ...options.limits };
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

  /** The job named in the path, if the caller may see it; 404 otherwise (another user's job too). */
  const visibleJob = async (ctx: Context): Promise<JobView> => {
    const id = ctx.params.id!;
    const job = await engine.get(id);
    if (!job || !kinds.includes(job.kind) || (job.owner !== null && job.owner !== callerOf(ctx))) {
      throw new NotFoundError(`no job '${id}'`);
    }
    return job;
  };

  /** Apply UWS control and job parameters to an existing job, in a sensible order. */
  const apply = async (job: JobView, params: JobParameters, uploaded: { commit(): Promise<void> }) => {
    const { control, job: jobParams } = split(params);
    const runId = single(control, 'runid');
    if (runId !== undefined) await engine.setRunId(job.id, runId);
    if (Object.keys(jobParams).length > 0) await engine.setParameters(job.id, jobParams);
    await uploaded.commit();
    const duration = single(control, 'executionduration');
    if (duration !== undefined) await engine.setExecutionDuration(job.id, seconds(duration, 'EXECUTIONDURATION'));
    const destruction = single(control, 'destruction');
    if (destruction !== undefined) await engine.setDestruction(job.id, isoTime(destruction, 'DESTRUCTION'));
    const phase = single(control, 'phase');
    if (phase !== undefined) {
      const p = phase.trim().toUpperCase();
      if (p === 'RUN') await engine.run(job.id);
      else if (p === 'ABORT') await engine.abort(job.id);
      else throw new BadRequestError(`PHASE must be RUN or ABORT, got '${phase}'`);
    }
  };

  /** Read a request's parameters; uploads go to a staging folder of the job, committed on success. */
  const readWithUploads = async (ctx: Context, id: string, allowFiles: boolean) => {
    let staging: Promise<string> | null = null;
    const fileDir = allowFiles ? () => (staging ??= engine.files.staging(id)) : undefined;
    const discard = async () => {
      if (staging) await fs.promises.rm(await staging, { recursive: true, force: true });
    };
    try {
      const { params } = await readUwsParams(ctx, limits, fileDir);
      return {
        params,
        uploaded: {
          commit: async () => {
            if (staging) await engine.files.commitStaging(id, await staging);
            staging = null;
          },
          discard,
        },
      };
    } catch (e) {
      await discard().catch(() => {});
      throw e;
    }
  };

  // The job list (UWS 1.1 section 2.2.2.1): the caller's own jobs; anonymous jobs are listed to no one.
  r.get('/', async (ctx) => {
    const q = new URLSearchParams(ctx.querystring);
    const get = (name: string) => [...q.entries()].filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
    const phases = get('phase').map(phaseParam);
    const afters = get('after').map((a) => isoTime(a, 'AFTER'));
    const lasts = get('last');
    let last: number | undefined;
    if (lasts.length > 0) {
      last = Number(lasts[lasts.length - 1]);
      if (!Number.isInteger(last) || last < 1) throw new BadRequestError(`LAST must be a positive integer, got '${lasts[lasts.length - 1]}'`);
    }
    const after = afters.length ? new Date(Math.max(...afters.map((d) => d.getTime()))) : undefined;
    const owner = callerOf(ctx);
    const jobs = owner === null ? [] : await engine.list({ owner, kinds, phases, after, last });
    ctx.type = UWS_XML_TYPE;
    ctx.body = jobListXml(jobs, (id) => jobUrl(ctx, id));
  });

  // Creating a job: PENDING, or QUEUED at once with PHASE=RUN; 303 to it.
  r.post('/', async (ctx) => {
    const id = engine.newId();
    const { params, uploaded } = await readWithUploads(ctx, id, true);
    let created = false;
    try {
      const { control, job: jobParams } = split(params);
      const phase = single(control, 'phase');
      if (phase !== undefined && phase.trim().toUpperCase() !== 'RUN') throw new BadRequestError(`PHASE at creation must be RUN, got '${phase}'`);
      const duration = single(control, 'executionduration');
      const destruction = single(control, 'destruction');
      if (single(control, 'action') !== undefined) throw new BadRequestError('ACTION applies to an existing job');
      await engine.create({
        id,
        kind: options.kind,
        owner: callerOf(ctx),
        runId: single(control, 'runid') ?? null,
        parameters: jobParams,
        executionDuration: duration === undefined ? undefined : seconds(duration, 'EXECUTIONDURATION'),
        destruction: destruction === undefined ? undefined : isoTime(destruction, 'DESTRUCTION'),
      });
      created = true;
      await uploaded.commit();
      if (phase !== undefined) await engine.run(id);
    } catch (e) {
      await uploaded.discard().catch(() => {});
      if (created) await engine.delete(id).catch(() => {});
      else await engine.files.remove(id).catch(() => {});
      throw e;
    }
    seeOther(ctx, jobUrl(ctx, id));
  });

  // The job resource, optionally blocking (WAIT) until its phase changes.
  r.get('/:id', async (ctx) => {
    let job = await visibleJob(ctx);
    const q = new URLSearchParams(ctx.querystring);
    const value = (name: string) => [...q.entries()].find(([k]) => k.toLowerCase() === name)?.[1];
    const waitRaw = value('wait');
    if (waitRaw !== undefined) {
      const n = seconds(waitRaw, 'WAIT');
      const wait = n < 0 ? maxWait : Math.min(n, maxWait);
      const phaseRaw = value('phase');
      const expected = phaseRaw === undefined ? undefined : phaseParam(phaseRaw);
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
        job = await visibleJob(ctx);
      }
    }
    ctx.type = UWS_XML_TYPE;
    ctx.body = jobXml(job, resultUrl(ctx, job), { progress: job.phase === 'EXECUTING' ? engine.progress(job.id) : null });
  });

  // Changing a job: parameters (while PENDING), RUNID, EXECUTIONDURATION, DESTRUCTION, PHASE, ACTION=DELETE.
  r.post('/:id', async (ctx) => {
    const job = await visibleJob(ctx);
    const { params, uploaded } = await readWithUploads(ctx, job.id, job.phase === 'PENDING');
    try {
      const action = single(params, 'action');
      if (action !== undefined) {
        if (action.trim().toUpperCase() !== 'DELETE') throw new BadRequestError(`ACTION must be DELETE, got '${action}'`);
        await uploaded.discard();
        await engine.delete(job.id);
        seeOther(ctx, listUrl(ctx));
        return;
      }
      await apply(job, params, uploaded);
    } catch (e) {
      await uploaded.discard().catch(() => {});
      throw e;
    }
    seeOther(ctx, jobUrl(ctx, job.id));
  });

  r.delete('/:id', async (ctx) => {
    const job = await visibleJob(ctx);
    await engine.delete(job.id);
    seeOther(ctx, listUrl(ctx));
  });

  r.get('/:id/phase', async (ctx) => text(ctx, (await visibleJob(ctx)).phase));
  r.post('/:id/phase', async (ctx) => {
    const job = await visibleJob(ctx);
    const { params } = await readUwsParams(ctx, limits);
    const phase = single(params, 'phase');
    if (phase === undefined) throw new BadRequestError('PHASE=RUN or PHASE=ABORT is required');
    await apply(job, { phase: [phase] }, { commit: async () => {} });
    seeOther(ctx, jobUrl(ctx, job.id));
  });

  r.get('/:id/executionduration', async (ctx) => text(ctx, String((await visibleJob(ctx)).executionDuration)));
  r.post('/:id/executionduration', async (ctx) => {
    const job = await visibleJob(ctx);
    const { params } = await readUwsParams(ctx, limits);
    const v = single(params, 'executionduration');
    if (v === undefined) throw new BadRequestError('EXECUTIONDURATION is required');
    await engine.setExecutionDuration(job.id, seconds(v, 'EXECUTIONDURATION'));
    seeOther(ctx, jobUrl(ctx, job.id));
  });

  r.get('/:id/destruction', async (ctx) => text(ctx, uwsTime((await visibleJob(ctx)).destruction)));
  r.post('/:id/destruction', async (ctx) => {
    const job = await visibleJob(ctx);
    const { params } = await readUwsParams(ctx, limits);
    const v = single(params, 'destruction');
    if (v === undefined) throw new BadRequestError('DESTRUCTION is required');
    await engine.setDestruction(job.id, isoTime(v, 'DESTRUCTION'));
    seeOther(ctx, jobUrl(ctx, job.id));
  });

  r.get('/:id/error', async (ctx) => {
    const job = await visibleJob(ctx);
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
    const job = await visibleJob(ctx);
    text(ctx, job.quote ? uwsTime(job.quote) : '');
  });
  r.get('/:id/owner', async (ctx) => text(ctx, (await visibleJob(ctx)).owner ?? ''));
  r.get('/:id/runId', async (ctx) => text(ctx, (await visibleJob(ctx)).runId ?? ''));

  r.get('/:id/parameters', async (ctx) => {
    const job = await visibleJob(ctx);
    ctx.type = UWS_XML_TYPE;
    ctx.body = parametersXml(job.parameters, true);
  });
  r.post('/:id/parameters', async (ctx) => {
    const job = await visibleJob(ctx);
    const { params, uploaded } = await readWithUploads(ctx, job.id, job.phase === 'PENDING');
    try {
      await apply(job, params, uploaded);
    } catch (e) {
      await uploaded.discard().catch(() => {});
      throw e;
    }
    seeOther(ctx, jobUrl(ctx, job.id));
  });

  r.get('/:id/results', async (ctx) => {
    const job = await visibleJob(ctx);
    ctx.type = UWS_XML_TYPE;
    ctx.body = resultsXml(job.results, resultUrl(ctx, job), true);
  });

  // A result: its file streamed with its content type, or a redirect to where it lives.
  r.get('/:id/results/:rid', async (ctx) => {
    const job = await visibleJob(ctx);
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
