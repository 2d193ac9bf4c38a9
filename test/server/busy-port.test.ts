/** `vodax serve` on a port another server holds: a clear message, exit 1, nothing left running. */
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';

const CLI = path.join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

describe('vodax serve on a port in use', function () {
  this.timeout(120_000);
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let holder: net.Server;
  before(async () => {
    fresh = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-busy-port-'));
    holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await new Promise((r) => holder.close(r));
    await fresh.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('says the port is in use, exits 1, and leaves no database session or instance behind', async () => {
    const port = (holder.address() as net.AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
      env: { ...process.env, DATABASE_URL: fresh.url, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), LOG_FORMAT: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 90_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, `exit code (stderr: ${stderr.slice(-500)})`).to.equal(1);
    expect(stderr).to.include(`port ${port} on 127.0.0.1 is in use`);
    expect(stderr).to.not.match(/at .*\.ts:\d+/); // a message, not a stack trace
    const [{ n }] = await fresh.db.query<{ n: number }>('SELECT count(*)::int AS n FROM vodax.instances');
    expect(n, 'instance rows').to.equal(0);
    const [{ s }] = await fresh.db.query<{ s: number }>(
      `SELECT count(*)::int AS s FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'vodax:%'`,
    );
    expect(s, 'sessions of the failed server').to.equal(0);
  });
});
