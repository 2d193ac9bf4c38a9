/**
 * Start benchmark (issue 16): how long until a server answers 200 on `/`, from the built dist/
 * (built first with `npm run build`): (a) a first start on an empty DATA_DIR (embedded
 * PostgreSQL initialised, sample catalogs and images generated, the quick HiPS built), target
 * 10 s; (b) a restart over that data, target 2 s, as `node dist/src/cli.js serve` and as the
 * whole `npm start` (the build with nothing changed, then serve). Each on its own DATA_DIR and
 * free ports; BENCH_START_RUNS (default 2 first starts, 3 of each restart) bounds it. Then the
 * phases of the last first start, from its log.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printTable } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIRST_TARGET_S = 10;
const RESTART_TARGET_S = 2;

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when GET / answers 200 (polled every 20 ms); rejects if the child exits first. */
async function untilReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the server exited before answering; its log:\n${log().slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One start: spawn `command` in its own process group, time it to the first 200 on `/`, then stop the group (SIGINT, as Ctrl-C does) and wait for the database to stop. */
async function timeStart(command: string[], dataDir: string): Promise<{ seconds: number; log: string; t0: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), LOG_FORMAT: 'json', HOST: '127.0.0.1' };
  delete env.DATABASE_URL;
  let log = '';
  const t0 = Date.now();
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await untilReady(`http://127.0.0.1:${port}/`, child, () => log);
    return { seconds: (Date.now() - t0) / 1000, log, t0 };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGINT');
      } catch {
        /* gone */
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 20_000);
      await exit;
      clearTimeout(killer);
    }
    // The embedded PostgreSQL is stopped by the server; the next start must not find it running.
    const pid = path.join(dataDir, 'pg', 'postmaster.pid');
    for (let i = 0; i < 200 && fs.existsSync(pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function benchStart(): Promise<void> {
  const runs = Number(process.env.BENCH_START_RUNS ?? 0);
  const firstRuns = runs || 2;
  const restartRuns = runs || 3;
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const build = spawnSync(npm[0]!, [...npm.slice(1), 'run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const buildTimes: number[] = [];
  for (let i = 0; i < restartRuns; i++) {
    const t0 = Date.now();
    const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed');
    buildTimes.push((Date.now() - t0) / 1000);
  }

  const serve = [process.execPath, path.join(ROOT, 'dist', 'src', 'cli.js'), 'serve'];
  const dirs: string[] = [];
  const first: number[] = [];
  const restart: number[] = [];
  const npmRestart: number[] = [];
  let lastFirst: { log: string; t0: number } | null = null;
  try {
    for (let i = 0; i < firstRuns; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-start-'));
      fs.chmodSync(dir, 0o755); // the embedded database's user (run as root) must reach it
      dirs.push(dir);
      const r = await timeStart(serve, dir);
      first.push(r.seconds);
      lastFirst = r;
    }
    const dir = dirs.at(-1)!;
    for (let i = 0; i < restartRuns; i++) restart.push((await timeStart(serve, dir)).seconds);
    for (let i = 0; i < restartRuns; i++) npmRestart.push((await timeStart([...npm, 'start', '--silent'], dir)).seconds);
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }

  const row = (label: string, xs: number[], target: number) => {
    const m = median(xs);
    return [label, xs.length, Math.min(...xs).toFixed(2), m.toFixed(2), Math.max(...xs).toFixed(2), target, (m / target).toFixed(2), Math.max(...xs) <= target ? 'yes' : 'NO'];
  };
  printTable(
    `Start to the first 200 on / (seconds; ${os.cpus().length} CPUs)`,
    ['start', 'runs', 'best', 'median', 'worst', 'target', 'median / target', 'all within'],
    [
      row('first start, empty DATA_DIR (node dist/src/cli.js serve)', first, FIRST_TARGET_S),
      row('restart over that data (node dist/src/cli.js serve)', restart, RESTART_TARGET_S),
      row('restart over that data (npm start: build, then serve)', npmRestart, RESTART_TARGET_S),
      row('npm run build, nothing changed (node scripts/build.mjs)', buildTimes, RESTART_TARGET_S),
    ],
  );
  if (lastFirst) {
    // The phases of the last first start: each log line's time since the spawn.
    const rows: (string | number)[][] = [];
    let prev = 0;
    for (const line of lastFirst.log.split('\n')) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line) as { time: string; msg: string };
      const at = (Date.parse(r.time) - lastFirst.t0) / 1000;
      rows.push([r.msg.split(/[;(]/)[0]!.trim().slice(0, 60), at.toFixed(2), (at - prev).toFixed(2)]);
      prev = at;
      if (r.msg === 'vodax listening') break;
    }
    printTable('First start, by log line (seconds since spawn)', ['log line', 'at', 'since the previous'], rows);
  }
}
