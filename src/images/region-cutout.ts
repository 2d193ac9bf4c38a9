/**
 * A cut by sky region and band (what SODA asks of an image): the region's pixel box through the
 * image's WCS, cut by the same core, with the same request, as the LSST face's pixel-corner
 * cutout `?x1=&y1=&x2=&y2=` of that box, so both answer the same bytes. A region or band that
 * misses the image is an answer of its own (no overlap), not an error. Pure.
 */
import { RequestParams } from '../params/request-params.js';
import type { ImageRecord } from './image-catalog.js';
import { imageRequestOf, type ImageFormat, type ImageRequest } from './image-request.js';
import { regionPixelBox, type SkyRegion } from './sky-region.js';

/** A closed interval; either end may be infinite. */
export interface Interval {
  lo: number;
  hi: number;
}

/** One cut: a region (null: the whole image), and the band and time it must overlap (null: any). */
export interface RegionCut {
  region: SkyRegion | null;
  /** Wavelength, metres. */
  band: Interval | null;
  /** MJD. */
  time: Interval | null;
}

/** The image request of a cut, or why the cut has no pixels. */
export type RegionCutPlan = { request: ImageRequest; noOverlap: null } | { request: null; noOverlap: string };

/** Whether [lo, hi] misses the image's [min, max]; an image without the interval is not filtered. */
function misses(i: Interval, min: number | null, max: number | null): boolean {
  if (min === null || max === null) return false;
  return i.hi < min || i.lo > max;
}

/** What a cut asks of an image: the request the LSST face would build for the same box, or no overlap. */
export function planRegionCut(image: ImageRecord, cut: RegionCut, format: ImageFormat): RegionCutPlan {
  const name = `image ${image.id}`;
  if (cut.band && misses(cut.band, image.emMin, image.emMax)) {
    return { request: null, noOverlap: `BAND ${cut.band.lo} ${cut.band.hi} (m) misses the band of ${name}, ${image.emMin} to ${image.emMax} m` };
  }
  if (cut.time && misses(cut.time, image.tMin, image.tMax)) {
    return { request: null, noOverlap: `TIME ${cut.time.lo} ${cut.time.hi} (MJD) misses the exposure of ${name}, MJD ${image.tMin} to ${image.tMax}` };
  }
  const params = new RequestParams();
  params.add('format', format);
  if (cut.region) {
    const found = regionPixelBox(cut.region, image, name);
    if (found.noOverlap !== null) return { request: null, noOverlap: found.noOverlap };
    const { x0, y0, x1, y1 } = found.box;
    for (const [k, v] of [['x1', x0], ['y1', y0], ['x2', x1], ['y2', y1]] as const) params.add(k, String(v));
  }
  // The LSST face's own reading of the same parameters: the same planes, stretch and preview size.
  return { request: imageRequestOf(params, cut.region !== null), noOverlap: null };
}
