/**
 * The dataset identifier of an image, as ivoa.obscore publishes it (obs_publisher_did) and as
 * DataLink and SODA take it: `ivo://vodax/image?{id}`. One form only; anything else, an unknown
 * id and another owner's L3 image are alike not found, so a private image stays invisible.
 */
import { NotFoundError } from '../errors.js';
import type { Viewer } from '../catalog/table-registry.js';
import type { Database } from '../storage/database.js';
import { ImageCatalog, type ImageRecord } from './image-catalog.js';

/** What precedes the image id in a dataset identifier (the obscore view builds the same). */
export const DATASET_ID_PREFIX = 'ivo://vodax/image?';

/** The dataset identifier of image `id`. */
export function datasetIdOf(id: number): string {
  return `${DATASET_ID_PREFIX}${id}`;
}

/** The image id a dataset identifier names, or null when it is not one. */
export function imageIdOfDatasetId(raw: string): number | null {
  if (!raw.startsWith(DATASET_ID_PREFIX)) return null;
  const rest = raw.slice(DATASET_ID_PREFIX.length);
  return /^[1-9]\d{0,9}$/.test(rest) && Number(rest) <= 2_147_483_647 ? Number(rest) : null;
}

/** The image a dataset identifier names, as the viewer may see it; NotFoundError otherwise (the same for every reason). */
export async function imageOfDatasetId(db: Database, raw: string, viewer: Viewer): Promise<ImageRecord> {
  const id = imageIdOfDatasetId(raw.trim());
  const notFound = () => new NotFoundError(`no dataset '${raw.trim().slice(0, 200)}' (identifiers are ${DATASET_ID_PREFIX}{id}, as obs_publisher_did in ivoa.obscore)`);
  if (id === null) throw notFound();
  const rows = await db.query<{ level: string; collection: string; kind: string }>(
    `SELECT level, collection, kind FROM vodax.images WHERE id = $1 AND (level <> 'L3' OR owner = $2)`,
    [id, viewer.user],
  );
  const where = rows[0];
  if (!where) throw notFound();
  try {
    return await new ImageCatalog(db).get(where.level, where.collection, where.kind, id, viewer);
  } catch (e) {
    // Removed between the two reads: the same answer as never there.
    if (e instanceof NotFoundError) throw notFound();
    throw e;
  }
}
