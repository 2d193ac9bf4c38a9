import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { freshDatabase, testDatabase, type TestDatabase } from '../support/database.js';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { loadSampleImages } from '../../src/sample-data/sample-images.js';
import { buildHips, type HipsBuildOptions, type HipsTarget } from '../../src/images/hips-build.js';
import { HipsOnDemand } from '../../src/images/hips-on-demand.js';
import { buildCatalogHips, type CatalogHipsOptions, type CatalogHipsTarget } from '../../src/images/hips-catalog-build.js';
import { parseProperties } from '../../src/images/hips/properties.js';

/** A JSON logger whose records the test reads. */
function capturingLogger(): { log: Logger; records: { level: string; msg: string; [k: string]: unknown }[] } {
  const records: { level: string; msg: string }[] = [];
  let buf = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        records.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      cb();
    },
  });
  return { log: createLogger('json', out), records };
}

describe('HiPS built by the server on first request', function () {
  this.timeout(300_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  const catalog = sampleCatalog();
  const coadds = catalog.layout.coadds;
  const pick = (band: string) => coadds.findIndex((c) => c.tract === 0 && c.patch === '10,11' && c.band.name === band);

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-demand-'));
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [], coadds: [pick('r'), pick('g')] });
  });
  after(async () => {
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function serve(hips: HipsOnDemand): Promise<{ base: string; close(): Promise<void> }> {
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const app = createApp({ config, log: createLogger('silent'), db: tdb.db, registry: new Registry(tdb.db, { host: '127.0.0.1', port: 5432 }), hips });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('builds nothing for a request that saw the HiPS unbuilt while its build was ending', async () => {
    const target: HipsTarget = { level: 'L2', collection: 'DR1', kind: 'deepCoadd', band: 'g', owner: null };
    await buildHips(tdb.db, dataDir, target, { order: 8, width: 256 });
    const calls: string[] = [];
    const hips = new HipsOnDemand(tdb.db, dataDir, createLogger('silent'), {
      build: async (db, dir, t: HipsTarget, o: HipsBuildOptions) => {
        calls.push(t.band!);
        return buildHips(db, dir, t, { ...o, order: 8, width: 256 });
      },
    });
    expect(hips.request(target).state).to.equal('queued');
    await new Promise((r) => setTimeout(r, 500));
    await hips.stop();
    expect(calls).to.deep.equal([]);
    fs.rmSync(path.join(dataDir, 'hips'), { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while it builds, one build at a time, never two of one HiPS, then serves it', async () => {
    const { log, records } = capturingLogger();
    const calls: string[] = [];
    let running = 0;
    let most = 0;
    // The r build waits until the test has asked for g, however fast the machine builds.
    let releaseR = () => {};
    const rHeld = new Promise<void>((resolve) => (releaseR = resolve));
    const hips = new HipsOnDemand(tdb.db, dataDir, log, {
      build: async (db, dir, t: HipsTarget, o: HipsBuildOptions) => {
        calls.push(t.band!);
        most = Math.max(most, ++running);
        try {
          if (t.band === 'r') await rHeld;
          return await buildHips(db, dir, t, { ...o, order: 8, width: 256 });
        } finally {
          running--;
        }
      },
    });
    const s = await serve(hips);
    try {
      const R = `${s.base}/image/v0/hips/L2/DR1/deepCoadd/r`;
      const G = `${s.base}/image/v0/hips/L2/DR1/deepCoadd/g`;
      const first = await fetch(`${R}/properties`);
      expect(first.status).to.equal(503);
      expect(Number(first.headers.get('retry-after'))).to.be.within(1, 60);
      const msg = (await first.json()).error.message as string;
      expect(msg).to.include('L2/DR1/deepCoadd/r is not built yet: the server is building it (now)');
      expect(msg).to.include('npm run vodax -- hips build');
      // More requests for it (Aladin asks for several files at once), and one for another HiPS.
      const again = await Promise.all([`${R}/properties`, `${R}/Moc.fits`, `${R}/Norder3/Allsky.png`].map((u) => fetch(u)));
      expect(again.map((r) => r.status)).to.deep.equal([503, 503, 503]);
      const other = await fetch(`${G}/properties`);
      expect(other.status).to.equal(503);
      expect((await other.json()).error.message).to.include('(after 1 other)');
      releaseR();
      for (;;) {
        const res = await fetch(`${G}/properties`);
        if (res.status === 200) {
          expect(parseProperties(await res.text()).map.get('obs_title')).to.include('deepCoadd g');
          break;
        }
        expect(res.status).to.equal(503);
        await new Promise((r) => setTimeout(r, 250));
      }
      const r = await fetch(`${R}/properties`);
      expect(r.status).to.equal(200);
      expect(calls).to.deep.equal(['r', 'g']);
      expect(most).to.equal(1);
      expect(records.map((x) => x.msg)).to.include.members(['building the HiPS L2/DR1/deepCoadd/r (first request for it)', 'HiPS L2/DR1/deepCoadd/r built', 'HiPS L2/DR1/deepCoadd/g built']);
    } finally {
      releaseR();
      await s.close();
      await hips.stop();
    }
  });

  it('a build that fails is logged and answered with its reason, and not retried at once', async () => {
    fs.rmSync(path.join(dataDir, 'hips'), { recursive: true, force: true });
    const { log, records } = capturingLogger();
    let calls = 0;
    const hips = new HipsOnDemand(tdb.db, dataDir, log, {
      build: async () => {
        calls++;
        throw new Error('no space left on device');
      },
    });
    const s = await serve(hips);
    try {
      const R = `${s.base}/image/v0/hips/L2/DR1/deepCoadd/r/properties`;
      expect((await fetch(R)).status).to.equal(503);
      await new Promise((r) => setTimeout(r, 100));
      const failed = await fetch(R);
      expect(failed.status).to.equal(503);
      expect(Number(failed.headers.get('retry-after'))).to.be.within(50, 60);
      const msg = (await failed.json()).error.message as string;
      expect(msg).to.include('building the HiPS L2/DR1/deepCoadd/r failed: no space left on device');
      expect(msg).to.include('hips build --level L2 --collection DR1 --kind deepCoadd --filter r');
      expect(calls).to.equal(1);
      const err = records.find((x) => x.level === 'error');
      expect(err?.msg).to.equal('HiPS build of L2/DR1/deepCoadd/r failed');
      expect(err?.error).to.equal('no space left on device');
    } finally {
      await s.close();
      await hips.stop();
    }
  });

  it('stop() ends the build under way and leaves no half HiPS', async () => {
    fs.rmSync(path.join(dataDir, 'hips'), { recursive: true, force: true });
    const { log, records } = capturingLogger();
    let started!: () => void;
    const going = new Promise<void>((resolve) => (started = resolve));
    const hips = new HipsOnDemand(tdb.db, dataDir, log, {
      build: (db, dir, t, o) => buildHips(db, dir, t, { ...o, onProgress: () => started() }),
    });
    const st = hips.request({ level: 'L2', collection: 'DR1', kind: 'deepCoadd', band: 'r', owner: null });
    expect(st.state).to.equal('queued');
    await going;
    await hips.stop();
    expect(fs.existsSync(path.join(dataDir, 'hips', 'L2', 'DR1', 'deepCoadd', 'r'))).to.equal(false);
    expect(fs.readdirSync(path.join(dataDir, 'hips', '.staging'))).to.deep.equal([]);
    expect(records.map((x) => x.msg)).to.include('HiPS build of L2/DR1/deepCoadd/r stopped (server stopping)');
    expect(records.filter((x) => x.level === 'error')).to.deep.equal([]);
  });
});

describe('catalogue HiPS built by the server on first request', function () {
  this.timeout(300_000);
  let dataDir: string;
  let db: TestDatabase['db'];

  before(async () => {
    ({ db } = await testDatabase());
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-hips-demand-cat-'));
  });
  after(() => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while it builds, one build at a time, never two of one table, then serves it', async () => {
    const { log, records } = capturingLogger();
    const calls: string[] = [];
    let running = 0;
    let most = 0;
    const hips = new HipsOnDemand(db, dataDir, log, {
      buildCatalog: async (d, dir, t: CatalogHipsTarget, o: CatalogHipsOptions) => {
        calls.push(`${t.database}.${t.table}`);
        most = Math.max(most, ++running);
        try {
          return await buildCatalogHips(d, dir, t, { ...o, perTile: 200 });
        } finally {
          running--;
        }
      },
    });
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const app = createApp({ config, log: createLogger('silent'), db, registry: new Registry(db, { host: '127.0.0.1', port: 5432 }), hips });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A second public table with positions, to queue behind the first.
    const [other] = await db.query<{ level: string; database: string; pg_table: string }>(
      `SELECT d.level, t.database, t.pg_table FROM vodax.tables t JOIN vodax.databases d ON d.name = t.database
        WHERE t.hpx_column IS NOT NULL AND d.level <> 'L3' AND NOT (t.database = 'DC_W13_Stripe82' AND t.pg_table = 'Object') ORDER BY t.row_count LIMIT 1`,
    );
    try {
      const O = `${base}/db/v0/hips/L2/DC_W13_Stripe82/Object`;
      const S = `${base}/db/v0/hips/${other!.level}/${other!.database}/${other!.pg_table}`;
      const first = await fetch(`${O}/properties`);
      expect(first.status).to.equal(503);
      expect(Number(first.headers.get('retry-after'))).to.be.within(1, 60);
      const msg = (await first.json()).error.message as string;
      expect(msg).to.include('the catalogue HiPS of DC_W13_Stripe82.Object is not built yet: the server is building it (now)');
      expect(msg).to.include('npm run vodax -- hips catalog --level L2 --db DC_W13_Stripe82 --table Object');
      const again = await Promise.all([`${O}/properties`, `${O}/Moc.fits`, `${O}/Norder1/Allsky.tsv`].map((u) => fetch(u)));
      expect(again.map((r) => r.status)).to.deep.equal([503, 503, 503]);
      const queued = await fetch(`${S}/properties`);
      expect(queued.status).to.equal(503);
      expect((await queued.json()).error.message).to.include('(after 1 other)');
      for (;;) {
        const res = await fetch(`${S}/properties`);
        if (res.status === 200) {
          expect(parseProperties(await res.text()).map.get('dataproduct_type')).to.equal('catalog');
          break;
        }
        expect(res.status).to.equal(503);
        await new Promise((r) => setTimeout(r, 250));
      }
      const o = await fetch(`${O}/properties`);
      expect(o.status).to.equal(200);
      expect(parseProperties(await o.text()).map.get('hips_tile_format')).to.equal('tsv');
      expect(calls).to.deep.equal(['DC_W13_Stripe82.Object', `${other!.database}.${other!.pg_table}`]);
      expect(most).to.equal(1);
      expect(records.map((x) => x.msg)).to.include.members(['building the catalogue HiPS L2/DC_W13_Stripe82/Object (first request for it)', 'catalogue HiPS L2/DC_W13_Stripe82/Object built']);
      // A private table is not there for others: no build starts for them.
      expect((await fetch(`${base}/db/v0/hips/L3/joe_myDb/MyObjects/properties`)).status).to.equal(404);
      expect(calls).to.have.length(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await hips.stop();
    }
  });
});
