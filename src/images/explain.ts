/**
 * The cost of an image request before it runs (I2 explain): the pixels and bytes it will read,
 * what it will write, and an estimated time from nominal rates (measured by bench/cutout.ts on
 * a small machine; the estimate is an order of magnitude, not a promise).
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import { bytesPerPixel, isBitpix } from '../fits/pixels.js';
import type { ImageRecord } from './image-catalog.js';
import type { ImageRequest } from './image-request.js';
import { planImage } from './image-service.js';

/** Nominal rates of the estimate. */
// bench/cutout.ts, 2 shared cores: a 100x100 float32 cutout over HTTP in about 9 ms; from a
// RICE_1 file of one-row tiles (410,000 pixels decoded) about 120 ms.
const RATES = {
  /** Fixed cost of an answer: the image lookup, opening the file, headers, the first write (s). */
  overheadSeconds: 0.008,
  /** Reading uncompressed pixel bytes from the page cache or disk (bytes/s). */
  readBytesPerSecond: 400e6,
  /** Reading and decoding RICE_1 tiles and dequantizing them (pixels/s). */
  decodePixelsPerSecond: 3.5e6,
  /** Stretching, binning or HDF5 encoding (pixels/s). */
  processPixelsPerSecond: 60e6,
};

const FITS_BLOCK = 2880;

/** What explain answers. */
export interface ImageCost {
  image: { id: number; url: string };
  format: string;
  planes: string[];
  /** The box cut (0-based, inclusive), null for the whole image. */
  box: { x0: number; y0: number; x1: number; y1: number } | null;
  clipped: boolean;
  /** Pixels in the answer's box, over all planes. */
  pixels: number;
  /** Pixels decoded from compressed tiles (whole tiles of the rows touched); 0 for uncompressed images. */
  pixelsDecoded: number;
  /** Bytes read from the image file (estimated for compressed files). */
  bytesToRead: number;
  /** Size of the answer, when known before it is made (FITS exactly, HDF5 about; previews: null). */
  bytesToWrite: number | null;
  estimatedSeconds: number;
}

/** The cost of answering `req` from `image` (400 for a request the image cannot answer, as the answer would). */
export function explainImageRequest(image: ImageRecord, req: ImageRequest): ImageCost {
  const plan = planImage(image, req);
  const { box } = plan;
  const width = box.x1 - box.x0 + 1;
  const height = box.y1 - box.y0 + 1;
  const preview = req.format === 'png' || req.format === 'jpeg';
  const planesRead = preview ? 1 : plan.planes.length;
  const bpp = isBitpix(image.bitpix) ? bytesPerPixel(image.bitpix) : 4;
  const pixels = width * height * planesRead;
  let bytesToRead: number;
  let pixelsDecoded = 0;
  if (image.compressed) {
    // Tiles span whole rows in the files vodax reads best; a cutout decodes every tile its rows touch.
    pixelsDecoded = height * image.naxis1 * planesRead;
    bytesToRead = Math.ceil((image.fileBytes * (height / image.naxis2) * planesRead) / Math.max(1, image.planes.length));
  } else {
    bytesToRead = pixels * bpp;
  }
  bytesToRead += FITS_BLOCK * (image.planes.length + 1); // the headers read on open
  let bytesToWrite: number | null = null;
  if (req.format === 'fits') {
    const dataBlocks = Math.ceil((width * height * bpp) / FITS_BLOCK) * FITS_BLOCK;
    bytesToWrite = plan.planes.length * (dataBlocks + 2 * FITS_BLOCK) + (plan.planes.length > 1 ? 2 * FITS_BLOCK : 0);
  } else if (req.format === 'hdf5') {
    bytesToWrite = width * height * plan.planes.length * bpp + 16_384;
  }
  const processed = req.format === 'fits' ? 0 : pixels;
  const estimatedSeconds =
    RATES.overheadSeconds + bytesToRead / RATES.readBytesPerSecond + pixelsDecoded / RATES.decodePixelsPerSecond + processed / RATES.processPixelsPerSecond;
  return {
    image: { id: image.id, url: image.accessUrl },
    format: req.format,
    planes: preview ? [plan.previewPlane] : plan.planes,
    box: plan.cut ? { x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1 } : null,
    clipped: plan.cut?.clipped ?? false,
    pixels,
    pixelsDecoded,
    bytesToRead,
    bytesToWrite,
    estimatedSeconds: Math.round(estimatedSeconds * 1e4) / 1e4,
  };
}
