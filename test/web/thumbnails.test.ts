/**
 * Thumbnails of image rows in the query page's results (Chromium): ObsCore rows (DataLink
 * access_url, its #preview link) and LSST image URLs get a decoded PNG preview; only rows on the
 * table's current page that come into view are fetched, a few at a time, each URL once; a click
 * opens the full preview; a private L3 image shows for its owner (token, blob: URL) and for
 * nobody else, with nothing broken left in the page.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { sampleCatalog } from '../../src/sample-data/sample.js';
import { loadSampleImages } from '../../src/sample-data/sample-images.js';
import { registerImage } from '../../src/images/image-catalog.js';
import { describeImageFile } from '../../src/images/describe.js';
import { FitsFile } from '../../src/fits/file.js';
import { addUser } from '../../src/auth/users.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { haveChromium, launchChromium, localPage, signIn, signOut, watchRequests } from './browser.js';

const PREVIEW = /[?&]format=png/;
const LINKS = /\/image\/v0\/datalink\/links\?/;

describe('thumbnails of image rows in the query page (Chromium)', function () {
  this.timeout(90_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let offsite: string[];
  let errors: string[];
  let consoleErrors: string[];
  let l3: number;
  let joeToken: string;
  let annToken: string;

  before(async () => {
    if (!haveChromium()) throw new Error('Chromium is missing: apt-get install chromium');
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-web-thumbs-'));
    // All 60 sample images (a few seconds): more ObsCore rows than one page of the table holds.
    await loadSampleImages(tdb.db, sampleCatalog(), dataDir, 'http://registered.test');
    // joe's private image: a copy of a calexp in an L3 collection of his.
    const src = (await tdb.db.query<{ path: string }>("SELECT path FROM vodax.images WHERE kind = 'calexp' ORDER BY id LIMIT 1"))[0]!.path;
    const file = path.join(dataDir, 'images', 'joe', 'secret.fits');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(dataDir, 'images', src), file);
    const fits = await FitsFile.open(file);
    const described = describeImageFile(fits);
    await fits.close();
    l3 = await registerImage(tdb.db, { level: 'L3', collection: 'joesecret', kind: 'calexp', owner: 'joe', path: 'joe/secret.fits', fileBytes: fs.statSync(file).size, ...described }, 'http://registered.test');
    joeToken = (await addUser(tdb.db, 'joe')).token;
    annToken = (await addUser(tdb.db, 'ann')).token;
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

  beforeEach(async () => {
    ({ page, offsite, errors } = await localPage(browser, base));
    consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.goto(`${base}/query`);
    await page.waitForSelector('[data-table="ivoa.obscore"]');
  });

  afterEach(async () => {
    await page.close();
    expect(offsite, 'requests to other hosts').to.deep.equal([]);
    expect(errors, 'script errors in the page').to.deep.equal([]);
  });

  async function run(query: string): Promise<void> {
    await page.fill('#adql', query);
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('status')?.dataset.state ?? ''));
    expect(await page.$('#error:not([hidden])'), await page.textContent('#error') ?? '').to.equal(null);
  }

  /** The rows of the table's page: their access_url (or first) link and the thumbnail's state, picture size and source. */
  const shown = () =>
    page.$$eval('table.results tbody tr', (trs) =>
      trs.map((tr) => {
        const thumb = tr.querySelector('a.thumb') as HTMLAnchorElement | null;
        const img = thumb?.querySelector('img') ?? null;
        return {
          link: (tr.querySelector('td a:not(.thumb)') as HTMLAnchorElement | null)?.href ?? null,
          thumb: thumb?.dataset.thumb ?? null,
          href: thumb?.getAttribute('href') ?? null,
          width: img?.naturalWidth ?? 0,
          src: img?.src ?? null,
        };
      }),
    );

  /** Wait until no thumbnail in view (in the table's scroller, and the window or 64 px from it) is still loading. */
  const settled = () =>
    page.waitForFunction(() => {
      const box = document.querySelector('.table-scroll')!.getBoundingClientRect();
      const top = Math.max(-64, box.top);
      const bottom = Math.min(innerHeight + 64, box.bottom);
      return [...document.querySelectorAll('a.thumb[data-thumb=pending]')].every((a) => {
        const r = a.getBoundingClientRect();
        return r.bottom < top || r.top > bottom;
      });
    }, undefined, { timeout: 30_000 });

  /** Scroll the page and the table's scroller to its last row. */
  const toLastRow = () => page.locator('table.results tbody tr:last-child').scrollIntoViewIfNeeded();

  it('SELECT TOP 5 * FROM ivoa.obscore: each row a decoded PNG thumbnail from its DataLink #preview; a click opens the preview', async () => {
    const previews = watchRequests(page, (u) => PREVIEW.test(u));
    const links = watchRequests(page, (u) => LINKS.test(u));
    await run('SELECT TOP 5 * FROM ivoa.obscore');
    await page.waitForFunction(() => document.querySelectorAll('a.thumb[data-thumb=loaded] img').length === 5, undefined, { timeout: 30_000 });
    const rows = await shown();
    expect(rows).to.have.length(5);
    for (const r of rows) {
      expect(r.width, JSON.stringify(r)).to.be.above(0);
      expect(r.src).to.match(/^blob:/);
      // The link a click opens: the document's #preview, the LSST face's full-size PNG of that image.
      expect(r.href).to.match(new RegExp(`^${base}/image/v0/L2/DR1/(calexp|deepCoadd)/\\d+\\?format=png$`));
    }
    // Each row's DataLink document once, then its preview at thumbnail size.
    expect([...links.urls].sort()).to.deep.equal(rows.map((r) => r.link!).sort());
    expect(previews.urls).to.have.length(5);
    for (const u of previews.urls) expect(new URL(u).searchParams.get('maxSize')).to.equal('128');
    expect(previews.maxInFlight + links.maxInFlight).to.be.at.most(6);

    const [tab] = await Promise.all([page.waitForEvent('popup'), page.click('a.thumb >> nth=0')]);
    await tab.waitForLoadState();
    expect(tab.url()).to.equal(rows[0]!.href);
    expect(await tab.evaluate(() => document.images[0]?.naturalWidth ?? 0)).to.be.above(256);
    await tab.close();
    expect(consoleErrors).to.deep.equal([]);
  });

  it('fetches only the rows in view on the current page, a few at a time, each URL once', async () => {
    const links = watchRequests(page, (u) => LINKS.test(u));
    const previews = watchRequests(page, (u) => PREVIEW.test(u));
    await run('SELECT TOP 60 obs_publisher_did, access_url, access_format FROM ivoa.obscore ORDER BY obs_publisher_did');
    await page.selectOption('select[aria-label="Rows per page"]', '50');
    await settled();
    const first = await shown();
    expect(first).to.have.length(50);
    const firstLinks = first.map((r) => r.link!);
    // Lazy: the rows the scroller shows, not the page's 50.
    const inView = links.urls.length;
    expect(inView).to.be.within(3, 20);
    expect(firstLinks).to.include.members(links.urls);
    expect(first.filter((r) => r.thumb === 'loaded')).to.have.length(previews.urls.length);

    // Scrolled to the end of the page: the rest of page 1, still nothing from page 2.
    await toLastRow();
    await page.waitForFunction(() => document.querySelector('table.results tbody tr:last-child a.thumb')?.getAttribute('data-thumb') === 'loaded', undefined, { timeout: 30_000 });
    await settled();
    expect(links.urls.length).to.be.above(inView).and.below(50);
    expect(firstLinks).to.include.members(links.urls);

    // Page 2 (shown from its top): its own rows only; back on page 1, nothing is fetched again.
    await page.click('.pager button.next');
    expect(await page.$eval('.table-scroll', (s) => s.scrollTop)).to.equal(0);
    await settled();
    await toLastRow();
    await page.waitForFunction(() => document.querySelectorAll('a.thumb[data-thumb=loaded]').length === 10, undefined, { timeout: 30_000 });
    const second = await shown();
    expect(second).to.have.length(10);
    expect(second.every((r) => r.thumb === 'loaded' && r.width > 0), JSON.stringify(second)).to.equal(true);
    const secondLinks = second.map((r) => r.link!);
    expect(links.urls.filter((u) => !firstLinks.includes(u)).sort()).to.deep.equal([...secondLinks].sort());
    const before = links.urls.length;
    await page.click('.pager button.prev');
    await page.waitForFunction(() => document.querySelector('table.results tbody tr a.thumb')?.getAttribute('data-thumb') === 'loaded');
    await settled();
    // Back on page 1: the rows seen before come from the cache; only rows never in view yet are fetched.
    expect(firstLinks).to.include.members(links.urls.slice(before));
    expect(new Set(links.urls).size).to.equal(links.urls.length);
    expect(new Set(previews.urls).size).to.equal(previews.urls.length);
    // At most three rows load at once, each one request at a time.
    expect(links.maxInFlight + previews.maxInFlight).to.be.at.most(6);
    expect(Math.max(links.maxInFlight, previews.maxInFlight)).to.be.at.most(3);
    expect(consoleErrors).to.deep.equal([]);
  });

  it('a private L3 image: its thumbnail for joe (sent with his token, shown from a blob), nothing for another user or anonymous', async () => {
    const did = `ivo://vodax/image?${l3}`;
    const imageUrl = `${base}/image/v0/L3/joesecret/calexp/${l3}`;
    const linksUrl = `${base}/image/v0/datalink/links?ID=${encodeURIComponent(did)}`;
    // ObsCore leaves L3 out: such an image reaches a result as a URL (an L3 table of joe's, say).
    const named = `SELECT TOP 1 '${imageUrl}' AS image FROM ivoa.obscore`;
    const linked = `SELECT TOP 1 '${linksUrl}' AS links FROM ivoa.obscore`;

    await signIn(page, joeToken, 'joe');
    for (const q of [named, linked]) {
      await run(q);
      await page.waitForSelector('a.thumb[data-thumb=loaded] img', { timeout: 30_000 });
      const [row] = await shown();
      expect(row!.width, q).to.be.above(0);
      expect(row!.src).to.match(/^blob:/);
      expect(row!.href).to.equal(`${imageUrl}?format=png`);
    }
    // The full preview needs the token too: the new tab gets it as a blob.
    const [tab] = await Promise.all([page.waitForEvent('popup'), page.click('a.thumb')]);
    await tab.waitForURL(/^blob:/);
    expect(await tab.evaluate(() => (document.querySelector('img') as HTMLImageElement | null)?.naturalWidth ?? 0)).to.be.above(0);
    await tab.close();

    const noThumbnail = async (q: string) => {
      await run(q);
      // The row is there, its thumbnail is not: gone, no broken image.
      await page.waitForFunction(() => document.querySelectorAll('table.results tbody tr').length === 1 && !document.querySelector('a.thumb'), undefined, { timeout: 30_000 });
      expect(await page.$$eval('table.results img', (imgs) => imgs.length)).to.equal(0);
    };
    // Another user: the server does not show her joe's image (404) nor its links (an error row).
    await signIn(page, annToken, 'ann');
    for (const q of [named, linked]) await noThumbnail(q);
    expect(consoleErrors).to.have.length(1);
    expect(consoleErrors[0]).to.match(/status of 404/);
    // Anonymous: no L3 image is ever visible, so none is asked for; the links document's error row fails nothing.
    await signOut(page);
    for (const q of [named, linked]) await noThumbnail(q);
    expect(consoleErrors).to.have.length(1);
  });
});
