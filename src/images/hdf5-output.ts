/**
 * Images as HDF5 (application/x-hdf5), written with h5wasm: one dataset per plane (`image`,
 * `mask`, `variance`), shape [rows, columns] as numpy and h5py index them (axis 0 is FITS axis 2),
 * each carrying its WCS as attributes named like the FITS keywords (CRPIX stays 1-based, FITS
 * convention); the file's own attributes hold the provenance of a cutout. Data is read and written
 * a band of rows at a time into a chunked dataset, so memory stays bounded by the band.
 */
import { parseCard, type FitsValue } from '../fits/header.js';
import type { FitsFile, FitsHdu } from '../fits/file.js';
import { physicalValues, type ImageRegion, type PixelArray } from '../fits/pixels.js';
import { wcsCards } from '../wcs/header-wcs.js';
import { shiftWcs, type CelestialWcs } from '../wcs/projections.js';
import type { Plane } from './image-catalog.js';
import { EXTNAMES, provenanceCards, type PixelBox, type Provenance } from './cutout.js';

/** Dataset name of each plane. */
export const HDF5_DATASETS: Record<Plane, string> = { data: 'image', mask: 'mask', variance: 'variance' };

/** Values per chunk of a dataset (256 KiB of float32). */
const CHUNK_VALUES = 65_536;
/** Values read per band (about 4 MB of float32). */
const BAND_VALUES = 1 << 20;

type H5Module = typeof import('h5wasm/node');
type H5Entity = { create_attribute(name: string, data: number | string, shape?: number[] | null, dtype?: string | null): void };

/** The h5wasm module, ready; loaded on first use so servers that never write HDF5 do not load it. */
async function h5(): Promise<H5Module['default']> {
  const mod = (await import('h5wasm/node')).default;
  await mod.ready;
  return mod;
}

/** Keywords whose values are integers (everything else numeric is written as float64). */
function isIntegerKeyword(keyword: string): boolean {
  return /_ORDER$/.test(keyword) || keyword === 'WCSAXES' || keyword === 'PARENTID';
}

/** Header cards as HDF5 attributes of an object: numbers, strings, and booleans as 0/1 integers. */
function writeCardAttributes(target: H5Entity, cards: string[]): void {
  for (const raw of cards) {
    const card = parseCard(raw);
    const v: FitsValue | undefined = card.value;
    if (v === undefined || v === null || card.keyword === '') continue;
    if (typeof v === 'string') target.create_attribute(card.keyword, v.trimEnd());
    else if (typeof v === 'boolean') target.create_attribute(card.keyword, v ? 1 : 0, null, '<i');
    else if (typeof v === 'bigint') target.create_attribute(card.keyword, Number(v), null, '<q');
    else target.create_attribute(card.keyword, v, null, isIntegerKeyword(card.keyword) && Number.isInteger(v) ? '<i' : '<d');
  }
}

/**
 * The values written for a band: stored values when scaling is trivial (integers stay integers,
 * with BLANK as an attribute), physical values (float64, NaN for BLANK) otherwise.
 */
function bandValues(region: ImageRegion): PixelArray {
  if (region.bscale === 1 && region.bzero === 0) return region.data;
  return physicalValues(region);
}

/**
 * Writes the given planes of an open image, cut to `box`, as an HDF5 file at `target`. `signal`
 * stops the write between bands. The WCS written is the parent's shifted to the box.
 */
export async function writeImageHdf5(
  target: string,
  file: FitsFile,
  hduOf: Partial<Record<Plane, number>>,
  planes: Plane[],
  box: PixelBox,
  wcs: CelestialWcs,
  provenance: Provenance | null,
  signal?: AbortSignal,
): Promise<void> {
  const h5wasm = await h5();
  const wcsOfBox = wcsCards(shiftWcs(wcs, box.x0, box.y0));
  const out = new h5wasm.File(target, 'w');
  try {
    out.create_attribute('CREATOR', 'vodax');
    out.create_attribute('PLANES', planes.map((p) => HDF5_DATASETS[p]).join(','));
    out.create_attribute('PIXEL_CONVENTION', 'datasets are [row, column] = [FITS y, FITS x]; WCS attributes are FITS keywords (CRPIX 1-based)');
    if (provenance) writeCardAttributes(out as unknown as H5Entity, provenanceCards(provenance));
    for (const plane of planes) {
      const index = hduOf[plane];
      if (index === undefined) throw new Error(`no HDU for the ${plane} plane`);
      await writePlane(out, file, file.hdus[index]!, HDF5_DATASETS[plane], box, { extname: EXTNAMES[plane], wcs: wcsOfBox, provenance }, signal);
    }
  } finally {
    out.close();
  }
}

/** One plane as a chunked dataset, band by band. */
async function writePlane(
  out: InstanceType<H5Module['default']['File']>,
  file: FitsFile,
  hdu: FitsHdu,
  name: string,
  box: PixelBox,
  meta: { extname: string; wcs: string[]; provenance: Provenance | null },
  signal?: AbortSignal,
): Promise<void> {
  const width = box.x1 - box.x0 + 1;
  const height = box.y1 - box.y0 + 1;
  const bandRows = Math.max(1, Math.min(height, Math.floor(BAND_VALUES / width)));
  const chunkRows = Math.max(1, Math.min(height, Math.floor(CHUNK_VALUES / width)));
  type Dataset = ReturnType<typeof out.create_dataset>;
  let ds: Dataset | null = null;
  for (let y = 0; y < height; y += bandRows) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const rows = Math.min(bandRows, height - y);
    const region = await file.readRegion(hdu, { x0: box.x0, y0: box.y0 + y, width, height: rows });
    const data = bandValues(region);
    if (ds === null) {
      ds = out.create_dataset({ name, data, shape: [rows, width], maxshape: [height, width], chunks: [Math.min(chunkRows, rows), width] });
      if (rows < height) ds.resize([height, width]);
    } else {
      ds.write_slice([[y, y + rows], [0, width]], data);
    }
  }
  const info = hdu.image!;
  const target = ds! as unknown as H5Entity;
  target.create_attribute('EXTNAME', meta.extname);
  if (info.blank !== null && info.bscale === 1 && info.bzero === 0) target.create_attribute('BLANK', Number(info.blank), null, '<q');
  writeCardAttributes(target, meta.wcs);
  if (meta.provenance) writeCardAttributes(target, provenanceCards(meta.provenance).filter((c) => /^LT[VM]/.test(c)));
}
