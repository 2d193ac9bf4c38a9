/**
 * A result as an HTML table that pages and sorts in the page: only the rows of one page are in
 * the DOM, so 100,000 rows stay responsive; a sort reorders an index, never the rows. URLs are
 * links; image rows (DataLink, LSST image URLs) show a thumbnail beside their link.
 */
import type { Column, ResultTable } from './api.js';
import { imageSourceOf } from './image-links.js';
import { forgetThumbnails, thumbnail } from './thumbnails.js';

const PAGE_SIZES = [50, 100, 500, 1000];

/** Compare two cells: nulls last, numbers as numbers, the rest as text. */
function compareCells(a: unknown, b: unknown): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string' && /^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    // Exact big integers (kept as digits): by length, then by text.
    const sa = a.startsWith('-'), sb = b.startsWith('-');
    if (sa !== sb) return sa ? -1 : 1;
    const d = a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
    return sa ? -d : d;
  }
  return String(a).localeCompare(String(b));
}

/** Is the column's content a link (by UCD, or because its values are http(s) URLs)? */
function isLinkColumn(col: Column, rows: unknown[][], i: number): boolean {
  if (col.ucd && /meta\.ref\.url/.test(col.ucd)) return true;
  const first = rows.find((r) => r[i] !== null && r[i] !== undefined)?.[i];
  return typeof first === 'string' && /^https?:\/\//.test(first);
}

/** The text shown for a cell. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

/** Show `table` in `host`, replacing what was there. */
export function showResultsTable(host: HTMLElement, table: ResultTable): void {
  const { columns, rows } = table;
  const links = columns.map((c, i) => isLinkColumn(c, rows, i));
  const imageOf = imageSourceOf(columns, location.origin);
  let order = rows.map((_, i) => i);
  let sortBy: { column: number; descending: boolean } | null = null;
  let page = 0;
  let pageSize = 100;

  const bar = document.createElement('div');
  bar.className = 'pager';
  const tbl = document.createElement('table');
  tbl.className = 'results';
  const thead = tbl.createTHead();
  const tbody = tbl.createTBody();
  const scroller = document.createElement('div');
  scroller.className = 'table-scroll';
  scroller.append(tbl);

  const head = thead.insertRow();
  columns.forEach((c, i) => {
    const th = document.createElement('th');
    th.dataset.column = c.name;
    th.title = [c.datatype, c.unit && `[${c.unit}]`, c.ucd, c.description].filter(Boolean).join(' · ');
    th.textContent = c.name;
    if (c.unit) {
      const u = document.createElement('span');
      u.className = 'unit';
      u.textContent = ` [${c.unit}]`;
      th.append(u);
    }
    th.tabIndex = 0;
    const sort = () => {
      sortBy = sortBy?.column === i && !sortBy.descending ? { column: i, descending: true } : { column: i, descending: false };
      const dir = sortBy.descending ? -1 : 1;
      order = rows.map((_, k) => k).sort((a, b) => dir * compareCells(rows[a]![i], rows[b]![i]) || a - b);
      page = 0;
      render();
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => e.key === 'Enter' && sort());
    head.append(th);
  });

  const pages = () => Math.max(1, Math.ceil(rows.length / pageSize));
  const button = (label: string, title: string, go: () => void) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.addEventListener('click', () => {
      go();
      render();
    });
    return b;
  };
  const first = button('«', 'First page', () => (page = 0));
  const prev = button('‹', 'Previous page', () => (page = Math.max(0, page - 1)));
  const next = button('›', 'Next page', () => (page = Math.min(pages() - 1, page + 1)));
  const last = button('»', 'Last page', () => (page = pages() - 1));
  prev.className = 'prev';
  next.className = 'next';
  const status = document.createElement('span');
  status.className = 'page-status';
  const size = document.createElement('select');
  size.setAttribute('aria-label', 'Rows per page');
  for (const n of PAGE_SIZES) size.add(new Option(`${n} rows per page`, String(n), n === pageSize, n === pageSize));
  size.addEventListener('change', () => {
    pageSize = Number(size.value);
    page = 0;
    render();
  });
  bar.append(first, prev, status, next, last, size);

  function render(): void {
    const from = page * pageSize;
    const to = Math.min(rows.length, from + pageSize);
    status.textContent = rows.length === 0 ? 'no rows' : `rows ${from + 1}–${to} of ${rows.length}${table.overflow ? ' (MAXREC reached: more rows exist)' : ''}, page ${page + 1} of ${pages()}`;
    prev.disabled = first.disabled = page === 0;
    next.disabled = last.disabled = page >= pages() - 1;
    for (const th of head.cells) th.removeAttribute('aria-sort');
    if (sortBy) head.cells[sortBy.column]!.setAttribute('aria-sort', sortBy.descending ? 'descending' : 'ascending');
    const body = document.createDocumentFragment();
    for (let k = from; k < to; k++) {
      const row = rows[order[k]!]!;
      const image = imageOf(row);
      const tr = document.createElement('tr');
      for (let i = 0; i < columns.length; i++) {
        const td = document.createElement('td');
        const v = row[i];
        const text = cellText(v);
        if (image?.column === i) td.append(thumbnail(image));
        if (links[i] && typeof v === 'string' && /^https?:\/\//.test(v)) {
          const a = document.createElement('a');
          a.href = v;
          a.textContent = v;
          a.target = '_blank';
          a.rel = 'noopener';
          td.append(a);
        } else {
          td.append(text);
          if (typeof v === 'number') td.className = 'num';
          else if (v === null) td.className = 'null';
        }
        tr.append(td);
      }
      body.append(tr);
    }
    forgetThumbnails(tbody);
    tbody.replaceChildren(body);
    // Another page or order starts at its top, where its thumbnails load first.
    scroller.scrollTop = 0;
  }
  render();
  host.replaceChildren(bar, scroller);
}
