/**
 * Random access to FITS files: the headers of every HDU (primary and extensions), and any
 * rectangle of an image HDU read with positioned reads of only the rows (or, for tile-compressed
 * images, only the tiles) it covers. The file is never read whole.
 */
import fs from 'node:fs/promises';
import { FITS_BLOCK, FITS_CARD, FitsHeader, FitsHeaderError, parseCard, type FitsCard } from './header.js';
import { allocPixels, bytesPerPixel, decodeBigEndian, isBitpix, type Bitpix, type ImageRegion } from './pixels.js';
import { compressedImageOf, decodeTile, descriptorOf, ditherRandoms, elementBytes, tilesOf, type CompressedImage } from './tile-compressed.js';

/** What an HDU holds. */
export type HduKind = 'image' | 'compressed-image' | 'bintable' | 'table' | 'other';

/** An image HDU's geometry and scaling (for a compressed image: of the image it holds). */
export interface ImageInfo {
  bitpix: Bitpix;
  /** NAXIS1, NAXIS2, ...; a 2-d image may carry further axes of length 1. */
  naxis: number[];
  bscale: number;
  bzero: number;
  blank: number | bigint | null;
  compressed: CompressedImage | null;
}

/** One header-data unit. */
export interface FitsHdu {
  index: number;
  header: FitsHeader;
  /** The header's 80-character cards as written, END excluded. */
  rawCards: string[];
  headerOffset: number;
  dataOffset: number;
  /** Data bytes without the padding. */
  dataBytes: number;
  kind: HduKind;
  extname: string | null;
  image: ImageInfo | null;
}

/** A 0-based pixel rectangle: first column and row, and size. */
export interface PixelRect {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** A file that is not FITS or is damaged; names the file. */
export class FitsFileError extends Error {}

/** Largest span read at once when copying rows. */
const READ_CHUNK = 4 * 1024 * 1024;
/** Most bytes between two row pieces that a read spans rather than reading each piece alone. */
const MAX_READ_GAP = 64 * 1024;
/** Rows per scatter read: two buffers a row, within Linux's 1024 (IOV_MAX). */
const ROWS_PER_SCATTER_READ = 500;
/** Most HDUs scanned in one file. */
const MAX_HDUS = 1000;

function imageInfoOf(h: FitsHeader, file: string): ImageInfo | null {
  const bitpix = h.get('BITPIX');
  if (!isBitpix(bitpix)) throw new FitsFileError(`${file}: BITPIX ${String(bitpix)} is not valid`);
  const n = h.requireInt('NAXIS');
  const naxis: number[] = [];
  for (let i = 1; i <= n; i++) naxis.push(h.requireInt(`NAXIS${i}`));
  if (naxis.length < 2 || naxis.slice(2).some((a) => a !== 1) || naxis[0] === 0 || naxis[1] === 0) return null;
  const blank = bitpix > 0 ? (h.get('BLANK') as number | bigint | undefined) ?? null : null;
  return { bitpix, naxis, bscale: h.getNumber('BSCALE') ?? 1, bzero: h.getNumber('BZERO') ?? 0, blank: typeof blank === 'number' || typeof blank === 'bigint' ? blank : null, compressed: null };
}

/** An open FITS file; close it when done. */
export class FitsFile {
  private randoms: Float32Array | null = null;

  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
    readonly size: number,
    readonly hdus: FitsHdu[],
  ) {}

  /** Opens a file and reads every HDU's header (data is read only on request). */
  static async open(path: string): Promise<FitsFile> {
    const handle = await fs.open(path, 'r');
    try {
      const { size } = await handle.stat();
      const hdus: FitsHdu[] = [];
      let offset = 0;
      while (offset < size && hdus.length < MAX_HDUS) {
        const hdu = await readHdu(handle, path, offset, hdus.length);
        if (!hdu) break;
        hdus.push(hdu);
        offset = hdu.dataOffset + Math.ceil(hdu.dataBytes / FITS_BLOCK) * FITS_BLOCK;
      }
      if (hdus.length === 0) throw new FitsFileError(`${path}: not a FITS file`);
      return new FitsFile(path, handle, size, hdus);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** The image HDUs (plain or tile-compressed), in file order. */
  imageHdus(): FitsHdu[] {
    return this.hdus.filter((h) => h.image !== null);
  }

  /** Stored values of a rectangle of an image HDU (for compressed floats: the dequantized values). */
  async readRegion(hdu: FitsHdu, rect: PixelRect): Promise<ImageRegion> {
    const info = hdu.image;
    if (!info) throw new FitsFileError(`${this.path}: HDU ${hdu.index} is not an image`);
    checkRect(info, rect);
    if (info.compressed) return this.readCompressed(hdu, info, info.compressed, rect);
    const data = allocPixels(info.bitpix, rect.width * rect.height);
    const bytes = await this.readRegionBytes(hdu, rect);
    decodeBigEndian(info.bitpix, bytes, data, 0, rect.width * rect.height);
    return { bitpix: info.bitpix, width: rect.width, height: rect.height, data, bscale: info.bscale, bzero: info.bzero, blank: info.blank };
  }

  /** The big-endian bytes of a rectangle of an uncompressed image, row after row (as FITS stores them). */
  async readRegionBytes(hdu: FitsHdu, rect: PixelRect): Promise<Buffer> {
    const info = hdu.image;
    if (!info || info.compressed) throw new FitsFileError(`${this.path}: HDU ${hdu.index} is not an uncompressed image`);
    checkRect(info, rect);
    const bpp = bytesPerPixel(info.bitpix);
    const rowBytes = info.naxis[0]! * bpp;
    const outRow = rect.width * bpp;
    const out = Buffer.allocUnsafe(outRow * rect.height);
    if (rect.x0 === 0 && rect.width === info.naxis[0]) {
      await this.readFully(out, 0, out.length, hdu.dataOffset + rect.y0 * rowBytes);
      return out;
    }
    // Rows close together: one scatter read (preadv) of their span puts each row piece in place
    // and the bytes between pieces in one throwaway buffer. A 100-row cutout of a 4096-wide
    // image is then one system call (100 positioned reads took 3-4x longer) and allocates no
    // buffer of the span's 1.6 MB (collecting those cost more than the reads). A row piece at a
    // time when rows lie far apart.
    const gap = rowBytes - outRow;
    if (gap <= MAX_READ_GAP || (rect.width * 4 >= info.naxis[0]! && rowBytes <= READ_CHUNK / 2)) {
      const between = Buffer.allocUnsafe(gap);
      const rowAt = (r: number) => hdu.dataOffset + (rect.y0 + r) * rowBytes + rect.x0 * bpp;
      for (let r = 0; r < rect.height; ) {
        const n = Math.min(ROWS_PER_SCATTER_READ, rect.height - r);
        const buffers: Buffer[] = [];
        for (let k = 0; k < n; k++) {
          buffers.push(out.subarray((r + k) * outRow, (r + k + 1) * outRow));
          if (k < n - 1) buffers.push(between);
        }
        const { bytesRead } = await this.handle.readv(buffers, rowAt(r));
        // A short read (end of file, a signal) resumes at the first row piece it did not finish.
        const finished = bytesRead < outRow ? 0 : Math.min(n, Math.floor((bytesRead - outRow) / rowBytes) + 1);
        if (finished === 0) {
          await this.readFully(out, r * outRow, outRow, rowAt(r));
          r += 1;
        } else r += finished;
      }
      return out;
    }
    const reads: Promise<void>[] = [];
    for (let r = 0; r < rect.height; r++) {
      reads.push(this.readFully(out, r * outRow, outRow, hdu.dataOffset + (rect.y0 + r) * rowBytes + rect.x0 * bpp));
      if (reads.length >= 64) await Promise.all(reads.splice(0));
    }
    await Promise.all(reads);
    return out;
  }

  private async readFully(buf: Buffer, at: number, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, at + done, length - done, position + done);
      if (bytesRead === 0) throw new FitsFileError(`${this.path}: file ends early (truncated FITS file?)`);
      done += bytesRead;
    }
  }

  private async readCompressed(hdu: FitsHdu, info: ImageInfo, c: CompressedImage, rect: PixelRect): Promise<ImageRegion> {
    const out = allocPixels(info.bitpix, rect.width * rect.height);
    const tiles = tilesOf(c, rect.x0, rect.y0, rect.width, rect.height);
    if (c.quantize !== null && c.quantize !== 'NO_DITHER' && c.quantize !== 'NONE') this.randoms ??= ditherRandoms();
    // Table rows of the touched tiles: one read over the span of rows.
    const first = tiles[0]!.index;
    const last = tiles[tiles.length - 1]!.index;
    const table = Buffer.allocUnsafe((last - first + 1) * c.rowBytes);
    await this.readFully(table, 0, table.length, hdu.dataOffset + first * c.rowBytes);
    const heapStart = hdu.dataOffset + c.theap;
    const parts = tiles.map((t) => {
      const row = table.subarray((t.index - first) * c.rowBytes, (t.index - first + 1) * c.rowBytes);
      let col = c.compressed;
      let d = col ? descriptorOf(row, col) : { count: 0, offset: 0 };
      let gzipColumn = false;
      if (d.count === 0 && c.gzipCompressed) {
        col = c.gzipCompressed;
        d = descriptorOf(row, col);
        gzipColumn = true;
      }
      if (!col || d.count === 0) throw new FitsFileError(`${this.path}: tile ${t.index + 1} of HDU ${hdu.index} has no compressed data (uncompressed tiles are not supported)`);
      return { tile: t, row, gzipColumn, offset: d.offset, bytes: d.count * elementBytes(col) };
    });
    // The heap bytes of all the tiles in one read when they lie close together (tiles written in
    // order do): one read per tile, each waited for, cost a 100-row cutout about 100 round trips.
    let heapFrom = Infinity;
    let heapTo = 0;
    let heapNeeded = 0;
    for (const p of parts) {
      heapFrom = Math.min(heapFrom, p.offset);
      heapTo = Math.max(heapTo, p.offset + p.bytes);
      heapNeeded += p.bytes;
    }
    const close = heapTo - heapFrom <= READ_CHUNK && heapTo - heapFrom - heapNeeded <= MAX_READ_GAP * parts.length;
    const heapSpan = close ? Buffer.allocUnsafe(heapTo - heapFrom) : null;
    if (heapSpan) await this.readFully(heapSpan, 0, heapSpan.length, heapStart + heapFrom);
    // One pair of arrays for all the tiles: a 100-row cutout of row tiles allocated 4.8 MB of them.
    let tilePixels = 0;
    for (const t of tiles) tilePixels = Math.max(tilePixels, t.tw * t.th);
    const scratch = { ints: new Int32Array(tilePixels), values: new Float64Array(tilePixels) };
    const rectEndX = rect.x0 + rect.width;
    const rectEndY = rect.y0 + rect.height;
    for (const { tile: t, row, gzipColumn, offset, bytes } of parts) {
      let heap: Buffer;
      if (heapSpan) heap = heapSpan.subarray(offset - heapFrom, offset - heapFrom + bytes);
      else {
        heap = Buffer.allocUnsafe(bytes);
        await this.readFully(heap, 0, bytes, heapStart + offset);
      }
      // The part of the tile inside the rectangle; only the pixels from its first to its last are decoded.
      const xa = Math.max(rect.x0, t.tx0);
      const xb = Math.min(rectEndX, t.tx0 + t.tw);
      const ya = Math.max(rect.y0, t.ty0);
      const yb = Math.min(rectEndY, t.ty0 + t.th);
      const range = { start: (ya - t.ty0) * t.tw + (xa - t.tx0), end: (yb - 1 - t.ty0) * t.tw + (xb - t.tx0) };
      const values = decodeTile(c, t.index, row, heap, gzipColumn, t.tw * t.th, this.randoms, range, scratch);
      const blankOfNaN = info.bitpix > 0 && info.blank !== null ? Number(info.blank) : null;
      for (let y = ya; y < yb; y++) {
        let from = (y - t.ty0) * t.tw + (xa - t.tx0);
        let to = (y - rect.y0) * rect.width + (xa - rect.x0);
        const n = xb - xa;
        if (out instanceof BigInt64Array) for (let k = 0; k < n; k++) out[to++] = BigInt(values[from++]!);
        else if (blankOfNaN !== null) {
          for (let k = 0; k < n; k++, from++) out[to++] = Number.isNaN(values[from]!) ? blankOfNaN : values[from]!;
        } else for (let k = 0; k < n; k++) out[to++] = values[from++]!;
      }
    }
    return { bitpix: info.bitpix, width: rect.width, height: rect.height, data: out, bscale: info.bscale, bzero: info.bzero, blank: info.blank };
  }
}

function checkRect(info: ImageInfo, r: PixelRect): void {
  const [w, h] = [info.naxis[0]!, info.naxis[1]!];
  if (!(Number.isInteger(r.x0) && Number.isInteger(r.y0) && Number.isInteger(r.width) && Number.isInteger(r.height)) || r.width < 1 || r.height < 1 || r.x0 < 0 || r.y0 < 0 || r.x0 + r.width > w || r.y0 + r.height > h) {
    throw new RangeError(`pixel rectangle x ${r.x0}+${r.width}, y ${r.y0}+${r.height} is not inside the image (${w} x ${h})`);
  }
}

async function readHdu(handle: fs.FileHandle, file: string, offset: number, index: number): Promise<FitsHdu | null> {
  const block = Buffer.allocUnsafe(FITS_BLOCK);
  const raw: string[] = [];
  const cards: FitsCard[] = [];
  let pos = offset;
  for (;;) {
    const { bytesRead } = await handle.read(block, 0, FITS_BLOCK, pos);
    if (bytesRead === 0 && raw.length === 0) return null;
    if (bytesRead < FITS_BLOCK) {
      // Trailing bytes after the last HDU that are all zero or blank are padding some writers leave.
      if (index > 0 && raw.length === 0) return null;
      throw new FitsFileError(`${file}: header of HDU ${index} ends early (truncated FITS file?)`);
    }
    pos += FITS_BLOCK;
    const text = block.toString('latin1');
    if (index === 0 && raw.length === 0 && !text.startsWith('SIMPLE  =                    T')) throw new FitsFileError(`${file}: not a FITS file (no SIMPLE = T)`);
    if (index > 0 && raw.length === 0 && !text.startsWith('XTENSION')) return null;
    let ended = false;
    for (let k = 0; k < FITS_BLOCK; k += FITS_CARD) {
      const card = text.slice(k, k + FITS_CARD);
      if (card.startsWith('END') && card.slice(3).trim() === '') {
        ended = true;
        break;
      }
      try {
        cards.push(parseCard(card, cards.length));
      } catch (e) {
        if (e instanceof FitsHeaderError) throw new FitsFileError(`${file}: HDU ${index}: ${e.message}`);
        throw e;
      }
      raw.push(card);
    }
    if (ended) break;
    if (raw.length > 100_000) throw new FitsFileError(`${file}: HDU ${index} has no END card`);
  }
  const header = new FitsHeader(cards);
  const xt = index === 0 ? 'PRIMARY' : (header.getString('XTENSION') ?? '').trim().toUpperCase();
  let dataBytes = 0;
  let kind: HduKind = 'other';
  let image: ImageInfo | null = null;
  try {
    const bitpix = header.get('BITPIX');
    if (!isBitpix(bitpix)) throw new FitsFileError(`${file}: HDU ${index}: BITPIX ${String(bitpix)} is not valid`);
    const n = header.requireInt('NAXIS');
    let count = n === 0 ? 0 : 1;
    for (let i = 1; i <= n; i++) count *= header.requireInt(`NAXIS${i}`);
    const pcount = header.getNumber('PCOUNT') ?? 0;
    const gcount = header.getNumber('GCOUNT') ?? 1;
    dataBytes = (Math.abs(bitpix) / 8) * gcount * (pcount + count);
    if (xt === 'PRIMARY' || xt === 'IMAGE') {
      image = imageInfoOf(header, file);
      kind = 'image';
    } else if (xt === 'BINTABLE') {
      kind = 'bintable';
      if (header.get('ZIMAGE') === true) {
        const c = compressedImageOf(header);
        const blank = header.get('BLANK');
        image = {
          bitpix: c.zbitpix,
          naxis: c.znaxis,
          bscale: header.getNumber('BSCALE') ?? 1,
          bzero: header.getNumber('BZERO') ?? 0,
          blank: c.zbitpix > 0 ? (typeof blank === 'number' || typeof blank === 'bigint' ? blank : c.zblank) : null,
          compressed: c,
        };
        kind = 'compressed-image';
        if (c.znaxis.length < 2 || c.znaxis.slice(2).some((a) => a !== 1)) image = null;
      }
    } else if (xt === 'TABLE') kind = 'table';
  } catch (e) {
    if (e instanceof FitsHeaderError) throw new FitsFileError(`${file}: HDU ${index}: ${e.message}`);
    if (e instanceof Error && !(e instanceof FitsFileError)) throw new FitsFileError(`${file}: HDU ${index}: ${e.message}`);
    throw e;
  }
  return {
    index,
    header,
    rawCards: raw,
    headerOffset: offset,
    dataOffset: pos,
    dataBytes,
    kind,
    extname: header.getString('EXTNAME')?.trim() ?? null,
    image,
  };
}
