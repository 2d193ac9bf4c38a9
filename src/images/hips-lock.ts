/**
 * The build lock of a HiPS: a `vodax hips build` and a server (or two of either) building the
 * same HiPS at once would write the same tiles and swap the same folder; the second waits for
 * the first. The lock is a file beside the HiPS folder (`.{name}.lock`: a dot name, which no
 * route serves) holding the owner's pid, created atomically (a hard link of a file already
 * holding the pid, which fails when the lock exists). A lock whose process is gone (killed
 * mid-build) is taken over; so is one holding this process's pid but older than the process
 * (left by an earlier process that had the same pid, as after a container restart). Removing a
 * dead owner's lock is itself guarded by a second lock file, so that two processes taking over
 * the same stale lock cannot remove the one the first of them has just made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../system/processes.js';

/** A guard of a takeover older than this was left by a process killed between two system calls. */
const STALE_GUARD_MS = 10_000;
/** How often a waiting build looks at the lock again. */
const POLL_MS = 200;

/** The lock file of a HiPS folder. */
export function hipsLockFile(root: string): string {
  return path.join(path.dirname(root), `.${path.basename(root)}.lock`);
}

/** When this process started (ms since the epoch): a lock with our pid written before is not ours. */
function processStart(): number {
  return Date.now() - process.uptime() * 1000;
}

/** The pid a lock file names and when it was written, or null when there is no (complete) lock. */
function readLock(file: string): { pid: number; mtimeMs: number } | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const mtimeMs = fs.statSync(file).mtimeMs;
    const pid = Number(text.trim());
    return Number.isSafeInteger(pid) && pid > 0 ? { pid, mtimeMs } : { pid: 0, mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function isStale(lock: { pid: number; mtimeMs: number }): boolean {
  if (lock.pid === 0) return true; // no pid in it: not one of ours (they are whole when they appear)
  if (lock.pid === process.pid) return lock.mtimeMs < processStart();
  return !isAlive(lock.pid);
}

/** Creates `file` holding our pid, atomically; false when it exists. */
function createLock(file: string): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(tmp, `${process.pid}\n`);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Removes the lock of a dead owner, unless another process is doing so or has replaced it. */
function takeOver(file: string, stale: { pid: number; mtimeMs: number }): void {
  const guard = `${file}.takeover`;
  if (!createLock(guard)) {
    const g = readLock(guard);
    if (g && Date.now() - g.mtimeMs > STALE_GUARD_MS && isStale(g)) fs.rmSync(guard, { force: true });
    return;
  }
  try {
    // Still the lock we found stale (a new one is never the dead pid's, nor older than us)?
    const now = readLock(file);
    if (now && now.pid === stale.pid && now.mtimeMs === stale.mtimeMs) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Options of taking a lock. */
export interface LockOptions {
  /** Stops waiting (AbortError). */
  signal?: AbortSignal;
  /** Called once when the lock is held by another live process, with its pid. */
  onWait?: (pid: number) => void;
}

/** A lock held: release() removes it (only if it is still ours). */
export interface HeldLock {
  file: string;
  release(): void;
}

/** Takes the lock of a HiPS folder, waiting while another live process holds it. */
export async function lockHips(root: string, options: LockOptions = {}): Promise<HeldLock> {
  const file = hipsLockFile(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let told = false;
  for (;;) {
    // The signal only stops the waiting: a free lock is taken even after it (the build checks it itself).
    if (createLock(file)) {
      const mine = readLock(file)!;
      return {
        file,
        release: () => {
          const now = readLock(file);
          if (now && now.pid === process.pid && now.mtimeMs === mine.mtimeMs) fs.rmSync(file, { force: true });
        },
      };
    }
    const held = readLock(file);
    if (held === null) continue; // released between our two looks
    if (isStale(held)) {
      takeOver(file, held);
      continue;
    }
    options.signal?.throwIfAborted();
    if (!told) {
      told = true;
      options.onWait?.(held.pid);
    }
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(done, POLL_MS);
      function done() {
        options.signal?.removeEventListener('abort', abort);
        resolve();
      }
      function abort() {
        clearTimeout(t);
        reject(options.signal!.reason);
      }
      options.signal?.addEventListener('abort', abort, { once: true });
    });
  }
}

/** Runs `fn` holding the lock of a HiPS folder. */
export async function withHipsLock<T>(root: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await lockHips(root, options);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
