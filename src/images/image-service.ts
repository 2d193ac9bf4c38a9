/**
 * Answers for image requests, shared by the LSST image face, image jobs and the IVOA services: a
 * whole image or a cutout, as FITS (streamed), HDF5, or a PNG/JPEG preview. File paths come from
 * the image table and are resolved under DATA_DIR/images; nothing a request says names a file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { scratchPrefix, scratchRoot } from '../system/scratch.js';
import { Readable } from 'node:stream';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { Viewer } from '../catalog/table-registry.js';
import { wcsSkyToPixel } from '../wcs/projections.js';
import { openImageFile, uncachedImageFiles, type ImageFileSource } from './image-files.js';
import { PLANES, type ImageCatalog, type ImageRecord, type Plane } from './image-catalog.js';
import { imageHdus, resolveCutoutBox, type CutoutBox, type PixelBox } from './cutout.js';
import { fitsBytes, fitsLength } from './fits-output.js';
import { writeImageHdf5 } from './hdf5-output.js';
import { IMAGE_FORMAT_TYPES, type ImageRequest, type ImageTarget } from './image-request.js';
import { encodeJpeg, encodePng, readBinned, stretchToBytes } from './preview.js';

export type { ImageFormat, ImageRequest } from './image-request.js';
export { openImageFile };

/** An answer ready to send. */
export interface ImageAnswer {
  type: string;
  filename: string;
  length: number;
  /** A Buffer, or a stream that releases its file (and temporary file) when it closes, read or not. */
  body: Readable | Buffer;
  /** The box cut (0-based, inclusive), when a cutout. */
  box: PixelBox | null;
  clipped: boolean;
}

/** Checks the planes asked for against those the image has; an empty request means all of them. */
export function selectPlanes(image: Pick<ImageRecord, 'id' | 'planes'>, asked: Plane[]): Plane[] {
  if (asked.length === 0) return image.planes;
  const missing = asked.filter((p) => !image.planes.includes(p));
  if (missing.length > 0) throw new BadRequestError(`image ${image.id} has no ${missing.join(', ')} plane (it has ${image.planes.join(', ')})`);
  return PLANES.filter((p) => asked.includes(p));
}

/** Among candidate images, the one that covers (ra, dec) best: the position farthest from any edge. */
export function bestCovering(candidates: ImageRecord[], ra: number, dec: number): ImageRecord | null {
  let best: ImageRecord | null = null;
  let bestMargin = -Infinity;
  for (const c of candidates) {
    const p = wcsSkyToPixel(c.wcs, ra, dec);
    if (!Number.isFinite(p.x)) continue;
    const margin = Math.min(p.x - 0.5, c.naxis1 + 0.5 - p.x, p.y - 0.5, c.naxis2 + 0.5 - p.y);
    if (margin >= 0 && margin > bestMargin) {
      best = c;
      bestMargin = margin;
    }
  }
  return best;
}

/** The image a target names, as the viewer may see it; NotFoundError when none (or none covers the position). */
export async function findImage(catalog: ImageCatalog, target: ImageTarget, viewer: Viewer): Promise<ImageRecord> {
  switch (target.by) {
    case 'id':
      return catalog.get(target.level, target.collection, target.kind, target.id, viewer);
    case 'tract-patch':
      return catalog.byTractPatch(target.level, target.collection, target.kind, target.tract, target.patch, target.band, viewer);
    case 'position': {
      const candidates = await catalog.near(target.level, target.collection, target.kind, target.ra, target.dec, target.band ?? undefined, viewer);
      const best = bestCovering(candidates, target.ra, target.dec);
      if (!best) throw new NotFoundError(`no ${target.kind} image in ${target.level}/${target.collection} covers ra ${target.ra}, dec ${target.dec}`);
      return best;
    }
  }
}

/** What an image request will cut from an image: planes, box, a file name stem. Pure; 400 on a bad request. */
export interface ImagePlan {
  planes: Plane[];
  /** The preview's plane (previews show one). */
  previewPlane: Plane;
  /** The cutout box, or null for the whole image. */
  cut: CutoutBox | null;
  box: PixelBox;
  stem: string;
}

/** Checks a request against an image and says what it will read, without opening the file. */
export function planImage(image: ImageRecord, req: ImageRequest): ImagePlan {
  const planes = selectPlanes(image, req.planes);
  const preview = req.format === 'png' || req.format === 'jpeg';
  if (preview && planes.length !== 1 && req.planes.length > 1) throw new BadRequestError('a preview shows one plane; name at most one plane');
  const cut = req.cutout ? resolveCutoutBox(req.cutout, image, `image ${image.id}`) : null;
  const box: PixelBox = cut ?? { x0: 0, y0: 0, x1: image.naxis1 - 1, y1: image.naxis2 - 1 };
  const stem = cut ? `${image.kind}-${image.id}-cutout-${box.x0}-${box.y0}-${box.x1}-${box.y1}` : `${image.kind}-${image.id}`;
  const previewPlane = req.planes.length === 1 ? req.planes[0]! : planes.includes('data') ? 'data' : planes[0]!;
  return { planes, previewPlane, cut, box, stem };
}

/** Largest FITS answer made in memory rather than streamed. */
const IN_MEMORY_FITS_BYTES = 1 << 20;

/** A stream of chunks that runs `release` once when it closes: read to the end, failed, or dropped unread (HEAD). */
function releasingStream(chunks: AsyncIterable<Buffer>, release: () => Promise<void>): Readable {
  const stream = Readable.from(chunks, { objectMode: false });
  stream.once('close', () => void release().catch(() => undefined));
  return stream;
}

/** A function that runs `fn` at most once, returning the same promise to every caller. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}

/**
 * Options of an answer: `signal` stops an HDF5 answer while it is being written (before it is
 * sent); `files` lends the image's file (the server's ImageFileCache), else it is opened for
 * this answer alone.
 */
export interface AnswerOptions {
  signal?: AbortSignal;
  files?: ImageFileSource;
}

/** The answer for an image request: the whole image or a cutout, as FITS, HDF5 or a preview. */
export async function imageAnswer(dataDir: string, image: ImageRecord, req: ImageRequest, options: AnswerOptions = {}): Promise<ImageAnswer> {
  const plan = planImage(image, req);
  const { planes, cut, box, stem } = plan;
  const clipped = cut?.clipped ?? false;
  const lease = await (options.files ?? uncachedImageFiles(dataDir)).open(image);
  const file = lease.file;
  const closeFile = once(() => lease.release());
  const provenance = cut ? { parentId: image.id, parentPath: image.path, box: cut } : null;
  try {
    if (req.format === 'png' || req.format === 'jpeg') {
      const grey = await readBinned(file, file.hdus[image.hdus[plan.previewPlane]!]!, box, req.maxSize);
      const bytes = stretchToBytes(grey, req.stretch);
      await closeFile();
      const body = req.format === 'png' ? encodePng(bytes, grey.width, grey.height) : encodeJpeg(bytes, grey.width, grey.height);
      return { type: IMAGE_FORMAT_TYPES[req.format], filename: `${stem}.${req.format === 'png' ? 'png' : 'jpg'}`, length: body.length, body, box: cut, clipped };
    }
    if (req.format === 'hdf5') {
      const tmpDir = scratchRoot(dataDir);
      await fs.promises.mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, `${scratchPrefix('image')}${crypto.randomBytes(8).toString('hex')}.h5`);
      const removeTmp = once(() => fs.promises.rm(tmp, { force: true }));
      try {
        await writeImageHdf5(tmp, file, image.hdus, planes, box, image.wcs, provenance, options.signal);
        await closeFile();
        const { size } = await fs.promises.stat(tmp);
        const chunks = fs.createReadStream(tmp, { highWaterMark: 1 << 20 });
        return { type: IMAGE_FORMAT_TYPES.hdf5, filename: `${stem}.h5`, length: size, body: releasingStream(chunks, async () => {
            chunks.destroy();
            await removeTmp();
          }), box: cut, clipped };
      } catch (e) {
        await removeTmp();
        throw e;
      }
    }
    const hdus = imageHdus(file, image.hdus, planes, box, image.wcs, provenance);
    const length = fitsLength(hdus);
    if (length <= IN_MEMORY_FITS_BYTES) {
      // A small answer (a typical cutout) is made whole and sent in one write: streaming its
      // three chunks cost more than making them (the stream, its pipeline, a write each).
      const chunks: Buffer[] = [];
      for await (const chunk of fitsBytes(hdus)) chunks.push(chunk);
      await closeFile();
      return { type: IMAGE_FORMAT_TYPES.fits, filename: `${stem}.fits`, length, body: Buffer.concat(chunks, length), box: cut, clipped };
    }
    return { type: IMAGE_FORMAT_TYPES.fits, filename: `${stem}.fits`, length, body: releasingStream(fitsBytes(hdus), closeFile), box: cut, clipped };
  } catch (e) {
    await closeFile().catch(() => undefined);
    throw e;
  }
}
