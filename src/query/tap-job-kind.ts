/**
 * TAP asynchronous queries as a job kind: the same parameters, uploads, execution and
 * serializers as sync, the result streamed to a file in the job folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import type { DaliParams } from '../http/request/body-reader.js';
import { daliErrorDocument, DALI_ERROR_CONTENT_TYPE } from '../ivoa/dali/error-document.js';
import { CatalogCache } from '../catalog/query-catalog.js';
import { tapQueryParameters } from './tap-parameters.js';
import { prepareQuery } from './prepared-query.js';
import { resultStream } from './result-stream.js';
import { openUploads, parseUploadParam, UploadSpool } from './uploads.js';
import { joinUnder } from '../auth/safe-path.js';
import { scratchRoot } from '../system/scratch.js';
import type { JobKind, JobParameters } from '../jobs/job-model.js';

/** Job parameters as DALI parameters (both keep lower-case names). */
function daliParams(params: JobParameters): DaliParams {
  return new Map(Object.entries(params));
}

/** The 'tap' job kind over a database, with the service limits of `config`. */
export function tapJobKind(db: Database, config: Config): JobKind {
  const catalogs = new CatalogCache(db);
  return {
    name: 'tap',
    // No validate(): TAP accepts any job (303) and reports bad parameters as the job's ERROR.
    async run(job, ctx) {
      const params = daliParams(job.parameters);
      const tap = tapQueryParameters(params, config.limits);
      const spool = new UploadSpool(scratchRoot(config.dataDir));
      try {
        const requests = parseUploadParam(params.get('upload') ?? [], config.limits.uploadUrls);
        for (const req of requests) {
          if (req.part === undefined) continue;
          const file = joinUnder(ctx.uploadDir, req.part);
          if (fs.existsSync(file)) spool.use(req.part, file); // else openUploads names the missing part
        }
        const uploads = await openUploads(requests, spool, config.limits, ctx.signal);
        const catalog = (await catalogs.get({ user: ctx.owner })).withTables(uploads.tables);
        const prepared = prepareQuery(catalog, tap.query, tap.maxrec);
        const body = await resultStream(db, prepared, tap.format.format.writer, {
          signal: ctx.signal,
          timeoutMs: job.executionDuration * 1000,
          requestDate: job.created,
          viewer: ctx.owner,
          session: uploads.tables.length ? uploads.session : undefined,
        }, { tmpDir: scratchRoot(config.dataDir) });
        const file = `result.${tap.format.format.extension}`;
        await pipeline(
          Readable.from(body),
          fs.createWriteStream(path.join(ctx.resultDir, file)),
          { signal: ctx.signal },
        );
        return [{ id: 'result', file, mimeType: tap.format.contentType }];
      } finally {
        await spool.dispose();
      }
    },
    errorDocument: (error) => ({ type: DALI_ERROR_CONTENT_TYPE, body: daliErrorDocument(error.message) }),
  };
}
