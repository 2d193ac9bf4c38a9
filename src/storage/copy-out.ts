/**
 * A `COPY ... TO STDOUT` run on a pg client, its data as a Readable of Buffers: the CopyData
 * payloads, in order, with the protocol's framing taken out. It reads the connection's socket
 * itself while the COPY runs (as pg-copy-streams' copy-to does) and hands the driver back
 * what follows the COPY (CommandComplete, ReadyForQuery, or an ErrorResponse, which the driver
 * then reports through handleError). The payloads are moved together inside the socket's own
 * chunk, which nothing else holds: no buffer and no object per row (the library's reader made a
 * Buffer view per row and joined them into a new Buffer per chunk, about 100 MiB of garbage per
 * million rows).
 */
import { Readable } from 'node:stream';
import type pg from 'pg';

const COPY_DATA = 0x64; // d
const ERROR_RESPONSE = 0x45; // E
const COPY_OUT_RESPONSE = 0x48; // H
// Messages the backend may send between CopyData messages; anything else ends copy-out mode.
const NOTICE_RESPONSE = 0x4e; // N
const PARAMETER_STATUS = 0x53; // S
const NOTIFICATION_RESPONSE = 0x41; // A

export class CopyOut extends Readable {
  private connection: pg.Connection | null = null;
  private driverData: ((chunk: Buffer) => void) | null = null;
  /** Bytes of a message header (or a whole non-data message) cut by the end of a chunk. */
  private carried: Buffer | null = null;
  /** Payload bytes of the current CopyData message still to come. */
  private remaining = 0;
  private wanted = false;
  private forwarding = false;
  private readonly onReadable = () => this.forward();

  constructor(private readonly text: string) {
    super();
  }

  /** Called by pg when the query is sent: takes the socket over, then sends the COPY. */
  submit(connection: pg.Connection): void {
    this.connection = connection;
    const stream = connection.stream;
    const handlers = stream.listeners('data') as ((chunk: Buffer) => void)[];
    if (handlers.length !== 1) throw new Error(`the connection has ${handlers.length} data handlers, not the driver's one`);
    this.driverData = handlers[0]!;
    stream.removeListener('data', this.driverData);
    stream.pause();
    stream.on('readable', this.onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.wanted = true;
    this.forward();
  }

  private forward(): void {
    if (this.forwarding || !this.wanted || !this.connection) return;
    this.forwarding = true;
    let chunk: Buffer | null;
    while (this.wanted && this.connection && (chunk = this.connection.stream.read() as Buffer | null) !== null) this.parse(chunk);
    this.forwarding = false;
  }

  private parse(input: Buffer): void {
    let chunk = input;
    if (this.carried) {
      chunk = Buffer.concat([this.carried, input]);
      this.carried = null;
    }
    const end = chunk.length;
    let p = 0;
    // Payload bytes are moved down to `w`: never past `p`, so what is still to be read stays intact.
    let w = 0;
    while (p < end) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - p);
        if (w !== p) chunk.copyWithin(w, p, p + n);
        w += n;
        p += n;
        this.remaining -= n;
        continue;
      }
      if (end - p < 5) break;
      const code = chunk[p]!;
      const length = chunk.readUInt32BE(p + 1);
      if (code === COPY_DATA) {
        this.remaining = length - 4;
        p += 5;
        continue;
      }
      if (code !== ERROR_RESPONSE) {
        if (end - p < 1 + length) break;
        if (code === COPY_OUT_RESPONSE || code === NOTICE_RESPONSE || code === PARAMETER_STATUS || code === NOTIFICATION_RESPONSE) {
          p += 1 + length;
          continue;
        }
        // CopyDone (or anything else): the COPY is over once this message is read.
        p += 1 + length;
      }
      // The driver reads the rest: CommandComplete and ReadyForQuery, or the error.
      const rest = chunk.subarray(p);
      if (w > 0) this.push(chunk.subarray(0, w));
      this.detach(rest, code !== ERROR_RESPONSE);
      return;
    }
    if (p < end) this.carried = Buffer.from(chunk.subarray(p));
    if (w > 0) this.wanted = this.push(chunk.subarray(0, w));
  }

  /** Gives the socket back to the driver with the bytes after the COPY's data; ends the stream when the COPY ended well. */
  private detach(rest: Buffer, ended: boolean): void {
    const connection = this.connection!;
    const stream = connection.stream;
    this.connection = null;
    stream.removeListener('readable', this.onReadable);
    stream.addListener('data', this.driverData!);
    this.driverData!(rest);
    // Adding the data handler resumes the stream; the handler itself may pause it (its highWaterMark): resume after it.
    process.nextTick(() => stream.resume());
    if (ended) this.push(null);
  }

  /** pg: the backend reported an error (the COPY failed, or was cancelled). */
  handleError(e: Error): void {
    this.destroy(e);
  }

  /** pg: CommandComplete (`COPY n`); the readers count their rows themselves. */
  handleCommandComplete(): void {}

  /** pg: the connection is ready for the next query. */
  handleReadyForQuery(): void {}
}
