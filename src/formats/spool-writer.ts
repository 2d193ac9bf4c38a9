/**
 * A temporary copy of a row stream, for formats whose header needs facts only known at the end
 * (FITS: the row count and string widths; IPAC: column widths). Rows are kept in a compact
 * tagged binary form, in frames of about 1 MB held by a ByteSpool (in memory while small, else
 * in a file), so memory stays flat while spooling and while reading back (which may be done
 * more than once); `dispose` deletes the file.
 */
import os from 'node:os';
import { ByteSpool } from './byte-spool.js';
import type { CellValue } from './table-model.js';

const FRAME = 1 << 20;
/** Bytes of the buffer a spool starts with. */
const FIRST_BUFFER = 64 << 10;
const EMPTY = Buffer.alloc(0);

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const BIGINT = 4;
const STRING = 5;
const ARRAY = 6;
const DATE = 7;

/** Rows spooled to a temporary file. */
export class RowSpool {
  // Small at first (most results are: a cone's), grown as rows come; a whole frame after the first,
  // made only when a row comes for it (not at the end, for nothing). Not zeroed: only the bytes
  // written are ever handed on.
  private buf = Buffer.allocUnsafe(FIRST_BUFFER);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;
  /** True once a frame was handed on: the next buffer is a whole frame. */
  private framed = false;
  private readonly frames: ByteSpool;
  /** Rows appended so far. */
  rowCount = 0;

  private constructor(root: string) {
    this.frames = new ByteSpool(root);
  }

  /** A new, empty spool; its file, if rows need one, goes in a fresh directory under `tmpDir` (os.tmpdir() by default). */
  static async create(tmpDir?: string): Promise<RowSpool> {
    return new RowSpool(tmpDir ?? os.tmpdir());
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n, this.framed ? FRAME + 4096 : 0));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }

  private encode(v: CellValue | undefined): void {
    if (v === null || v === undefined) {
      this.ensure(1);
      this.buf[this.pos++] = NULL;
    } else if (typeof v === 'number') {
      this.ensure(9);
      this.buf[this.pos] = NUMBER;
      this.view.setFloat64(this.pos + 1, v);
      this.pos += 9;
    } else if (typeof v === 'string') {
      this.ensure(5 + 3 * v.length);
      this.buf[this.pos] = STRING;
      const n = this.buf.write(v, this.pos + 5, 'utf8');
      this.view.setUint32(this.pos + 1, n);
      this.pos += 5 + n;
    } else if (typeof v === 'bigint') {
      this.ensure(9);
      this.buf[this.pos] = BIGINT;
      this.view.setBigInt64(this.pos + 1, BigInt.asIntN(64, v));
      this.pos += 9;
    } else if (typeof v === 'boolean') {
      this.ensure(1);
      this.buf[this.pos++] = v ? TRUE : FALSE;
    } else if (v instanceof Date) {
      this.ensure(9);
      this.buf[this.pos] = DATE;
      this.view.setFloat64(this.pos + 1, v.getTime());
      this.pos += 9;
    } else {
      this.ensure(5 + 8 * v.length);
      this.buf[this.pos] = ARRAY;
      this.view.setUint32(this.pos + 1, v.length);
      this.pos += 5;
      for (const x of v) {
        this.view.setFloat64(this.pos, x);
        this.pos += 8;
      }
    }
  }

  /** Hands the frame so far to the spool and starts a new one. */
  private async flushFrame(): Promise<void> {
    if (this.pos === 0) return;
    await this.frames.add(this.buf.subarray(0, this.pos));
    this.buf = EMPTY;
    this.view = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
    this.pos = 0;
    this.framed = true;
  }

  /** Appends a batch of rows (all of the same width). */
  async append(rows: CellValue[][]): Promise<void> {
    for (const row of rows) {
      this.ensure(5);
      this.view.setUint32(this.pos, row.length);
      this.pos += 4;
      for (const v of row) this.encode(v);
      this.rowCount++;
      if (this.pos >= FRAME) await this.flushFrame();
    }
  }

  /** Ends the appending; call before reading. */
  async finish(): Promise<void> {
    await this.flushFrame();
  }

  /** Reads the rows back, a frame's worth per batch. */
  async *read(): AsyncGenerator<CellValue[][]> {
    for await (const frame of this.frames.frames()) yield decodeFrame(frame);
  }

  /** Closes and deletes the spool; safe to call twice. */
  async dispose(): Promise<void> {
    await this.frames.dispose();
  }
}

/** Decodes one frame into rows. */
function decodeFrame(frame: Buffer): CellValue[][] {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const rows: CellValue[][] = [];
  let p = 0;
  while (p < frame.length) {
    const n = view.getUint32(p);
    p += 4;
    const row: CellValue[] = new Array<CellValue>(n);
    for (let i = 0; i < n; i++) {
      const tag = frame[p++];
      switch (tag) {
        case NULL:
          row[i] = null;
          break;
        case FALSE:
        case TRUE:
          row[i] = tag === TRUE;
          break;
        case NUMBER:
          row[i] = view.getFloat64(p);
          p += 8;
          break;
        case BIGINT:
          row[i] = view.getBigInt64(p);
          p += 8;
          break;
        case DATE:
          row[i] = new Date(view.getFloat64(p));
          p += 8;
          break;
        case STRING: {
          const len = view.getUint32(p);
          row[i] = frame.toString('utf8', p + 4, p + 4 + len);
          p += 4 + len;
          break;
        }
        default: {
          const len = view.getUint32(p);
          p += 4;
          const a = new Array<number>(len);
          for (let k = 0; k < len; k++, p += 8) a[k] = view.getFloat64(p);
          row[i] = a;
        }
      }
    }
    rows.push(row);
  }
  return rows;
}
