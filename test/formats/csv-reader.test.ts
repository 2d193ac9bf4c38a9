import { Readable } from 'node:stream';
import { expect } from 'chai';
import { readCsv } from '../../src/formats/csv-reader.js';
import { InputFileError } from '../../src/errors.js';
import { chunkedStream, collect, expectInputError, fixture, fixtureStream, junk } from './read-helpers.js';
import { statusOf } from '../../src/http/error-table.js';

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

  it('rejects a NUL byte in a cell, which the database cannot store, at its line and column (sampled or later)', async () => {
    await expectInputError(async () => collect(await readCsv(Readable.from(['a,b\n1,x\u0000y\n']), { file: 'n.csv' })), {
      file: 'n.csv',
      line: 2,
      column: 3,
      message: /column "b": .*NUL character \(U\+0000\)/,
    });
    const late = ['a,b', ...Array.from({ length: 20 }, (_, i) => `${i},x`), '20,bad\u0000'].join('\n') + '\n';
    await expectInputError(async () => collect(await readCsv(Readable.from([late]), { file: 'n.csv', sampleRows: 5 })), {
      file: 'n.csv',
      line: 22,
      column: 4,
      message: /column "b": .*NUL/,
    });
    // A NUL in a number is not a number; the message shows it escaped, not raw.
    const err = await expectInputError(async () => collect(await readCsv(Readable.from(['a\n1\n2\u00003\n']), { file: 'n.csv', columnTypes: { a: 'int' } })), {
      file: 'n.csv',
      line: 3,
      column: 1,
      message: /"2\\u00003" is not an integer/,
    });
    expect(err.message).not.to.include('\u0000');
  });

  it('rejects binary junk at its first line: column names with control characters are not CSV text', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const data = junk(4096, seed);
      let caught: unknown;
      try {
        await collect(await readCsv(Readable.from([data]), { file: 'j.csv' }));
      } catch (e) {
        caught = e;
      }
      expect(caught, `seed ${seed}`).to.be.instanceOf(InputFileError);
      expect(statusOf((caught as InputFileError))).to.equal(400);
      expect((caught as InputFileError).message).not.to.match(/[\u0000-\u0008]/);
    }
    await expectInputError(() => readCsv(Readable.from([Buffer.from('id,na\u0001me\n1,2\n')]), { file: 'c.csv' }), {
      file: 'c.csv',
      line: 1,
      column: 4,
      message: /column name "na\\u0001me" holds a control character: this is not CSV text/,
    });
    // UTF-16 that does not start with two ASCII characters, without a byte-order mark: NULs in a name.
    await expectInputError(() => readCsv(Readable.from([Buffer.from('ün,name\n1,x\n', 'utf16le')]), { file: 'u.csv' }), {
      file: 'u.csv',
      line: 1,
      column: 1,
      message: /control character.*UTF-16/,
    });
    await expectInputError(() => readCsv(Readable.from([Buffer.from([0x69, 0x64, 0x2c, 0x44, 0xe9, 0x63, 0x0a, 0x31, 0x2c, 0x32, 0x0a])]), { file: 'l.csv' }), {
      file: 'l.csv',
      line: 1,
      column: 4,
      message: /column name "D\uFFFDc" is not UTF-8 text/,
    });
  });

  it('reads UTF-16 text (little or big endian) with a byte-order mark, or starting with ASCII, across any chunk boundary', async () => {
    const text = 'id,name\n1,ünïcødé ☃\n2,"𝄞 clef"\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le).swap16();
    for (const data of [le, be, le.subarray(2), be.subarray(2)]) {
      for (const size of [1, 3, 4096]) {
        const parts: Buffer[] = [];
        for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
        const src = await readCsv(Readable.from(parts), { file: 'u.csv' });
        expect(src.meta.columns.map((c) => c.name)).to.deep.equal(['id', 'name']);
        expect(await collect(src)).to.deep.equal([
          [1, 'ünïcødé ☃'],
          [2, '𝄞 clef'],
        ]);
      }
    }
  });

  it('tells XML (a VOTable) from CSV instead of loading its lines as rows', async () => {
    const vot = '<?xml version="1.0"?>\n<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/></TABLE></RESOURCE></VOTABLE>\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(vot, 'utf16le')]);
    for (const data of [Buffer.from(vot), utf16, Buffer.from('<VOTABLE version="1.4">\n</VOTABLE>\n')]) {
      await expectInputError(() => readCsv(Readable.from([data]), { file: 'v.csv' }), {
        file: 'v.csv',
        line: 1,
        column: 1,
        message: /this is XML \(a VOTable\?\), not CSV/,
      });
    }
  });

  it('refuses a column name longer than a database identifier, showing only its start', async () => {
    const long = 'n'.repeat(5000);
    const err = await expectInputError(() => readCsv(Readable.from([`id,${long}\n1,2\n`]), { file: 'l.csv' }), {
      file: 'l.csv',
      line: 1,
      column: 4,
      message: /column name "n{60}…" is 5000 bytes long; a column name has at most 63 bytes/,
    });
    expect(err.message.length).to.be.below(200);
    // 63 bytes of UTF-8 (21 three-byte characters) is fine.
    expect((await readCsv(Readable.from([`${'☃'.repeat(21)}\n1\n`]), { file: 'l.csv' })).meta.columns[0]!.name).to.equal('☃'.repeat(21));
  });

  it('refuses more columns than a table holds, saying the limit', async () => {
    const header = Array.from({ length: 3000 }, (_, i) => `c${i}`).join(',');
    const err = await expectInputError(() => readCsv(Readable.from([header + '\n' + header.replace(/c/g, '') + '\n']), { file: 'w.csv' }), {
      file: 'w.csv',
      line: 1,
      column: header.indexOf('c1599,') + 1,
      message: /3000 columns; a table holds at most 1599 columns \(PostgreSQL's 1600 less the one vodax adds\)/,
    });
    expect(statusOf(err)).to.equal(400);
    // 1599 is fine.
    const most = Array.from({ length: 1599 }, (_, i) => `c${i}`).join(',');
    const src = await readCsv(Readable.from([most + '\n' + most.replace(/c/g, '') + '\n']), { file: 'w.csv' });
    expect(src.meta.columns).to.have.length(1599);
    expect((await collect(src))[0]).to.have.length(1599);
  });

  it('makes the numeric columns it is told about double, naming a non-number by role, place and remedy', async () => {
    const numericColumns = { ra: { role: 'right ascension', hint: 'positions must be numeric degrees' }, dec: { role: 'declination', hint: 'positions must be numeric degrees' } };
    const ok = await readCsv(Readable.from(['ra,dec,n\n10,20,1\n11,-5,2\n']), { file: 'p.csv', numericColumns });
    expect(ok.meta.columns.map((c) => c.datatype)).to.deep.equal(['double', 'double', 'int']);
    expect(await collect(ok)).to.deep.equal([
      [10, 20, 1],
      [11, -5, 2],
    ]);
    await expectInputError(async () => collect(await readCsv(Readable.from(['ra,dec\n1.5,2.5\n3.0,abc\n']), { file: 'p.csv', numericColumns })), {
      file: 'p.csv',
      line: 3,
      column: 5,
      message: /^p\.csv, line 3, column 5: declination column "dec" holds 'abc', which is not a number; positions must be numeric degrees$/,
    });
    await expectInputError(() => readCsv(Readable.from(['ra,de\n1,2\n']), { file: 'p.csv', numericColumns }), {
      file: 'p.csv',
      line: 1,
      message: /no column "dec" for declination; the header has ra, de/,
    });
  });

  it('takes column names that are also Object property names as plain names', async () => {
    const src = await readCsv(Readable.from(['constructor,toString,__proto__,hasOwnProperty\n1,x,2.5,true\n']), { file: 'o.csv' });
    expect(src.meta.columns.map((c) => [c.name, c.datatype])).to.deep.equal([
      ['constructor', 'int'],
      ['toString', 'char'],
      ['__proto__', 'double'],
      ['hasOwnProperty', 'boolean'],
    ]);
    expect(await collect(src)).to.deep.equal([[1, 'x', 2.5, true]]);
  });
});
