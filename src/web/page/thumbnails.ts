/**
 * Thumbnails of image rows: a small PNG preview fetched only when its row scrolls into view on
 * the table's current page, a few fetches at a time, kept per URL (and caller) for the page's
 * life. Fetched with the caller's token and shown from a blob: URL, so a signed-in user's private
 * L3 previews work (an <img src> cannot carry the Authorization header). Anything that fails
 * (an error row, a refusal, not an image) leaves nothing behind: no broken image, no error.
 */
import { call, parseVotable, token } from './api.js';
import { isLsstImageUrl, isPrivateImageUrl, lsstPreviewUrl, ownUrl, THUMB_SIZE, type ImageSource } from './image-links.js';

/** Row previews loading at once (a DataLink row fetches its links, then its PNG: one at a time). */
const MAX_LOADING = 3;
/** Previews kept; the oldest are let go (their blob: URLs revoked) beyond this. */
const MAX_KEPT = 400;

/** A row's preview: the thumbnail (a blob: URL) and the full preview a click opens. */
interface Preview {
  thumb: string;
  full: string;
}

const kept = new Map<string, Promise<Preview | null>>();

function keep(key: string, preview: Promise<Preview | null>): void {
  kept.set(key, preview);
  while (kept.size > MAX_KEPT) {
    const [oldest, p] = kept.entries().next().value as [string, Promise<Preview | null>];
    kept.delete(oldest);
    // Shown thumbnails stay shown: an <img> keeps its decoded picture after its URL is revoked.
    void p.then((x) => x && URL.revokeObjectURL(x.thumb));
  }
}

// Slots for loads: a finished load hands its slot straight to the next waiting one.
let loading = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<void> {
  if (loading < MAX_LOADING) loading++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else loading--;
}

/** The preview link of a DataLink document (semantics #preview, no error), on this server. */
async function previewLink(linksUrl: string): Promise<URL | null> {
  const res = await call(linksUrl);
  if (!res.ok) return null;
  const links = parseVotable(await res.text());
  const col = (name: string) => links.columns.findIndex((c) => c.name.toLowerCase() === name);
  const [url, semantics, error] = [col('access_url'), col('semantics'), col('error_message')];
  if (url < 0 || semantics < 0) return null;
  const row = links.rows.find((r) => /#preview$/.test(String(r[semantics] ?? '')) && r[url] !== null && (error < 0 || r[error] === null));
  return row ? ownUrl(row[url], location.origin) : null;
}

/** Fetch a row's preview: its thumbnail decoded, or null. */
async function loadPreview(source: ImageSource): Promise<Preview | null> {
  const image = source.kind === 'lsst' ? new URL(source.url) : await previewLink(source.url);
  // A certain 404 is not asked for (the browser would log it).
  if (!image || (token() === '' && isPrivateImageUrl(image))) return null;
  // Twice the shown size, for sharp thumbnails on high-density screens.
  const size = THUMB_SIZE * Math.min(3, Math.max(2, Math.ceil(devicePixelRatio)));
  const lsst = isLsstImageUrl(image);
  const res = await call(lsst ? lsstPreviewUrl(image, size) : image.href);
  if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('image/')) return null;
  const thumb = URL.createObjectURL(await res.blob());
  const probe = new Image();
  probe.src = thumb;
  try {
    await probe.decode();
  } catch {
    URL.revokeObjectURL(thumb);
    return null;
  }
  return { thumb, full: lsst ? lsstPreviewUrl(image) : image.href };
}

/** The preview of `source` for `el`, loaded once per URL and caller; null when `el` left the page first. */
async function previewFor(el: HTMLElement, source: ImageSource): Promise<Preview | null> {
  const key = `${token()} ${source.url}`;
  const known = kept.get(key);
  if (known) return known;
  await slot();
  try {
    // The page may have changed while this waited: a row no longer shown costs nothing.
    if (!el.isConnected) return null;
    let p = kept.get(key);
    if (!p) {
      p = loadPreview(source).catch(() => null);
      keep(key, p);
    }
    return await p;
  } finally {
    release();
  }
}

/** Open the full preview in a new tab; with a token, fetched with it and opened as a blob. */
function openFull(url: string): void {
  const tab = window.open('about:blank', '_blank');
  if (!tab) return;
  tab.opener = null;
  call(url)
    .then(async (res) => {
      if (!res.ok) throw new Error(String(res.status));
      const blobUrl = URL.createObjectURL(await res.blob());
      tab.location.href = blobUrl;
      setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
    })
    .catch(() => tab.close());
}

async function show(el: HTMLAnchorElement, source: ImageSource): Promise<void> {
  const preview = await previewFor(el, source);
  if (!el.isConnected) return;
  if (!preview) {
    el.remove();
    return;
  }
  const img = new Image();
  img.alt = 'preview';
  img.src = preview.thumb;
  try {
    await img.decode();
  } catch {
    el.remove();
    return;
  }
  el.href = preview.full;
  el.title = 'Open the preview in a new tab';
  el.dataset.thumb = 'loaded';
  el.append(img);
}

const sources = new WeakMap<Element, ImageSource>();
let observer: IntersectionObserver | null = null;

function watch(): IntersectionObserver {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        observer!.unobserve(e.target);
        const source = sources.get(e.target);
        if (source) void show(e.target as HTMLAnchorElement, source);
      }
    },
    // Start just before a row scrolls in.
    { rootMargin: `${THUMB_SIZE}px` },
  );
  return observer;
}

/** A thumbnail for a row's cell: empty until its row is in view, then the preview (or gone). */
export function thumbnail(source: ImageSource): HTMLAnchorElement {
  const a = document.createElement('a');
  a.className = 'thumb';
  a.dataset.thumb = 'pending';
  a.target = '_blank';
  a.rel = 'noopener';
  a.addEventListener('click', (e) => {
    if (a.dataset.thumb !== 'loaded') e.preventDefault();
    else if (token() !== '') {
      e.preventDefault();
      openFull(a.href);
    }
  });
  sources.set(a, source);
  watch().observe(a);
  return a;
}

/** Stop watching the thumbnails in `root` that never came into view (their page is left). */
export function forgetThumbnails(root: ParentNode): void {
  if (!observer) return;
  for (const a of root.querySelectorAll('a.thumb[data-thumb=pending]')) observer.unobserve(a);
}
