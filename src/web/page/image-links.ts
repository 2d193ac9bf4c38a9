/**
 * Which result rows show an image, and where its preview is: a DataLink access_url (ObsCore's
 * access_url with access_format DataLink, or vodax's own links endpoint), or an image URL of the
 * LSST face (/image/v0/{level}/{collection}/{kind}/{id}). Only URLs of the page's own server
 * qualify: the preview is fetched with the caller's token, which must never reach another site.
 */
import type { Column } from './api.js';

/** Where a row's thumbnail comes from. */
export interface ImageSource {
  kind: 'datalink' | 'lsst';
  url: string;
  /** The column of the cell that holds the URL (the thumbnail goes there). */
  column: number;
}

const DATALINK_TYPE = /content=datalink/i;
const DATALINK_PATH = /\/image\/v0\/datalink\/links$/;
// The LSST face's image levels (src/catalog/model.ts LEVELS); anything before /image/v0 is PUBLIC_URL's path.
const LSST_IMAGE_PATH = /\/image\/v0\/(dc|l1|l2|l3|dev)\/[^/]+\/[^/]+\/\d+$/i;

/** The thumbnail's longest side in the table, CSS pixels. */
export const THUMB_SIZE = 64;

/** `text` as a URL of the page's own server, or null. */
export function ownUrl(text: unknown, origin: string): URL | null {
  if (typeof text !== 'string' || !/^https?:\/\//.test(text)) return null;
  try {
    const u = new URL(text);
    return u.origin === origin ? u : null;
  } catch {
    return null;
  }
}

/** Is `url` an image of the LSST face (whatever its query: planes, format)? */
export function isLsstImageUrl(url: URL): boolean {
  return LSST_IMAGE_PATH.test(url.pathname);
}

/** Is `url` an L3 image (private to its owner: never visible to an anonymous caller)? */
export function isPrivateImageUrl(url: URL): boolean {
  return isLsstImageUrl(url) && /\/image\/v0\/l3\//i.test(url.pathname);
}

/**
 * The LSST face's PNG preview of an image URL (its planes kept), at most `maxSize` pixels on a
 * side; with no maxSize, the size the URL asks for or the face's default.
 */
export function lsstPreviewUrl(url: URL, maxSize?: number): string {
  const u = new URL(url.href);
  u.searchParams.set('format', 'png');
  if (maxSize !== undefined) u.searchParams.set('maxSize', String(Math.max(16, Math.round(maxSize))));
  return u.href;
}

/**
 * For a table's columns, a function giving each row's image source (or null). The DataLink
 * access_url wins over an image URL in another column: it names the dataset, not one view of it.
 */
export function imageSourceOf(columns: Column[], origin: string): (row: unknown[]) => ImageSource | null {
  const lower = columns.map((c) => c.name.toLowerCase());
  const accessUrl = lower.indexOf('access_url');
  const accessFormat = lower.indexOf('access_format');
  return (row) => {
    if (accessUrl >= 0) {
      const u = ownUrl(row[accessUrl], origin);
      const format = accessFormat >= 0 ? row[accessFormat] : null;
      if (u && (typeof format === 'string' ? DATALINK_TYPE.test(format) : DATALINK_PATH.test(u.pathname))) return { kind: 'datalink', url: u.href, column: accessUrl };
    }
    for (let i = 0; i < row.length; i++) {
      const u = ownUrl(row[i], origin);
      if (u && isLsstImageUrl(u)) return { kind: 'lsst', url: u.href, column: i };
      if (u && DATALINK_PATH.test(u.pathname) && u.searchParams.has('ID')) return { kind: 'datalink', url: u.href, column: i };
    }
    return null;
  };
}
