/**
 * FITS binary tables from PostgreSQL's binary COPY: both are big-endian, so integers and floats
 * are copied byte for byte. A FITS header states the row count, string widths and TNULLs before
 * the rows, so the COPY's tuples are spooled as they come (ByteSpool) while those facts are noted,
 * then written out as FITS rows: NULLs, NaN, booleans (T/F) and text (printable ASCII) set the way
 * fits-table-writer.ts sets them, so the file is byte-identical to the generic writer's.
 */
import os from 'node:os';
import type { ColumnMeta } from '../table-model.js';
import type { ResultField } from '../../storage/database.js';
import type { TableDocument } from '../table-writer.js';
import { fitsDataPadding, fitsHeaderBytes } from '../../fits/header-writer.js';
import { ColumnStats, layOut, primaryHeader, tableHeader, type Layout } from '../fits-table-writer.js';
import { ByteSpool } from '../byte-spool.js';
import { binaryColumn, binaryCopyPlan, type BinaryColumn } from './binary-columns.js';
import { canonicalNaN, TupleChunks } from './binary-tuples.js';

/** Bytes of spooled tuples per frame. */
const FRAME = 1 << 20;
/** Bytes of FITS rows per output chunk: a quarter of a frame kept the server's peak memory lower (each waits for a GC once sent), no slower. */
const OUT_CHUNK = 1 << 18;

/** How a column's bytes become FITS bytes (FITS writes every kind binaryColumn carries). */
export type FitsColumnPlan = BinaryColumn;

/** The column plans and the COPY statement, or null when some column needs the generic writer. */
export function fitsCopyPlan(sql: string, columns: ColumnMeta[], fields: ResultField[]): { plans: FitsColumnPlan[]; copySql: string } | null {
  return binaryCopyPlan(sql, columns, fields, binaryColumn);
}

/** Length in UTF-16 units (the generic writer's string length) of UTF-8 bytes. */
function utf16Length(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) {
    const c = buf[k]!;
    if (c < 0x80 || c >= 0xc0) n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

/** Whether a big-endian integer of `size` bytes at `at` is the type's minimum (0x80 00..) or maximum (0x7f ff..). */
function extreme(buf: Buffer, at: number, size: number, first: number, rest: number): boolean {
  if (buf[at] !== first) return false;
  for (let k = 1; k < size; k++) if (buf[at + k] !== rest) return false;
  return true;
}

/** Notes one tuple's values in the stats; answers the tuple's end, or -1 when it is not all in `buf`. */
function noteTuple(buf: Buffer, p: number, end: number, plans: FitsColumnPlan[], stats: ColumnStats[]): number {
  let q = p + 2;
  for (let i = 0; i < plans.length; i++) {
    if (q + 4 > end) return -1;
    const len = buf.readInt32BE(q);
    q += 4;
    if (len === -1) {
      stats[i]!.hasNull = true;
      continue;
    }
    if (q + len > end) return -1;
    const plan = plans[i]!;
    if (plan.kind === 'text') {
      const units = utf16Length(buf, q, q + len);
      if (units > stats[i]!.maxLength) stats[i]!.maxLength = units;
    } else if (plan.kind === 'int') {
      if (len !== plan.size) throw new Error(`COPY sent ${len} bytes for a ${plan.size}-byte value`);
      if (extreme(buf, q, len, 0x80, 0)) stats[i]!.sawMin = true;
      else if (extreme(buf, q, len, 0x7f, 0xff)) stats[i]!.sawMax = true;
    } else if (len !== plan.size) {
      throw new Error(`COPY sent ${len} bytes for a ${plan.size}-byte value`);
    }
    q += len;
  }
  return q;
}

/** The bytes a column's NULL becomes: NaN for reals, TNULL (or 0) for integers, zeros else. */
function nullBytes(l: Layout, plan: FitsColumnPlan): Buffer {
  const b = Buffer.alloc(Math.max(8, l.width));
  if (plan.kind === 'float4') b.writeFloatBE(NaN, 0);
  else if (plan.kind === 'float8') b.writeDoubleBE(NaN, 0);
  else if (plan.kind === 'int' && l.tnull !== null) b.writeBigInt64BE(l.tnull << BigInt(64 - 8 * plan.size), 0);
  return b.subarray(0, l.width);
}

/** Writes one tuple as a FITS row at `at` of the zeroed `out`. */
function writeRow(buf: Buffer, p: number, plans: FitsColumnPlan[], layouts: Layout[], nulls: Buffer[], out: Buffer, at: number): number {
  let q = p + 2;
  for (let i = 0; i < plans.length; i++) {
    const len = buf.readInt32BE(q);
    q += 4;
    const w = at + layouts[i]!.offset;
    if (len === -1) {
      nulls[i]!.copy(out, w);
      continue;
    }
    const plan = plans[i]!;
    switch (plan.kind) {
      case 'bool':
        out[w] = buf[q] ? 0x54 : 0x46;
        break;
      case 'text':
        // fitsText: tabs and line breaks a blank, other characters outside printable ASCII '?'.
        for (let k = q, o = w; k < q + len; k++) {
          const c = buf[k]!;
          if (c < 0x80) out[o++] = c === 9 || c === 10 || c === 13 ? 0x20 : c < 0x20 || c === 0x7f ? 0x3f : c;
          else if (c >= 0xf0) (out[o++] = 0x3f), (out[o++] = 0x3f); // astral: a surrogate pair
          else if (c >= 0xc0) out[o++] = 0x3f; // else a continuation byte: nothing
        }
        break;
      default: {
        for (let k = 0; k < len; k++) out[w + k] = buf[q + k]!;
        if (plan.kind === 'float8') canonicalNaN(out, w, 8);
        else if (plan.kind === 'float4') canonicalNaN(out, w, 4);
      }
    }
    q += len;
  }
  return q;
}

/**
 * The FITS file (empty primary HDU, one BINTABLE) of `doc`'s columns and info, its rows read
 * from the COPY stream `copy` in the order of `plans`, at most `maxrec` (a further row sets
 * OVERFLOW). The rows are all read before the first byte (a failing query throws, as the
 * generic writer's does); the spool is deleted however the consumer ends.
 */
export async function* fitsDocument(
  doc: Pick<TableDocument, 'columns' | 'info'>,
  plans: FitsColumnPlan[],
  copy: AsyncIterable<Buffer>,
  maxrec: number,
  tmpDir?: string,
): AsyncGenerator<Buffer> {
  const spool = new ByteSpool(tmpDir ?? os.tmpdir());
  try {
    const stats = plans.map(() => new ColumnStats());
    const tuples = new TupleChunks();
    let rows = 0;
    let overflow = false;
    let frame = Buffer.allocUnsafe(FRAME);
    let framed = 0;
    for await (const chunk of copy) {
      const { buf, start } = tuples.feed(chunk);
      const end = buf.length;
      let p = start;
      // Tuples lie back to back: those noted since `run` are copied to the frame in one call
      // (a Buffer#copy a row made a Uint8Array a row).
      let run = p;
      const flushRun = () => {
        buf.copy(frame, framed, run, p);
        framed += p - run;
        run = p;
      };
      while (p + 2 <= end) {
        const count = buf.readInt16BE(p);
        if (count === -1) {
          flushRun();
          tuples.ended = true;
          p = run = end;
          break;
        }
        if (count !== plans.length) throw new Error(`COPY sent ${count} fields where ${plans.length} were expected`);
        if (rows >= maxrec) {
          // The row past MAXREC: only walked over (its values must not widen the columns), never copied.
          const q = noteTuple(buf, p, end, plans, plans.map(() => new ColumnStats()));
          if (q < 0) break;
          flushRun();
          overflow = true;
          p = run = q;
          continue;
        }
        const q = noteTuple(buf, p, end, plans, stats);
        if (q < 0) break;
        if (framed + (q - run) > frame.length) {
          flushRun();
          await spool.add(frame.subarray(0, framed));
          frame = Buffer.allocUnsafe(Math.max(FRAME, q - p));
          framed = 0;
        }
        rows++;
        p = q;
      }
      flushRun();
      if (!tuples.ended) tuples.keep(buf, p);
    }
    if (!tuples.ended || tuples.pending) throw new Error('the COPY stream ended inside a row');
    await spool.add(frame.subarray(0, framed));

    const { layouts, rowBytes } = layOut(doc.columns, stats);
    yield primaryHeader();
    yield fitsHeaderBytes(tableHeader(doc, layouts, rowBytes, rows, 0, overflow));
    const nulls = layouts.map((l, i) => nullBytes(l, plans[i]!));
    const size = Math.max(OUT_CHUNK, rowBytes);
    let out = Buffer.alloc(size);
    let at = 0;
    for await (const f of spool.frames()) {
      for (let p = 0; p < f.length; ) {
        if (at + rowBytes > out.length) {
          yield out.subarray(0, at);
          out = Buffer.alloc(size);
          at = 0;
        }
        p = writeRow(f, p, plans, layouts, nulls, out, at);
        at += rowBytes;
      }
    }
    if (at > 0) yield out.subarray(0, at);
    yield fitsDataPadding(rowBytes * rows);
  } finally {
    await spool.dispose();
  }
}
