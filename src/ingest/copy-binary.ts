/**
 * Rows in PostgreSQL's binary COPY format. Numbers travel as their bytes: writing a double as
 * text (String) costs about 270 ns and PostgreSQL then parses it back; writing its eight bytes
 * costs a few. Tables with a timestamp column stay on the text format (binaryEncodable), since
 * PostgreSQL's reading of ISO text (offsets ignored by `timestamp`) is not ours to redo.
 */
import type { CellValue, ColumnMeta } from '../formats/table-model.js';
import { ang2pixHalves, INDEX_ORDER } from '../healpix/nested.js';
import { pgTypeOf } from '../catalog/pg-types.js';
import { PG_OID } from '../formats/copy/column-sql.js';
import { UnstorableValueError } from './copy-field.js';
import { positionKnown, type RowEncoder } from './row-encoder.js';

/** Size of the chunks handed to COPY; a bigger row gets a chunk of its own size. */
const CHUNK_BYTES = 256 * 1024;

/** "PGCOPY\n\377\r\n\0", then flags and header-extension length (both 0). */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Writes one non-NULL value (length word included) at `at`; returns the new end. */
type FieldWriter = (buf: Buffer, at: number, v: Exclude<CellValue, null>) => number;

/** Bytes a value needs at most, besides its length word (text: 3 bytes a UTF-16 unit). */
type FieldSize = (v: Exclude<CellValue, null>) => number;

interface BinaryField {
  size: FieldSize;
  write: FieldWriter;
}

/** Whether every column has a binary encoding here (else the loader uses COPY text). */
export function binaryEncodable(columns: readonly ColumnMeta[]): boolean {
  return columns.every((c) => pgTypeOf(c) !== 'timestamp');
}

const INT_RANGE = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
} as const;

function integerOf(v: unknown, type: 'smallint' | 'integer'): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new UnstorableValueError(`${String(v)} is not an integer`);
  const [lo, hi] = INT_RANGE[type];
  if (n < lo || n > hi) throw new UnstorableValueError(`${n} is out of range for ${type}`);
  return n;
}

function writeBigint(buf: Buffer, at: number, v: unknown): number {
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new UnstorableValueError(`${v} is out of range for bigint`);
    buf.writeBigInt64BE(v, at);
  } else {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new UnstorableValueError(`${String(v)} is not an integer`);
    // Two exact halves, where BigInt(v) would allocate.
    const hi = Math.floor(v / 4294967296);
    buf.writeInt32BE(hi, at);
    buf.writeUInt32BE(v - hi * 4294967296, at + 4);
  }
  return at + 8;
}

function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new UnstorableValueError(`${String(v)} is not a number`);
}

/** Scalar element encodings by the PostgreSQL type a column is stored in: byte length, array element type OID, and writer at `at`. */
const ELEMENTS = {
  boolean: {
    bytes: 1,
    oid: PG_OID.bool,
    put: (buf: Buffer, at: number, v: unknown) => {
      if (typeof v !== 'boolean') throw new UnstorableValueError(`${String(v)} is not a boolean`);
      buf[at] = v ? 1 : 0;
    },
  },
  smallint: { bytes: 2, oid: PG_OID.int2, put: (buf: Buffer, at: number, v: unknown) => void buf.writeInt16BE(integerOf(v, 'smallint'), at) },
  integer: { bytes: 4, oid: PG_OID.int4, put: (buf: Buffer, at: number, v: unknown) => void buf.writeInt32BE(integerOf(v, 'integer'), at) },
  bigint: { bytes: 8, oid: PG_OID.int8, put: (buf: Buffer, at: number, v: unknown) => void writeBigint(buf, at, v) },
  real: { bytes: 4, oid: PG_OID.float4, put: (buf: Buffer, at: number, v: unknown) => void buf.writeFloatBE(numberOf(v), at) },
  'double precision': { bytes: 8, oid: PG_OID.float8, put: (buf: Buffer, at: number, v: unknown) => void buf.writeDoubleBE(numberOf(v), at) },
} as const;

type ElementType = keyof typeof ELEMENTS;

const TEXT_FIELD: BinaryField = {
  size: (v) => (typeof v === 'string' ? v.length : String(v).length) * 3,
  write: (buf, at, v) => {
    const s = typeof v === 'string' ? v : String(v);
    if (s.indexOf('\u0000') >= 0) throw new UnstorableValueError('the text holds a NUL character (U+0000), which a database text column cannot store');
    const n = buf.write(s, at + 4, 'utf8');
    buf.writeInt32BE(n, at);
    return at + 4 + n;
  },
};

function scalarField(type: ElementType): BinaryField {
  const { bytes, put } = ELEMENTS[type];
  return {
    size: () => bytes,
    write: (buf, at, v) => {
      buf.writeInt32BE(bytes, at);
      put(buf, at + 4, v);
      return at + 4 + bytes;
    },
  };
}

/** A one-dimensional array (as the text format's `{a,b,c}` makes it), NULL elements allowed. */
function arrayField(type: ElementType): BinaryField {
  const { bytes, oid, put } = ELEMENTS[type];
  return {
    size: (v) => 20 + (Array.isArray(v) ? v.length : 0) * (4 + bytes),
    write: (buf, at, v) => {
      if (!Array.isArray(v)) throw new UnstorableValueError(`${String(v)} is not an array`);
      const values = v as unknown[];
      const start = at;
      at += 4;
      buf.writeInt32BE(values.length === 0 ? 0 : 1, at);
      buf.writeInt32BE(values.some((e) => e === null || e === undefined) ? 1 : 0, at + 4);
      buf.writeInt32BE(oid, at + 8);
      at += 12;
      if (values.length > 0) {
        buf.writeInt32BE(values.length, at);
        buf.writeInt32BE(1, at + 4);
        at += 8;
      }
      for (const e of values) {
        if (e === null || e === undefined) {
          buf.writeInt32BE(-1, at);
          at += 4;
          continue;
        }
        buf.writeInt32BE(bytes, at);
        put(buf, at + 4, e);
        at += 4 + bytes;
      }
      buf.writeInt32BE(at - start - 4, start);
      return at;
    },
  };
}

/** The encoding of a column, by the PostgreSQL type pgTypeOf stores it in (`x[]` an array of x). */
function fieldOf(col: ColumnMeta): BinaryField {
  const type = pgTypeOf(col);
  if (type === 'text') return TEXT_FIELD;
  const element = type.replace(/\[\]$/, '') as ElementType;
  if (!Object.hasOwn(ELEMENTS, element)) throw new Error(`no binary COPY encoding for ${type}`);
  return type.endsWith('[]') ? arrayField(element) : scalarField(element);
}

/**
 * How add() writes a column: the commonest scalar kinds inline, through a DataView (Buffer's
 * writeXxBE methods check their arguments on every call: encoding took 0.43 s a million
 * 7-column rows with them), the others through the column's BinaryField. INT8 is a kind for
 * its fixed size only.
 */
const enum Kind {
  OTHER,
  TEXT,
  INT2,
  INT4,
  INT8,
  FLOAT4,
  FLOAT8,
}

const SCALAR_KINDS: Record<string, Kind> = {
  text: Kind.TEXT,
  smallint: Kind.INT2,
  integer: Kind.INT4,
  bigint: Kind.INT8,
  real: Kind.FLOAT4,
  'double precision': Kind.FLOAT8,
};

/** Bytes of a non-NULL value of each fixed-size kind, its length word included. */
const FIXED_BYTES: Partial<Record<Kind, number>> = { [Kind.INT2]: 6, [Kind.INT4]: 8, [Kind.INT8]: 12, [Kind.FLOAT4]: 8, [Kind.FLOAT8]: 12 };

/** Encodes rows (plus the HEALPix index of their position, when given) as binary COPY. */
export class BinaryRowEncoder implements RowEncoder {
  readonly copyOptions = '(FORMAT binary)';
  /** Index of the column being written, for the error that names it. */
  column = 0;
  private readonly fields: BinaryField[];
  private readonly kinds: Kind[];
  /** Columns whose size depends on the value (text, arrays, booleans' generic path). */
  private readonly variable: number[];
  /** Bytes a row needs at most besides its variable columns' values. */
  private readonly fixed: number;
  private readonly halves = new Uint32Array(2);
  private buf = Buffer.allocUnsafe(2 * CHUNK_BYTES);
  private view = viewOf(this.buf);
  private pos = 0;
  private readonly width: number;

  constructor(
    columns: readonly ColumnMeta[],
    private readonly position: { ra: number; dec: number } | null,
  ) {
    this.fields = columns.map(fieldOf);
    this.kinds = columns.map((c) => SCALAR_KINDS[pgTypeOf(c)] ?? Kind.OTHER);
    this.variable = this.kinds.flatMap((k, i) => (FIXED_BYTES[k] === undefined ? [i] : []));
    this.fixed = 2 + (position ? 12 : 0) + this.kinds.reduce((n, k) => n + (FIXED_BYTES[k] ?? 4), 0);
    this.width = columns.length + (position ? 1 : 0);
    SIGNATURE.copy(this.buf, 0);
    this.pos = SIGNATURE.length;
  }

  get full(): boolean {
    return this.pos >= CHUNK_BYTES;
  }

  add(row: readonly CellValue[]): void {
    const { fields, kinds, variable } = this;
    let need = this.fixed;
    for (let k = 0; k < variable.length; k++) {
      const v = row[variable[k]!];
      if (v !== null && v !== undefined) need += fields[variable[k]!]!.size(v);
    }
    this.reserve(need);
    const buf = this.buf;
    const view = this.view;
    let at = this.pos;
    view.setInt16(at, this.width);
    at += 2;
    for (let i = 0; i < kinds.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        view.setInt32(at, -1);
        at += 4;
        continue;
      }
      this.column = i;
      switch (kinds[i]) {
        case Kind.FLOAT8:
          view.setInt32(at, 8);
          view.setFloat64(at + 4, numberOf(v));
          at += 12;
          break;
        case Kind.FLOAT4:
          view.setInt32(at, 4);
          view.setFloat32(at + 4, numberOf(v));
          at += 8;
          break;
        case Kind.INT4:
          view.setInt32(at, 4);
          view.setInt32(at + 4, integerOf(v, 'integer'));
          at += 8;
          break;
        case Kind.INT2:
          view.setInt32(at, 2);
          view.setInt16(at + 4, integerOf(v, 'smallint'));
          at += 6;
          break;
        case Kind.TEXT:
          at = typeof v === 'string' ? writeText(buf, at, v) : fields[i]!.write(buf, at, v);
          break;
        default:
          // Bigints (whose checks and halves are writeBigint's), booleans, arrays.
          at = fields[i]!.write(buf, at, v);
      }
    }
    if (this.position) {
      const ra = row[this.position.ra];
      const dec = row[this.position.dec];
      if (positionKnown(ra, dec)) {
        ang2pixHalves(INDEX_ORDER, ra, dec as number, this.halves);
        view.setInt32(at, 8);
        view.setUint32(at + 4, this.halves[0]!);
        view.setUint32(at + 8, this.halves[1]!);
        at += 12;
      } else {
        view.setInt32(at, -1);
        at += 4;
      }
    }
    this.pos = at;
  }

  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(2 * CHUNK_BYTES);
    this.view = viewOf(this.buf);
    this.pos = 0;
    return out;
  }

  end(): Buffer {
    this.reserve(2);
    this.view.setInt16(this.pos, -1);
    this.pos += 2;
    return this.take();
  }

  /** Makes room for `n` more bytes: a row bigger than the chunk's slack grows it. */
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(this.pos + n + CHUNK_BYTES);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = viewOf(bigger);
  }
}

/** A DataView of exactly `buf`'s bytes (a pooled Buffer shares its ArrayBuffer). */
function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * A text value (length word first) at `at`: ASCII byte by byte, which for short texts is
 * cheaper than a call into Buffer#write; anything else through it. Room for 3 bytes a UTF-16
 * unit is reserved (TEXT_FIELD.size).
 */
function writeText(buf: Buffer, at: number, s: string): number {
  const n = s.length;
  const start = at + 4;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 0 || c >= 0x80) return TEXT_FIELD.write(buf, at, s);
    buf[start + k] = c;
  }
  buf.writeInt32BE(n, at);
  return start + n;
}
