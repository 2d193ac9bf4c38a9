/** The folders of jobs: `DATA_DIR/results/<job>/` with result files and `uploads/`. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Job ids and result file names: URL-safe, no path separators, no dot-only names. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** A new unguessable job id: 128 random bits, base64url (22 characters). */
export function newJobId(): string {
  return crypto.randomBytes(16).toString('base64url');
}

/** True when `name` can be a job id or a file name inside a job folder without escaping it. */
export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}

/** Where the job folders live, and operations on them. */
export class JobFiles {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'results');
  }

  /** The folder of a job (not created). */
  dir(id: string): string {
    if (!isSafeName(id)) throw new Error(`unsafe job id '${id}'`);
    return path.join(this.root, id);
  }

  /** The uploads folder of a job (not created). */
  uploadDir(id: string): string {
    return path.join(this.dir(id), 'uploads');
  }

  /** The path of a result file, or null when the name could escape the folder. */
  resultPath(id: string, file: string): string | null {
    return isSafeName(file) && file !== 'uploads' ? path.join(this.dir(id), file) : null;
  }

  /** Create a job's folder (and its uploads folder). */
  async create(id: string): Promise<void> {
    await fs.promises.mkdir(this.uploadDir(id), { recursive: true });
  }

  /** Remove a job's folder and everything in it. */
  async remove(id: string): Promise<void> {
    await fs.promises.rm(this.dir(id), { recursive: true, force: true });
  }

  /** Remove the result files of a job, keeping its uploads (a job about to run again, or failed). */
  async clearResults(id: string): Promise<void> {
    const dir = this.dir(id);
    const entries = await fs.promises.readdir(dir).catch(() => [] as string[]);
    await Promise.all(entries.filter((e) => e !== 'uploads').map((e) => fs.promises.rm(path.join(dir, e), { recursive: true, force: true })));
    await fs.promises.mkdir(path.join(dir, 'uploads'), { recursive: true });
  }

  /** A fresh staging folder inside a job's folder for files still being received. */
  async staging(id: string): Promise<string> {
    await this.create(id);
    return fs.promises.mkdtemp(path.join(this.dir(id), '.staging-'));
  }

  /** Move every file of a staging folder into the job's uploads, then remove the staging folder. */
  async commitStaging(id: string, staging: string): Promise<void> {
    for (const name of await fs.promises.readdir(staging)) {
      await fs.promises.rename(path.join(staging, name), path.join(this.uploadDir(id), name));
    }
    await fs.promises.rm(staging, { recursive: true, force: true });
  }

  /** Names of every job folder present. */
  async folders(): Promise<string[]> {
    const entries = await fs.promises.readdir(this.root, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }
}
