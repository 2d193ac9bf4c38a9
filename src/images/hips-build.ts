/**
 * Building the HiPS of an image collection (one per level, collection, kind and filter; per
 * owner at L3) from the registered images, under DATA_DIR/hips/. Tile by tile: the deepest
 * order's tiles are resampled from the images that overlap them, each lower order from the
 * tiles below it read back from disk, so memory stays that of a few tiles whatever the
 * collection's size. A build records what it was built from (build.json); the next build only
 * redoes the tiles that images added since touch, and their ancestors, then Allsky, Moc.fits
 * and properties. Changed parameters or removed images rebuild from scratch, beside the old
 * HiPS, which is swapped for the new one at the end (readers never see a half HiPS). Two builds
 * of one HiPS never overlap, in one process or two (hips-lock.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Database } from '../storage/database.js';
import { NotFoundError } from '../errors.js';
import { isAlive } from '../system/processes.js';
import { joinUnder } from '../auth/safe-path.js';
import { canonicalLevel, isPrivateLevel } from '../catalog/levels.js';
import { coverPolygon } from '../healpix/coverage.js';
import { rangeSet, type Range, type RangeSet } from '../healpix/ranges.js';
import { xyfToNested, vecToAng } from '../healpix/nested.js';
import { radecToVec } from '../healpix/sphere.js';
import { physicalValues } from '../fits/pixels.js';
import type { CelestialWcs } from '../wcs/projections.js';
import { openImageFile } from './image-service.js';
import type { Plane } from './image-catalog.js';
import { nativeTileOrder, parentTile, pixelSizeDeg, shiftOrder, tileFace, tilePath, tilePixelVectors, hpxTileWcsCards, TILE_WIDTHS } from './hips/geometry.js';
import { mergeChildren, projectTile, TileAccumulator } from './hips/resample.js';
import { readFitsTile, stretchOf, tileBytes, tileCards, TILE_FORMATS, type Stretch, type TileFormat } from './hips/tile-files.js';
import { AllskyCanvas } from './hips/allsky.js';
import { mocFitsBytes, skyFraction } from './hips/moc.js';
import { hipsDate, HIPS_VERSION, parseProperties, propertiesText, type Properties } from './hips/properties.js';
import { withHipsLock } from './hips-lock.js';

/** One HiPS: the images of a level, collection, kind and filter (band; null for images without one), and at L3 of one owner. */
export interface HipsTarget {
  level: string;
  collection: string;
  kind: string;
  band: string | null;
  /** The owner whose images an L3 HiPS shows (L3 images are private to their owner); null elsewhere. */
  owner: string | null;
}

/** The folder name of a HiPS without a filter. */
export const NO_FILTER = '_all';

/** Lowest orders that get an Allsky file (HiPS clients draw orders 0..3 from it). */
const ALLSKY_MAX_ORDER = 3;
/** Width of each tile in a PNG or JPEG Allsky (the standard's typical 64: what clients draw the low orders from). */
const ALLSKY_CELL = 64;
/**
 * Width of each tile in a FITS Allsky: 32 (a power of two, as the standard asks), a quarter of the
 * float pixels of 64 (3.2 MB at order 3 instead of 12.8); clients read the cell width from the
 * Allsky's width, which is always 27 cells at order 3.
 */
export const ALLSKY_FITS_CELL = 32;
/**
 * A FITS tile at least this fraction of whose pixels hold no data (NaN) is kept gzipped on disk,
 * as NpixN.fits.gz: the low orders of a small survey are a few pixels of data in 1 MB of NaN,
 * which gzip makes a few kilobytes. The server sends the file as it is to clients that accept
 * gzip (Content-Encoding) and decompressed to the rest: over HTTP every tile is a plain FITS file.
 */
export const GZIP_NAN_FRACTION = 0.5;
/** MOC resolution: this many orders below the tiles (cells of 16 x 16 pixels of 512-pixel tiles). */
const MOC_DEPTH = 5;
/** Pixels sampled per image to choose the stretch. */
const STRETCH_SAMPLES_PER_IMAGE = 4096;

/** The root folder of a HiPS, under DATA_DIR/hips (every part checked as a plain name). */
export function hipsRoot(dataDir: string, t: HipsTarget): string {
  const parts = [t.level, ...(isPrivateLevel(t.level as never) ? [t.owner ?? ''] : []), t.collection, t.kind, t.band ?? NO_FILTER];
  return joinUnder(path.join(dataDir, 'hips'), ...parts);
}

/** The HiPS identifier (creator_did). */
export function hipsId(t: HipsTarget): string {
  const enc = (s: string) => encodeURIComponent(s);
  return `ivo://vodax/P/${[t.level, ...(t.owner ? [t.owner] : []), t.collection, t.kind, ...(t.band ? [t.band] : [])].map(enc).join('/')}`;
}

/** The HiPS that the registered images make, narrowed by a selection; L3 ones per owner. */
export async function hipsTargets(db: Pick<Database, 'query'>, sel: Partial<Omit<HipsTarget, 'owner'>> & { owner?: string | null } = {}): Promise<HipsTarget[]> {
  const level = sel.level === undefined ? null : canonicalLevel(sel.level);
  if (sel.level !== undefined && !level) throw new NotFoundError(`no image level "${sel.level}" (levels: dc, L1, L2, L3, dev)`);
  const rows = await db.query<{ level: string; collection: string; kind: string; band: string | null; owner: string | null }>(
    `SELECT DISTINCT level, collection, kind, band, CASE WHEN level = 'L3' THEN owner END AS owner FROM vodax.images
      WHERE ($1::text IS NULL OR level = $1) AND ($2::text IS NULL OR collection = $2) AND ($3::text IS NULL OR kind = $3)
        AND ($4::text IS NULL OR band = $4) AND ($5::text IS NULL OR level <> 'L3' OR owner = $5)
      ORDER BY 1, 2, 3, 4 NULLS FIRST, 5`,
    [level, sel.collection ?? null, sel.kind ?? null, sel.band ?? null, sel.owner ?? null],
  );
  return rows.map((r) => ({ level: r.level, collection: r.collection, kind: r.kind, band: r.band, owner: r.owner }));
}

/** What a build needs of an image. */
interface HipsImage {
  id: number;
  path: string;
  hdus: Partial<Record<Plane, number>>;
  naxis1: number;
  naxis2: number;
  wcs: CelestialWcs;
  footprint: number[];
  ra: number;
  dec: number;
  fov: number;
  pixelScale: number;
  emMin: number | null;
  emMax: number | null;
  tMin: number | null;
  tMax: number | null;
}

async function imagesOf(db: Pick<Database, 'query'>, t: HipsTarget): Promise<HipsImage[]> {
  const rows = await db.query<{ id: number; path: string; hdus: Partial<Record<Plane, number>>; naxis1: number; naxis2: number; wcs: CelestialWcs; footprint: number[]; ra: number; dec: number; fov: number; pixel_scale: number; em_min: number | null; em_max: number | null; t_min: number | null; t_max: number | null }>(
    `SELECT id, path, hdus, naxis1, naxis2, wcs, footprint, ra, dec, fov, pixel_scale, em_min, em_max, t_min, t_max FROM vodax.images
      WHERE level = $1 AND collection = $2 AND kind = $3 AND band IS NOT DISTINCT FROM $4 AND ($5::text IS NULL OR owner = $5) ORDER BY id`,
    [t.level, t.collection, t.kind, t.band, t.owner],
  );
  return rows.map((r) => ({ id: r.id, path: r.path, hdus: r.hdus, naxis1: r.naxis1, naxis2: r.naxis2, wcs: r.wcs, footprint: r.footprint.map(Number), ra: r.ra, dec: r.dec, fov: r.fov, pixelScale: r.pixel_scale, emMin: r.em_min, emMax: r.em_max, tMin: r.t_min, tMax: r.t_max }));
}

/** What build.json records. */
interface BuildRecord {
  version: 1;
  order: number;
  width: number;
  formats: TileFormat[];
  stretch: Stretch;
  bunit: string | null;
  /** Ids of the images built from. */
  images: number[];
  created: string;
}

/** Options of a build. */
export interface HipsBuildOptions {
  /** Deepest tile order; default: the images' native pixel scale. */
  order?: number;
  /** Tile width; default 512. */
  width?: number;
  /** Tile formats, the first one the client's default; default png and fits (JPEG on request: it takes twice as long as PNG to encode). */
  formats?: TileFormat[];
  /** Rebuild every tile even when nothing changed. */
  full?: boolean;
  onProgress?: (done: number, total: number, stage: string) => void;
  /** Stops the build between tiles (a full build then leaves nothing behind; an incremental one is redone next time). */
  signal?: AbortSignal;
  /** Called when another build of this HiPS (this process or another, by pid) holds its lock: this one waits for it. */
  onWait?: (pid: number) => void;
  now?: Date;
}

/** What a build did. */
export interface HipsBuildResult {
  target: HipsTarget;
  root: string;
  mode: 'full' | 'incremental' | 'unchanged';
  images: number;
  newImages: number;
  order: number;
  width: number;
  /** Tiles written (all orders), and those removed because no image covers them any more. */
  tilesWritten: number;
  tilesRemoved: number;
  /** Tiles the HiPS holds at its deepest order. */
  deepestTiles: number;
  skyFraction: number;
  seconds: number;
}

/** Writes a file atomically (temporary name, then rename). */
function writeAtomic(file: string, bytes: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

function readRecord(root: string): BuildRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(root, 'build.json'), 'utf8')) as BuildRecord;
    return r.version === 1 ? r : null;
  } catch {
    return null;
  }
}

/** Footprint polygon vertices of an image. */
function verticesOf(img: HipsImage): [number, number][] {
  const v: [number, number][] = [];
  for (let i = 0; i + 1 < img.footprint.length; i += 2) v.push([img.footprint[i]!, img.footprint[i + 1]!]);
  return v;
}

/** Tiles of `order` an image may touch (inclusive: never misses one). */
function tilesOfImage(img: HipsImage, order: number): RangeSet {
  return coverPolygon(order, verticesOf(img));
}

function* tilesIn(set: RangeSet): Generator<number> {
  for (const [a, b] of set.ranges) for (let p = a; p < b; p++) yield Number(p);
}

/** Samples of an image's data plane (rows spread over the image) for the stretch, and its BUNIT. */
async function sampleImage(dataDir: string, img: HipsImage): Promise<{ values: number[]; bunit: string | null }> {
  const file = await openImageFile(dataDir, img);
  try {
    const hdu = file.hdus[img.hdus.data!]!;
    const rows = Math.max(1, Math.min(img.naxis2, Math.ceil(STRETCH_SAMPLES_PER_IMAGE / img.naxis1)));
    const values: number[] = [];
    for (let k = 0; k < rows; k++) {
      const y = Math.floor(((k + 0.5) * img.naxis2) / rows);
      const v = physicalValues(await file.readRegion(hdu, { x0: 0, y0: y, width: img.naxis1, height: 1 }));
      const step = Math.max(1, Math.floor(v.length / (STRETCH_SAMPLES_PER_IMAGE / rows)));
      for (let i = 0; i < v.length; i += step) values.push(v[i]!);
    }
    return { values, bunit: hdu.header.getString('BUNIT')?.trim() || file.hdus[0]!.header.getString('BUNIT')?.trim() || null };
  } finally {
    await file.close();
  }
}

/** Renders one deepest-order tile from the images that may overlap it; null when none does. */
async function renderTile(dataDir: string, order: number, npix: number, width: number, images: HipsImage[]): Promise<Float32Array | null> {
  const vectors = tilePixelVectors(order, npix, width);
  const acc = new TileAccumulator(width);
  for (const img of images) {
    const p = projectTile(vectors, img);
    if (!p.box) continue;
    const file = await openImageFile(dataDir, img);
    try {
      const hdu = file.hdus[img.hdus.data!]!;
      acc.add(p, physicalValues(await file.readRegion(hdu, p.box)));
    } finally {
      await file.close();
    }
  }
  return acc.result();
}

/** The FITS file of a tile on disk: plain, or gzipped when mostly empty (GZIP_NAN_FRACTION). */
export function fitsTileFile(root: string, order: number, npix: number): { file: string; gzip: boolean } | null {
  const plain = path.join(root, ...tilePath(order, npix, 'fits').split('/'));
  if (fs.existsSync(plain)) return { file: plain, gzip: false };
  if (fs.existsSync(`${plain}.gz`)) return { file: `${plain}.gz`, gzip: true };
  return null;
}

/** The bytes of a tile's FITS file as clients get it (decompressed), or null when there is no such tile. */
export function fitsTileBytes(root: string, order: number, npix: number): Buffer | null {
  const f = fitsTileFile(root, order, npix);
  if (!f) return null;
  const bytes = fs.readFileSync(f.file);
  return f.gzip ? zlib.gunzipSync(bytes) : bytes;
}

function nanFraction(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i]!)) n++;
  return n / data.length;
}

/** Writes a tile in every format, or removes its files when it holds no data; true when written. */
function storeTile(root: string, order: number, npix: number, width: number, data: Float32Array | null, rec: BuildRecord): boolean {
  for (const f of rec.formats) {
    const file = path.join(root, ...tilePath(order, npix, TILE_FORMATS[f]).split('/'));
    if (!data) {
      fs.rmSync(file, { force: true });
      if (f === 'fits') fs.rmSync(`${file}.gz`, { force: true });
      continue;
    }
    const bytes = tileBytes(f, data, width, width, rec.stretch, [...tileCards(order, npix, rec.bunit), ...hpxTileWcsCards(order, npix, width)]);
    if (f === 'fits' && nanFraction(data) >= GZIP_NAN_FRACTION) {
      writeAtomic(`${file}.gz`, zlib.gzipSync(bytes, { level: 1 }));
      fs.rmSync(file, { force: true });
    } else {
      writeAtomic(file, bytes);
      if (f === 'fits') fs.rmSync(`${file}.gz`, { force: true });
    }
  }
  return data !== null;
}

function readTile(root: string, order: number, npix: number): Float32Array | null {
  const bytes = fitsTileBytes(root, order, npix);
  return bytes ? readFitsTile(bytes).data : null;
}

/** The tiles of an order present on disk (from their FITS files), ascending. */
function tilesOnDisk(root: string, order: number): number[] {
  const dir = path.join(root, `Norder${order}`);
  const out: number[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const d of fs.readdirSync(dir)) {
    if (!/^Dir\d+$/.test(d)) continue;
    for (const f of fs.readdirSync(path.join(dir, d))) {
      const m = /^Npix(\d+)\.fits(\.gz)?$/.exec(f);
      if (m) out.push(Number(m[1]));
    }
  }
  return out.sort((a, b) => a - b);
}

/** The coverage of the data at `mocOrder`: the cells holding at least one finite pixel of the deepest tiles. */
function dataCoverage(root: string, order: number, width: number, mocOrder: number): RangeSet {
  const s = shiftOrder(width);
  const d = order + s - mocOrder;
  const sub = 1 << (mocOrder - order);
  const ranges: Range[] = [];
  for (const npix of tilesOnDisk(root, order)) {
    const tile = readTile(root, order, npix)!;
    const t = tileFace(order, npix);
    const seen = new Uint8Array(sub * sub);
    for (let row = 0; row < width; row++) {
      for (let col = 0; col < width; col++) {
        if (Number.isNaN(tile[row * width + col]!)) continue;
        seen[((width - 1 - row) >> d) * sub + (col >> d)] = 1;
      }
    }
    for (let lx = 0; lx < sub; lx++) {
      for (let ly = 0; ly < sub; ly++) {
        if (!seen[lx * sub + ly]) continue;
        const cell = xyfToNested(mocOrder, t.face, t.x * sub + lx, t.y * sub + ly);
        ranges.push([cell, cell + 1n]);
      }
    }
  }
  return rangeSet(mocOrder, ranges);
}

/** Centre and field of view that show the whole coverage (hips_initial_*). */
function initialView(images: HipsImage[]): { ra: number; dec: number; fov: number } {
  let x = 0;
  let y = 0;
  let z = 0;
  for (const i of images) {
    const v = radecToVec(i.ra, i.dec);
    x += v[0];
    y += v[1];
    z += v[2];
  }
  const n = Math.hypot(x, y, z) || 1;
  const c = vecToAng([x / n, y / n, z / n]);
  let fov = 0;
  const cv = radecToVec(c.ra, c.dec);
  for (const i of images) {
    const v = radecToVec(i.ra, i.dec);
    const sep = (Math.acos(Math.min(1, cv[0] * v[0] + cv[1] * v[1] + cv[2] * v[2])) * 180) / Math.PI;
    fov = Math.max(fov, 2 * sep + i.fov);
  }
  return { ra: c.ra, dec: c.dec, fov: Math.min(180, Math.max(fov, 0.01)) };
}

function num(v: number, digits = 8): string {
  return String(Number(v.toPrecision(digits)));
}

/** The properties of an image HiPS. */
function imageProperties(t: HipsTarget, rec: BuildRecord, images: HipsImage[], moc: RangeSet, tiles: number, bytes: number, created: string, now: Date): Properties {
  const view = initialView(images);
  const finite = (xs: (number | null)[]) => xs.filter((v): v is number => v !== null && Number.isFinite(v));
  const em = [...finite(images.map((i) => i.emMin)), ...finite(images.map((i) => i.emMax))];
  const tt = [...finite(images.map((i) => i.tMin)), ...finite(images.map((i) => i.tMax))];
  const title = `${t.collection} ${t.kind}${t.band ? ` ${t.band}` : ''} (${t.level}${t.owner ? `, ${t.owner}` : ''})`;
  const props: Properties = [
    ['creator_did', hipsId(t)],
    ['obs_title', title],
    ['obs_collection', t.collection],
    ['obs_description', `HiPS of the ${images.length} registered ${t.kind} images of ${t.level}/${t.collection}${t.band ? ` in filter ${t.band}` : ''}, resampled bilinearly onto HEALPix and averaged where they overlap.`],
    ['dataproduct_type', 'image'],
    ['hips_version', HIPS_VERSION],
    ['hips_release_date', hipsDate(now)],
    ['hips_creation_date', created],
    ['hips_status', isPrivateLevel(t.level as never) ? 'private master unclonable' : 'public master clonableOnce'],
    ['hips_tile_format', rec.formats.join(' ')],
    ['hips_tile_width', String(rec.width)],
    ['hips_order', String(rec.order)],
    ['hips_order_min', '0'],
    ['hips_frame', 'equatorial'],
    ['hips_pixel_bitpix', '-32'],
    ['hips_pixel_cut', `${num(rec.stretch.lo)} ${num(rec.stretch.hi)}`],
    ['hips_pixel_scale', num(pixelSizeDeg(rec.order, rec.width), 6)],
    ['hips_initial_ra', num(view.ra)],
    ['hips_initial_dec', num(view.dec)],
    ['hips_initial_fov', num(view.fov, 4)],
    ['hips_sampling', 'bilinear'],
    ['hips_overlay', 'mean'],
    ['hips_builder', 'vodax'],
    ['hips_creator', 'vodax'],
    ['hips_nb_tiles', String(tiles)],
    ['hips_estsize', String(Math.ceil(bytes / 1024))],
    ['moc_sky_fraction', num(skyFraction(moc), 6)],
    ['obs_regime', 'Optical'],
    ['s_pixel_scale', num(Math.min(...images.map((i) => i.pixelScale)) / 3600, 6)],
  ];
  if (rec.bunit) props.push(['hips_bunit', rec.bunit]);
  if (em.length) props.push(['em_min', num(Math.min(...em))], ['em_max', num(Math.max(...em))]);
  if (tt.length) props.push(['t_min', num(Math.min(...tt), 11)], ['t_max', num(Math.max(...tt), 11)]);
  return props;
}

/** Size in bytes of the files under a folder. */
function folderBytes(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const r = folderBytes(p);
      bytes += r.bytes;
      files += r.files;
    } else {
      bytes += fs.statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

/** Removes what builds of processes that are gone (killed mid-build) left in the staging folder. */
function sweepStaging(staging: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(staging);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^(?:build|old)-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) fs.rmSync(path.join(staging, name), { recursive: true, force: true });
  }
}

/**
 * Builds (or brings up to date) one HiPS, holding its build lock: a build of the same HiPS by
 * another process (`vodax hips build` beside a server) or in this one runs first, then this one
 * sees what it left (usually nothing new to do).
 */
export async function buildHips(db: Pick<Database, 'query'>, dataDir: string, target: HipsTarget, options: HipsBuildOptions = {}): Promise<HipsBuildResult> {
  return withHipsLock(hipsRoot(dataDir, target), { signal: options.signal, onWait: options.onWait }, () => buildLocked(db, dataDir, target, options));
}

async function buildLocked(db: Pick<Database, 'query'>, dataDir: string, target: HipsTarget, options: HipsBuildOptions): Promise<HipsBuildResult> {
  const t0 = Date.now();
  const now = options.now ?? new Date();
  const finalRoot = hipsRoot(dataDir, target);
  const images = await imagesOf(db, target);
  if (images.length === 0) throw new NotFoundError(`no images for the HiPS ${hipsId(target)}`);
  const width = options.width ?? 512;
  if (!(TILE_WIDTHS as readonly number[]).includes(width)) throw new RangeError(`tile width must be one of ${TILE_WIDTHS.join(', ')}`);
  const order = options.order ?? nativeTileOrder(Math.min(...images.map((i) => i.pixelScale)), width);
  const formats: TileFormat[] = [...(options.formats ?? ['png', 'fits'])];
  if (!formats.includes('fits')) formats.push('fits'); // lower orders and the MOC are made from the FITS tiles
  const old = options.full ? null : readRecord(finalRoot);
  const ids = new Set(images.map((i) => i.id));
  const sameParams = old !== null && old.order === order && old.width === width && old.formats.join() === formats.join();
  const removed = old ? old.images.some((id) => !ids.has(id)) : false;
  const incremental = sameParams && !removed;
  const known = new Set(incremental ? old!.images : []);
  const fresh = images.filter((i) => !known.has(i.id));
  const progress = options.onProgress ?? (() => {});
  if (incremental && fresh.length === 0 && fs.existsSync(path.join(finalRoot, 'properties'))) {
    return { target, root: finalRoot, mode: 'unchanged', images: images.length, newImages: 0, order, width, tilesWritten: 0, tilesRemoved: 0, deepestTiles: tilesOnDisk(finalRoot, order).length, skyFraction: Number(parseProperties(fs.readFileSync(path.join(finalRoot, 'properties'), 'utf8')).map.get('moc_sky_fraction') ?? 0), seconds: (Date.now() - t0) / 1000 };
  }
  // A full build writes in DATA_DIR/hips/.staging (never served: no route names a dot folder) and swaps at the end.
  const staging = path.join(dataDir, 'hips', '.staging');
  sweepStaging(staging);
  const root = incremental ? finalRoot : path.join(staging, `build-${process.pid}-${Date.now()}`);
  fs.mkdirSync(root, { recursive: true });
  try {
    let rec: BuildRecord;
    if (incremental) rec = { ...old!, images: images.map((i) => i.id) };
    else {
      const samples: number[] = [];
      let bunit: string | null = null;
      const step = Math.max(1, Math.floor(images.length / 64));
      for (let k = 0; k < images.length; k += step) {
        const s = await sampleImage(dataDir, images[k]!);
        samples.push(...s.values);
        bunit ??= s.bunit;
      }
      rec = { version: 1, order, width, formats, stretch: stretchOf(samples), bunit, images: images.map((i) => i.id), created: hipsDate(now) };
    }
    // Deepest order: the tiles the new images touch, each from every image that may overlap it.
    const touched = rangeSet(order, fresh.flatMap((i) => tilesOfImage(i, order).ranges));
    const byTile = new Map<number, HipsImage[]>();
    const touchedTiles = new Set(tilesIn(touched));
    for (const img of images) {
      for (const npix of tilesIn(tilesOfImage(img, order))) {
        if (!touchedTiles.has(npix)) continue;
        const list = byTile.get(npix);
        if (list) list.push(img);
        else byTile.set(npix, [img]);
      }
    }
    let written = 0;
    let removedTiles = 0;
    let done = 0;
    const total = touchedTiles.size;
    for (const npix of [...touchedTiles].sort((a, b) => a - b)) {
      options.signal?.throwIfAborted();
      const data = await renderTile(dataDir, order, npix, width, byTile.get(npix) ?? []);
      if (storeTile(root, order, npix, width, data, rec)) written++;
      else removedTiles++;
      progress(++done, total, `order ${order}`);
    }
    // Lower orders: the parents of what changed, from their four children on disk.
    let level = new Set([...touchedTiles].map(parentTile));
    for (let k = order - 1; k >= 0; k--) {
      let d = 0;
      for (const npix of [...level].sort((a, b) => a - b)) {
        options.signal?.throwIfAborted();
        const children = [0, 1, 2, 3].map((c) => readTile(root, k + 1, 4 * npix + c));
        if (storeTile(root, k, npix, width, mergeChildren(children, width), rec)) written++;
        else removedTiles++;
        progress(++d, level.size, `order ${k}`);
      }
      level = new Set([...level].map(parentTile));
    }
    // Allsky of the low orders, from their tiles.
    for (let k = 0; k <= Math.min(ALLSKY_MAX_ORDER, order); k++) {
      options.signal?.throwIfAborted();
      const canvases = new Map<number, AllskyCanvas>();
      for (const f of formats) {
        const cell = Math.min(f === 'fits' ? ALLSKY_FITS_CELL : ALLSKY_CELL, width);
        if (!canvases.has(cell)) canvases.set(cell, new AllskyCanvas(k, cell));
      }
      for (const npix of tilesOnDisk(root, k)) {
        const tile = readTile(root, k, npix)!;
        for (const canvas of canvases.values()) canvas.place(npix, tile, width);
      }
      for (const f of formats) {
        const canvas = canvases.get(Math.min(f === 'fits' ? ALLSKY_FITS_CELL : ALLSKY_CELL, width))!;
        writeAtomic(path.join(root, `Norder${k}`, `Allsky.${TILE_FORMATS[f]}`), tileBytes(f, canvas.data, canvas.width, canvas.height, rec.stretch, allskyCards(k, rec.bunit)));
      }
    }
    const moc = dataCoverage(root, order, width, Math.min(29, order + Math.min(MOC_DEPTH, shiftOrder(width))));
    writeAtomic(path.join(root, 'Moc.fits'), mocFitsBytes(moc, { id: hipsId(target), type: 'IMAGE', name: 'coverage', date: now }));
    const deepest = tilesOnDisk(root, order).length;
    const size = folderBytes(root);
    const tileFiles = size.files; // close enough for hips_nb_tiles before properties and build.json exist
    writeAtomic(path.join(root, 'properties'), propertiesText(imageProperties(target, rec, images, moc, tileFiles, size.bytes, incremental ? old!.created : rec.created, now), `HiPS of ${target.level}/${target.collection}/${target.kind}${target.band ? `, filter ${target.band}` : ''}, built by vodax`));
    writeAtomic(path.join(root, 'build.json'), JSON.stringify(rec));
    if (!incremental) {
      const trash = path.join(staging, `old-${process.pid}-${Date.now()}`);
      fs.mkdirSync(path.dirname(finalRoot), { recursive: true });
      fs.rmSync(trash, { recursive: true, force: true });
      if (fs.existsSync(finalRoot)) fs.renameSync(finalRoot, trash);
      fs.renameSync(root, finalRoot);
      fs.rmSync(trash, { recursive: true, force: true });
    }
    return { target, root: finalRoot, mode: incremental ? 'incremental' : 'full', images: images.length, newImages: fresh.length, order, width, tilesWritten: written, tilesRemoved: removedTiles, deepestTiles: deepest, skyFraction: skyFraction(moc), seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    if (!incremental) fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

/** Header cards of an Allsky FITS: its order (no single tile index, no WCS: it is a mosaic). */
function allskyCards(order: number, bunit: string | null): string[] {
  return tileCards(order, 0, bunit).filter((c) => !c.startsWith('NPIX'));
}
