/**
 * From dataset identifiers to what a {links} document says of each: the image as the caller may
 * see it (through the image catalog, so another user's L3 image is as unknown as one that never
 * existed) and the exact byte counts of its FITS answers.
 */
import { Readable } from 'node:stream';
import type { Database } from '../../storage/database.js';
import { NotFoundError } from '../../errors.js';
import type { Viewer } from '../../catalog/table-registry.js';
import type { ImageRecord, Plane } from '../../images/image-catalog.js';
import { imageAnswer } from '../../images/image-service.js';
import { imageOfDatasetId } from '../../images/dataset-id.js';
import type { LinkedImage } from './links-document.js';

/** An identifier resolved: the image, or the DataLink error message of its row. */
export type Resolved = { did: string; image: LinkedImage } | { did: string; error: string };

/** The length of the FITS answer of `planes` (all when empty), read from the headers; the file is released at once. */
async function fitsAnswerBytes(dataDir: string, image: ImageRecord, planes: Plane[]): Promise<number> {
  const answer = await imageAnswer(dataDir, image, { planes, cutout: null, format: 'fits', stretch: 'asinh', maxSize: 1024 });
  if (answer.body instanceof Readable) answer.body.destroy();
  return answer.length;
}

/** What the links document needs of a visible image. */
async function linkedImage(dataDir: string, did: string, image: ImageRecord): Promise<LinkedImage> {
  const planeBytes: Partial<Record<string, number>> = {};
  for (const plane of ['mask', 'variance'] as const) if (image.planes.includes(plane)) planeBytes[plane] = await fitsAnswerBytes(dataDir, image, [plane]);
  return {
    did,
    id: image.id,
    level: image.level,
    collection: image.collection,
    kind: image.kind,
    planes: image.planes,
    fitsBytes: await fitsAnswerBytes(dataDir, image, []),
    planeBytes,
    ra: image.ra,
    dec: image.dec,
    footprint: image.footprint,
    emMin: image.emMin,
    emMax: image.emMax,
  };
}

/**
 * Each identifier in turn, resolved for `viewer` (src/images/dataset-id.ts, SODA's reading too).
 * Unknown, malformed and invisible identifiers all give the same NotFoundFault for the same text.
 */
export async function resolveIdentifiers(db: Database, dataDir: string, dids: readonly string[], viewer: Viewer): Promise<Resolved[]> {
  const out: Resolved[] = [];
  for (const did of dids) {
    try {
      const image = await imageOfDatasetId(db, did, viewer);
      out.push({ did, image: await linkedImage(dataDir, did, image) });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      out.push({ did, error: `NotFoundFault: ${e.message}` });
    }
  }
  return out;
}
