import { expect } from 'chai';
import { readFitsTable } from '../../src/formats/fits-table-reader.js';
import { Readable } from 'node:stream';
import { chunkedStream, collect, expectInputError, fitsTable, fixtureStream, junk } from './read-helpers.js';

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

  describe('nonsense header values', () => {
    // Two rows of (J id, 4A name): 8 bytes each.
    const cols: [string, string, number][] = [
      ['id', 'J', 4],
      ['name', '4A', 4],
    ];
    const data = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('abcd'), Buffer.from([0, 0, 0, 2]), Buffer.from('efgh')]);
    const open = (file: Buffer) => readFitsTable(Readable.from([file]), { file: 'h.fits' });

    it('reads the well-formed table the nonsense variants start from', async () => {
      expect(await collect(await open(fitsTable(cols, data)))).to.deep.equal([
        [1, 'abcd'],
        [2, 'efgh'],
      ]);
    });

    for (const [what, set, primary, message] of [
      ['a negative NAXIS1', { NAXIS1: -5 }, {}, /HDU 2: NAXIS1 = -5 must be a non-negative integer/],
      ['a negative NAXIS2', { NAXIS2: -1 }, {}, /HDU 2: NAXIS2 = -1 must be a non-negative integer/],
      ['a fractional NAXIS2', { NAXIS2: 1.5 }, {}, /HDU 2: NAXIS2 = 1\.5 must be a non-negative integer/],
      ['a missing NAXIS1', { NAXIS1: null }, {}, /HDU 2: NAXIS1 is missing/],
      ['a string NAXIS1', { NAXIS1: 'eight' }, {}, /HDU 2: NAXIS1 = 'eight' must be a non-negative integer/],
      ['NAXIS = 3', { NAXIS: 3 }, {}, /HDU 2: a binary table has NAXIS = 2, not 3/],
      ['BITPIX = 16', { BITPIX: 16 }, {}, /HDU 2: a binary table has BITPIX = 8, not 16/],
      ['GCOUNT = 2', { GCOUNT: 2 }, {}, /HDU 2: a binary table has GCOUNT = 1, not 2/],
      ['a negative PCOUNT', { PCOUNT: -8 }, {}, /HDU 2: PCOUNT = -8 must be a non-negative integer/],
      ['a negative TFIELDS', { TFIELDS: -1 }, {}, /HDU 2: TFIELDS = -1 must be an integer from 0 to 999/],
      ['TFIELDS = 1000', { TFIELDS: 1000 }, {}, /HDU 2: TFIELDS = 1000 must be an integer from 0 to 999/],
      ['TFIELDS larger than the TFORMs', { TFIELDS: 3 }, {}, /TFORM3 is missing \(TFIELDS = 3\)/],
      ['TFIELDS smaller than the TFORMs', { TFIELDS: 1, NAXIS1: 4 }, {}, /TFORM2 is present but TFIELDS = 1/],
      ['TFORM widths not adding up to NAXIS1', { NAXIS1: 12 }, {}, /the TFORMn widths add up to 8 bytes but NAXIS1 = 12/],
      ['a TDIM that is not a list of sizes', { TFORM1: '4J', NAXIS1: 20, TDIM1: '(2,x)' }, {}, /TDIM1 = '\(2,x\)'/],
      ['a TDIM of another element count', { TFORM1: '4J', NAXIS1: 20, TDIM1: '(3,2)' }, {}, /TDIM1 = '\(3,2\)' makes 6 elements but TFORM1 = '4J' holds 4/],
      ['a fractional TNULL', { TNULL1: 1.5 }, {}, /TNULL1 = 1\.5 is not an integer/],
      ['a TTYPE longer than a column name can be', { TTYPE1: 'x'.repeat(66) }, {}, /TTYPE1: column name "x{60}…" is 66 bytes long; a column name has at most 63 bytes/],
      ['no columns at all', { TFIELDS: 0, NAXIS1: 0, NAXIS2: 1000000000, TTYPE1: null, TFORM1: null, TTYPE2: null, TFORM2: null }, {}, /the binary table has no columns/],
      ['a negative NAXIS1 in the primary HDU', {}, { NAXIS: 1, NAXIS1: -5 }, /HDU 1: NAXIS1 = -5 must be a non-negative integer/],
      ['a nonsense BITPIX in the primary HDU', {}, { BITPIX: 7 }, /HDU 1: BITPIX = 7 must be one of 8, 16, 32, 64, -32, -64/],
      ['a nonsense NAXIS in the primary HDU', {}, { NAXIS: -2 }, /HDU 1: NAXIS = -2 must be an integer from 0 to 999/],
    ] as const) {
      it(`rejects ${what} as an InputFileError`, async () => {
        await expectInputError(async () => collect(await open(fitsTable(cols, data, set, primary))), { file: 'h.fits', message });
      });
    }

    it('rejects binary junk as an InputFileError', async () => {
      for (const seed of [1, 2, 3]) {
        for (const prefix of ['', 'SIMPLE  =                    T'.padEnd(80)]) {
          await expectInputError(() => open(Buffer.concat([Buffer.from(prefix, 'latin1'), junk(6000, seed)])), { file: 'h.fits', message: /./ });
        }
      }
    });
  });
});
