/**
 * Asynchronous image work on the LSST image face (SPEC section 4): a POST of any image request
 * (whole image I6-I7, cutout I8-I12, coadd cutout by tract/patch/filter or position) is checked
 * as the GET would be, becomes a running 'image' job, and answers 303 See Other to
 * /image/v0/{job}. The job's v0 resources: I2 `{job}/explain`, I3 `{job}/status`, I4
 * `{job}/results`; the job itself and the rest of UWS (phase, WAIT, ABORT, DELETE, the result
 * files) come from the UWS binding mounted at /image/v0.
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import { NotFoundError } from '../errors.js';
import { callerOf } from '../auth/middleware.js';
import { baseUrl } from '../http/base-url.js';
import { readRequest, requestLimitsOf } from '../http/request/read-request.js';
import { RequestParams } from '../params/request-params.js';
import { ImageCatalog } from '../images/image-catalog.js';
import { explainImageJob, IMAGE_JOB_KIND } from '../images/image-job-kind.js';
import { formatOf, imageIdOf, imageJobOf, imageJobParams } from '../images/image-request.js';
import { findImage, planImage } from '../images/image-service.js';
import type { JobEngine } from '../jobs/job-engine.js';
import { submitJob, visibleJob } from '../jobs/job-submission.js';
import { uwsRoutes } from '../ivoa/uws/uws-routes.js';
import { sendResult } from './envelope.js';

/**
 * The routers of image jobs: `submit` (POSTs below /image/v0/{level}/) and `job` (below
 * /image/v0/{job}/: the v0 resources I2-I4, which answer before the UWS binding's own).
 */
export function imageJobRoutes(config: Config, db: Database, engine: JobEngine): { submit: Router; job: Router[] } {
  const catalog = new ImageCatalog(db);
  const limits = requestLimitsOf(config.limits);
  const r = new Router();
  const resources = new Router();
  const jobUrl = (ctx: Context, id: string) => `${baseUrl(ctx, config.publicUrl)}/image/v0/${encodeURIComponent(id)}`;

  /** Check the request as its GET would be checked, then create and run the job; 303 to it. */
  const submit = async (ctx: Context, path: { level: string; collection: string; kind: string; id?: string; cutout: boolean }): Promise<void> => {
    const owner = callerOf(ctx);
    const job = await submitJob(engine, {
      kind: IMAGE_JOB_KIND,
      owner,
      params: await readRequest(ctx, limits),
      // An image request runs at once; PHASE may only be RUN.
      runAtOnce: true,
      jobParameters: async (own) => {
        if (path.id !== undefined && imageIdOf(path.id) === null) throw new NotFoundError(`no image '${path.id}' (image ids are integers)`);
        const jobParams = imageJobParams(own, path, formatOf(own, ctx.get('Accept')));
        const { target, request } = imageJobOf(jobParams);
        planImage(await findImage(catalog, target, { user: owner }), request);
        return jobParams;
      },
    });
    ctx.redirect(jobUrl(ctx, job.id));
    ctx.status = 303;
  };

  r.post('/image/v0/:level/:collection/:kind/cutout', async (ctx) => {
    const { level, collection, kind } = ctx.params as Record<string, string>;
    await submit(ctx, { level: level!, collection: collection!, kind: kind!, cutout: true });
  });
  r.post('/image/v0/:level/:collection/:kind/:id', async (ctx) => {
    const { level, collection, kind, id } = ctx.params as Record<string, string>;
    await submit(ctx, { level: level!, collection: collection!, kind: kind!, id: id!, cutout: false });
  });
  r.post('/image/v0/:level/:collection/:kind/:id/cutout', async (ctx) => {
    const { level, collection, kind, id } = ctx.params as Record<string, string>;
    await submit(ctx, { level: level!, collection: collection!, kind: kind!, id: id!, cutout: true });
  });

  /** The image job named in the path if the caller may see it; 404 otherwise (another user's job too). */
  const jobOf = (ctx: Context) => visibleJob(engine, ctx.params.job!, callerOf(ctx), [IMAGE_JOB_KIND], 'image job');

  // I2: what the job reads and writes, and how long it should take.
  resources.get('/image/v0/:job/explain', async (ctx) => {
    const job = await jobOf(ctx);
    sendResult(ctx, { job: job.id, phase: job.phase, ...(await explainImageJob(db, RequestParams.fromRecord(job.parameters), job.owner)) });
  });

  // I3: {status, startTime, progress}.
  resources.get('/image/v0/:job/status', async (ctx) => {
    const job = await jobOf(ctx);
    const progress = job.phase === 'COMPLETED' ? 1 : job.phase === 'EXECUTING' ? engine.progress(job.id) ?? 0 : 0;
    sendResult(ctx, {
      status: job.phase,
      startTime: job.started?.toISOString() ?? null,
      progress,
      ...(job.ended ? { endTime: job.ended.toISOString() } : {}),
      ...(job.error ? { error: job.error.message } : {}),
    });
  });

  // I4: the URLs of the job's results (none until it has COMPLETED).
  resources.get('/image/v0/:job/results', async (ctx) => {
    const job = await jobOf(ctx);
    sendResult(ctx, job.results.map((res) => res.href ?? `${jobUrl(ctx, job.id)}/results/${encodeURIComponent(res.id)}`));
  });

  return { submit: r, job: [resources, uwsRoutes('/image/v0', engine, { kind: IMAGE_JOB_KIND, publicUrl: config.publicUrl, limits })] };
}
