/**
 * Files a request sends for a job: written to a staging folder inside the job's folder while
 * the request is read, moved into its uploads once the request has been applied, removed if it
 * fails. Each file is named by its form field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BadRequestError } from '../errors.js';
import type { UploadPart } from '../params/upload-part.js';
import { isSafeName, type JobFiles } from './job-files.js';

/** The files one request uploads for one job. */
export class StagedUploads {
  #staging: Promise<string> | null = null;

  constructor(
    private readonly files: JobFiles,
    private readonly id: string,
  ) {}

  /** Write a file part to the staging folder (created on the first). */
  async save(part: UploadPart): Promise<void> {
    const name = part.field;
    if (!isSafeName(name) || name === 'uploads') {
      part.stream.resume();
      throw new BadRequestError(`upload part name '${name}' must be letters, digits, '.', '_' or '-'`);
    }
    const dir = await (this.#staging ??= this.files.staging(this.id));
    await pipeline(part.stream, fs.createWriteStream(path.join(dir, name)));
  }

  /** Whether a file was staged (then the job may run only once they are committed). */
  get staged(): boolean {
    return this.#staging !== null;
  }

  /** Move the staged files into the job's uploads. */
  async commit(): Promise<void> {
    const staging = this.#staging;
    this.#staging = null;
    if (staging) await this.files.commitStaging(this.id, await staging);
  }

  /** Remove the staged files; never fails. */
  async discard(): Promise<void> {
    const staging = this.#staging;
    this.#staging = null;
    if (!staging) return;
    try {
      await fs.promises.rm(await staging, { recursive: true, force: true });
    } catch {
      // A staging folder never made, or already gone.
    }
  }
}
