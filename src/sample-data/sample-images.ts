/**
 * The sample images of SPEC section 8, generated deterministically from the catalog generator:
 * calexps (float32 image, int32 mask bit planes, float32 variance) with the sources of
 * Science_Ccd_Exposure drawn at their pixel positions with a Gaussian PSF of the exposure's FWHM
 * over sky noise of the exposure's depth; deepCoadd patches likewise from the objects on them;
 * one coadd written RICE_1 tile-compressed. Files go under DATA_DIR/images at the layout's paths
 * and are registered in vodax.images (and so in ivoa.obscore).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from '../storage/database.js';
import { BANDS, magToNjy, njyToCounts, type Band } from './bands.js';
import { streamFor, type Random } from './random.js';
import type { Stripe82Catalog } from './stripe82Catalog.js';
import { PIXEL_SCALE_ARCSEC, type Stripe82Coadd, type Stripe82Exposure } from './stripe82Layout.js';
import { imageContains } from '../wcs/footprint.js';
import { skyToLsstPixel } from '../wcs/tan.js';
import { fromTanWcs, type CelestialWcs } from '../wcs/projections.js';
import { wcsCards } from '../wcs/header-wcs.js';
import { fitsCards, fitsCommentCards } from '../fits/header-writer.js';
import { compressedImageHduBytes, emptyPrimaryBytes, imageHduChunks } from '../fits/image-writer.js';
import { registerImage, type NewImage, type Plane } from '../images/image-catalog.js';
import { imageGeometry } from '../images/describe.js';

/** Mask bit planes, as LSST names them (MP_* header cards give the bit of each). */
export const MASK_BITS = { BAD: 0, SAT: 1, INTRP: 2, CR: 3, EDGE: 4, DETECTED: 5 } as const;
/** The MP_ card name of each mask plane (keywords are at most 8 characters). */
const MASK_KEYS: Record<keyof typeof MASK_BITS, string> = { BAD: 'MP_BAD', SAT: 'MP_SAT', INTRP: 'MP_INTRP', CR: 'MP_CR', EDGE: 'MP_EDGE', DETECTED: 'MP_DETEC' };

/** Approximate SDSS filter limits, nm (for ObsCore em_min/em_max). */
const BAND_LIMITS_NM: Record<Band['name'], [number, number]> = { u: [325, 385], g: [405, 550], r: [560, 690], i: [695, 840], z: [830, 1000] };

/** Which coadd is written tile-compressed: tract 0, patch 11,11, band r. */
export function isCompressedSample(c: Stripe82Coadd): boolean {
  return c.tract === 0 && c.patch === '11,11' && c.band.name === 'r';
}

/** A point (or slightly extended) source to draw: 0-based pixel position, total counts, Gaussian sigma in pixels. */
interface Blob {
  x: number;
  y: number;
  counts: number;
  sigma: number;
}

/** The three planes of a generated image. */
interface Planes {
  image: Float32Array;
  mask: Int32Array;
  variance: Float32Array;
  /** Sky noise per pixel (counts). */
  noise: number;
}

const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.log(2)));

/** Per-pixel noise that puts the 5-sigma PSF depth at `depthCounts`: flux5 = 5 noise sqrt(4 pi) sigma_psf. */
function pixelNoise(depthCounts: number, psfSigmaPix: number): number {
  return depthCounts / 5 / (Math.sqrt(4 * Math.PI) * psfSigmaPix);
}

/** Renders blobs over Gaussian sky noise; masks saturated, detected and edge pixels. */
function render(w: number, h: number, blobs: Blob[], noise: number, saturation: number, rng: Random): Planes {
  const model = new Float32Array(w * h);
  for (const b of blobs) {
    const r = Math.ceil(5 * b.sigma);
    const xa = Math.max(0, Math.floor(b.x) - r);
    const xb = Math.min(w - 1, Math.ceil(b.x) + r);
    const ya = Math.max(0, Math.floor(b.y) - r);
    const yb = Math.min(h - 1, Math.ceil(b.y) + r);
    const norm = b.counts / (2 * Math.PI * b.sigma * b.sigma);
    const k = -1 / (2 * b.sigma * b.sigma);
    for (let y = ya; y <= yb; y++) {
      const dy2 = (y - b.y) ** 2;
      for (let x = xa; x <= xb; x++) model[y * w + x]! += norm * Math.exp(k * ((x - b.x) ** 2 + dy2));
    }
  }
  const image = new Float32Array(w * h);
  const mask = new Int32Array(w * h);
  const variance = new Float32Array(w * h);
  const n2 = noise * noise;
  for (let i = 0; i < w * h; i++) {
    const m = model[i]!;
    const v = n2 + m;
    let value = m + Math.sqrt(v) * rng.normal();
    let bits = 0;
    if (value > saturation) {
      value = saturation;
      bits |= 1 << MASK_BITS.SAT;
    }
    if (m > 3 * noise) bits |= 1 << MASK_BITS.DETECTED;
    const x = i % w;
    const y = (i - x) / w;
    if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) bits |= 1 << MASK_BITS.EDGE;
    image[i] = value;
    mask[i] = bits;
    variance[i] = v;
  }
  return { image, mask, variance, noise };
}

function maskCards(): string[] {
  return Object.entries(MASK_BITS).flatMap(([name, bit]) => fitsCards(MASK_KEYS[name as keyof typeof MASK_BITS], bit, `mask bit of ${name}`));
}

/** Writes an MEF (empty primary, IMAGE, MASK, VARIANCE), atomically (temporary name, then rename). */
function writeMef(file: string, primaryCards: string[], wcs: CelestialWcs, planes: Planes, w: number, h: number, compress: boolean, bunit: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const put = (b: Buffer): void => {
      fs.writeSync(fd, b);
    };
    put(emptyPrimaryBytes(primaryCards));
    const wc = wcsCards(wcs);
    const specs = [
      { extname: 'IMAGE', bitpix: -32 as const, data: planes.image, cards: [...fitsCards('BUNIT', bunit, 'pixel unit'), ...wc] },
      { extname: 'MASK', bitpix: 32 as const, data: planes.mask, cards: [...maskCards(), ...wc] },
      { extname: 'VARIANCE', bitpix: -32 as const, data: planes.variance, cards: [...fitsCards('BUNIT', `${bunit}**2`, 'pixel unit'), ...wc] },
    ];
    for (const s of specs) {
      const spec = { primary: false, bitpix: s.bitpix, width: w, height: h, extname: s.extname, cards: s.cards };
      if (compress) {
        const step = s.extname === 'VARIANCE' ? (planes.noise * planes.noise) / 64 : planes.noise / 16;
        for (const b of compressedImageHduBytes(spec, s.data, { quantizeStep: step, zdither0: 1 + (w % 97) })) put(b);
      } else {
        for (const b of imageHduChunks(spec, s.data)) put(b);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** What the generator produced or found for one image. */
interface SampleImage {
  file: string;
  image: Omit<NewImage, 'fileBytes'>;
  write: () => void;
}

function emRange(b: Band): [number, number] {
  const [lo, hi] = BAND_LIMITS_NM[b.name];
  return [lo * 1e-9, hi * 1e-9];
}

/** What every sample image registers alike: an L2/DR1 image of three planes, its geometry and band. */
function sampleImageBase(kind: 'calexp' | 'deepCoadd', file: string, wcs: CelestialWcs, w: number, h: number, band: Band, compressed: boolean) {
  const [emMin, emMax] = emRange(band);
  return {
    level: 'L2',
    collection: 'DR1',
    kind,
    owner: 'lsst',
    path: file,
    planes: ['data', 'mask', 'variance'] as Plane[],
    hdus: { data: 1, mask: 2, variance: 3 },
    bitpix: -32,
    compressed,
    wcs,
    naxis1: w,
    naxis2: h,
    ...imageGeometry(wcs, w, h),
    band: band.name,
    emMin,
    emMax,
  };
}

/** Options of the sample image generator. */
export interface SampleImageOptions {
  /** Only these exposure ordinals / coadd indexes (tests); default all. */
  exposures?: number[];
  coadds?: number[];
  /** Called after each image is written or found. */
  onImage?: (done: number, total: number, path: string) => void;
}

/** Collects, in one pass over the catalog, the sources of each exposure and the objects on each coadd. */
function blobsOf(catalog: Stripe82Catalog, exposures: Stripe82Exposure[], coadds: Stripe82Coadd[]): { exp: Map<number, Blob[]>; coadd: Map<number, Blob[]> } {
  const exp = new Map<number, Blob[]>(exposures.map((e) => [e.scienceCcdExposureId, []]));
  const coadd = new Map<number, Blob[]>(coadds.map((c) => [c.deepCoaddId, []]));
  const byId = new Map(exposures.map((e) => [e.scienceCcdExposureId, e]));
  for (const o of catalog.objects()) {
    for (const s of o.sources) {
      const e = byId.get(s.exposure.scienceCcdExposureId);
      if (!e) continue;
      const psf = (e.fwhm * FWHM_TO_SIGMA) / PIXEL_SCALE_ARCSEC;
      const sigma = o.isStar ? psf : Math.hypot(psf, 0.6 / PIXEL_SCALE_ARCSEC);
      exp.get(e.scienceCcdExposureId)!.push({ x: s.x, y: s.y, counts: njyToCounts(magToNjy(s.trueMag), e.fluxMag0), sigma });
    }
    for (const c of coadds) {
      if (!imageContains(c.wcs, c.naxis1, c.naxis2, o.ra, o.dec)) continue;
      const p = skyToLsstPixel(c.wcs, o.ra, o.dec);
      const psf = (c.measuredFwhm * FWHM_TO_SIGMA) / PIXEL_SCALE_ARCSEC;
      const sigma = o.isStar ? psf : Math.hypot(psf, 0.6 / PIXEL_SCALE_ARCSEC);
      coadd.get(c.deepCoaddId)!.push({ x: p.x, y: p.y, counts: njyToCounts(magToNjy(o.trueMag[c.band.id]!), c.fluxMag0), sigma });
    }
  }
  return { exp, coadd };
}

/** The sample images (not yet written): their files, registration records and writers. */
export function sampleImages(catalog: Stripe82Catalog, imagesDir: string, options: SampleImageOptions = {}): SampleImage[] {
  const { layout } = catalog;
  const exposures = options.exposures ? options.exposures.map((i) => layout.exposures[i]!) : layout.exposures;
  const coadds = options.coadds ? options.coadds.map((i) => layout.coadds[i]!) : layout.coadds;
  let blobs: ReturnType<typeof blobsOf> | null = null;
  const blobsNow = () => (blobs ??= blobsOf(catalog, exposures, coadds));
  const out: SampleImage[] = [];
  for (const e of exposures) {
    const wcs = fromTanWcs(e.wcs);
    const half = e.expTime / 2 / 86400;
    out.push({
      file: path.join(imagesDir, e.path),
      image: {
        ...sampleImageBase('calexp', e.path, wcs, e.naxis1, e.naxis2, e.band, false),
        tMin: e.taiMjd - half,
        tMax: e.taiMjd + half,
        exptime: e.expTime,
        fwhm: e.fwhm,
        visit: e.run,
        ccd: e.camcol,
        sourceId: e.scienceCcdExposureId,
        facilityName: 'SDSS',
        instrumentName: 'SDSS imaging camera (simulated)',
        annotations: { run: String(e.run), camcol: String(e.camcol), field: String(e.field), filter: e.band.name, scienceCcdExposureId: String(e.scienceCcdExposureId) },
      },
      write: () => {
        const psf = (e.fwhm * FWHM_TO_SIGMA) / PIXEL_SCALE_ARCSEC;
        const noise = pixelNoise(njyToCounts(magToNjy(e.depth5Sigma), e.fluxMag0), psf);
        const saturation = njyToCounts(magToNjy(e.band.saturationMag), e.fluxMag0) / (2 * Math.PI * psf * psf);
        const planes = render(e.naxis1, e.naxis2, blobsNow().exp.get(e.scienceCcdExposureId)!, noise, saturation, streamFor(catalog.seed, 0x1a6e, e.ordinal));
        const primary = [
          ...fitsCards('ORIGIN', 'vodax sample data (simulated)', 'generated deterministically'),
          ...fitsCards('TELESCOP', 'SDSS', 'simulated in the spirit of SDSS Stripe 82'),
          ...fitsCards('RUN', e.run, 'SDSS run'),
          ...fitsCards('CAMCOL', e.camcol, 'SDSS camera column'),
          ...fitsCards('FIELD', e.field, 'SDSS field'),
          ...fitsCards('FILTER', e.band.name, 'filter'),
          ...fitsCards('CCDEXPID', e.scienceCcdExposureId, 'scienceCcdExposureId'),
          ...fitsCards('MJD-OBS', e.taiMjd, '[d] TAI MJD of mid-exposure'),
          ...fitsCards('TIMESYS', 'TAI', 'time scale of MJD-OBS'),
          ...fitsCards('EXPTIME', e.expTime, '[s] exposure time'),
          ...fitsCards('FLUXMAG0', e.fluxMag0, '[adu] counts of a 0-magnitude source'),
          ...fitsCards('FLXM0ERR', e.fluxMag0Sigma, '[adu] error of FLUXMAG0'),
          ...fitsCards('SEEING', e.fwhm, '[arcsec] PSF FWHM'),
          ...fitsCommentCards('A calexp: background-subtracted image, mask bit planes and variance.'),
        ];
        writeMef(path.join(imagesDir, e.path), primary, wcs, planes, e.naxis1, e.naxis2, false, 'adu');
      },
    });
  }
  for (const c of coadds) {
    const wcs = fromTanWcs(c.wcs);
    const compressed = isCompressedSample(c);
    out.push({
      file: path.join(imagesDir, c.path),
      image: {
        ...sampleImageBase('deepCoadd', c.path, wcs, c.naxis1, c.naxis2, c.band, compressed),
        tMin: null,
        tMax: null,
        exptime: c.expTime,
        fwhm: c.measuredFwhm,
        tract: c.tract,
        patch: c.patch,
        sourceId: c.deepCoaddId,
        facilityName: 'SDSS',
        instrumentName: 'SDSS imaging camera (simulated)',
        annotations: { tract: String(c.tract), patch: c.patch, filter: c.band.name, deepCoaddId: String(c.deepCoaddId), nCombine: String(c.nCombine) },
      },
      write: () => {
        const psf = (c.measuredFwhm * FWHM_TO_SIGMA) / PIXEL_SCALE_ARCSEC;
        const noise = pixelNoise(njyToCounts(magToNjy(c.band.coaddDepth), c.fluxMag0), psf);
        const planes = render(c.naxis1, c.naxis2, blobsNow().coadd.get(c.deepCoaddId)!, noise, Infinity, streamFor(catalog.seed, 0xc0add, c.deepCoaddId % 2147483647));
        const primary = [
          ...fitsCards('ORIGIN', 'vodax sample data (simulated)', 'generated deterministically'),
          ...fitsCards('TRACT', c.tract, 'sky map tract'),
          ...fitsCards('PATCH', c.patch, 'patch x,y in the tract'),
          ...fitsCards('FILTER', c.band.name, 'filter'),
          ...fitsCards('COADDID', c.deepCoaddId, 'deepCoaddId'),
          ...fitsCards('NCOMBINE', c.nCombine, 'exposures combined'),
          ...fitsCards('EXPTIME', c.expTime, '[s] total exposure time'),
          ...fitsCards('FLUXMAG0', c.fluxMag0, 'counts of a 0-magnitude source (zero point 27)'),
          ...fitsCards('LTV1', -c.x0, 'patch offset in the tract (XY0 = -LTV)'),
          ...fitsCards('LTV2', -c.y0, 'patch offset in the tract (XY0 = -LTV)'),
          ...fitsCommentCards(compressed ? 'A deepCoadd patch, RICE_1 tile-compressed (floats quantized, dithered).' : 'A deepCoadd patch: image, mask bit planes and variance.'),
        ];
        writeMef(path.join(imagesDir, c.path), primary, wcs, planes, c.naxis1, c.naxis2, compressed, 'count');
      },
    });
  }
  return out;
}

/** Fewer missing images than this are written in this thread (a worker costs its own catalog). */
const WORKERS_FROM = 8;

/**
 * Writes the images `missing` names (indexes into `images`), in worker threads when there are
 * many and more than one CPU (rendering is CPU-bound; each worker makes the same images from the
 * catalog's seed and scale), else here; `written(k)` is called as each is written, in any order.
 * A worker that cannot start or fails leaves what it did not write to this thread.
 */
async function writeImages(images: SampleImage[], missing: number[], catalog: Stripe82Catalog, imagesDir: string, options: SampleImageOptions, written: (k: number) => void): Promise<void> {
  const threads = Math.min(os.availableParallelism(), 4, Math.floor(missing.length / (WORKERS_FROM / 2)));
  const queue = [...missing];
  if (threads >= 2) {
    // From dist/ (npm start) the worker is sample-image-worker.js. From the sources (tsx) a worker
    // does not start yet (no loader for .ts in it): the 'error' path below writes them all here.
    const url = new URL(import.meta.url.endsWith('.ts') ? './sample-image-worker.ts' : './sample-image-worker.js', import.meta.url);
    const workerData = { seed: catalog.seed, scale: catalog.scale, imagesDir, exposures: options.exposures, coadds: options.coadds };
    const one = () =>
      new Promise<void>((resolve) => {
        const w = new Worker(url, { workerData });
        let current: number | null = null;
        const next = () => {
          current = queue.shift() ?? null;
          if (current === null) void w.terminate().then(() => resolve());
          else w.postMessage(current);
        };
        w.on('message', (m: { k: number; error?: string }) => {
          if (m.error) {
            queue.unshift(m.k); // written here below, where its error is thrown
            current = null;
            void w.terminate().then(() => resolve());
            return;
          }
          written(m.k);
          next();
        });
        w.once('error', () => {
          if (current !== null) queue.unshift(current);
          current = null;
          resolve();
        });
        w.once('online', next);
      });
    await Promise.all(Array.from({ length: threads }, one));
  }
  for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
    images[k]!.write();
    written(k);
  }
}

/**
 * Writes the sample images that are missing under DATA_DIR/images and registers those not yet in
 * vodax.images, in the images' order. Returns how many files were written and how many images registered.
 */
export async function loadSampleImages(db: Database, catalog: Stripe82Catalog, dataDir: string, baseUrl: string, options: SampleImageOptions = {}): Promise<{ written: number; registered: number }> {
  const imagesDir = path.join(dataDir, 'images');
  const images = sampleImages(catalog, imagesDir, options);
  const present = new Set((await db.query<{ path: string }>('SELECT path FROM vodax.images WHERE path = ANY($1)', [images.map((i) => i.image.path)])).map((r) => r.path));
  const missing = images.flatMap((img, k) => (fs.existsSync(img.file) ? [] : [k]));
  const ready = images.map((_, k) => !missing.includes(k));
  let registered = 0;
  let next = 0;
  let registering: Promise<void> = Promise.resolve();
  // Registered (and reported) in order, each as soon as it and those before it are on disk.
  const advance = async () => {
    for (; next < images.length && ready[next]; next++) {
      const img = images[next]!;
      if (!present.has(img.image.path)) {
        await registerImage(db, { ...img.image, fileBytes: fs.statSync(img.file).size }, baseUrl);
        registered++;
      }
      options.onImage?.(next + 1, images.length, img.image.path);
    }
  };
  const written = (k: number) => {
    ready[k] = true;
    registering = registering.then(advance);
  };
  try {
    await writeImages(images, missing, catalog, imagesDir, options, written);
  } finally {
    await registering.catch(() => {});
  }
  await (registering = registering.then(advance));
  return { written: missing.length, registered };
}

/** The bands of the sample, for documentation and tests. */
export const SAMPLE_BANDS = BANDS.map((b) => b.name);
