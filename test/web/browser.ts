/**
 * Debian's Chromium (/usr/bin/chromium), headless, driven by playwright-core, for the tests of
 * the pages and the screenshot script. Every request to a host other than the server's is
 * failed and recorded: the pages must work with no internet.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Is the browser installed (apt-get install chromium)? */
export const haveChromium = (): boolean => fs.existsSync(CHROMIUM);

/** Start headless Chromium; WebGL2 (Aladin Lite) through SwiftShader, as there is no GPU. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
}

/** A page that may reach only `base`'s host; `offsite` collects what it tried to reach elsewhere, `errors` its script errors. */
export async function localPage(browser: Browser, base: string, width = 1400, height = 1000): Promise<{ page: Page; offsite: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const host = new URL(base).host;
  const offsite: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.host === host) return route.continue();
    offsite.push(url.href);
    return route.abort('internetdisconnected');
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, offsite, errors };
}

/** Sign the query page in with `token` (the header's token field) and wait until it says who. */
export async function signIn(page: Page, token: string, user: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('#token-form button[type=submit]');
  await page.waitForFunction((u) => document.getElementById('who')?.textContent === `signed in as ${u}`, user);
}

/** Forget the query page's token: anonymous again. */
export async function signOut(page: Page): Promise<void> {
  await page.click('#token-clear');
  await page.waitForFunction(() => document.getElementById('who')?.textContent === 'anonymous');
}

/** The requests a page makes whose URL `matches`: all of them in order, and the most that were in flight at once. */
export function watchRequests(page: Page, matches: (url: string) => boolean): { urls: string[]; maxInFlight: number } {
  const seen = { urls: [] as string[], maxInFlight: 0 };
  let inFlight = 0;
  page.on('request', (r) => {
    if (!matches(r.url())) return;
    seen.urls.push(r.url());
    seen.maxInFlight = Math.max(seen.maxInFlight, ++inFlight);
  });
  const done = (r: { url(): string }) => matches(r.url()) && inFlight--;
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return seen;
}
