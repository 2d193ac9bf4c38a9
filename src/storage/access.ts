/**
 * What an unprivileged user may do with a path, from the permission bits that apply to it.
 * Root runs PostgreSQL as the user `postgres`; these checks decide, before anything is spawned,
 * whether that user can reach the binaries and the database folder.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The user and group a child process runs as. */
export interface UserIds {
  uid: number;
  gid: number;
}

export const READ = 4;
export const WRITE = 2;
export const EXECUTE = 1;

/**
 * The rwx bits (0..7) of a file that apply to `ids`: the owner's, else the group's, else
 * everyone's. Only the primary group counts: Node drops supplementary groups when it spawns
 * a child with another uid.
 */
export function bitsFor(st: { uid: number; gid: number; mode: number }, ids: UserIds): number {
  if (ids.uid === 0) return READ | WRITE | EXECUTE;
  if (st.uid === ids.uid) return (st.mode >> 6) & 7;
  if (st.gid === ids.gid) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

/** True when `ids` has every bit of `want` on the file `st` describes. */
export function allows(st: { uid: number; gid: number; mode: number }, ids: UserIds, want: number): boolean {
  return (bitsFor(st, ids) & want) === want;
}

/**
 * The first directory on the way to `target` (from `/` down to the target's nearest existing
 * folder, symlinks resolved) that `ids` cannot enter; null when it can reach it.
 */
export function blockingDir(target: string, ids: UserIds): string | null {
  let existing = path.resolve(target);
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  const real = fs.realpathSync(existing);
  const isDir = fs.statSync(real).isDirectory();
  const dirs: string[] = [];
  for (let d = isDir ? real : path.dirname(real); ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of dirs) if (!allows(fs.statSync(d), ids, EXECUTE)) return d;
  return null;
}

/**
 * The first entry under `dir` that `ids` could not use to run PostgreSQL from it: a folder it
 * cannot list and enter, a file it cannot read, a program (any file when `programs`, else one
 * its owner may execute) it cannot execute; null when all is usable. Symlinks are judged by
 * what they point at.
 */
export function unusableEntry(dir: string, ids: UserIds, programs = false): string | null {
  const st = fs.statSync(dir);
  if (!allows(st, ids, READ | EXECUTE)) return dir;
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = fs.statSync(p);
    if (s.isDirectory()) {
      const bad = unusableEntry(p, ids, programs);
      if (bad) return bad;
    } else {
      const program = programs || (s.mode & 0o100) !== 0;
      if (!allows(s, ids, program ? READ | EXECUTE : READ)) return p;
    }
  }
  return null;
}
