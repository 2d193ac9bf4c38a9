/**
 * The image table (vodax.images): registering image files, and reading them back as the caller
 * may see them (L3 images are private to their owner: others get 404). ivoa.obscore is a view
 * over this table, so registering here publishes to ObsCore too.
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import type { Database } from '../storage/database.js';
import { NotFoundError } from '../errors.js';
import type { Viewer } from '../catalog/table-registry.js';
import { canonicalLevel } from '../catalog/levels.js';
import type { ImageDescription } from './describe.js';

/** The planes an image may hold, in file order. */
export const PLANES = ['data', 'mask', 'variance'] as const;
export type Plane = (typeof PLANES)[number];

/** What registration needs to know of an image (everything but id, created and access_url). */
export interface NewImage extends ImageDescription {
  level: string;
  collection: string;
  kind: string;
  owner: string;
  /** Relative to DATA_DIR/images, '/'-separated. */
  path: string;
  fileBytes: number;
  band?: string | null;
  /** Band limits, metres. */
  emMin?: number | null;
  emMax?: number | null;
  /** MJD. */
  tMin?: number | null;
  tMax?: number | null;
  exptime?: number | null;
  /** PSF FWHM, arcsec. */
  fwhm?: number | null;
  tract?: number | null;
  patch?: string | null;
  visit?: number | null;
  ccd?: number | null;
  /** Catalog id (scienceCcdExposureId, deepCoaddId). */
  sourceId?: number | null;
  facilityName?: string | null;
  instrumentName?: string | null;
  annotations?: Record<string, string>;
}

/** A registered image. */
export interface ImageRecord extends Required<Omit<NewImage, 'annotations'>> {
  id: number;
  created: Date;
  accessUrl: string;
  annotations: Record<string, string>;
}

/** Filters of an image list (M12, I5). */
export interface ImageFilter {
  owner?: string;
  createAfter?: Date;
  createBefore?: Date;
  band?: string;
  tract?: number;
  patch?: string;
  visit?: number;
}

/** A page of ids, with the paging flags. */
export interface ImagePage {
  ids: number[];
  start: number;
  count: number;
  more: boolean;
}

type Queryable = Pick<Database, 'query'>;

function rowsOf<T extends Record<string, unknown>>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  return q.query<T>(sql, params);
}

// SQL fragment: every column of vodax.images, named (a prepared statement may not use *).
const IMAGE_COLUMNS = [
  'id', 'level', 'collection', 'kind', 'owner', 'created', 'path', 'file_bytes', 'planes', 'hdus', 'naxis1', 'naxis2', 'bitpix', 'compressed', 'wcs',
  'ra', 'dec', 'fov', 'footprint', 'pixel_scale', 'hpx', 'band', 'em_min', 'em_max', 't_min', 't_max', 'exptime', 'fwhm', 'tract', 'patch', 'visit', 'ccd',
  'source_id', 'facility_name', 'instrument_name', 'access_url', 'annotations',
].map((c) => `i.${c}`).join(', ');

// SQL fragment: images the viewer ($1) may see.
const VISIBLE = `(i.level <> 'L3' OR i.owner = $1)`;

/** The canonical level, or BadRequestError. */
export function imageLevel(text: string): string {
  const level = canonicalLevel(text);
  if (!level) throw new NotFoundError(`no image level "${text}" (levels: dc, L1, L2, L3, dev)`);
  return level;
}

/** Registers an image; returns its id. The access URL is `${baseUrl}/image/v0/{level}/{collection}/{kind}/{id}`. */
export async function registerImage(q: Queryable, image: NewImage, baseUrl: string): Promise<number> {
  const level = imageLevel(image.level);
  const [row] = await rowsOf<{ id: number }>(
    q,
    `INSERT INTO vodax.images (level, collection, kind, owner, path, file_bytes, planes, hdus, naxis1, naxis2, bitpix, compressed, wcs,
       ra, dec, fov, footprint, pixel_scale, hpx, band, em_min, em_max, t_min, t_max, exptime, fwhm, tract, patch, visit, ccd,
       source_id, facility_name, instrument_name, access_url, annotations)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,'',$34)
     RETURNING id`,
    [
      level,
      image.collection,
      image.kind,
      image.owner,
      image.path,
      image.fileBytes,
      image.planes,
      JSON.stringify(image.hdus),
      image.naxis1,
      image.naxis2,
      image.bitpix,
      image.compressed,
      JSON.stringify(image.wcs),
      image.ra,
      image.dec,
      image.fov,
      image.footprint,
      image.pixelScale,
      image.hpx.toString(),
      image.band ?? null,
      image.emMin ?? null,
      image.emMax ?? null,
      image.tMin ?? null,
      image.tMax ?? null,
      image.exptime ?? null,
      image.fwhm ?? null,
      image.tract ?? null,
      image.patch ?? null,
      image.visit ?? null,
      image.ccd ?? null,
      image.sourceId ?? null,
      image.facilityName ?? null,
      image.instrumentName ?? null,
      JSON.stringify(image.annotations ?? {}),
    ],
  );
  const id = row!.id;
  const url = `${baseUrl}/image/v0/${encodeURIComponent(level)}/${encodeURIComponent(image.collection)}/${encodeURIComponent(image.kind)}/${id}`;
  await rowsOf(q, 'UPDATE vodax.images SET access_url = $2 WHERE id = $1', [id, url]);
  return id;
}

/** A row of vodax.images: the file's description (pixel scale in its column's name) and the registration. */
type ImageRow = Omit<ImageDescription, 'pixelScale'> & {
  id: number;
  level: string;
  collection: string;
  kind: string;
  owner: string;
  created: Date;
  path: string;
  file_bytes: bigint | string;
  pixel_scale: number;
  hpx: bigint | string;
  band: string | null;
  em_min: number | null;
  em_max: number | null;
  t_min: number | null;
  t_max: number | null;
  exptime: number | null;
  fwhm: number | null;
  tract: number | null;
  patch: string | null;
  visit: bigint | string | null;
  ccd: number | null;
  source_id: bigint | string | null;
  facility_name: string | null;
  instrument_name: string | null;
  access_url: string;
  annotations: Record<string, string>;
};

function recordOf(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    level: r.level,
    collection: r.collection,
    kind: r.kind,
    owner: r.owner,
    created: r.created,
    path: r.path,
    fileBytes: Number(r.file_bytes),
    planes: r.planes,
    hdus: r.hdus,
    naxis1: r.naxis1,
    naxis2: r.naxis2,
    bitpix: r.bitpix,
    compressed: r.compressed,
    wcs: r.wcs,
    ra: r.ra,
    dec: r.dec,
    fov: r.fov,
    footprint: r.footprint.map(Number),
    pixelScale: r.pixel_scale,
    hpx: BigInt(r.hpx),
    band: r.band,
    emMin: r.em_min,
    emMax: r.em_max,
    tMin: r.t_min,
    tMax: r.t_max,
    exptime: r.exptime,
    fwhm: r.fwhm,
    tract: r.tract,
    patch: r.patch,
    visit: r.visit === null ? null : Number(r.visit),
    ccd: r.ccd,
    sourceId: r.source_id === null ? null : Number(r.source_id),
    facilityName: r.facility_name,
    instrumentName: r.instrument_name,
    accessUrl: r.access_url,
    annotations: r.annotations,
  };
}

/** Read access to the image table for one caller. */
export class ImageCatalog {
  constructor(private readonly db: Database) {}

  /** Image levels with at least one image the viewer may see. */
  async levels(viewer: Viewer): Promise<string[]> {
    const rows = await this.db.query<{ level: string }>(`SELECT DISTINCT i.level FROM vodax.images i WHERE ${VISIBLE} ORDER BY 1`, [viewer.user]);
    return rows.map((r) => r.level);
  }

  /** Collections of a level. */
  async collections(levelText: string, viewer: Viewer): Promise<string[]> {
    const level = imageLevel(levelText);
    const rows = await this.db.query<{ collection: string }>(`SELECT DISTINCT i.collection FROM vodax.images i WHERE ${VISIBLE} AND i.level = $2 ORDER BY 1`, [viewer.user, level]);
    if (rows.length === 0) throw new NotFoundError(`no images at level ${level}`);
    return rows.map((r) => r.collection);
  }

  /** Kinds of a collection. */
  async kinds(levelText: string, collection: string, viewer: Viewer): Promise<string[]> {
    const level = imageLevel(levelText);
    const rows = await this.db.query<{ kind: string }>(`SELECT DISTINCT i.kind FROM vodax.images i WHERE ${VISIBLE} AND i.level = $2 AND i.collection = $3 ORDER BY 1`, [viewer.user, level, collection]);
    if (rows.length === 0) throw new NotFoundError(`no image collection "${collection}" at level ${level}`);
    return rows.map((r) => r.kind);
  }

  /** A page of image ids of a kind, filtered, in id order. */
  async list(levelText: string, collection: string, kind: string, viewer: Viewer, filter: ImageFilter, start: number, count: number): Promise<ImagePage> {
    const level = imageLevel(levelText);
    const params: unknown[] = [viewer.user, level, collection, kind];
    const where = [VISIBLE, 'i.level = $2', 'i.collection = $3', 'i.kind = $4'];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.owner !== undefined) add('i.owner = ?', filter.owner);
    if (filter.createAfter !== undefined) add('i.created > ?', filter.createAfter);
    if (filter.createBefore !== undefined) add('i.created < ?', filter.createBefore);
    if (filter.band !== undefined) add('i.band = ?', filter.band);
    if (filter.tract !== undefined) add('i.tract = ?', filter.tract);
    if (filter.patch !== undefined) add('i.patch = ?', filter.patch);
    if (filter.visit !== undefined) add('i.visit = ?', filter.visit);
    params.push(count + 1, start);
    const rows = await this.db.query<{ id: number }>(
      `SELECT i.id FROM vodax.images i WHERE ${where.join(' AND ')} ORDER BY i.id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    const more = rows.length > count;
    return { ids: rows.slice(0, count).map((r) => r.id), start, count: Math.min(rows.length, count), more };
  }

  /** One image by id within its level/collection/kind, or NotFoundError (also for another user's L3 image). */
  async get(levelText: string, collection: string, kind: string, id: number, viewer: Viewer): Promise<ImageRecord> {
    const level = imageLevel(levelText);
    // Every image request runs this: prepared once per connection (parsing and planning it were about half of its round trip).
    const rows = await this.db.query<ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM vodax.images i WHERE ${VISIBLE} AND i.level = $2 AND i.collection = $3 AND i.kind = $4 AND i.id = $5`, [viewer.user, level, collection, kind, id], { name: 'vodax_image_by_id' });
    if (!rows[0]) throw new NotFoundError(`no image ${id} in ${level}/${collection}/${kind}`);
    return recordOf(rows[0]);
  }

  /** The image of a tract, patch and band (coadds), or NotFoundError. */
  async byTractPatch(levelText: string, collection: string, kind: string, tract: number, patch: string, band: string, viewer: Viewer): Promise<ImageRecord> {
    const level = imageLevel(levelText);
    const rows = await this.db.query<ImageRow>(
      `SELECT * FROM vodax.images i WHERE ${VISIBLE} AND i.level = $2 AND i.collection = $3 AND i.kind = $4 AND i.tract = $5 AND i.patch = $6 AND i.band = $7 ORDER BY i.id LIMIT 1`,
      [viewer.user, level, collection, kind, tract, patch, band],
    );
    if (!rows[0]) throw new NotFoundError(`no ${kind} image for tract ${tract}, patch ${patch}, filter ${band} in ${level}/${collection}`);
    return recordOf(rows[0]);
  }

  /**
   * Candidates for a position search: images of the kind (and band, when given) whose centre
   * lies within their own field radius of (ra, dec); the caller picks the one that covers best.
   */
  async near(levelText: string, collection: string, kind: string, ra: number, dec: number, band: string | undefined, viewer: Viewer): Promise<ImageRecord[]> {
    const level = imageLevel(levelText);
    const params: unknown[] = [viewer.user, level, collection, kind, ra, dec];
    let bandSql = '';
    if (band !== undefined) {
      params.push(band);
      bandSql = ` AND i.band = $${params.length}`;
    }
    const rows = await this.db.query<ImageRow>(
      `SELECT * FROM vodax.images i WHERE ${VISIBLE} AND i.level = $2 AND i.collection = $3 AND i.kind = $4${bandSql}
         AND degrees(acos(LEAST(1, sin(radians(i.dec)) * sin(radians($6)) + cos(radians(i.dec)) * cos(radians($6)) * cos(radians(i.ra - $5))))) <= i.fov / 2
       ORDER BY i.id LIMIT 1000`,
      params,
    );
    return rows.map(recordOf);
  }
}
