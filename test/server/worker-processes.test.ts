/** `vodax serve` with WORKERS=2: two server processes on one port and database, replaced when one dies, stopped together. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/chaos-clients.js';
import { freePort } from '../../src/system/ports.js';

const CLI = path.join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

/** The parent pid of a process (Linux /proc). */
function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe('vodax serve with WORKERS=2', function () {
  this.timeout(180_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let primary: ChildProcess;
  let url: string;
  before(async () => {
    fresh = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-workers-'));
    fs.chmodSync(dataDir, 0o755);
    const port = await freePort();
    primary = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
      env: { ...process.env, DATABASE_URL: fresh.url, DATA_DIR: dataDir, PORT: String(port), WORKERS: '2', LOG_FORMAT: 'json', SHUTDOWN_GRACE: '2' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: primary.stderr! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('"vodax workers listening"')) resolve();
      });
      primary.once('exit', (code) => reject(new Error(`exited with ${code}: ${lines.slice(-5).join('\n')}`)));
    });
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    if (primary.exitCode === null && primary.signalCode === null) primary.kill('SIGKILL');
    await fresh.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const servers = async () =>
    (await fresh.db.query<{ pid: number }>('SELECT pid FROM vodax.instances')).map((r) => r.pid).filter((pid) => pid !== primary.pid);

  it('serves from two processes that the primary started, and runs jobs', async () => {
    const pids = await servers();
    expect(pids).to.have.length(2);
    for (const pid of pids) expect(parentOf(pid)).to.equal(primary.pid);
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/`).then((r) => r.status)));
    expect(answers.every((s) => s === 200)).to.equal(true);
    const res = await fetch(`${url}/db/v0/tap/async`, { method: 'POST', body: new URLSearchParams({ LANG: 'ADQL', QUERY: 'SELECT TOP 3 table_name FROM TAP_SCHEMA.tables', PHASE: 'RUN' }), redirect: 'manual' });
    const job = res.headers.get('location')!;
    expect(await eventually(async () => (await (await fetch(`${job}/phase`)).text()).trim() === 'COMPLETED', 30_000)).to.equal(true);
  });

  it('replaces a server process that dies, and keeps answering', async () => {
    const [victim] = await servers();
    process.kill(victim!, 'SIGKILL');
    expect(await eventually(async () => (await servers()).length === 2 && !(await servers()).includes(victim!), 60_000), 'a new process took its place').to.equal(true);
    expect((await fetch(`${url}/`)).status).to.equal(200);
  });

  it('SIGTERM stops every process and leaves no instance behind', async () => {
    const exited = new Promise<number | null>((r) => primary.once('exit', (code) => r(code)));
    primary.kill('SIGTERM');
    expect(await exited).to.equal(0);
    const [{ n }] = await fresh.db.query<{ n: number }>('SELECT count(*)::int AS n FROM vodax.instances');
    expect(n).to.equal(0);
  });
});
