/**
 * Screenshots of vodax's pages in Debian's Chromium (headless), for a person to look at:
 * `node --import tsx conformance/page_screenshots.ts [--url URL] [OUTDIR]` (default OUTDIR
 * $TMPDIR/vodax-page-screenshots, outside the repository). Without --url it starts `vodax serve`
 * on a free port with a temporary DATA_DIR (first start: sample data and the r-band coadd HiPS,
 * a minute or so). Requests to any other host are failed and listed: the pages must work offline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../src/system/ports.js';
import { launchChromium, localPage } from '../test/web/browser.js';

const args = process.argv.slice(2);
const at = args.indexOf('--url');
const given = at >= 0 ? args.splice(at, 2)[1] : undefined;
const outDir = path.resolve(args[0] ?? path.join(os.tmpdir(), 'vodax-page-screenshots'));

async function startServer(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-screenshots-'));
  fs.chmodSync(dir, 0o755);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { env: { ...process.env, PORT: String(port), DATA_DIR: dir, LOG_FORMAT: 'silent' }, stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    if (child.exitCode !== null) throw new Error(`vodax serve exited with ${child.exitCode}`);
    if (await fetch(`${url}/`).then((r) => r.ok, () => false)) return { url, child, dir };
  }
  child.kill();
  throw new Error('vodax did not start within 300 s');
}

const own = given ? null : await startServer();
const base = given ?? own!.url;
fs.mkdirSync(outDir, { recursive: true });
const browser = await launchChromium();
const { page, offsite, errors } = await localPage(browser, base, 1400, 1000);
const shots: string[] = [];
async function shot(name: string, what: Page | string = page): Promise<void> {
  const file = path.join(outDir, `${name}.png`);
  if (typeof what === 'string') await page.locator(what).screenshot({ path: file });
  else await what.screenshot({ path: file, fullPage: true });
  shots.push(file);
}
const settled = () => page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.getElementById('status')?.dataset.state ?? ''), undefined, { timeout: 60_000 });

try {
  await page.goto(`${base}/`);
  await shot('landing');
  await page.goto(`${base}/db/v0/tap`);
  await shot('tap-root');
  await page.goto(`${base}/meta/v0/db/L2/DC_W13_Stripe82/tables/Object`);
  await shot('meta-table');
  await page.goto(`${base}/meta/v0/db/L2/DC_W13_Stripe82/tables`);
  await shot('meta-tables-list');
  const image = await (await fetch(`${base}/meta/v0/image/L2/DR1/calexp?count=1`, { headers: { accept: 'application/json' } })).json() as { result: string[] };
  await page.goto(image.result[0]!.replace('/image/v0/', '/meta/v0/image/'));
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  await shot('meta-image');

  await page.goto(`${base}/query`);
  await page.waitForSelector('[data-table="DC_W13_Stripe82.Object"]');
  await page.waitForSelector('[data-example]');
  await shot('query-page');

  await page.click('[data-example="cone"] button.run-example');
  await settled();
  await shot('query-example-results');

  // Image rows: each ObsCore row's thumbnail, from the #preview link of its DataLink document.
  await page.fill('#adql', 'SELECT TOP 6 obs_publisher_did, dataproduct_subtype, s_ra, s_dec, em_min, access_url\nFROM ivoa.obscore\nORDER BY dataproduct_subtype DESC, s_ra');
  await page.click('#run');
  await settled();
  // Thumbnails load as their rows come into view.
  await page.locator('#results').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => !document.querySelector('a.thumb[data-thumb=pending]'), undefined, { timeout: 60_000 });
  await shot('query-image-rows', '#results');

  await page.fill('#adql', 'SELECT TOP 3 objectId,\n  ra, decl, rPsfMagx\nFROM DC_W13_Stripe82.Object');
  await page.click('#run');
  await settled();
  await page.locator('#error').scrollIntoViewIfNeeded();
  await shot('query-error', '#query-section');

  await page.fill('#adql', 'SELECT TOP 20000 objectId, ra, decl, rPsfMag, gPsfMag\nFROM DC_W13_Stripe82.Object');
  await page.click('#run-async');
  await settled();
  await shot('query-async-query', '#query-section');
  await shot('query-async-results', '#results-section');
  await shot('query-plots', '#plots');

  await page.fill('#adql', "SELECT objectId, ra, decl, rPsfMag\nFROM DC_W13_Stripe82.Object\nWHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 0.05, 0, 0.1))");
  await page.click('#run');
  await settled();
  await page.click('#show-sky');
  await page.waitForSelector('#aladin canvas');
  await page.waitForTimeout(5000);
  await shot('query-sky', '#sky');
  console.log(`${shots.length} screenshots in ${outDir}:\n${shots.map((s) => `  ${path.basename(s)}`).join('\n')}`);
  if (offsite.length) console.log(`requests to other hosts (failed): ${offsite.join(', ')}`);
  if (errors.length) console.log(`script errors: ${errors.join('; ')}`);
  process.exitCode = offsite.length || errors.length ? 1 : 0;
} finally {
  await browser.close();
  if (own) {
    own.child.kill('SIGTERM');
    await new Promise((r) => own.child.once('exit', r));
    fs.rmSync(own.dir, { recursive: true, force: true });
  }
}
