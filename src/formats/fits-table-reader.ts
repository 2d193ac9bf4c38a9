/**
 * Streaming reader of the first FITS binary table (XTENSION = 'BINTABLE') in a file: skips the
 * primary HDU and any other HDU before it, maps the columns to VOTable/TAP types, then decodes
 * rows as the input arrives. Never holds more than one batch of rows (about 64 KiB of row bytes).
 *
 * Column mapping (TFORMn):
 *   L → boolean (0 byte = NULL);  1X → boolean, nX → unsignedByte[n] of 0/1 bits;
 *   B → unsignedByte (TZERO = -128 → short);  I → short (TZERO = 32768 → int);
 *   J → int (TZERO = 2147483648 → long);  K → long;  E → float;  D → double;  A → char.
 *   Other TSCAL/TZERO on integers make a double column holding TZERO + TSCAL × stored.
 *   Repeat counts > 1 make numeric arrays (arraysize from TDIMn, else the count); long arrays
 *   become numbers. TNULLn marks NULL integer scalars; NaN is NULL for float scalars. Strings are
 *   cut at the first NUL and trailing blanks removed. Columns with a repeat of 0 hold no data and
 *   are left out. Complex (C, M) and variable-length (P, Q) columns are rejected: their heap
 *   follows all rows, which a stream can only reach after the rows have been consumed.
 * TUCDn, TCOMMn and TUTYPn (common non-standard keywords) fill ucd, description and utype.
 *
 * Header values that make no sense (a negative NAXISn, TFIELDS that disagrees with the TFORMn,
 * widths that do not add up to NAXIS1, a TDIM of another size, a table without columns) are
 * InputFileErrors naming the HDU and keyword: the sizes they give decide how bytes are read.
 */
import { basename, extname } from 'node:path';
import type { Readable } from 'node:stream';
import { InputFileError } from '../errors.js';
import type { CellValue, ColumnMeta, TableSource, TapDatatype } from './table-model.js';
import { columnNameProblem, tooLongName } from './input-checks.js';
import { FITS_BLOCK, FitsHeader, FitsHeaderError, parseHeaderBlock, type FitsCard, type FitsValue } from '../fits/header.js';

/** Options of readFitsTable. */
export interface FitsTableReadOptions {
  /** File name used in error messages (and as the default table name). */
  file: string;
  /** Table name for meta.name; defaults to EXTNAME, else the file's base name. */
  tableName?: string;
}

/** Exact-size reads from a byte stream, keeping only unconsumed chunks. */
class ByteReader {
  private chunks: Buffer[] = [];
  private head = 0;
  private available = 0;
  private eof = false;
  private readonly it: AsyncIterator<string | Buffer>;
  /** Bytes consumed so far (file offset of the next byte). */
  offset = 0;

  constructor(input: AsyncIterable<string | Buffer>) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Pulls until `n` bytes are buffered; false when the input ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.available < n) {
      if (this.eof) return false;
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        return false;
      }
      const b = typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
      if (b.length === 0) continue;
      this.chunks.push(b);
      this.available += b.length;
    }
    return true;
  }

  /** Reads and discards the rest of the input. */
  async drain(): Promise<void> {
    while (await this.ensure(1)) this.take(this.available);
  }

  /** Ends (destroys) the input unless it was read to its end. */
  async close(): Promise<void> {
    if (this.eof) return;
    this.eof = true;
    this.chunks = [];
    this.available = 0;
    await this.it.return?.();
  }

  /** Bytes buffered and not yet taken. */
  get buffered(): number {
    return this.available;
  }

  /** Whether nothing is buffered and the input has ended. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  /** Takes exactly `n` buffered bytes (call ensure first); copies only across chunk borders. */
  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const m = Math.min(n - filled, c.length - this.head);
        c.copy(out, filled, this.head, this.head + m);
        filled += m;
        this.head += m;
        if (this.head === c.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.available -= n;
    this.offset += n;
    return out;
  }

  /** Discards `n` bytes without keeping them; returns how many were there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (!(await this.ensure(1))) break;
      const m = Math.min(left, this.available, this.chunks[0].length - this.head);
      this.take(m);
      left -= m;
    }
    return n - left;
  }
}

/** Reads one header (blocks up to END) at the reader's position; null at a clean end of file. */
async function readHeader(reader: ByteReader, file: string, hdu: number): Promise<FitsHeader | null> {
  const start = reader.offset;
  const cards: FitsCard[] = [];
  for (;;) {
    if (!(await reader.ensure(FITS_BLOCK))) {
      if (cards.length === 0 && (await reader.atEnd())) return null;
      throw new InputFileError(`truncated header of HDU ${hdu} (starting at byte ${start})`, file);
    }
    try {
      if (parseHeaderBlock(reader.take(FITS_BLOCK), cards)) return new FitsHeader(cards);
    } catch (e) {
      if (e instanceof FitsHeaderError) {
        throw new InputFileError(`HDU ${hdu} header, card ${e.card + 1} (byte ${start + e.card * 80}): ${e.message}`, file);
      }
      throw e;
    }
  }
}

/** A header value as the header spells it, for messages. */
function cardText(v: FitsValue): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return String(v);
}

/** The most a FITS header allows for NAXIS and TFIELDS. */
const FITS_MAX_AXES = 999;

/**
 * An integer header value from `min` to `max` (`fallback` when the keyword is absent, if given);
 * an InputFileError naming the HDU and the value otherwise.
 */
function headerInt(h: FitsHeader, keyword: string, where: { file: string; hdu: number }, min: number, max?: number, fallback?: number): number {
  const v = h.get(keyword);
  if (v === undefined && fallback !== undefined) return fallback;
  if (v === undefined) throw new InputFileError(`HDU ${where.hdu}: ${keyword} is missing`, where.file);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || (max !== undefined && v > max)) {
    const range = max !== undefined ? `an integer from ${min} to ${max}` : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
    throw new InputFileError(`HDU ${where.hdu}: ${keyword} = ${cardText(v)} must be ${range}`, where.file);
  }
  return v;
}

const BITPIX_VALUES = [8, 16, 32, 64, -32, -64];

/** Data size in bytes (unpadded) of an HDU from its header. */
function dataSize(h: FitsHeader, where: { file: string; hdu: number }): number {
  const bitpix = h.get('BITPIX') ?? 8;
  if (typeof bitpix !== 'number' || !BITPIX_VALUES.includes(bitpix)) {
    throw new InputFileError(`HDU ${where.hdu}: BITPIX = ${cardText(bitpix)} must be one of ${BITPIX_VALUES.join(', ')}`, where.file);
  }
  const naxis = headerInt(h, 'NAXIS', where, 0, FITS_MAX_AXES);
  if (naxis === 0) return 0;
  const groups = h.get('GROUPS') === true && h.getNumber('NAXIS1') === 0;
  let prod = 1;
  for (let k = groups ? 2 : 1; k <= naxis; k++) prod *= headerInt(h, `NAXIS${k}`, where, 0);
  const pcount = headerInt(h, 'PCOUNT', where, 0, undefined, 0);
  const gcount = headerInt(h, 'GCOUNT', where, 0, undefined, 1);
  return (Math.abs(bitpix) / 8) * gcount * (pcount + prod);
}

/** Rounds up to whole FITS blocks. */
function padded(n: number): number {
  return Math.ceil(n / FITS_BLOCK) * FITS_BLOCK;
}

/** Decodes one column's cell from a row buffer at the row's offset. */
type CellDecoder = (buf: Buffer, rowOffset: number) => CellValue;

/** A column as laid out in the row, with its decoder. */
interface PlannedColumn {
  meta: ColumnMeta;
  decode: CellDecoder;
}

/** Bytes per element of each TFORM letter. */
const ELEMENT_SIZE: Record<string, number> = { L: 1, B: 1, I: 2, J: 4, K: 8, E: 4, D: 8, A: 1, C: 8, M: 16, P: 8, Q: 16 };

/** Plans column n: its metadata and decoder. Returns the width in bytes and null when dropped. */
function planColumn(h: FitsHeader, n: number, offset: number, file: string): { width: number; col: PlannedColumn | null } {
  const tform = h.getString(`TFORM${n}`);
  if (tform === undefined) throw new InputFileError(`TFORM${n} is missing (TFIELDS = ${h.get('TFIELDS')})`, file);
  const m = /^\s*(\d*)([LXBIJKAEDCMPQ])(.*)$/.exec(tform);
  if (!m) throw new InputFileError(`TFORM${n} = '${tform}' is not a binary table format`, file);
  const repeat = m[1] === '' ? 1 : Number(m[1]);
  const code = m[2];
  const name = h.getString(`TTYPE${n}`)?.trim() || `col${n}`;
  // Header cards are printable ASCII already; only the length can keep a TTYPE from being a name.
  if (columnNameProblem(name) === 'too-long') throw new InputFileError(`TTYPE${n}: ${tooLongName('column name', name)}`, file);
  if (code === 'P' || code === 'Q') {
    throw new InputFileError(`column ${name} (TFORM${n} = '${tform}') is a variable-length array, which streaming ingest does not support; convert it to fixed-size arrays first`, file);
  }
  if (code === 'C' || code === 'M') {
    throw new InputFileError(`column ${name} (TFORM${n} = '${tform}') is complex, which has no TAP datatype`, file);
  }
  const width = code === 'X' ? Math.ceil(repeat / 8) : repeat * ELEMENT_SIZE[code];
  if (repeat === 0) return { width, col: null };
  const meta: ColumnMeta = {
    name,
    datatype: 'char',
    arraysize: null,
    xtype: null,
    unit: h.getString(`TUNIT${n}`)?.trim() || null,
    ucd: h.getString(`TUCD${n}`)?.trim() || null,
    utype: h.getString(`TUTYP${n}`)?.trim() || null,
    description: h.getString(`TCOMM${n}`)?.trim() || null,
  };
  const tdim = h.getString(`TDIM${n}`);
  const arraysize = tdim ? arraysizeOfTdim(tdim, n, tform, repeat, code, file) : String(repeat);
  const off = offset;

  if (code === 'A') {
    meta.datatype = 'char';
    meta.arraysize = `${repeat}*`;
    return {
      width,
      col: {
        meta,
        decode: (buf, r) => {
          const s = r + off;
          let e = buf.indexOf(0, s);
          if (e < 0 || e > s + repeat) e = s + repeat;
          while (e > s && buf[e - 1] === 32) e--;
          return buf.toString('utf8', s, e);
        },
      },
    };
  }
  if (code === 'L') {
    meta.datatype = 'boolean';
    if (repeat > 1) throw new InputFileError(`column ${name} (TFORM${n} = '${tform}'): logical arrays are not supported`, file);
    return {
      width,
      col: {
        meta,
        decode: (buf, r) => {
          const c = buf[r + off];
          return c === 84 ? true : c === 70 ? false : null;
        },
      },
    };
  }
  if (code === 'X') {
    if (repeat === 1) {
      meta.datatype = 'boolean';
      return { width, col: { meta, decode: (buf, r) => (buf[r + off] & 0x80) !== 0 } };
    }
    meta.datatype = 'unsignedByte';
    meta.arraysize = String(repeat);
    return {
      width,
      col: {
        meta,
        decode: (buf, r) => {
          const out = new Array<number>(repeat);
          for (let k = 0; k < repeat; k++) out[k] = (buf[r + off + (k >> 3)] >> (7 - (k & 7))) & 1;
          return out;
        },
      },
    };
  }

  // Numbers.
  const tscal = h.getNumber(`TSCAL${n}`) ?? 1;
  const tzeroRaw = h.get(`TZERO${n}`);
  const tzero = typeof tzeroRaw === 'number' ? tzeroRaw : typeof tzeroRaw === 'bigint' ? Number(tzeroRaw) : 0;
  const tnullRaw = h.get(`TNULL${n}`);
  const tnull = typeof tnullRaw === 'number' || typeof tnullRaw === 'bigint' ? tnullRaw : undefined;
  // TNULL is a stored integer; a fractional one matches nothing and cannot become a BigInt.
  if (typeof tnull === 'number' && !Number.isInteger(tnull)) throw new InputFileError(`column ${name}: TNULL${n} = ${tnull} is not an integer`, file);
  const readers: Record<string, (buf: Buffer, at: number) => number> = {
    B: (buf, at) => buf[at],
    I: (buf, at) => buf.readInt16BE(at),
    J: (buf, at) => buf.readInt32BE(at),
    K: (buf, at) => Number(buf.readBigInt64BE(at)),
    E: (buf, at) => buf.readFloatBE(at),
    D: (buf, at) => buf.readDoubleBE(at),
  };
  const size = ELEMENT_SIZE[code];
  let datatype: TapDatatype;
  let shift = 0;
  let scaled = false;
  const isInt = code === 'B' || code === 'I' || code === 'J' || code === 'K';
  if (tscal === 1 && code === 'B' && tzero === -128) [datatype, shift] = ['short', -128];
  else if (tscal === 1 && code === 'I' && tzero === 32768) [datatype, shift] = ['int', 32768];
  else if (tscal === 1 && code === 'J' && tzero === 2147483648) [datatype, shift] = ['long', 2147483648];
  else if (tscal === 1 && code === 'K' && tzero === 9223372036854775808) {
    throw new InputFileError(`column ${name}: unsigned 64-bit integers (TZERO${n} = 2^63) do not fit a long`, file);
  } else if (tscal !== 1 || tzero !== 0) {
    [datatype, scaled] = ['double', true];
  } else {
    datatype = ({ B: 'unsignedByte', I: 'short', J: 'int', K: 'long', E: 'float', D: 'double' } as const)[code as 'B'];
  }
  meta.datatype = datatype;
  const read = readers[code];
  if (repeat > 1) {
    meta.arraysize = arraysize;
    return {
      width,
      col: {
        meta,
        decode: (buf, r) => {
          const out = new Array<number>(repeat);
          const base = r + off;
          for (let k = 0; k < repeat; k++) {
            const v = read(buf, base + k * size);
            out[k] = scaled ? tzero + tscal * v : v + shift;
          }
          return out;
        },
      },
    };
  }
  if (code === 'K' && !scaled) {
    const nullBig = tnull === undefined ? undefined : BigInt(tnull);
    return {
      width,
      col: {
        meta,
        decode: (buf, r) => {
          const v = buf.readBigInt64BE(r + off);
          return v === nullBig ? null : v;
        },
      },
    };
  }
  const nullNum = tnull === undefined ? undefined : Number(tnull);
  const toLong = datatype === 'long';
  return {
    width,
    col: {
      meta,
      decode: (buf, r) => {
        const v = read(buf, r + off);
        if (isInt ? v === nullNum : v !== v) return null;
        if (scaled) return tzero + tscal * v;
        return toLong ? BigInt(v + shift) : v + shift;
      },
    },
  };
}

/**
 * The arraysize of a TDIMn ('(3,2)' is '3x2') for a numeric column of `repeat` elements; it
 * must be a list of sizes making exactly that many (strings and scalars do not use it).
 */
function arraysizeOfTdim(tdim: string, n: number, tform: string, repeat: number, code: string, file: string): string {
  if (code === 'A' || repeat <= 1) return String(repeat);
  const m = /^\s*\(\s*(\d+(?:\s*,\s*\d+)*)\s*\)\s*$/.exec(tdim);
  if (!m) throw new InputFileError(`TDIM${n} = '${tdim}' is not a list of sizes such as '(3,2)'`, file);
  const dims = m[1]!.split(',').map((d) => Number(d.trim()));
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== repeat) throw new InputFileError(`TDIM${n} = '${tdim}' makes ${count} elements but TFORM${n} = '${tform}' holds ${repeat}`, file);
  return dims.join('x');
}

/**
 * Opens a FITS stream at the first BINTABLE extension and returns its columns and a row
 * iterator that reads the rows as they are consumed. After the last row the rest of the input
 * is read and discarded; when the consumer stops early or an error occurs, the input is ended.
 */
export async function readFitsTable(input: NodeJS.ReadableStream | Readable, options: FitsTableReadOptions): Promise<TableSource> {
  const reader = new ByteReader(input as AsyncIterable<string | Buffer>);
  try {
    return await openFitsTable(reader, options);
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/** Finds the first BINTABLE and plans its columns; see readFitsTable. */
async function openFitsTable(reader: ByteReader, options: FitsTableReadOptions): Promise<TableSource> {
  const file = options.file;
  const primary = await readHeader(reader, file, 1);
  if (primary === null) throw new InputFileError('empty file', file);
  if (primary.cards[0]?.keyword !== 'SIMPLE' || primary.cards[0].value !== true) {
    throw new InputFileError('not a FITS file (the first card is not SIMPLE = T)', file);
  }
  let header: FitsHeader = primary;
  let hdu = 1;
  let skipped: string[] = [];
  for (;;) {
    const size = padded(dataSize(header, { file, hdu }));
    if ((await reader.skip(size)) < size) throw new InputFileError(`truncated data of HDU ${hdu}`, file);
    hdu++;
    const next = await readHeader(reader, file, hdu);
    if (next === null) {
      const also = skipped.length ? ` (found ${skipped.join(', ')})` : '';
      throw new InputFileError(`no binary table (XTENSION = 'BINTABLE') in the file${also}`, file);
    }
    header = next;
    const xt = header.getString('XTENSION')?.trim();
    if (xt === 'BINTABLE') break;
    skipped = [...skipped, xt ?? 'unknown HDU'];
  }

  const h = header;
  const where = { file, hdu };
  // The fixed values of a binary table header (FITS 4.0, section 7.3.1).
  for (const [keyword, value, fallback] of [['BITPIX', 8, 8], ['NAXIS', 2, undefined], ['GCOUNT', 1, 1]] as const) {
    const v = h.get(keyword) ?? fallback;
    if (v !== value) throw new InputFileError(`HDU ${hdu}: a binary table has ${keyword} = ${value}, not ${v === undefined ? 'none' : cardText(v)}`, file);
  }
  const rowLength = headerInt(h, 'NAXIS1', where, 0);
  const nrows = headerInt(h, 'NAXIS2', where, 0);
  headerInt(h, 'PCOUNT', where, 0, undefined, 0);
  const tfields = headerInt(h, 'TFIELDS', where, 0, FITS_MAX_AXES);
  // A TFORMn past TFIELDS means the header disagrees with itself about the columns.
  for (const card of h.cards) {
    const m = /^TFORM(\d+)$/.exec(card.keyword);
    if (m && Number(m[1]) > tfields) throw new InputFileError(`HDU ${hdu}: ${card.keyword} is present but TFIELDS = ${tfields}`, file);
  }
  const planned: PlannedColumn[] = [];
  let offset = 0;
  for (let n = 1; n <= tfields; n++) {
    const { width, col } = planColumn(h, n, offset, file);
    if (col) planned.push(col);
    offset += width;
  }
  if (offset !== rowLength) {
    throw new InputFileError(`the TFORMn widths add up to ${offset} bytes but NAXIS1 = ${rowLength}`, file);
  }
  // Without columns there is nothing to store, and zero-byte rows would be counted out forever.
  if (planned.length === 0) throw new InputFileError(`HDU ${hdu}: the binary table has no columns (TFIELDS = ${tfields})`, file);
  const decoders = planned.map((c) => c.decode);
  const ncols = decoders.length;
  const dataStart = reader.offset;

  async function* rows(): AsyncGenerator<CellValue[]> {
    const batch = Math.max(1, Math.floor(65536 / Math.max(1, rowLength)));
    let done = 0;
    let finished = false;
    try {
      while (done < nrows) {
        const count = Math.min(batch, nrows - done);
        const complete = await reader.ensure(count * rowLength);
        // On a truncated file, hand out the rows that are whole before reporting where it ends.
        const whole = complete ? count : Math.floor(reader.buffered / Math.max(1, rowLength));
        const buf = reader.take(whole * rowLength);
        for (let k = 0; k < whole; k++) {
          const r = k * rowLength;
          const row: CellValue[] = new Array(ncols);
          for (let j = 0; j < ncols; j++) row[j] = decoders[j](buf, r);
          yield row;
        }
        done += whole;
        if (!complete) {
          throw new InputFileError(`truncated table: the file ends inside row ${done + 1} of ${nrows} (row starting at byte ${dataStart + done * rowLength})`, file);
        }
      }
      finished = true;
    } finally {
      // Read what follows the table (heap, later HDUs) to the end so that a shared stream (a
      // multipart upload) can move on; a consumer that stops early ends the input instead.
      if (finished) await reader.drain();
      else await reader.close();
    }
  }

  const name = options.tableName ?? (h.getString('EXTNAME')?.trim() || basename(file, extname(file)));
  return { meta: { name, description: null, columns: planned.map((c) => c.meta) }, rows: rows() };
}
