import { expect } from 'chai';
import { BinaryRowEncoder } from '../../src/ingest/copy-binary.js';
import type { CellValue, ColumnMeta } from '../../src/formats/table-model.js';
import { ang2pix, INDEX_ORDER } from '../../src/healpix/nested.js';

const SIGNATURE_BYTES = 19;

/** The bytes of one row (after the signature) as PostgreSQL's binary COPY reads them. */
function rowBytes(columns: ColumnMeta[], row: CellValue[], position: { ra: number; dec: number } | null = null): Buffer {
  const enc = new BinaryRowEncoder(columns, position);
  enc.add(row);
  const all = enc.end();
  // Signature, one row, then the -1 trailer.
  expect(all.readInt16BE(all.length - 2)).to.equal(-1);
  return all.subarray(SIGNATURE_BYTES, all.length - 2);
}

/** Splits a row into its fields' payloads (null for a NULL), checking the field count. */
function fields(bytes: Buffer): (Buffer | null)[] {
  const n = bytes.readInt16BE(0);
  const out: (Buffer | null)[] = [];
  let at = 2;
  for (let i = 0; i < n; i++) {
    const len = bytes.readInt32BE(at);
    at += 4;
    if (len < 0) out.push(null);
    else {
      out.push(bytes.subarray(at, at + len));
      at += len;
    }
  }
  expect(at, 'row length').to.equal(bytes.length);
  return out;
}

const col = (name: string, datatype: ColumnMeta['datatype'], arraysize: string | null = null): ColumnMeta => ({ name, datatype, arraysize });

describe('BinaryRowEncoder: the bytes PostgreSQL reads', () => {
  const columns = [col('s', 'short'), col('i', 'int'), col('l', 'long'), col('f', 'float'), col('d', 'double'), col('t', 'char', '*'), col('b', 'boolean'), col('a', 'int', '*')];

  it('writes each scalar type big-endian, with its length word', () => {
    const [s, i, l, f, d, t, b, a] = fields(rowBytes(columns, [-2, 70000, -5, 1.5, -0.1, 'abc', true, [7, 8]]));
    expect(s!.readInt16BE(0)).to.equal(-2);
    expect(s).to.have.length(2);
    expect(i!.readInt32BE(0)).to.equal(70000);
    expect(l!.readBigInt64BE(0)).to.equal(-5n);
    expect(f!.readFloatBE(0)).to.equal(1.5);
    expect(d!.readDoubleBE(0)).to.equal(-0.1);
    expect(t!.toString('latin1')).to.equal('abc');
    expect([...b!]).to.deep.equal([1]);
    // ndim 1, no NULLs, int4 elements, 2 of them from 1, then (length, value) pairs.
    expect(a!.readInt32BE(0)).to.equal(1);
    expect(a!.readInt32BE(12)).to.equal(2);
    expect([a!.readInt32BE(24), a!.readInt32BE(32)]).to.deep.equal([7, 8]);
  });

  it('writes a bigint given as a number exactly, across 32 bits and at the safe limits', () => {
    for (const v of [0, -1, 2 ** 32, -(2 ** 32) - 1, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const [, , l] = fields(rowBytes(columns, [null, null, v, null, null, null, null, null]));
      expect(l!.readBigInt64BE(0), String(v)).to.equal(BigInt(v));
    }
    const [, , big] = fields(rowBytes(columns, [null, null, -(2n ** 63n), null, null, null, null, null]));
    expect(big!.readBigInt64BE(0)).to.equal(-(2n ** 63n));
  });

  it('writes every NULL as length -1 and nothing else', () => {
    expect(fields(rowBytes(columns, columns.map(() => null)))).to.deep.equal(columns.map(() => null));
  });

  it('writes non-ASCII text as UTF-8, a lone surrogate replaced as Buffer does', () => {
    for (const text of ['ünïcode', '🔭 scope', 'x\ud800y', 'ascii then é']) {
      const [, , , , , t] = fields(rowBytes(columns, [null, null, null, null, null, text, null, null]));
      expect(t!.toString('utf8')).to.equal(Buffer.from(text, 'utf8').toString('utf8'));
    }
  });

  it('refuses what the column cannot store, naming the column', () => {
    const enc = new BinaryRowEncoder(columns, null);
    expect(() => enc.add([null, null, null, null, null, 'a\u0000b', null, null])).to.throw(/NUL/);
    expect(enc.column).to.equal(5);
    expect(() => enc.add([40000, null, null, null, null, null, null, null])).to.throw(/out of range for smallint/);
    expect(() => enc.add([null, 1.5, null, null, null, null, null, null])).to.throw(/not an integer/);
    expect(() => enc.add([null, null, 2 ** 53, null, null, null, null, null])).to.throw(/not an integer/);
    expect(() => enc.add([null, null, null, 'x', null, null, null, null])).to.throw(/not a number/);
  });

  it('appends the HEALPix index of the position, NULL where it is unknown', () => {
    const pos = [col('ra', 'double'), col('dec', 'double')];
    const [, , hpx] = fields(rowBytes(pos, [10.5, -30.25], { ra: 0, dec: 1 }));
    expect(hpx!.readBigInt64BE(0)).to.equal(ang2pix(INDEX_ORDER, 10.5, -30.25));
    expect(fields(rowBytes(pos, [10.5, null], { ra: 0, dec: 1 }))[2]).to.equal(null);
  });

  it('starts a new buffer when a chunk is taken, and keeps rows whole across a large one', () => {
    const enc = new BinaryRowEncoder([col('t', 'char', '*')], null);
    enc.add(['x'.repeat(600_000)]);
    const first = enc.take();
    enc.add(['after']);
    const rest = enc.end();
    expect(first.readInt32BE(SIGNATURE_BYTES + 2)).to.equal(600_000);
    expect(fields(rest.subarray(0, rest.length - 2))[0]!.toString()).to.equal('after');
  });
});
