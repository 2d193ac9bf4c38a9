/**
 * Writing FITS images: primary and IMAGE extension HDUs (header, big-endian data, padding), and
 * RICE_1 tile-compressed image HDUs. Output is a sequence of byte chunks that the caller writes
 * to a file or streams to a client, so data can be produced a band of rows at a time.
 */
import { fitsCards, fitsDataPadding, fitsHeaderBytes } from './header-writer.js';
import { bytesPerPixel, encodeBigEndian, type Bitpix, type PixelArray } from './pixels.js';
import { ditherRandoms, NULL_VALUE, quantizeTile, riceTile } from './tile-compressed.js';

/** One image HDU to write. */
export interface ImageHduSpec {
  /** First HDU of the file (SIMPLE) or an extension (XTENSION = 'IMAGE'). */
  primary: boolean;
  bitpix: Bitpix;
  width: number;
  height: number;
  bscale?: number;
  bzero?: number;
  blank?: number | bigint | null;
  extname?: string;
  /** Further cards (already formatted, 80 characters each): WCS, metadata, provenance. */
  cards?: string[];
}

/** The structural cards of an image HDU, in the order the standard requires, then the spec's own. */
export function imageHeaderCards(spec: ImageHduSpec): string[] {
  const cards = spec.primary ? fitsCards('SIMPLE', true, 'conforms to FITS standard') : fitsCards('XTENSION', 'IMAGE', 'image extension');
  cards.push(...fitsCards('BITPIX', spec.bitpix, 'bits per data value'));
  cards.push(...fitsCards('NAXIS', 2, 'number of data axes'));
  cards.push(...fitsCards('NAXIS1', spec.width, 'length of data axis 1'));
  cards.push(...fitsCards('NAXIS2', spec.height, 'length of data axis 2'));
  if (spec.primary) cards.push(...fitsCards('EXTEND', true, 'FITS dataset may contain extensions'));
  else cards.push(...fitsCards('PCOUNT', 0, 'required keyword; must = 0'), ...fitsCards('GCOUNT', 1, 'required keyword; must = 1'));
  if (spec.extname) cards.push(...fitsCards('EXTNAME', spec.extname, 'extension name'));
  if (spec.bscale !== undefined && spec.bscale !== 1) cards.push(...fitsCards('BSCALE', spec.bscale, 'physical = BZERO + BSCALE * stored'));
  if (spec.bzero !== undefined && spec.bzero !== 0) cards.push(...fitsCards('BZERO', spec.bzero, 'physical = BZERO + BSCALE * stored'));
  if (spec.bitpix > 0 && spec.blank !== undefined && spec.blank !== null) cards.push(...fitsCards('BLANK', spec.blank, 'stored value of undefined pixels'));
  cards.push(...(spec.cards ?? []));
  return cards;
}

/** A primary HDU without data (NAXIS = 0), ahead of image extensions. */
export function emptyPrimaryBytes(cards: string[] = []): Buffer {
  return fitsHeaderBytes([
    ...fitsCards('SIMPLE', true, 'conforms to FITS standard'),
    ...fitsCards('BITPIX', 8, 'bits per data value'),
    ...fitsCards('NAXIS', 0, 'no data in the primary HDU'),
    ...fitsCards('EXTEND', true, 'FITS dataset may contain extensions'),
    ...cards,
  ]);
}

/** Bytes of an HDU whose data is given whole (stored values, row after row). */
export function* imageHduChunks(spec: ImageHduSpec, data: PixelArray): Generator<Buffer> {
  const n = spec.width * spec.height;
  if (data.length !== n) throw new RangeError(`image data has ${data.length} values, not ${spec.width} x ${spec.height}`);
  yield fitsHeaderBytes(imageHeaderCards(spec));
  const rowsPerChunk = Math.max(1, Math.floor((1 << 20) / (spec.width * bytesPerPixel(spec.bitpix))));
  for (let y = 0; y < spec.height; y += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, spec.height - y);
    yield encodeBigEndian(spec.bitpix, data, y * spec.width, rows * spec.width);
  }
  yield fitsDataPadding(n * bytesPerPixel(spec.bitpix));
}

/** Options of a RICE_1 compressed HDU. */
export interface CompressOptions {
  /** Quantization step for float images (ZSCALE); required for them. */
  quantizeStep?: number;
  /** ZDITHER0, 1..10000. */
  zdither0?: number;
  /** Tile height in rows (tiles span whole rows); default 1. */
  tileRows?: number;
}

/**
 * A RICE_1 tile-compressed image extension (a BINTABLE with ZIMAGE = T). Integer images of
 * BITPIX 32 are compressed losslessly; float32 images are quantized with SUBTRACTIVE_DITHER_1.
 */
export function compressedImageHduBytes(spec: ImageHduSpec, data: Int32Array | Float32Array, options: CompressOptions = {}): Buffer[] {
  const isFloat = data instanceof Float32Array;
  if (spec.bitpix !== (isFloat ? -32 : 32)) throw new RangeError('compressed images are written from int32 or float32 data');
  const step = options.quantizeStep;
  if (isFloat && !(step !== undefined && step > 0)) throw new RangeError('a float image needs a positive quantization step');
  const zdither0 = options.zdither0 ?? 1;
  const tileRows = options.tileRows ?? 1;
  const randoms = isFloat ? ditherRandoms() : null;
  const nt = Math.ceil(spec.height / tileRows);
  const heap: Uint8Array[] = [];
  const rowSize = isFloat ? 8 + 8 + 8 : 8;
  const table = Buffer.alloc(nt * rowSize);
  let heapBytes = 0;
  let hasNull = false;
  for (let t = 0; t < nt; t++) {
    const start = t * tileRows * spec.width;
    const end = Math.min(spec.height, (t + 1) * tileRows) * spec.width;
    let ints: Int32Array;
    let zero = 0;
    if (isFloat) {
      const q = quantizeTile((data as Float32Array).subarray(start, end), t, zdither0, step!, randoms!);
      ints = q.ints;
      zero = q.zero;
      if (!hasNull && ints.includes(NULL_VALUE)) hasNull = true;
    } else {
      ints = (data as Int32Array).subarray(start, end);
    }
    const bytes = riceTile(ints);
    table.writeInt32BE(bytes.length, t * rowSize);
    table.writeInt32BE(heapBytes, t * rowSize + 4);
    if (isFloat) {
      table.writeDoubleBE(step!, t * rowSize + 8);
      table.writeDoubleBE(zero, t * rowSize + 16);
    }
    heap.push(bytes);
    heapBytes += bytes.length;
  }
  const maxTile = Math.max(0, ...heap.map((b) => b.length));
  const cards = [
    ...fitsCards('XTENSION', 'BINTABLE', 'binary table extension'),
    ...fitsCards('BITPIX', 8, '8-bit bytes'),
    ...fitsCards('NAXIS', 2, '2-dimensional binary table'),
    ...fitsCards('NAXIS1', rowSize, 'width of table in bytes'),
    ...fitsCards('NAXIS2', nt, 'number of rows in table (tiles)'),
    ...fitsCards('PCOUNT', heapBytes, 'size of special data area (heap)'),
    ...fitsCards('GCOUNT', 1, 'one data group'),
    ...fitsCards('TFIELDS', isFloat ? 3 : 1, 'number of fields in each row'),
    ...fitsCards('TTYPE1', 'COMPRESSED_DATA', 'label for field 1'),
    ...fitsCards('TFORM1', `1PB(${maxTile})`, 'data format of field: variable length array'),
  ];
  if (isFloat) {
    cards.push(
      ...fitsCards('TTYPE2', 'ZSCALE', 'label for field 2'),
      ...fitsCards('TFORM2', '1D', 'data format of field: 8-byte DOUBLE'),
      ...fitsCards('TTYPE3', 'ZZERO', 'label for field 3'),
      ...fitsCards('TFORM3', '1D', 'data format of field: 8-byte DOUBLE'),
    );
  }
  cards.push(
    ...fitsCards('ZIMAGE', true, 'extension contains compressed image'),
    ...fitsCards('ZBITPIX', spec.bitpix, 'data type of original image'),
    ...fitsCards('ZNAXIS', 2, 'dimension of original image'),
    ...fitsCards('ZNAXIS1', spec.width, 'length of original image axis'),
    ...fitsCards('ZNAXIS2', spec.height, 'length of original image axis'),
    ...fitsCards('ZTILE1', spec.width, 'size of tiles to be compressed'),
    ...fitsCards('ZTILE2', tileRows, 'size of tiles to be compressed'),
    ...fitsCards('ZCMPTYPE', 'RICE_1', 'compression algorithm'),
    ...fitsCards('ZNAME1', 'BLOCKSIZE', 'compression block size'),
    ...fitsCards('ZVAL1', 32, 'pixels per block'),
    ...fitsCards('ZNAME2', 'BYTEPIX', 'bytes per pixel (1, 2, 4, or 8)'),
    ...fitsCards('ZVAL2', 4, 'bytes per pixel (1, 2, 4, or 8)'),
  );
  if (isFloat) {
    cards.push(...fitsCards('ZQUANTIZ', 'SUBTRACTIVE_DITHER_1', 'pixel quantization algorithm'), ...fitsCards('ZDITHER0', zdither0, 'dithering offset when quantizing floats'));
    if (hasNull) cards.push(...fitsCards('ZBLANK', NULL_VALUE, 'null value in the compressed integer array'));
  }
  if (spec.extname) cards.push(...fitsCards('EXTNAME', spec.extname, 'extension name'));
  cards.push(...(spec.cards ?? []));
  return [fitsHeaderBytes(cards), table, ...heap.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)), fitsDataPadding(table.length + heapBytes)];
}
