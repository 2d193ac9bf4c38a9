/**
 * Answers for image requests, shared by the LSST image face and the IVOA services: a whole image
 * or a cutout, as FITS (streamed) or a PNG/JPEG preview. File paths come from the image table
 * and are resolved under DATA_DIR/images; nothing a request says names a file.
 */
import path from 'node:path';
import { BadRequestError, NotFoundError } from '../errors.js';
import { resolveUnder } from '../auth/safe-path.js';
import { FitsFile } from '../fits/file.js';
import { wcsSkyToPixel } from '../wcs/projections.js';
import { PLANES, type ImageRecord, type Plane } from './catalog.js';
import { imageHdus, resolveCutoutBox, type CutoutSpec, type PixelBox } from './cutout.js';
import { fitsBytes, fitsLength } from './fits-output.js';
import { encodeJpeg, encodePng, readBinned, stretchToBytes, type Stretch } from './preview.js';

/** Output formats of image answers. */
export type ImageFormat = 'fits' | 'png' | 'jpeg';

/** What to answer: planes, an optional box, a format. */
export interface ImageRequest {
  /** Planes asked for; empty means all the image has. */
  planes: Plane[];
  cutout: CutoutSpec | null;
  format: ImageFormat;
  stretch: Stretch;
  /** Largest preview side, pixels. */
  maxSize: number;
}

/** An answer ready to send. */
export interface ImageAnswer {
  type: string;
  filename: string;
  length: number;
  body: AsyncIterable<Buffer> | Buffer;
  /** The box cut (0-based, inclusive), when a cutout. */
  box: PixelBox | null;
  clipped: boolean;
}

/** Opens the file of a registered image; its path must stay under DATA_DIR/images. */
export async function openImageFile(dataDir: string, image: Pick<ImageRecord, 'id' | 'path'>): Promise<FitsFile> {
  const parts = image.path.split('/');
  let full: string;
  try {
    full = await resolveUnder(path.join(dataDir, 'images'), ...parts);
  } catch {
    throw new NotFoundError(`the file of image ${image.id} is not under the image store`);
  }
  try {
    return await FitsFile.open(full);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`the file of image ${image.id} is missing from the image store`);
    throw e;
  }
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

/** The answer for an image request: the whole image or a cutout, FITS or a preview. */
export async function imageAnswer(dataDir: string, image: ImageRecord, req: ImageRequest): Promise<ImageAnswer> {
  const planes = selectPlanes(image, req.planes);
  if (req.format !== 'fits' && planes.length !== 1 && req.planes.length > 1) throw new BadRequestError('a preview shows one plane; name at most one plane');
  const cut = req.cutout ? resolveCutoutBox(req.cutout, image, `image ${image.id}`) : null;
  const box: PixelBox = cut ?? { x0: 0, y0: 0, x1: image.naxis1 - 1, y1: image.naxis2 - 1 };
  const stem = cut ? `${image.kind}-${image.id}-cutout-${box.x0}-${box.y0}-${box.x1}-${box.y1}` : `${image.kind}-${image.id}`;
  const file = await openImageFile(dataDir, image);
  try {
    if (req.format !== 'fits') {
      const plane = req.planes.length === 1 ? req.planes[0]! : planes.includes('data') ? 'data' : planes[0]!;
      const grey = await readBinned(file, file.hdus[image.hdus[plane]!]!, box, req.maxSize);
      const bytes = stretchToBytes(grey, req.stretch);
      await file.close();
      const body = req.format === 'png' ? encodePng(bytes, grey.width, grey.height) : encodeJpeg(bytes, grey.width, grey.height);
      return { type: req.format === 'png' ? 'image/png' : 'image/jpeg', filename: `${stem}.${req.format === 'png' ? 'png' : 'jpg'}`, length: body.length, body, box: cut, clipped: cut?.clipped ?? false };
    }
    const hdus = imageHdus(file, image.hdus, planes, box, image.wcs, cut ? { parentId: image.id, parentPath: image.path, box: cut } : null);
    const length = fitsLength(hdus);
    async function* stream(): AsyncGenerator<Buffer> {
      try {
        yield* fitsBytes(hdus);
      } finally {
        await file.close();
      }
    }
    return { type: 'image/fits', filename: `${stem}.fits`, length, body: stream(), box: cut, clipped: cut?.clipped ?? false };
  } catch (e) {
    await file.close().catch(() => undefined);
    throw e;
  }
}
