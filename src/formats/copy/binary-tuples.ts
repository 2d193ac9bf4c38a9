/**
 * Reading PostgreSQL's binary COPY stream: an 11-byte signature, flags and a header extension,
 * then tuples (a 16-bit field count, then per field a 32-bit length, -1 for NULL, and the bytes,
 * all big-endian), then a 16-bit -1. The stream arrives in chunks that cut tuples anywhere;
 * `TupleChunks` hands out buffers that hold whole tuples only, carrying the cut piece over.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Whole tuples of a binary COPY stream, chunk by chunk. */
export class TupleChunks {
  private rest: Buffer | null = null;
  /** Where a carried piece and the next chunk are joined: reused, not a new buffer a chunk. */
  private joined = Buffer.alloc(0);
  private headerDone = false;
  /** True once the trailer (field count -1) was seen. */
  ended = false;

  /**
   * Appends a chunk and answers a buffer and the offsets [start, end) of the whole tuples it
   * now holds; `parse` is told where they end by a walk over their field lengths. The buffer is
   * valid until the next feed (it may be the one the next joins into).
   */
  feed(chunk: Buffer): { buf: Buffer; start: number } {
    let buf = chunk;
    if (this.rest) {
      const n = this.rest.length + chunk.length;
      if (this.joined.length < n) this.joined = Buffer.allocUnsafe(Math.max(n, 2 * this.joined.length));
      this.rest.copy(this.joined, 0);
      chunk.copy(this.joined, this.rest.length);
      buf = this.joined.subarray(0, n);
    }
    this.rest = null;
    let start = 0;
    if (!this.headerDone) {
      if (buf.length < 19) {
        this.rest = Buffer.from(buf);
        return { buf, start: buf.length };
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      start = 19 + buf.readUInt32BE(15);
      if (buf.length < start) {
        this.rest = Buffer.from(buf);
        return { buf, start: buf.length };
      }
      this.headerDone = true;
    }
    return { buf, start };
  }

  /** Keeps `buf[from..]` (an incomplete tuple) for the next chunk. */
  keep(buf: Buffer, from: number): void {
    if (from < buf.length) this.rest = Buffer.from(buf.subarray(from));
  }

  /** True when bytes of an unfinished tuple are left over. */
  get pending(): boolean {
    return this.rest !== null && this.rest.length > 0;
  }
}

/**
 * Rewrites a NaN float (4 or 8 big-endian bytes at `at`) to the one NaN a DataView writes
 * (0x7fc00000, 0x7ff8000000000000), as the generic writers write every NaN; others stay.
 */
export function canonicalNaN(b: Buffer, at: number, size: 4 | 8): void {
  if (size === 8) {
    if ((b[at]! & 0x7f) === 0x7f && (b[at + 1]! & 0xf0) === 0xf0 && (b[at + 1]! & 0x0f || b[at + 2] || b[at + 3] || b[at + 4] || b[at + 5] || b[at + 6] || b[at + 7])) {
      b[at] = 0x7f;
      b[at + 1] = 0xf8;
      b.fill(0, at + 2, at + 8);
    }
  } else if ((b[at]! & 0x7f) === 0x7f && b[at + 1]! & 0x80 && (b[at + 1]! & 0x7f || b[at + 2] || b[at + 3])) {
    b[at] = 0x7f;
    b[at + 1] = 0xc0;
    b[at + 2] = 0;
    b[at + 3] = 0;
  }
}
