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
