/**
 * TAP asynchronous queries as a job kind: the same use case as sync (runTapQuery), the result
 * streamed to a file in the job folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RequestParams } from '../params/request-params.js';
import { readTapQuery, runTapQuery, type TapQueryServices } from './run-tap-query.js';
import { UploadSpool } from './uploads.js';
import { joinUnder } from '../auth/safe-path.js';
import { scratchRoot } from '../system/scratch.js';
import type { JobKind } from '../jobs/job-model.js';

/** The 'tap' job kind over the server's database, catalogs and service limits. */
export function tapJobKind(services: TapQueryServices): JobKind {
  const { config } = services;
  return {
    name: 'tap',
    // No validate(): TAP accepts any job (303) and reports bad parameters as the job's ERROR.
    async run(job, ctx) {
      const params = RequestParams.fromRecord(job.parameters);
      const spool = new UploadSpool(scratchRoot(config.dataDir));
      try {
        const query = readTapQuery(params, config.limits);
        for (const req of query.uploads) {
          if (req.part === undefined) continue;
          const file = joinUnder(ctx.uploadDir, req.part);
          if (fs.existsSync(file)) spool.use(req.part, file); // else openUploads names the missing part
        }
        const { format, body } = await runTapQuery(services, query, {
          spool,
          viewer: ctx.owner,
          baseUrl: job.baseUrl,
          signal: ctx.signal,
          timeoutMs: job.executionDuration * 1000,
          requestDate: job.created,
        });
        const file = `result.${format.format.extension}`;
        await pipeline(Readable.from(body), fs.createWriteStream(path.join(ctx.resultDir, file)), { signal: ctx.signal });
        return [{ id: 'result', file, mimeType: format.contentType }];
      } finally {
        await spool.dispose();
      }
    },
  };
}
