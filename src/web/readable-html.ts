/**
 * A JSON answer of the LSST face as a page for a person: objects as name/value tables, lists of
 * objects (a table's columns) as tables, URLs as links, names in a list as links to what they
 * name (the path below this one), an image's metadata with a preview. Nothing raw is shown as JSON.
 */
import { escapeHtml, htmlPage } from '../http/html.js';

/** What a paged list adds: where this page starts, its size, whether more follow. */
export interface PageInfo {
  start: number;
  count: number;
  more: boolean;
}

const isUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\/[^\s"<>]+$/.test(v);
const isScalar = (v: unknown) => v === null || typeof v !== 'object';

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '<span class="null">null</span>';
  if (isUrl(v)) return `<a href="${escapeHtml(v)}">${escapeHtml(v)}</a>`;
  if (typeof v === 'bigint') return v.toString();
  return escapeHtml(String(v));
}

/** Any value, recursively; `base` is the page's path, for the names a list of names links to. */
function value(v: unknown, base: string | null): string {
  if (isScalar(v)) return scalar(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '<span class="null">none</span>';
    if (v.every(isScalar)) {
      // Short scalar lists (planes, a footprint's numbers) inline; names of what is below the page, links.
      if (base !== null && v.every((x) => typeof x === 'string' && !isUrl(x))) {
        return `<ul>${v.map((x) => `<li><a href="${escapeHtml(`${base}/${encodeURIComponent(String(x))}`)}">${escapeHtml(String(x))}</a></li>`).join('')}</ul>`;
      }
      if (v.some(isUrl)) return `<ul>${v.map((x) => `<li>${scalar(x)}</li>`).join('')}</ul>`;
      return v.map(scalar).join(', ');
    }
    if (v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) return objectsTable(v as Record<string, unknown>[]);
    return `<ol>${v.map((x) => `<li>${value(x, null)}</li>`).join('')}</ol>`;
  }
  return keyValueTable(v as Record<string, unknown>);
}

/** A list of objects as a table, a column per key (a table's columns: name, datatype, unit, ucd...). */
function objectsTable(rows: Record<string, unknown>[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  // Keys with no value in any row say nothing: leave them out.
  const shown = keys.filter((k) => rows.some((r) => r[k] !== null && r[k] !== undefined));
  const head = shown.map((k) => `<th>${escapeHtml(k)}</th>`).join('');
  // In a table an empty cell reads as "no value" better than the word null.
  const cellOf = (v: unknown) => (v === null || v === undefined ? '' : value(v, null));
  const body = rows.map((r) => `<tr>${shown.map((k) => `<td>${cellOf(r[k])}</td>`).join('')}</tr>`).join('\n');
  return `<table><tr>${head}</tr>\n${body}\n</table>`;
}

/** An object as name/value rows; an image's metadata first shows a preview of its pixels. */
function keyValueTable(o: Record<string, unknown>): string {
  // Lists of objects (a table's columns) get the page's width, each under its name, after the rest.
  const isRows = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
  const entries = Object.entries(o);
  const rows = entries.filter(([, v]) => !isRows(v)).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${value(v, null)}</td></tr>`).join('\n');
  const sections = entries.filter(([, v]) => isRows(v)).map(([k, v]) => `\n<h2>${escapeHtml(k)}</h2>\n${objectsTable(v as Record<string, unknown>[])}`).join('');
  const preview = isUrl(o.url) && /\/image\/v0\//.test(o.url) && typeof o.naxis1 === 'number'
    ? `<p><a href="${escapeHtml(o.url)}"><img src="${escapeHtml(`${o.url}?plane=data&format=png`)}" alt="preview of the image's pixels" width="256" loading="lazy"></a></p>\n`
    : '';
  return `${preview}<table>\n${rows}\n</table>${sections}`;
}

/** A path segment as text; a malformed escape stays as it was written. */
function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The path as links to each of its parents. */
function breadcrumbs(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const links = parts.map((p, i) => {
    const href = `/${parts.slice(0, i + 1).join('/')}`;
    return i === parts.length - 1 ? escapeHtml(decoded(p)) : `<a href="${escapeHtml(href)}">${escapeHtml(decoded(p))}</a>`;
  });
  return `<p class="crumbs"><a href="/">vodax</a> / ${links.join(' / ')} · <a href="${escapeHtml(path)}?format=json">JSON</a> · <a href="/query">query page</a></p>`;
}

/** The whole page for the answer at `path` (the request's path, no query string). */
export function readableHtml(path: string, result: unknown, page?: PageInfo): string {
  const base = path.replace(/\/+$/, '');
  let body: string;
  // The v0 [object, annotations] pair: the object, then its annotations.
  if (Array.isArray(result) && result.length === 2 && result.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
    body = `${keyValueTable(result[0] as Record<string, unknown>)}\n<h2>annotations</h2>\n${keyValueTable(result[1] as Record<string, unknown>)}`;
  } else {
    body = value(result, base);
  }
  let paging = '';
  if (page) {
    const next = page.more ? ` · <a href="${escapeHtml(`${base}?start=${page.start + page.count}&count=${page.count}`)}">next ${page.count}</a>` : '';
    const prev = page.start > 0 ? `<a href="${escapeHtml(`${base}?start=${Math.max(0, page.start - page.count)}&count=${page.count}`)}">previous</a> · ` : '';
    paging = `<p>${prev}items ${page.start + 1}–${page.start + page.count}${page.more ? ', more follow' : ''}${next}</p>`;
  }
  return htmlPage(`vodax ${decoded(base)}`, `${breadcrumbs(base)}\n<h1>${escapeHtml(decoded(base))}</h1>\n${paging}\n${body}\n${paging}`);
}
