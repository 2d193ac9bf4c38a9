/**
 * `npm run conformance`: real clients against a running vodax. Starts a server on a free port
 * (embedded PostgreSQL in a temporary DATA_DIR, or DATABASE_URL) unless `--url URL` names one,
 * then runs stilts taplint (fails on any error), the pyvo/astropy checks (TAP, images, SIA 2.0, DataLink with datalinklint), the HEALPix check and the
 * HiPS check (the r-band coadd HiPS, built on the server's DATA_DIR with `vodax hips build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/system/ports.js';

const PYTHON = '/usr/bin/python3';

/** Run a command, streaming its output through; resolves with exit code and captured stdout. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

/** Start `vodax serve` on a free port and wait until it answers. */
async function startServer(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-conformance-'));
  fs.chmodSync(dir, 0o755);
  // URL uploads are on by default (taplint checks upload-http is declared). A client may upload
  // by URL a table this same server serves (a job's result); the fetcher refuses loopback
  // addresses unless allow-listed, so the server allow-lists exactly its own host:port.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: { ...process.env, PORT: String(port), DATA_DIR: dir, LOG_FORMAT: 'silent', UPLOAD_URL_HOSTS: `127.0.0.1:${port}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vodax serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(url + '/')).ok) return { url, child, dir };
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('vodax did not start within 180 s');
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** taplint's totals line: "Totals: Errors: N; Warnings: N; ...". */
function taplintErrors(out: string): number {
  const m = /Totals:\s+Errors:\s+(\d+)/.exec(out);
  return m ? Number(m[1]) : -1;
}

/** The HiPS the check reads: the one `npm start` builds on first start. */
const HIPS = 'L2/DR1/deepCoadd/r';

/**
 * Makes sure the HiPS is built: on a server of our own, with `vodax hips build` on its DATA_DIR
 * (the first start has built it already: then the command says "unchanged"); on any server, by
 * asking for it until it is served (vodax builds a missing HiPS on first request). Null when
 * ready, else what went wrong.
 */
async function readyHips(server: { url: string; dir: string | null }): Promise<string | null> {
  if (server.dir) {
    const [level, collection, kind, filter] = HIPS.split('/') as [string, string, string, string];
    const build = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'hips', 'build', '--level', level, '--collection', collection, '--kind', kind, '--filter', filter], {
        env: { ...process.env, DATA_DIR: server.dir!, LOG_FORMAT: 'silent' },
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      // The summary line, not the progress bar.
      child.stderr!.on('data', (d: Buffer) => {
        for (const line of d.toString().split(/[\r\n]+/)) if (/: (full|incremental|unchanged),|^built /.test(line)) console.log(line);
      });
      child.on('exit', (code) => resolve(code ?? 1));
    });
    if (build !== 0) return `vodax hips build of ${HIPS} failed (exit ${build})`;
  }
  const deadline = Date.now() + 180_000;
  for (;;) {
    const res = await fetch(`${server.url}/image/v0/hips/${HIPS}/properties`).catch(() => null);
    if (res?.status === 200) return null;
    if (res && res.status !== 503) return `the HiPS ${HIPS} is not served: ${res.status} ${(await res.text()).slice(0, 300)}`;
    if (Date.now() > deadline) return `the HiPS ${HIPS} was not ready within 180 s`;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const args = process.argv.slice(2);
const urlArg = args.indexOf('--url');
const server = urlArg >= 0 ? { url: args[urlArg + 1]!, child: null, dir: null } : await startServer();
const failures: string[] = [];
try {
  const tap = `${server.url}/db/v0/tap`;
  console.log(`\n== stilts taplint ${tap}`);
  const lint = await run('stilts', ['taplint', `tapurl=${tap}`, 'report=EWS', 'maxrepeat=3'], 600_000);
  const errors = taplintErrors(lint.out);
  if (errors !== 0) failures.push(`taplint reported ${errors < 0 ? 'no totals' : errors + ' errors'}`);
  for (const [name, script, withUrl] of [
    ['pyvo and astropy', 'conformance/pyvo_check.py', true],
    ['HEALPix against astropy-healpix', 'conformance/healpix_check.py', false],
    ['images against astropy', 'conformance/images_check.py', true],
    ['pyvo SIA 2.0 against an ObsCore oracle', 'conformance/sia_check.py', true],
    ['pyvo DataLink from the SIA records, stilts datalinklint', 'conformance/datalink_check.py', true],
    ['pyvo Simple Cone Search against the ADQL cones', 'conformance/scs_check.py', true],
  ] as const) {
    if (!fs.existsSync(script)) continue;
    console.log(`\n== ${name}`);
    const r = await run(PYTHON, withUrl ? [script, '--url', server.url] : [script], 600_000);
    if (r.code !== 0) failures.push(`${name} failed (exit ${r.code})`);
  }
  console.log('\n== HiPS against astropy (conformance/hips_check.py)');
  const hips = await readyHips(server);
  if (hips) failures.push(hips);
  else {
    const r = await run(PYTHON, ['conformance/hips_check.py', server.url, HIPS], 600_000);
    if (r.code !== 0) failures.push(`HiPS check failed (exit ${r.code})`);
  }
} finally {
  if (server.child) {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child!.once('exit', r));
    fs.rmSync(server.dir!, { recursive: true, force: true });
  }
}
if (failures.length) {
  console.log(`\nconformance: FAILED\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('\nconformance: all checks passed');
