/**
 * A DALI sync query endpoint (TAP sync, SIA query, SCS): read the request, turn it into a TAP
 * query, answer the result streamed. An answer not streamed to its end (client gone, HEAD, an
 * error) cancels the query; the database side then releases its connection by itself, whoever
 * still holds the stream. HEAD checks the query and runs nothing.
 */
import type { Context } from 'koa';
import { callerOf } from '../../auth/middleware.js';
import { readRequest, requestLimitsOf } from '../../http/request/read-request.js';
import { afterResponse } from '../../http/after-response.js';
import { answerBody } from '../../http/answer-body.js';
import { baseUrl } from '../../http/base-url.js';
import type { RequestParams } from '../../params/request-params.js';
import type { UploadPart } from '../../params/upload-part.js';
import { checkTapQuery, runTapQuery, type TapQuery, type TapQueryServices } from '../../query/run-tap-query.js';
import { UploadSpool } from '../../query/uploads.js';
import { scratchRoot } from '../../system/scratch.js';

/** What an endpoint makes of its request: the TAP query to run. */
export type ToTapQuery = (params: RequestParams, ctx: Context) => TapQuery | Promise<TapQuery>;

/** A Koa handler answering the query `toQuery` reads; `uploads`: multipart file parts are spooled (TAP UPLOAD). */
export function queryEndpoint(services: TapQueryServices, toQuery: ToTapQuery, options: { uploads?: boolean } = {}) {
  const { config } = services;
  return async (ctx: Context): Promise<void> => {
    const requestDate = new Date();
    const spool = new UploadSpool(scratchRoot(config.dataDir));
    const abort = new AbortController();
    let complete = false;
    ctx.res.once('close', () => {
      if (!complete) abort.abort();
    });
    try {
      const onFile = options.uploads ? (part: UploadPart) => spool.save(part) : undefined;
      const params = await readRequest(ctx, requestLimitsOf(config.limits), { onFile });
      const query = await toQuery(params, ctx);
      const run = { spool, viewer: callerOf(ctx), baseUrl: baseUrl(ctx, config.publicUrl), signal: abort.signal, timeoutMs: config.limits.syncTimeout * 1000, requestDate };
      if (ctx.method === 'HEAD') {
        ctx.status = 200;
        ctx.type = (await checkTapQuery(services, query, run)).contentType;
        return;
      }
      const { format, body } = await runTapQuery(services, query, run);
      ctx.status = 200;
      ctx.type = format.contentType;
      ctx.body = await answerBody(body, () => {
        complete = true;
      });
    } finally {
      // Only now is no part still being written to the spool (the reader waits for them).
      afterResponse(ctx, () => spool.dispose());
    }
  };
}
