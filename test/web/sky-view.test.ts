/**
 * The query page's sky view in Chromium: Aladin Lite, served by vodax, over a HiPS vodax built
 * from a sample coadd, with the query's positions overlaid; nothing fetched from another host.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { loadSampleImages } from '../../src/sample-data/sample-images.js';
import { buildHips, hipsTargets } from '../../src/images/hips-build.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { haveChromium, launchChromium, localPage } from './browser.js';

describe('the query page sky view: Aladin Lite over vodax HiPS (Chromium)', function () {
  this.timeout(60_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let server: http.Server;
  let base: string;
  let browser: Browser;

  before(async () => {
    if (!haveChromium()) throw new Error('Chromium is missing: apt-get install chromium');
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-web-sky-'));
    // One r-band coadd and its HiPS at a coarse order: enough for Aladin to draw, quick to build.
    const catalog = sampleCatalog();
    const coadd = catalog.layout.coadds.findIndex((c) => c.band.name === 'r');
    await loadSampleImages(tdb.db, catalog, dataDir, 'http://vodax.test', { exposures: [], coadds: [coadd] });
    const [target] = await hipsTargets(tdb.db, { kind: 'deepCoadd' });
    await buildHips(tdb.db, dataDir, target!, { order: 6, formats: ['png'] });
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const app = createApp({ config, log: createLogger('silent'), db: tdb.db, registry: new Registry(tdb.db, addressOf(tdb.url)) });
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (server) await new Promise((r) => server.close(r));
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the images found by a query over the coadd HiPS, the rows links to their DataLink documents', async () => {
    const { page, offsite, errors } = await localPage(browser, base);
    const hipsAnswers: { url: string; status: number }[] = [];
    page.on('response', (r) => r.url().includes('/image/v0/hips/') && hipsAnswers.push({ url: r.url(), status: r.status() }));
    await page.goto(`${base}/query`);
    await page.waitForSelector('[data-table="ivoa.obscore"]');
    await page.fill('#adql', 'SELECT obs_publisher_did, s_ra, s_dec, access_url FROM ivoa.obscore');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'done');
    expect(await page.$$eval('table.results tbody td a:not(.thumb)', (as) => as.map((a) => (a as HTMLAnchorElement).href))).to.have.length(1);
    await page.waitForFunction(() => (document.querySelector('#sky select') as HTMLSelectElement | null)?.value !== '');
    expect(await page.$eval('#sky select', (s) => (s as HTMLSelectElement).value)).to.match(new RegExp(`^${base}/image/v0/hips/L2/DR1/deepCoadd/r/$`));
    await page.click('#show-sky');
    await page.waitForFunction(() => document.getElementById('aladin')?.dataset.sources === '1' || /could not/.test(document.getElementById('sky')?.textContent ?? ''));
    const note = await page.$eval('#sky p.muted', (p) => p.textContent ?? '');
    expect(note.startsWith('1 positions over '), note).to.equal(true);
    // Aladin read the HiPS from vodax: its properties and tiles answered.
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /\/image\/v0\/hips\/.*\/Norder\d+\//.test(e.name)));
    expect(hipsAnswers.some((a) => a.url.endsWith('/properties') && a.status === 200), JSON.stringify(hipsAnswers)).to.equal(true);
    expect(hipsAnswers.some((a) => /\/Norder\d+\/.*\.png$/.test(a.url) && a.status === 200), JSON.stringify(hipsAnswers)).to.equal(true);
    expect(offsite).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
