import { Readable } from 'node:stream';
import { expect } from 'chai';
import { readCsv } from '../../src/formats/csv-reader.js';
import { chunkedStream, collect, expectInputError, fixture, fixtureStream } from './read-helpers.js';

const TYPES_ROWS = [
  [1, 9007199254740993n, true, 12.5, 'alpha', '2024-01-02T03:04:05Z', 'plain'],
  [2, -5n, false, -0.25, 'Beta, with comma', '2024-01-02T03:04:05.5', 'say "hi"'],
  [null, 3n, true, 1000, 'ünïcødé ☃', '2024-02-29', 'two\nlines'],
  [4, null, null, null, null, null, ''],
  [5, 42n, false, null, '', '2023-12-31T23:59:59.999', 'last'],
];

describe('CSV reader', () => {
  it('infers every column type and reads every value, NULL and quoted field', async () => {
    const src = await readCsv(fixtureStream('types.csv'), { file: fixture('types.csv') });
    expect(src.meta.name).to.equal('types');
    expect(src.meta.columns.map((c) => [c.name, c.datatype, c.arraysize, c.xtype])).to.deep.equal([
      ['id', 'int', null, null],
      ['big', 'long', null, null],
      ['flag', 'boolean', null, null],
      ['mag', 'double', null, null],
      ['name', 'char', '*', null],
      ['obs_time', 'char', '*', 'timestamp'],
      ['note', 'char', '*', null],
    ]);
    expect(await collect(src)).to.deep.equal(TYPES_ROWS);
  });

  it('skips a BOM and reads CRLF line ends, keeping the CRLF inside a quoted field', async () => {
    const src = await readCsv(fixtureStream('types_bom_crlf.csv'), { file: 'x.csv' });
    expect(src.meta.columns[0].name).to.equal('id');
    const expected = TYPES_ROWS.map((r) => r.slice());
    expected[2][6] = 'two\r\nlines';
    expect(await collect(src)).to.deep.equal(expected);
  });

  it('gives the same rows whatever the chunk boundaries (1 and 7 bytes)', async () => {
    for (const size of [1, 7]) {
      const src = await readCsv(chunkedStream('types_bom_crlf.csv', size), { file: 'x.csv' });
      const rows = await collect(src);
      expect(rows.length).to.equal(5);
      expect(rows[2]).to.deep.equal([null, 3n, true, 1000, 'ünïcødé ☃', '2024-02-29', 'two\r\nlines']);
    }
  });

  it('uses the column types the caller gives, with their metadata', async () => {
    const src = await readCsv(fixtureStream('types.csv'), {
      file: 'types.csv',
      tableName: 'obj',
      columnTypes: { id: 'long', mag: { datatype: 'float', unit: 'mag', ucd: 'phot.mag' } },
    });
    expect(src.meta.name).to.equal('obj');
    expect(src.meta.columns[0]).to.include({ name: 'id', datatype: 'long' });
    expect(src.meta.columns[3]).to.include({ name: 'mag', datatype: 'float', unit: 'mag', ucd: 'phot.mag' });
    const rows = await collect(src);
    expect(rows.map((r) => r[0])).to.deep.equal([1n, 2n, null, 4n, 5n]);
  });

  it('checks a given type from the first row, reporting line and column', async () => {
    const types = { id: 'int', big: 'long', flag: 'int', mag: 'double', name: 'char', obs_time: 'char', note: 'char' } as const;
    await expectInputError(async () => collect(await readCsv(fixtureStream('types.csv'), { file: 't.csv', columnTypes: types })), {
      file: 't.csv',
      line: 2,
      column: 20,
      message: /column "flag": "true" is not an integer/,
    });
  });

  it('reads tab-separated text with delimiter "\\t"', async () => {
    const src = await readCsv(Readable.from(['a\tb\n1\tx y\n2\t\n']), { file: 't.tsv', delimiter: '\t' });
    expect(src.meta.columns.map((c) => c.datatype)).to.deep.equal(['int', 'char']);
    expect(await collect(src)).to.deep.equal([
      [1, 'x y'],
      [2, null],
    ]);
  });

  it('rejects text in a numeric column after the sample, at its line and column', async () => {
    const file = fixture('bad_number.csv');
    await expectInputError(async () => collect(await readCsv(fixtureStream('bad_number.csv'), { file, sampleRows: 5 })), {
      file,
      line: 9,
      column: 3,
      message: /column "y": "abc" is not a number \(double\)/,
    });
  });

  it('rejects rows with too few or too many fields', async () => {
    await expectInputError(async () => collect(await readCsv(fixtureStream('missing_columns.csv'), { file: 'm.csv' })), {
      file: 'm.csv',
      line: 3,
      column: 4,
      message: /2 fields where the header has 3/,
    });
    await expectInputError(async () => collect(await readCsv(fixtureStream('extra_columns.csv'), { file: 'e.csv' })), {
      file: 'e.csv',
      line: 3,
      column: 5,
      message: /3 fields where the header has 2/,
    });
  });

  it('rejects an unterminated quote (truncated file), text after a quote, and an empty file', async () => {
    await expectInputError(async () => collect(await readCsv(fixtureStream('truncated.csv'), { file: 't.csv' })), {
      file: 't.csv',
      line: 3,
      column: 3,
      message: /unterminated quoted field/,
    });
    await expectInputError(async () => collect(await readCsv(fixtureStream('after_quote.csv'), { file: 'q.csv' })), {
      file: 'q.csv',
      line: 2,
      column: 6,
      message: /after a closing quote/,
    });
    await expectInputError(() => readCsv(fixtureStream('empty.csv'), { file: 'e.csv' }), {
      file: 'e.csv',
      line: 1,
      column: 1,
      message: /no header/,
    });
  });

  it('rejects duplicate and empty column names', async () => {
    await expectInputError(() => readCsv(Readable.from(['a,b,a\n1,2,3\n']), { file: 'd.csv' }), {
      file: 'd.csv',
      line: 1,
      column: 5,
      message: /duplicate column name "a"/,
    });
    await expectInputError(() => readCsv(Readable.from(['a,,c\n']), { file: 'd.csv' }), {
      file: 'd.csv',
      line: 1,
      column: 3,
      message: /column 2 has no name/,
    });
  });

  it('widens int to long and double, and keeps a file without final newline', async () => {
    const src = await readCsv(Readable.from(['n,m,k\n1,1,x\n3000000000,2.5,1\n-4,3,2']), { file: 'w.csv' });
    expect(src.meta.columns.map((c) => c.datatype)).to.deep.equal(['long', 'double', 'char']);
    expect(await collect(src)).to.deep.equal([
      [1n, 1, 'x'],
      [3000000000n, 2.5, '1'],
      [-4n, 3, '2'],
    ]);
  });
});
