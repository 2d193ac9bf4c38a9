import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { hipsLockFile, lockHips } from '../../src/images/hips-lock.js';

const run = promisify(execFile);

describe('HiPS build lock (across processes)', function () {
  this.timeout(60_000);
  let dir: string;
  let root: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-lock-'));
    root = path.join(dir, 'hips', 'L2', 'DR1', 'deepCoadd', 'r');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is a dot file beside the HiPS folder holding the pid, removed on release', async () => {
    const lock = await lockHips(root);
    expect(lock.file).to.equal(path.join(dir, 'hips', 'L2', 'DR1', 'deepCoadd', '.r.lock'));
    expect(hipsLockFile(root)).to.equal(lock.file);
    expect(fs.readFileSync(lock.file, 'utf8')).to.equal(`${process.pid}\n`);
    lock.release();
    expect(fs.existsSync(lock.file)).to.equal(false);
    // Nothing else is left beside it (no temporary or guard files).
    expect(fs.readdirSync(path.dirname(lock.file))).to.deep.equal([]);
  });

  it('a second taker waits until the first releases (in one process too)', async () => {
    const first = await lockHips(root);
    const waits: number[] = [];
    let got = false;
    const second = lockHips(root, { onWait: (pid) => waits.push(pid) }).then((l) => ((got = true), l));
    await new Promise((r) => setTimeout(r, 500));
    expect(got).to.equal(false);
    expect(waits).to.deep.equal([process.pid]);
    first.release();
    (await second).release();
    expect(got).to.equal(true);
    expect(waits).to.have.length(1);
  });

  it('waits for a live process, stops waiting on its signal, and leaves that lock alone', async () => {
    const file = hipsLockFile(root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${process.ppid}\n`); // a live process that is not us
    const ac = new AbortController();
    const waits: number[] = [];
    const taking = lockHips(root, { signal: ac.signal, onWait: (pid) => waits.push(pid) });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    const err = await taking.then(() => null, (e: Error) => e);
    expect(err?.name).to.equal('AbortError');
    expect(waits).to.deep.equal([process.ppid]);
    expect(fs.readFileSync(file, 'utf8')).to.equal(`${process.ppid}\n`);
  });

  it('takes over the lock of a dead pid, and one of our pid older than this process', async () => {
    const file = hipsLockFile(root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '999999999\n'); // above any pid_max: never alive
    const waits: number[] = [];
    const a = await lockHips(root, { onWait: (pid) => waits.push(pid) });
    expect(fs.readFileSync(file, 'utf8')).to.equal(`${process.pid}\n`);
    a.release();
    // Our pid, written before we started: an earlier process with the same pid (a restarted container).
    fs.writeFileSync(file, `${process.pid}\n`);
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(file, hourAgo, hourAgo);
    const b = await lockHips(root, { onWait: (pid) => waits.push(pid) });
    b.release();
    expect(waits).to.deep.equal([]);
    expect(fs.existsSync(file)).to.equal(false);
  });

  it('processes racing for a stale lock hold it one at a time', async () => {
    const file = hipsLockFile(root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '999999999\n');
    const log = path.join(dir, 'log');
    // Each process takes the lock, notes its start and end around 150 ms of holding it.
    const script = `import fs from 'node:fs'; import { lockHips } from ${JSON.stringify(path.resolve('src/images/hips-lock.ts'))};
      const l = await lockHips(${JSON.stringify(root)});
      fs.appendFileSync(${JSON.stringify(log)}, 'start ' + process.pid + '\\n');
      await new Promise((r) => setTimeout(r, 150));
      fs.appendFileSync(${JSON.stringify(log)}, 'end ' + process.pid + '\\n');
      l.release();`;
    await Promise.all([0, 1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])));
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).to.have.length(8);
    // Strictly alternating: each start is followed by the end of the same process.
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]).to.match(/^start \d+$/);
      expect(lines[i + 1]).to.equal(lines[i]!.replace('start', 'end'));
    }
    expect(fs.existsSync(file)).to.equal(false);
  });
});
