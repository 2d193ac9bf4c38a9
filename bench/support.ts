/** Shared pieces of the benchmarks: a database to run on, timing, and memory sampling of a child process. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEmbedded, type EmbeddedServer } from '../src/storage/embedded.js';
import { createLogger } from '../src/log.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A PostgreSQL server for a benchmark: BENCH_DATABASE_URL, or a temporary embedded one. */
export async function benchServer(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, stop: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-'));
  fs.chmodSync(dir, 0o755);
  const pg: EmbeddedServer = await startEmbedded(path.join(dir, 'pg'), 0, createLogger('silent'));
  return {
    url: pg.url,
    stop: async () => {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One HTTP request, its answer read to the end by node:http: status, bytes, and the first
 * characters (for an error's message). The benchmarks' client, not fetch: the two cores are
 * shared with the server and PostgreSQL, and fetch's web streams cost the client about twice
 * node:http's CPU (a cone: 0.6-0.8 ms against 0.35-0.4 ms; 148 MiB: 0.33 s against 0.13 s).
 * `form` is sent as a POST; `agent` keeps connections open between requests.
 */
export function httpRead(url: string, options: { form?: Record<string, string>; agent?: http.Agent } = {}): Promise<{ status: number; bytes: number; head: string }> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers = body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: body === undefined ? 'GET' : 'POST', agent: options.agent, headers }, (res) => {
      let bytes = 0;
      let head = '';
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (head.length < 500) head += chunk.toString('utf8', 0, Math.min(chunk.length, 500));
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes, head }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** Peak resident memory (MiB) of a process, sampled from /proc every 50 ms until it exits. */
export function sampleRss(pid: number): { peak(): number; stop(): void } {
  let peak = 0;
  const sample = () => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* process gone */
    }
  };
  const timer = setInterval(sample, 50);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

/** Print a table of rows with aligned columns. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US', { maximumFractionDigits: 2 }) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  console.log(`\n## ${title}`);
  for (const [k, r] of cells.entries()) {
    console.log(r.map((c, i) => String(c).padEnd(widths[i]!)).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** The build in dist/ brought up to date, once per benchmark process (scripts/build.mjs only redoes what changed). */
let built: Promise<unknown> | null = null;
export function ensureBuilt(): Promise<unknown> {
  built ??= import(pathToFileURL(path.join(ROOT, 'scripts', 'build.mjs')).href).then((m: { build(o: { log(line: string): void }): Promise<unknown> }) => m.build({ log: () => {} }));
  return built;
}

/** The node options `npm start` runs the server with (package.json's start script, before dist/src/cli.js). */
export function startNodeFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /\bnode ((?:--\S+ )*)dist\/src\/cli\.js serve/.exec(start);
  if (!m) throw new Error(`package.json's start script does not run node dist/src/cli.js serve: ${start}`);
  return m[1]!.trim().split(' ').filter((f) => f !== '');
}

/** Start bench/built-server.mjs (the build in dist/) over `databaseUrl`, with npm start's node options; resolves with its URL and the child. */
export async function startChildServer(databaseUrl: string, dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess }> {
  await ensureBuilt();
  const script = path.join(ROOT, 'bench', 'built-server.mjs');
  const child = spawn(process.execPath, [...startNodeFlags(), script], {
    env: { ...process.env, ...env, DATABASE_URL: databaseUrl, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const line = text.split('\n')[0]!;
      if (text.includes('\n')) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { url, child };
}

/** pgbench on this machine (PATH, then Debian's versioned folders, newest first), or null. */
export function findPgbench(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && fs.existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  const debian = '/usr/lib/postgresql';
  if (!fs.existsSync(debian)) return null;
  const versions = fs.readdirSync(debian).filter((v) => fs.existsSync(path.join(debian, v, 'bin', 'pgbench'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(debian, versions[0]!, 'bin', 'pgbench') : null;
}

/**
 * Transactions per second pgbench gets running the statements `sqls` (one picked at random
 * per transaction) with `clients` connections for `seconds`: the database's own floor for a
 * request rate. With `throttle`, pgbench sends at most that many per second (its -R). Null when
 * pgbench is not installed.
 */
export async function pgbenchRate(databaseUrl: string, sqls: string[], clients: number, seconds: number, throttle?: number): Promise<number | null> {
  const pgbench = findPgbench();
  if (!pgbench) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-pgbench-'));
  try {
    const files = sqls.map((sql, i) => {
      const file = path.join(dir, `q${i}.sql`);
      fs.writeFileSync(file, `${sql.replace(/\s+/g, ' ')};\n`);
      return file;
    });
    const args = ['-n', '-c', String(clients), '-j', String(Math.min(clients, os.cpus().length)), '-T', String(seconds), ...(throttle ? ['-R', String(Math.round(throttle))] : []), ...files.flatMap((f) => ['-f', f]), databaseUrl];
    const child = spawn(pgbench, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
    if (code !== 0 || !m) throw new Error(`pgbench failed (${code}): ${out.slice(-500)}`);
    return Number(m[1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
