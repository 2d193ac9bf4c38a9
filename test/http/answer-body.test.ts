import { expect } from 'chai';
import { Readable } from 'node:stream';
import { answerBody } from '../../src/http/answer-body.js';

/** Chunks of `sizes` bytes, then (optionally) a failure; records whether it was returned early. */
function chunks(sizes: number[], failure?: Error): AsyncIterable<Buffer> & { returned: boolean } {
  const out = {
    returned: false,
    async *[Symbol.asyncIterator]() {
      let sent = 0;
      try {
        for (const [i, n] of sizes.entries()) {
          yield Buffer.alloc(n, 97 + i);
          sent++;
        }
        if (failure) throw failure;
      } finally {
        out.returned = sent < sizes.length;
      }
    },
  };
  return out;
}

async function bytesOf(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('http: answerBody', () => {
  it('gives an answer that ends within the limit as one Buffer, and says it ended', async () => {
    let ended = false;
    const body = await answerBody(chunks([3, 4, 5]), () => (ended = true), 100);
    expect(Buffer.isBuffer(body)).to.equal(true);
    expect((body as Buffer).toString()).to.equal('aaabbbbccccc');
    expect(ended).to.equal(true);
  });

  it('streams a longer answer whole, the held bytes first, and says it ended only once read to its end', async () => {
    let ended = false;
    const body = await answerBody(chunks([60, 60, 60]), () => (ended = true), 100);
    expect(body).to.be.instanceOf(Readable);
    expect(ended).to.equal(false);
    const bytes = await bytesOf(body as Readable);
    expect(bytes.toString()).to.equal('a'.repeat(60) + 'b'.repeat(60) + 'c'.repeat(60));
    expect(ended).to.equal(true);
  });

  it('throws a failure within the limit, and ends the source of a stream destroyed part-way', async () => {
    let caught: unknown = null;
    await answerBody(chunks([3], new Error('query failed')), () => {}, 100).catch((e) => (caught = e));
    expect(String(caught)).to.match(/query failed/);
    const source = chunks([60, 60, 60, 60]);
    const body = (await answerBody(source, () => {}, 100)) as Readable;
    for await (const _ of body) break;
    await new Promise((r) => setTimeout(r, 10));
    expect(source.returned).to.equal(true);
  });

  it('ends the source of a stream destroyed before anything was read from it (a client gone before the answer)', async () => {
    const source = chunks([60, 60, 60, 60]);
    const body = (await answerBody(source, () => {}, 100)) as Readable;
    body.destroy();
    await new Promise((r) => setTimeout(r, 10));
    expect(source.returned).to.equal(true);
  });
});
