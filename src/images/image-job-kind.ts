/**
 * Image work as a UWS job kind ('image'): a whole image or a cutout, by id, tract/patch/filter or
 * position, in any output format. Its parameters are those of the same GET (see image-request.ts);
 * the runner calls the same core as the synchronous routes and streams the answer into the job's
 * result folder, reporting progress as bytes are written.
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import type { JobKind } from '../jobs/job-model.js';
import { ImageCatalog, type ImageRecord } from './image-catalog.js';
import { explainImageRequest, type ImageCost } from './explain.js';
import { RequestParams } from '../params/request-params.js';
import { imageJobOf } from './image-request.js';
import { findImage, imageAnswer } from './image-service.js';
import { resultFileName, writeAnswerFile } from './answer-file.js';

/** Name of the job kind. */
export const IMAGE_JOB_KIND = 'image';

/** The image a job's parameters name, as its owner may see it. */
export async function imageOfJob(db: Database, params: RequestParams, owner: string | null): Promise<ImageRecord> {
  return findImage(new ImageCatalog(db), imageJobOf(params).target, { user: owner });
}

/** The cost of an image job (I2): what it will read and write, and an estimated time. */
export async function explainImageJob(db: Database, params: RequestParams, owner: string | null): Promise<ImageCost> {
  const { request } = imageJobOf(params);
  return explainImageRequest(await imageOfJob(db, params, owner), request);
}

/** The 'image' job kind over the image table of `db` and the image store of `config.dataDir`. */
export function imageJobKind(db: Database, config: Config): JobKind {
  return {
    name: IMAGE_JOB_KIND,
    validate(params) {
      imageJobOf(RequestParams.fromRecord(params));
    },
    async run(job, ctx) {
      const params = RequestParams.fromRecord(job.parameters);
      const { request } = imageJobOf(params);
      const image = await imageOfJob(db, params, ctx.owner);
      const answer = await imageAnswer(config.dataDir, image, request, { signal: ctx.signal });
      const file = resultFileName(answer.filename);
      await writeAnswerFile(answer, path.join(ctx.resultDir, file), ctx.signal, ctx.progress);
      return [{ id: 'result', file, mimeType: answer.type }];
    },
  };
}
