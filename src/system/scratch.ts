/**
 * Scratch files (upload spools, row spools, image temporaries) live under DATA_DIR/tmp in
 * folders and files whose names carry the process id of their owner, so that a starting server
 * can remove what a dead one left behind (a crash, a kill -9) without touching the scratch of
 * another live vodax sharing the same DATA_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from './processes.js';

/** The scratch folder under a DATA_DIR. */
export function scratchRoot(dataDir: string): string {
  return path.join(dataDir, 'tmp');
}

/** A name prefix for mkdtemp or a file, owned by this process: `${kind}-${pid}-`. */
export function scratchPrefix(kind: string): string {
  return `${kind}-${process.pid}-`;
}

const OWNED = /^[a-z0-9]+(?:-[a-z0-9]+)*?-(\d+)-/i;

/**
 * Remove the scratch entries under `root` whose owning process is gone (and entries of the old,
 * pid-less naming, which no live server writes any more). Answers the names removed.
 */
export async function sweepScratch(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = OWNED.exec(name);
    const pid = m ? Number(m[1]) : null;
    if (pid !== null && (pid === process.pid || isAlive(pid))) continue;
    await fs.promises.rm(path.join(root, name), { recursive: true, force: true }).then(
      () => removed.push(name),
      () => {
        /* still in use or not ours to remove: left for a later start */
      },
    );
  }
  return removed;
}
