/** An image answer written to a job's result folder, with its progress: for the image and SODA job kinds. */
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageAnswer } from './image-service.js';

/** A result file name the job folder accepts: the answer's own name, made safe. */
export function resultFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '');
  return (safe === '' || safe === 'uploads' ? 'result' : safe).slice(-120);
}

/** Write `answer` to `target`, telling `progress` the fraction written; `signal` stops the writing. */
export async function writeAnswerFile(answer: ImageAnswer, target: string, signal: AbortSignal, progress: (fraction: number) => void): Promise<void> {
  if (Buffer.isBuffer(answer.body)) {
    await fs.promises.writeFile(target, answer.body, { signal });
    progress(1);
    return;
  }
  let written = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      progress(answer.length > 0 ? written / answer.length : 0);
      done(null, chunk);
    },
  });
  await pipeline(answer.body, counted, fs.createWriteStream(target), { signal });
  progress(1);
}
