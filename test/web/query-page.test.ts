/**
 * The query page (/query) in a real browser: Debian's Chromium, headless, through playwright-core,
 * against the app over the sample data with TAP async jobs. No request may leave the server.
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
import { CatalogCache } from '../../src/catalog/query-catalog.js';
import { JobEngine } from '../../src/jobs/job-engine.js';
import { tapJobKind } from '../../src/query/tap-job-kind.js';
import { ensureUser, issueToken } from '../../src/auth/users.js';
import { testDatabase } from '../support/database.js';
import { engineOptions } from '../ivoa/uws/support.js';
import { haveChromium, launchChromium, localPage } from './browser.js';

describe('the query page in Chromium (/query)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let engine: JobEngine;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let offsite: string[];
  let errors: string[];
  let joeToken: string;

  before(async function () {
    if (!haveChromium()) throw new Error('Chromium is missing: apt-get install chromium');
    const { db, url } = await testDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-web-'));
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const catalogs = new CatalogCache(db);
    engine = new JobEngine(engineOptions(db, dataDir, { kinds: [tapJobKind({ config, db, catalogs })] }));
    await engine.start();
    const app = createApp({ config, log: createLogger('silent'), db, registry: new Registry(db, addressOf(url)), catalogs, jobs: engine });
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await ensureUser(db, 'joe');
    joeToken = (await issueToken(db, 'joe')).token;
    browser = await launchChromium();
    ({ page, offsite, errors } = await localPage(browser, base));
  });

  after(async () => {
    await browser?.close();
    if (server) await new Promise((r) => server.close(r));
    await engine?.stop(1000);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(offsite, 'requests to other hosts').to.deep.equal([]);
    expect(errors, 'script errors in the page').to.deep.equal([]);
  });

  /** Open the page afresh and wait until the schema browser is filled. */
  async function open(): Promise<void> {
    await page.goto(`${base}/query`);
    await page.waitForSelector('[data-table="DC_W13_Stripe82.Object"]');
  }

  /** Put a query in the editor as a person would: select all, type. */
  async function type(query: string): Promise<void> {
    await page.fill('#adql', '');
    await page.type('#adql', query, { delay: 0 });
  }

  /** The cells of the result table's rows on the current page. */
  const rows = () => page.$$eval('table.results tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const headers = () => page.$$eval('table.results thead th', (ths) => ths.map((th) => (th as HTMLElement).dataset.column));

  async function runAndWait(button = '#run'): Promise<void> {
    await page.click(button);
    await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.getElementById('status')?.dataset.state ?? ''));
  }

  it('is linked from the landing page and the TAP root, and names no other site', async () => {
    for (const p of ['/', '/db/v0/tap']) {
      const html = await (await fetch(`${base}${p}`, { headers: { accept: 'text/html' } })).text();
      expect(html, p).to.match(/href="\/query"/);
    }
    const page = await (await fetch(`${base}/query`)).text();
    expect(page).not.to.match(/(src|href)="(https?:)?\/\//);
    const js = await fetch(`${base}/query/assets/main.js`);
    expect(js.status).to.equal(200);
    expect(js.headers.get('content-type')).to.match(/^text\/javascript/);
    expect((await fetch(`${base}/query/assets/nothing.js`)).status).to.equal(404);
  });

  it('lists the sample tables with their columns, units and UCDs; a click inserts the name', async () => {
    // The page, its bundle (built by an earlier test), TAP_SCHEMA and the examples: loaded, timed.
    const t0 = Date.now();
    await open();
    await page.waitForSelector('[data-example]');
    const loadMs = Date.now() - t0;
    console.log(`      page ready (schema and examples shown) in ${loadMs} ms`);
    expect(loadMs).to.be.below(3000);
    const tables = await page.$$eval('details.table', (ds) => ds.map((d) => (d as HTMLElement).dataset.table));
    expect(tables).to.include.members(['DC_W13_Stripe82.Object', 'DC_W13_Stripe82.Source', 'DC_W13_Stripe82.Science_Ccd_Exposure', 'ivoa.obscore', 'TAP_SCHEMA.columns']);
    // Anonymous: joe's private database is not there.
    expect(tables.some((t) => t?.startsWith('joe_myDb.'))).to.equal(false);
    await page.click('[data-table="DC_W13_Stripe82.Object"] > summary');
    const mag = await page.textContent('[data-table="DC_W13_Stripe82.Object"] [data-column="rPsfMag"]');
    expect(mag).to.include('[mag]').and.include('phot.mag').and.include('AB magnitude');
    await page.fill('#adql', 'SELECT TOP 3  FROM DC_W13_Stripe82.Object');
    await page.evaluate(() => (document.getElementById('adql') as HTMLTextAreaElement).setSelectionRange(13, 13));
    await page.click('[data-table="DC_W13_Stripe82.Object"] [data-column="rPsfMag"] button');
    expect(await page.inputValue('#adql')).to.equal('SELECT TOP 3 rPsfMag FROM DC_W13_Stripe82.Object');
  });

  it('runs a typed query and shows its rows, which sort and page without a reload', async () => {
    await open();
    await type('SELECT TOP 250 objectId, ra, decl, rPsfMag\nFROM DC_W13_Stripe82.Object\nORDER BY objectId');
    await runAndWait();
    expect(await page.textContent('#status')).to.match(/^250 rows, 4 columns/);
    expect(await headers()).to.deep.equal(['objectId', 'ra', 'decl', 'rPsfMag']);
    const first = await rows();
    expect(first).to.have.length(100);
    expect(first[0]![0]).to.equal('3000000000');
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.click('th[data-column="rPsfMag"]');
    const mags = (await rows()).map((r) => Number(r[3]));
    expect(mags).to.deep.equal([...mags].sort((a, b) => a - b));
    await page.click('th[data-column="rPsfMag"]');
    expect(Number((await rows())[0]![3])).to.be.at.least(mags[99]!);
    await page.click('.pager .next');
    await page.click('.pager .next');
    expect(await rows()).to.have.length(50);
    expect(await page.textContent('.page-status')).to.include('rows 201–250 of 250');
    expect(navigations).to.deep.equal([]);
  });

  it('shows an ADQL error with its line and column, marked in the editor', async () => {
    await open();
    await type('SELECT TOP 3 objectId,\n ra, decl, rPsfMagx FROM DC_W13_Stripe82.Object');
    await runAndWait();
    expect(await page.textContent('#error-position')).to.equal('line 2, column 12');
    expect(await page.textContent('#error-message')).to.include('no column "rPsfMagx"');
    expect(await page.textContent('.gutter .error-line')).to.equal('2');
    expect(await page.textContent('.mirror .error-mark')).to.equal('r');
    // The caret is at the fault.
    expect(await page.evaluate(() => (document.getElementById('adql') as HTMLTextAreaElement).selectionStart)).to.equal('SELECT TOP 3 objectId,\n ra, decl, '.length);
    await page.type('#adql', 'x');
    expect(await page.$('.gutter .error-line')).to.equal(null);
  });

  it('runs an example with its Run button', async () => {
    await open();
    await page.click('[data-example="cone"] button.run-example');
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'done');
    expect(await page.inputValue('#adql')).to.include('CIRCLE(');
    expect(await headers()).to.deep.equal(['objectId', 'ra', 'decl', 'rPsfMag']);
    const r = await rows();
    expect(r.length).to.be.greaterThan(0);
    // All within 0.1 deg of (0.05, 0): RA either side of 0.
    for (const [, ra, dec] of r) {
      expect(Math.abs(Number(dec))).to.be.below(0.11);
      expect(Number(ra) < 0.2 || Number(ra) > 359.9).to.equal(true);
    }
  });

  it('draws the sky plot and the histogram (non-blank canvases), and offers downloads in every format that answer', async () => {
    await open();
    await type('SELECT TOP 500 objectId, ra, decl, rPsfMag FROM DC_W13_Stripe82.Object');
    await runAndWait();
    const inked = (sel: string) =>
      page.$eval(sel, (c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(60, 16, canvas.width - 76, canvas.height - 56).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i]! < 200 || d[i + 1]! < 200) n++;
        return n;
      });
    expect(await inked('#sky-plot canvas')).to.be.greaterThan(500);
    expect(await inked('#histogram canvas')).to.be.greaterThan(500);
    expect(await page.getAttribute('#sky-plot canvas', 'data-points')).to.equal('500');
    const links = await page.$$eval('#downloads a', (as) => as.map((a) => ({ format: (a as HTMLElement).dataset.format!, href: (a as HTMLAnchorElement).href })));
    expect(links.map((l) => l.format)).to.include.members(['votable', 'csv', 'fits', 'json', 'votable/b2', 'tsv', 'html', 'ipac']);
    const types: Record<string, RegExp> = { votable: /^application\/x-votable\+xml/, csv: /^text\/csv/, fits: /^application\/fits/, json: /^application\/json/ };
    for (const l of links.filter((l) => types[l.format])) {
      const res = await fetch(l.href);
      expect(res.status, l.format).to.equal(200);
      expect(res.headers.get('content-type'), l.format).to.match(types[l.format]!);
      const body = Buffer.from(await res.arrayBuffer());
      if (l.format === 'csv') expect(body.toString().trim().split(/\r?\n/)).to.have.length(501);
    }
  });

  it('submits an async query, shows its phase, and shows the rows when it completes', async () => {
    await open();
    await type("SELECT schema_name, table_name FROM TAP_SCHEMA.tables WHERE schema_name = 'DC_W13_Stripe82' ORDER BY table_name");
    await runAndWait('#run-async');
    // Job ids are base64url: '-' is one of their characters.
    expect(await page.textContent('#status')).to.match(/^5 rows, 2 columns, job [\w-]+/);
    expect((await rows()).map((r) => r[1])).to.include('DC_W13_Stripe82.Object');
  });

  it('cancels a running async job (PHASE=ABORT) and says so', async () => {
    await open();
    await type('SELECT COUNT(*) FROM DC_W13_Stripe82.Source AS a CROSS JOIN DC_W13_Stripe82.Object AS b WHERE a.psfFlux > b.rPsfMag');
    await page.click('#run-async');
    await page.waitForSelector('#job-phase');
    await page.click('#cancel');
    await page.waitForFunction(() => document.getElementById('job-phase')?.textContent === 'ABORTED');
    const jobUrl = await page.getAttribute('#job-link', 'href');
    expect((await (await fetch(`${jobUrl}/phase`)).text()).trim()).to.equal('ABORTED');
    expect(await page.isDisabled('#run')).to.equal(false);
  });

  it('works as a signed-in user: the token is sent, private tables appear for their owner', async () => {
    await open();
    await page.fill('#token', joeToken);
    await page.click('#token-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('who')?.textContent === 'signed in as joe');
    await page.waitForSelector('[data-schema="joe_myDb"] details.table');
    const joeTable = await page.$eval('[data-schema="joe_myDb"] details.table', (d) => (d as HTMLElement).dataset.table!);
    await type(`SELECT COUNT(*) AS n FROM ${joeTable}`);
    await runAndWait();
    expect(await page.$('#error-position')).to.equal(null);
    expect(Number((await rows())[0]![0])).to.be.greaterThan(0);
    // Kept for the tab across reloads, sent with every request; forgetting it makes the page anonymous again.
    await page.reload();
    await page.waitForSelector('[data-schema="joe_myDb"]');
    await page.click('#token-clear');
    await page.waitForFunction(() => document.getElementById('who')?.textContent === 'anonymous');
    await page.waitForFunction(() => !document.querySelector('[data-schema="joe_myDb"]') && !!document.querySelector('[data-table="DC_W13_Stripe82.Object"]'));
  });

  it('stays responsive with 100,000 rows: table, sort and plots, timed', async () => {
    await open();
    await page.fill('#maxrec', '100000');
    await type('SELECT TOP 100000 o.objectId, o.ra, o.decl, s.psfFlux FROM DC_W13_Stripe82.Object AS o CROSS JOIN DC_W13_Stripe82.Source AS s');
    const t0 = Date.now();
    await runAndWait();
    const loaded = Date.now() - t0;
    expect(await page.textContent('#status')).to.match(/^100000 rows/);
    const t1 = Date.now();
    await page.click('th[data-column="psfFlux"]');
    await page.waitForFunction(() => document.querySelector('th[data-column="psfFlux"]')?.getAttribute('aria-sort') === 'ascending');
    const sorted = Date.now() - t1;
    const timing = await page.textContent('#sky-plot .timing');
    const ms = Number(/drawn in ([\d.]+) ms/.exec(timing ?? '')?.[1]);
    console.log(`      100,000 rows: query and table ${loaded} ms, sort ${sorted} ms, sky plot ${ms} ms`);
    expect(await page.getAttribute('#sky-plot canvas', 'data-points')).to.equal('100000');
    expect(ms).to.be.below(500);
    expect(sorted).to.be.below(3000);
  });

  it('with no image HiPS on the server, the sky view says so and starts nothing that would reach elsewhere', async () => {
    await open();
    await type('SELECT TOP 50 objectId, ra, decl FROM DC_W13_Stripe82.Object');
    await runAndWait();
    await page.waitForFunction(() => /no image HiPS/.test(document.getElementById('sky')?.textContent ?? ''));
    expect(await page.isDisabled('#show-sky')).to.equal(true);
  });

  it('reads /meta in the browser: names are links to follow, a table\'s columns a table with units and UCDs', async () => {
    await page.goto(`${base}/meta/v0/db/L2`);
    await page.click('a[href="/meta/v0/db/L2/DC_W13_Stripe82"]');
    expect(await page.textContent('h1')).to.equal('/meta/v0/db/L2/DC_W13_Stripe82');
    await page.goto(`${base}/meta/v0/db/L2/DC_W13_Stripe82/tables/Object`);
    const row = await page.$$eval('table tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)).find((cells) => cells[0] === 'rPsfMag'));
    expect(row).to.include('mag').and.include('phot.mag;em.opt.R');
  });
});
