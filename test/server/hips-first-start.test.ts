import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../../src/server/vodax-server.js';
import { parseProperties } from '../../src/images/hips/properties.js';

describe('HiPS on first start (npm start)', function () {
  this.timeout(300_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-first-'));
    fs.chmodSync(dataDir, 0o755);
  });
  after(async () => {
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ url: string; lines: string[]; close(): Promise<void> }> {
    const lines: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const config = loadConfig({ DATABASE_URL: tdb.url, DATA_DIR: dataDir, PORT: '0', LOG_FORMAT: 'json' });
    const s = await startServer(config, createLogger('json', out));
    return { url: s.url, lines, close: () => s.close() };
  }

  it('builds the r-band coadd HiPS before listening, says how to build the rest, and builds nothing on the next start', async () => {
    const first = await start();
    const props = path.join(dataDir, 'hips', 'L2', 'DR1', 'deepCoadd', 'r', 'properties');
    let mtime: number;
    try {
      const res = await fetch(`${first.url}/image/v0/hips/L2/DR1/deepCoadd/r/properties`);
      expect(res.status).to.equal(200);
      expect(parseProperties(await res.text()).map.get('obs_title')).to.equal('DR1 deepCoadd r (L2)');
      const line = first.lines.map((l) => JSON.parse(l) as { msg: string }).find((l) => l.msg.startsWith('HiPS L2/DR1/deepCoadd/r built (first start)'));
      expect(line?.msg).to.equal('HiPS L2/DR1/deepCoadd/r built (first start); the other 9 HiPS are built on first request (a 503 with Retry-After until ready), or all now with `npm run vodax -- hips build`');
      // The others: on request.
      const other = await fetch(`${first.url}/image/v0/hips/L2/DR1/calexp/g/properties`);
      expect(other.status).to.equal(503);
      expect(other.headers.get('retry-after')).to.match(/^\d+$/);
      mtime = fs.statSync(props).mtimeMs;
    } finally {
      // Stopping ends the calexp build it started.
      await first.close();
    }
    expect(fs.readdirSync(path.join(dataDir, 'hips', '.staging'))).to.deep.equal([]);
    const t0 = Date.now();
    const second = await start();
    const seconds = (Date.now() - t0) / 1000;
    try {
      expect(fs.statSync(props).mtimeMs).to.equal(mtime);
      expect(second.lines.some((l) => l.includes('HiPS'))).to.equal(false);
      expect(seconds).to.be.below(10);
      expect((await fetch(`${second.url}/image/v0/hips/L2/DR1/deepCoadd/r/Moc.fits`)).status).to.equal(200);
    } finally {
      await second.close();
    }
  });
});
