/**
 * What an image file is, read from its headers: which HDU holds which plane (data, mask,
 * variance), its size and WCS, and its sky footprint. Used by `vodax ingest images` and by the
 * sample image generator.
 */
import { ang2pix, INDEX_ORDER } from '../healpix/nested.js';
import type { FitsFile, FitsHdu } from '../fits/file.js';
import { wcsFromHeader } from '../wcs/header-wcs.js';
import { pixelScaleAt, wcsPixelToSky, type CelestialWcs } from '../wcs/projections.js';
import type { Plane } from './image-catalog.js';

/** The geometry and planes of an image file. */
export interface ImageDescription {
  planes: Plane[];
  hdus: Partial<Record<Plane, number>>;
  naxis1: number;
  naxis2: number;
  bitpix: number;
  compressed: boolean;
  wcs: CelestialWcs;
  ra: number;
  dec: number;
  /** Diameter of the circle around the centre that holds the image, deg. */
  fov: number;
  /** Corner polygon: ra1, dec1, ra2, dec2, ... (deg). */
  footprint: number[];
  /** arcsec per pixel. */
  pixelScale: number;
  /** Order-29 nested HEALPix index of the centre. */
  hpx: bigint;
}

/** An image file that cannot be registered (no image, no celestial WCS, planes of different sizes). */
export class ImageDescriptionError extends Error {}

const PLANE_NAMES: Record<string, Plane> = { IMAGE: 'data', SCI: 'data', DATA: 'data', PRIMARY: 'data', MASK: 'mask', VARIANCE: 'variance', VAR: 'variance' };

/** Angular distance, degrees. */
export function separationDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const d = Math.PI / 180;
  const h = Math.sin(((dec2 - dec1) * d) / 2) ** 2 + Math.cos(dec1 * d) * Math.cos(dec2 * d) * Math.sin(((ra2 - ra1) * d) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / d;
}

/** Centre, corners, field diameter, pixel scale and HEALPix index of an image of this WCS and size. */
export function imageGeometry(wcs: CelestialWcs, naxis1: number, naxis2: number): Pick<ImageDescription, 'ra' | 'dec' | 'fov' | 'footprint' | 'pixelScale' | 'hpx'> {
  const c = wcsPixelToSky(wcs, (naxis1 + 1) / 2, (naxis2 + 1) / 2);
  const corners = [
    [0.5, 0.5],
    [naxis1 + 0.5, 0.5],
    [naxis1 + 0.5, naxis2 + 0.5],
    [0.5, naxis2 + 0.5],
  ].map(([x, y]) => wcsPixelToSky(wcs, x!, y!));
  if (!Number.isFinite(c.ra) || corners.some((p) => !Number.isFinite(p.ra) || !Number.isFinite(p.dec))) {
    throw new ImageDescriptionError('the image corners are off the projection (all-sky images cannot be registered)');
  }
  const fov = 2 * Math.max(...corners.map((p) => separationDeg(c.ra, c.dec, p.ra, p.dec)));
  return {
    ra: c.ra,
    dec: c.dec,
    fov,
    footprint: corners.flatMap((p) => [p.ra, p.dec]),
    pixelScale: pixelScaleAt(wcs, (naxis1 + 1) / 2, (naxis2 + 1) / 2) * 3600,
    hpx: ang2pix(INDEX_ORDER, c.ra, c.dec),
  };
}

/** Describes an open FITS file: its planes by EXTNAME (or the single image as `data`), WCS from the data plane. */
export function describeImageFile(file: FitsFile): ImageDescription {
  const images = file.imageHdus();
  if (images.length === 0) throw new ImageDescriptionError(`${file.path}: no image HDU`);
  const hdus: Partial<Record<Plane, number>> = {};
  for (const h of images) {
    const plane = PLANE_NAMES[(h.extname ?? (h.index === 0 ? 'PRIMARY' : '')).toUpperCase()];
    if (plane && hdus[plane] === undefined) hdus[plane] = h.index;
  }
  if (hdus.data === undefined) hdus.data = images[0]!.index;
  const data = file.hdus[hdus.data]! as FitsHdu;
  const [naxis1, naxis2] = data.image!.naxis as [number, number];
  for (const [plane, index] of Object.entries(hdus)) {
    const n = file.hdus[index]!.image!.naxis;
    if (n[0] !== naxis1 || n[1] !== naxis2) throw new ImageDescriptionError(`${file.path}: plane ${plane} is ${n[0]} x ${n[1]}, the data plane ${naxis1} x ${naxis2}`);
  }
  let wcs: CelestialWcs;
  try {
    wcs = wcsFromHeader(data.header);
  } catch (e) {
    throw new ImageDescriptionError(`${file.path}: ${(e as Error).message}`);
  }
  const planes = (['data', 'mask', 'variance'] as const).filter((p) => hdus[p] !== undefined);
  return {
    planes,
    hdus,
    naxis1,
    naxis2,
    bitpix: data.image!.bitpix,
    compressed: data.image!.compressed !== null,
    wcs,
    ...imageGeometry(wcs, naxis1, naxis2),
  };
}
