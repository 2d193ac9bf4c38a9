import { expect } from 'chai';
import { TupleChunks } from '../../../src/formats/copy/binary-tuples.js';

/** A binary COPY stream of `rows` tuples of an int4 and a text, and its trailer. */
function copyStream(rows: number): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (let i = 0; i < rows; i++) {
    const text = Buffer.from(`row ${i} ${'x'.repeat(i % 37)}`);
    const t = Buffer.alloc(2 + 4 + 4 + 4 + text.length);
    t.writeInt16BE(2, 0);
    t.writeInt32BE(4, 2);
    t.writeInt32BE(i, 6);
    t.writeInt32BE(text.length, 10);
    text.copy(t, 14);
    parts.push(t);
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

/** The tuples read from `stream` fed in pieces of `size` bytes, as [int, text]. */
function readInPieces(stream: Buffer, size: number): [number, string][] {
  const tuples = new TupleChunks();
  const out: [number, string][] = [];
  for (let at = 0; at < stream.length; at += size) {
    const { buf, start } = tuples.feed(stream.subarray(at, at + size));
    let p = start;
    while (p + 2 <= buf.length) {
      if (buf.readInt16BE(p) === -1) {
        tuples.ended = true;
        p = buf.length;
        break;
      }
      if (p + 10 > buf.length) break;
      const textAt = p + 10;
      if (textAt + 4 > buf.length) break;
      const len = buf.readInt32BE(textAt);
      if (textAt + 4 + len > buf.length) break;
      out.push([buf.readInt32BE(p + 6), buf.toString('utf8', textAt + 4, textAt + 4 + len)]);
      p = textAt + 4 + len;
    }
    if (!tuples.ended) tuples.keep(buf, p);
  }
  expect(tuples.ended).to.equal(true);
  expect(tuples.pending).to.equal(false);
  return out;
}

describe('binary COPY tuples cut anywhere', () => {
  it('gives every tuple whole and intact whatever the chunk size, the joining buffer reused and grown', () => {
    const stream = copyStream(300);
    const whole = readInPieces(stream, stream.length);
    expect(whole).to.have.length(300);
    expect(whole[299]).to.deep.equal([299, `row 299 ${'x'.repeat(299 % 37)}`]);
    for (const size of [1, 2, 3, 7, 13, 19, 20, 64, 101, 4096]) expect(readInPieces(stream, size), `pieces of ${size}`).to.deep.equal(whole);
  });
});
