/**
 * Where the HiPS of the image collections are served: /image/v0/hips/{level}/{collection}/{kind}[/{filter}]/
 * (the trailing slash: clients join tile paths to it). One place for the HiPS list and the image
 * metadata face (M13, an image's `hips`) to name them. An L3 HiPS is found under the caller's
 * own name, so its URL holds no owner: only the owner, who alone sees the image, may follow it.
 * Endpoint ids (M13, ...): docs/endpoints.md.
 */
import type { HipsTarget } from './hips-build.js';

/** The URL of a HiPS under a server's base URL; of an image (M13), the HiPS of its level, collection, kind and filter. */
export function hipsUrl(base: string, t: Pick<HipsTarget, 'level' | 'collection' | 'kind' | 'band'>): string {
  return `${base}/image/v0/hips/${[t.level, t.collection, t.kind, ...(t.band ? [t.band] : [])].map(encodeURIComponent).join('/')}/`;
}
