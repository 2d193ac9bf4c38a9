/**
 * The body of a streamed answer: sent whole, with its Content-Length and in one write, when it
 * ends within its first bytes (a cone's answer: no chunked framing, no stream machinery, one
 * write less); streamed otherwise, those bytes first.
 */
import { Readable } from 'node:stream';

/** Bytes of an answer that may be held to send it whole. */
export const WHOLE_ANSWER_BYTES = 64 * 1024;

/**
 * A Buffer of all of `chunks` when they end within `limit` bytes, else a stream of them all.
 * `onEnd` runs once the last chunk has been read; an error before then is thrown here, as the
 * stream would have ended with it. A stream closed before its end returns `chunks`' iterator.
 */
export async function answerBody(chunks: AsyncIterable<Buffer>, onEnd: () => void, limit = WHOLE_ANSWER_BYTES): Promise<Buffer | Readable> {
  const it = chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let bytes = 0;
  try {
    while (bytes <= limit) {
      const next = await it.next();
      if (next.done) {
        onEnd();
        // One chunk (a small answer's, as the text writers make it) is sent as it is, not copied.
        return head.length === 1 ? head[0]! : Buffer.concat(head, bytes);
      }
      head.push(next.value);
      bytes += next.value.length;
    }
  } catch (e) {
    await it.return?.();
    throw e;
  }
  const stream = Readable.from(headThenRest(head, it, onEnd));
  // Closed however it ends, even never read (Koa does not read a body for a client already
  // gone): `chunks` is ended then, and what it holds (a FITS spool) is released.
  stream.once('close', () => void Promise.resolve(it.return?.()).catch(() => {}));
  return stream;
}

/**
 * The held chunks, then the rest of `it`; `onEnd` once it is read. At module level: a generator
 * function made per answer kept each finished answer's objects alive through young-generation
 * collections (see Database.readOnlyRows).
 */
async function* headThenRest(head: Buffer[], it: AsyncIterator<Buffer>, onEnd: () => void): AsyncGenerator<Buffer> {
  yield* head.splice(0);
  for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  onEnd();
}
