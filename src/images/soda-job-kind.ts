/**
 * SODA cutouts as a UWS job kind ('soda'): every dataset id with every cut (region x band x
 * time), one result each, in that order. A cut that has no pixels, or an id that names no image
 * the owner may see, still gets its result: a text/plain file starting with the SODA error label
 * `Error` (SODA 1.0 section 6). The parameters are read by the protocol's own reader, given by
 * the composition root (this layer does not know the IVOA face).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import { NotFoundError } from '../errors.js';
import type { JobKind, JobResult } from '../jobs/job-model.js';
import { RequestParams } from '../params/request-params.js';
import { imageOfDatasetId } from './dataset-id.js';
import type { ImageRecord } from './image-catalog.js';
import type { ImageFormat } from './image-request.js';
import { imageAnswer } from './image-service.js';
import { planRegionCut, type RegionCut } from './region-cutout.js';
import { resultFileName, writeAnswerFile } from './answer-file.js';

/** Name of the job kind. */
export const SODA_JOB_KIND = 'soda';

/** What a SODA job cuts: each id with each cut, in one format. */
export interface SodaJob {
  ids: string[];
  cuts: RegionCut[];
  format: ImageFormat;
}

/** The 'soda' job kind; `read` turns a job's parameters into its work (400 on bad ones). */
export function sodaJobKind(db: Database, config: Config, read: (params: RequestParams) => SodaJob): JobKind {
  return {
    name: SODA_JOB_KIND,
    validate(params) {
      read(RequestParams.fromRecord(params));
    },
    async run(job, ctx) {
      const work = read(RequestParams.fromRecord(job.parameters));
      const total = work.ids.length * work.cuts.length;
      const results: JobResult[] = [];
      let done = 0;
      const note = async (n: number, text: string): Promise<void> => {
        const file = `${n}-no-result.txt`;
        await fs.promises.writeFile(path.join(ctx.resultDir, file), `${text}\n`, { signal: ctx.signal });
        results.push({ id: `cutout-${n}`, file, mimeType: 'text/plain' });
      };
      for (const id of work.ids) {
        let image: ImageRecord | NotFoundError;
        try {
          image = await imageOfDatasetId(db, id, { user: ctx.owner });
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
          image = e;
        }
        for (const cut of work.cuts) {
          ctx.signal.throwIfAborted();
          const n = ++done;
          if (image instanceof NotFoundError) {
            await note(n, `Error: NotFoundFault: ${image.message}`);
            continue;
          }
          const plan = planRegionCut(image, cut, work.format);
          if (plan.noOverlap !== null) {
            await note(n, `Error: NoOverlap: ${plan.noOverlap}`);
            continue;
          }
          const answer = await imageAnswer(config.dataDir, image, plan.request, { signal: ctx.signal });
          const file = `${n}-${resultFileName(answer.filename)}`;
          await writeAnswerFile(answer, path.join(ctx.resultDir, file), ctx.signal, (f) => ctx.progress((n - 1 + f) / total));
          results.push({ id: `cutout-${n}`, file, mimeType: answer.type });
        }
      }
      return results;
    },
  };
}
