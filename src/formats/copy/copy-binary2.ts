/**
 * VOTable BINARY2 from PostgreSQL's binary COPY: both are big-endian, so integers and floats
 * are copied byte for byte; the NULL bitmap, NULL fillers, booleans as T/F/?, string counts and
 * NaN are set the way votable-binary2-writer.ts sets them, and the base64 text is cut at the
 * same places, so the document is byte-identical to the generic writer's for the same rows.
 */
import { isAscii } from 'node:buffer';
import type { ColumnMeta } from '../table-model.js';
import type { ResultField } from '../../storage/database.js';
import { errorMessage, type TableDocument } from '../table-writer.js';
import { fixedArrayLength, isStringColumn } from '../cell-values.js';
import { votableArraysize, votableHead, votableTail, type VotableEnding } from '../votable-writer.js';
import { binaryColumn, binaryCopyPlan, type BinaryColumn, type BinaryKind } from './binary-columns.js';
import { canonicalNaN, TupleChunks } from './binary-tuples.js';
import { base64Line } from '../base64-line.js';

/** Bytes collected before they are base64 encoded: the generic writer's block. */
const BLOCK = 3 * (1 << 15);

export interface ColumnPlan extends BinaryColumn {
  /** What a NULL becomes. */
  nullBytes: Buffer;
}

/** What a NULL of each kind becomes in BINARY2 (the generic writer's fillers; an int's is its size in zeros). */
const NULL_BYTES: Record<Exclude<BinaryKind, 'int'>, Buffer> = {
  text: Buffer.alloc(4),
  bool: Buffer.from([0x3f]),
  float4: Buffer.from([0x7f, 0xc0, 0, 0]),
  float8: Buffer.from([0x7f, 0xf8, 0, 0, 0, 0, 0, 0]),
};

/** The plan of one column, or null when its bytes cannot be carried over exactly. */
function planColumn(col: ColumnMeta, oid: number, i: number): ColumnPlan | null {
  // unicodeChar wants UTF-16 and fixed sizes want padding: left to the generic writer.
  if (isStringColumn(col) && (col.datatype !== 'char' || fixedArrayLength(votableArraysize(col)) !== null)) return null;
  const carried = binaryColumn(col, oid, i);
  if (carried === null) return null;
  return { ...carried, nullBytes: carried.kind === 'int' ? Buffer.alloc(carried.size) : NULL_BYTES[carried.kind] };
}

/** The column plans and the COPY statement, or null when some column needs the generic writer. */
export function binary2CopyPlan(sql: string, columns: ColumnMeta[], fields: ResultField[]): { plans: ColumnPlan[]; copySql: string } | null {
  return binaryCopyPlan(sql, columns, fields, planColumn);
}

/** Output bytes, base64 encoded and cut exactly where the generic writer cuts them. */
class Base64Out {
  buf = Buffer.allocUnsafe(BLOCK + (1 << 16));
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  take(last: boolean): Buffer {
    const n = last ? this.pos : this.pos - (this.pos % 3);
    const line = base64Line(this.buf, n);
    this.buf.copy(this.buf, 0, n, this.pos);
    this.pos -= n;
    return line;
  }
}

/** Writes a UTF-8 string as the generic writer writes its JS string: UTF-16 unit count, '?' for every non-ASCII unit. */
function putNonAscii(out: Base64Out, src: Buffer, from: number, to: number): void {
  out.ensure(4 + (to - from));
  const at = out.pos;
  let w = at + 4;
  for (let k = from; k < to; k++) {
    const c = src[k];
    if (c < 0x80) out.buf[w++] = c;
    else if (c >= 0xf0) (out.buf[w++] = 0x3f), (out.buf[w++] = 0x3f); // astral: a surrogate pair
    else if (c >= 0xc0) out.buf[w++] = 0x3f; // else a continuation byte: nothing
  }
  out.buf.writeUInt32BE(w - at - 4, at);
  out.pos = w;
}

/**
 * The BINARY2 VOTable of `doc`'s columns and info, its rows read from the COPY stream `copy` in
 * the order of `plans`, at most `maxrec` (a further row flags OVERFLOW). An error after the
 * head is reported in the document, as the generic writer does.
 */
export async function* binary2Document(
  doc: Pick<TableDocument, 'columns' | 'info'>,
  plans: ColumnPlan[],
  copy: AsyncIterable<Buffer>,
  maxrec: number,
): AsyncGenerator<Buffer> {
  yield Buffer.from(votableHead({ ...doc, rows: [], overflowed: () => false }, 'BINARY2'), 'utf8');
  const n = plans.length;
  const maskBytes = Math.ceil(n / 8);
  const fixed = maskBytes + plans.reduce((s, p) => s + Math.max(p.size, 4), 0);
  const kinds = plans.map((p) => p.kind);
  const sizes = plans.map((p) => p.size);
  const out = new Base64Out();
  const tuples = new TupleChunks();
  let rows = 0;
  let ending: VotableEnding;
  try {
    for await (const chunk of copy) {
      const { buf, start } = tuples.feed(chunk);
      const end = buf.length;
      let p = start;
      rows: while (p + 2 <= end) {
        const count = buf.readInt16BE(p);
        if (count === -1) {
          tuples.ended = true;
          p = end;
          break;
        }
        if (count !== n) throw new Error(`COPY sent ${count} fields where ${n} were expected`);
        const rowStart = p;
        if (rows >= maxrec) {
          // The row past MAXREC: only walked over.
          let q = p + 2;
          for (let i = 0; i < n; i++) {
            if (q + 4 > end) break rows;
            const len = buf.readInt32BE(q);
            q += 4 + Math.max(len, 0);
          }
          if (q > end) break;
          rows++;
          p = q;
          continue;
        }
        out.ensure(fixed);
        const outStart = out.pos;
        out.buf.fill(0, outStart, outStart + maskBytes);
        out.pos += maskBytes;
        let q = p + 2;
        for (let i = 0; i < n; i++) {
          if (q + 4 > end) {
            out.pos = outStart;
            p = rowStart;
            break rows;
          }
          const len = buf.readInt32BE(q);
          q += 4;
          if (len === -1) {
            out.buf[outStart + (i >> 3)] |= 0x80 >> (i & 7);
            const nb = plans[i].nullBytes;
            nb.copy(out.buf, out.pos);
            out.pos += nb.length;
            continue;
          }
          if (q + len > end) {
            out.pos = outStart;
            p = rowStart;
            break rows;
          }
          const kind = kinds[i];
          if (kind === 'text') {
            if (len <= 64 ? asciiLoopCheck(buf, q, q + len) : isAscii(buf.subarray(q, q + len))) {
              out.ensure(4 + len);
              out.buf.writeUInt32BE(len, out.pos);
              buf.copy(out.buf, out.pos + 4, q, q + len);
              out.pos += 4 + len;
            } else {
              putNonAscii(out, buf, q, q + len);
            }
          } else if (kind === 'bool') {
            out.buf[out.pos++] = buf[q] ? 0x54 : 0x46;
          } else {
            const size = sizes[i];
            if (len !== size) throw new Error(`COPY sent ${len} bytes for a ${size}-byte value`);
            const w = out.pos;
            const b = out.buf;
            for (let k = 0; k < size; k++) b[w + k] = buf[q + k];
            if (kind === 'float8') canonicalNaN(b, w, 8);
            else if (kind === 'float4') canonicalNaN(b, w, 4);
            out.pos += size;
          }
          q += len;
        }
        rows++;
        p = q;
        if (out.pos >= BLOCK) yield out.take(false);
      }
      if (!tuples.ended) tuples.keep(buf, p);
    }
    if (!tuples.ended || tuples.pending) throw new Error('the COPY stream ended inside a row');
    ending = { overflow: rows > maxrec };
  } catch (e) {
    ending = { error: errorMessage(e) };
  }
  if (out.pos > 0) yield out.take(true);
  yield Buffer.from(votableTail('BINARY2', ending), 'utf8');
}

/** True when the bytes are all ASCII (a plain loop beats a native call on short strings). */
function asciiLoopCheck(buf: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (buf[k] & 0x80) return false;
  return true;
}
