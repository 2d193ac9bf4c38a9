/**
 * How errors look on each face: a face names the paths it serves and how it renders an error
 * (the IVOA face a DALI error document, the LSST face `{"error": ...}`), once, where it is
 * mounted. The style is chosen before any route runs, so that 401, 413 and 503 from the
 * middleware agree with the face's own errors.
 */
import type { Context, Next } from 'koa';
import type { VodaxError } from '../errors.js';
import { fromBrowser } from '../params/accept.js';
import { escapeHtml, htmlPage } from './html.js';

/** Renders an error body. */
export type ErrorRenderer = (e: VodaxError) => { type: string; body: string };

/** The error style of the paths under some prefixes. */
export interface ErrorStyle {
  prefixes: readonly string[];
  render: ErrorRenderer;
}

/** JSON error body per SPEC section 4: {"error": {"code", "message"}}; also what unclaimed paths answer. */
export const renderJsonError: ErrorRenderer = (e) => ({
  type: 'application/json; charset=utf-8',
  body: JSON.stringify({ error: { code: e.code, message: e.message } }),
});

/** True when `path` is `prefix` or below it. */
function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** Koa middleware: remember the renderer of the style whose prefix claims the path (the longest wins). */
export function errorStyleMiddleware(styles: readonly ErrorStyle[]) {
  const byLength = styles.flatMap((s) => s.prefixes.map((prefix) => ({ prefix, render: s.render }))).sort((a, b) => b.prefix.length - a.prefix.length);
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = byLength.find((s) => isUnder(ctx.path, s.prefix));
    if (match) ctx.state.renderError = match.render;
    await next();
  };
}

/**
 * An error as a page for a person in a browser. A failed query read from the URL links back to
 * the query page with the query in its editor (the page marks the line and column there).
 */
export function renderHtmlError(e: VodaxError, query: string | null): { type: string; body: string } {
  const back = query ? `<p><a href="/query?query=${encodeURIComponent(query)}">Edit this query on the query page</a></p>` : '';
  const body = `<h1>${escapeHtml(e.code)}</h1>\n<p><strong>${escapeHtml(e.message)}</strong></p>\n${query ? `<pre>${escapeHtml(query)}</pre>\n` : ''}${back}<p><a href="/">vodax</a></p>`;
  return { type: 'text/html; charset=utf-8', body: htmlPage(`vodax: ${e.code}`, body) };
}

/** The body of an error in the style of the face the request belongs to; a browser (HTML first) gets a page. */
export function renderError(e: VodaxError, ctx: Context): { type: string; body: string } {
  if (fromBrowser(ctx.get('Accept'))) {
    // TAP parameter names are case-insensitive.
    const key = Object.keys(ctx.query).find((k) => k.toLowerCase() === 'query');
    const q = key ? ctx.query[key] : undefined;
    return renderHtmlError(e, typeof q === 'string' ? q : null);
  }
  const render = (ctx.state.renderError as ErrorRenderer | undefined) ?? renderJsonError;
  return render(e);
}
