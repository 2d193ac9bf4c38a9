import { expect } from 'chai';
import { readFitsTable } from '../../src/formats/fits-table-reader.js';
import { chunkedStream, collect, expectInputError, fixtureStream } from './read-helpers.js';

const ROWS = [
  [true, true, 0, -32768, 0, null, 0n, -9223372036854775807n, 1.5, null, 'alpha', [1, 2, 3], [0, 1, 2, 3, 4, 5], 10],
  [false, false, 255, 32767, 65535, 2147483647, 4294967295n, 9223372036854775807n, null, 2.5e-300, 'beta  x', [4, 5, 6], [6, 7, 8, 9, 10, 11], 11],
  [true, true, null, null, 40000, 5, 3000000000n, null, -3.25, 10, '', [7, 8, NaN], [12, 13, 14, 15, 16, 17], 20],
];

describe('FITS binary table reader', () => {
  it('skips the primary and image HDUs and maps every TFORM, TNULL, TZERO/TSCAL, TDIM, TUCD, TCOMM', async () => {
    const src = await readFitsTable(fixtureStream('types.fits'), { file: 'types.fits' });
    expect(src.meta.name).to.equal('CATALOG');
    expect(src.meta.columns.map((c) => [c.name, c.datatype, c.arraysize, c.unit])).to.deep.equal([
      ['flag', 'boolean', null, null],
      ['bit1', 'boolean', null, null],
      ['ub', 'unsignedByte', null, null],
      ['sh', 'short', null, 'adu'],
      ['ush', 'int', null, null],
      ['i', 'int', null, null],
      ['ui', 'long', null, null],
      ['lg', 'long', null, null],
      ['fl', 'float', null, 'mag'],
      ['db', 'double', null, 'deg'],
      ['name', 'char', '10*', null],
      ['vec', 'double', '3', null],
      ['mat', 'int', '3x2', null],
      ['scaled', 'double', null, null],
    ]);
    expect(src.meta.columns[3]).to.include({ ucd: 'phot.count', description: 'a short integer' });
    expect(src.meta.columns[9]).to.include({ ucd: 'pos.eq.ra;meta.main', description: 'right ascension' });
    expect(await collect(src)).to.deep.equal(ROWS);
  });

  it('gives the same rows whatever the chunk boundaries', async () => {
    for (const size of [7, 1000]) {
      const src = await readFitsTable(chunkedStream('types.fits', size), { file: 'types.fits', tableName: 'objects' });
      expect(src.meta.name).to.equal('objects');
      expect(await collect(src)).to.deep.equal(ROWS);
    }
  });

  it('hands out the whole rows of a truncated file, then reports where it ends', async () => {
    const src = await readFitsTable(fixtureStream('truncated.fits'), { file: 'tr.fits' });
    const seen: unknown[] = [];
    await expectInputError(
      async () => {
        for await (const row of src.rows) seen.push(row);
      },
      { file: 'tr.fits', message: /truncated table: the file ends inside row 2 of 3/ },
    );
    expect(seen).to.deep.equal([ROWS[0]]);
  });

  it('rejects a malformed header card, a file without table, and variable-length arrays', async () => {
    await expectInputError(() => readFitsTable(fixtureStream('bad_header.fits'), { file: 'b.fits' }), {
      file: 'b.fits',
      message: /HDU 1 header, card 7 \(byte 480\): bad value "12abc"/,
    });
    await expectInputError(() => readFitsTable(fixtureStream('image_only.fits'), { file: 'i.fits' }), {
      file: 'i.fits',
      message: /no binary table/,
    });
    await expectInputError(() => readFitsTable(fixtureStream('vla.fits'), { file: 'v.fits' }), {
      file: 'v.fits',
      message: /column v \(TFORM1 = 'PJ\(2\)'\) is a variable-length array/,
    });
    await expectInputError(() => readFitsTable(fixtureStream('types.csv'), { file: 'c.fits' }), {
      file: 'c.fits',
      message: /truncated header of HDU 1/,
    });
  });
});
