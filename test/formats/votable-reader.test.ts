import { Readable } from 'node:stream';
import { expect } from 'chai';
import { readVotable } from '../../src/formats/votable-reader.js';
import { chunkedStream, collect, expectInputError, fixture, fixtureStream, junk } from './read-helpers.js';
import { InputFileError } from '../../src/errors.js';

const COLUMNS = [
  { name: 'flag', datatype: 'boolean', arraysize: null, xtype: null, unit: null, ucd: 'meta.code', utype: null, description: 'a flag' },
  { name: 'ub', datatype: 'unsignedByte', arraysize: null, xtype: null, unit: null, ucd: 'meta.number', utype: null, description: 'unsigned byte' },
  { name: 'sh', datatype: 'short', arraysize: null, xtype: null, unit: 'adu', ucd: 'phot.count', utype: null, description: 'short integer' },
  { name: 'i', datatype: 'int', arraysize: null, xtype: null, unit: null, ucd: 'meta.id', utype: null, description: 'integer' },
  { name: 'lg', datatype: 'long', arraysize: null, xtype: null, unit: null, ucd: 'meta.id;meta.main', utype: null, description: 'long integer' },
  { name: 'fl', datatype: 'float', arraysize: null, xtype: null, unit: 'mag', ucd: 'phot.mag', utype: null, description: 'a float' },
  { name: 'db', datatype: 'double', arraysize: null, xtype: null, unit: 'deg', ucd: 'pos.eq.ra', utype: null, description: 'a double' },
  { name: 'name', datatype: 'char', arraysize: '12', xtype: null, unit: null, ucd: 'meta.id', utype: null, description: 'an ASCII name' },
  { name: 'uname', datatype: 'unicodeChar', arraysize: '8', xtype: null, unit: null, ucd: 'meta.note', utype: null, description: 'a unicode name' },
  { name: 'vec', datatype: 'double', arraysize: '3', xtype: null, unit: 'm.s-1', ucd: 'phys.veloc', utype: null, description: 'a vector' },
  { name: 'obs_time', datatype: 'char', arraysize: '*', xtype: 'timestamp', unit: null, ucd: 'time.epoch', utype: null, description: 'observation time' },
];

const ROW1 = [true, 0, -32768, -2147483648, -9223372036854775807n, 1.5, 3.141592653589793, 'alpha', 'ünïcødé', [1, 2, 3], '2024-01-02T03:04:05'];
const ROW2 = [false, 255, 32767, 2147483647, 9223372036854775807n, -2.25, -1e300, 'beta gamma', '☃ snow', [4, 5, 6], '2024-02-29T00:00:00.500'];
const NULLS = [null, null, null, null, null, null, null];

describe('VOTable reader', () => {
  it('reads TABLEDATA: metadata, every datatype, NULLs (empty TD and VALUES null)', async () => {
    const src = await readVotable(fixtureStream('types_tabledata.vot'), { file: 'types_tabledata.vot' });
    expect(src.meta.name).to.equal('sample');
    expect(src.meta.description).to.equal('Every VOTable datatype, with NULLs');
    expect(src.meta.columns).to.deep.equal(COLUMNS);
    expect(await collect(src)).to.deep.equal([ROW1, ROW2, [...NULLS, null, 'x', [7, 8, 9.5], '1999-12-31T23:59:59']]);
  });

  it('reads BINARY: VALUES null for integers, NaN floats as NULL, fixed and variable strings', async () => {
    const src = await readVotable(fixtureStream('types_binary.vot'), { file: 'types_binary.vot' });
    expect(src.meta.columns).to.deep.equal(COLUMNS);
    // BINARY has no NULL for a bit or a string: astropy writes the masked bit's value (true) and ''.
    expect(await collect(src)).to.deep.equal([ROW1, ROW2, [true, ...NULLS.slice(1), '', 'x', [7, 8, 9.5], '1999-12-31T23:59:59']]);
  });

  it('reads BINARY2 with its null bitmap', async () => {
    const src = await readVotable(fixtureStream('types_binary2.vot'), { file: 'types_binary2.vot' });
    expect(src.meta.columns).to.deep.equal(COLUMNS);
    expect(await collect(src)).to.deep.equal([ROW1, ROW2, [...NULLS, '', 'x', [7, 8, 9.5], '1999-12-31T23:59:59']]);
  });

  it('gives the same rows whatever the chunk boundaries', async () => {
    for (const name of ['types_tabledata.vot', 'types_binary2.vot', 'handmade_binary2.vot']) {
      const whole = await collect(await readVotable(fixtureStream(name), { file: name }));
      for (const size of [1, 3, 64]) {
        const rows = await collect(await readVotable(chunkedStream(name, size), { file: name }));
        expect(rows, `${name} in ${size}-byte chunks`).to.deep.equal(whole);
      }
    }
  });

  it('reads namespaced BINARY2 with booleans, variable arrays, unicode and 2x2 arrays; ignores later tables', async () => {
    const src = await readVotable(fixtureStream('handmade_binary2.vot'), { file: 'h.vot' });
    expect(src.meta.name).to.equal('handmade');
    expect(src.meta.columns.map((c) => [c.name, c.datatype, c.arraysize, c.unit, c.utype, c.description])).to.deep.equal([
      ['b', 'boolean', null, null, null, null],
      ['v', 'int', '*', 'ct', null, null],
      ['u', 'unicodeChar', '*', null, null, 'wide & varied'],
      ['s', 'short', null, null, null, null],
      ['d', 'double', '2x2', null, 'demo:matrix', null],
      ['c', 'char', '4', null, null, null],
    ]);
    expect(await collect(src)).to.deep.equal([
      [true, [1, 2, 3], 'héllo ☃', 5, [1, 2, 3, 4], 'abc'],
      [null, [], '', null, [0.5, -0.5, 1e10, -1e-10], null],
      [false, [-7], 'z', null, [0, 0, 0, 0], 'de'],
    ]);
  });

  it('reads TABLEDATA booleans, arrays, CDATA, entities, timestamps; skips a RESOURCE without table', async () => {
    const src = await readVotable(fixtureStream('handmade_tabledata.vot'), { file: fixture('handmade_tabledata.vot') });
    expect(src.meta.name).to.equal('handmade_tabledata');
    expect(src.meta.columns.map((c) => c.xtype)).to.deep.equal([null, null, null, null, 'timestamp']);
    expect(await collect(src)).to.deep.equal([
      [true, [1, 2, 3], 5, '<b>&', '2020-05-06T07:08:09.123Z'],
      [null, null, null, 'a < b', null],
      [false, [-7], null, '  spaced  ', '2020-05-06'],
      [null, null, 0, null, null],
    ]);
  });

  it('reports malformed XML, a bad TD, a truncated document and a table without FIELD', async () => {
    await expectInputError(async () => collect(await readVotable(fixtureStream('malformed.vot'), { file: 'm.vot' })), {
      file: 'm.vot',
      line: 9,
      column: 27,
      message: /malformed XML: unexpected close tag/,
    });
    await expectInputError(async () => collect(await readVotable(fixtureStream('bad_td.vot'), { file: 'b.vot' })), {
      file: 'b.vot',
      line: 9,
      column: 15,
      message: /FIELD b: "two" is not a number \(double\)/,
    });
    await expectInputError(async () => collect(await readVotable(fixtureStream('truncated.vot'), { file: 't.vot' })), {
      file: 't.vot',
      line: 10,
      column: 15,
      message: /unclosed tag/,
    });
    await expectInputError(() => readVotable(fixtureStream('no_fields.vot'), { file: 'n.vot' }), {
      file: 'n.vot',
      line: 3,
      column: 7,
      message: /TABLE has no FIELD/,
    });
  });

  it('reports a binary stream that ends inside a row', async () => {
    await expectInputError(async () => collect(await readVotable(fixtureStream('truncated_binary.vot'), { file: 'tb.vot' })), {
      file: 'tb.vot',
      line: 4,
      column: 66,
      message: /BINARY stream ends inside a row/,
    });
  });

  it('rejects a document without TABLE, unknown datatypes and bad TR widths', async () => {
    const head = '<?xml version="1.0"?>\n<VOTABLE><RESOURCE><TABLE>\n';
    await expectInputError(() => readVotable(Readable.from(['<VOTABLE><RESOURCE/></VOTABLE>']), { file: 'x.vot' }), {
      file: 'x.vot',
      line: 1,
      column: 31,
      message: /no TABLE/,
    });
    await expectInputError(() => readVotable(Readable.from([head + '<FIELD name="z" datatype="floatComplex"/>']), { file: 'x.vot' }), {
      file: 'x.vot',
      line: 3,
      column: 1,
      message: /datatype "floatComplex" is not supported/,
    });
    const short = head + '<FIELD name="a" datatype="int"/><FIELD name="b" datatype="int"/>\n<DATA><TABLEDATA>\n<TR><TD>1</TD></TR>\n</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>';
    await expectInputError(async () => collect(await readVotable(Readable.from([short]), { file: 'x.vot' })), {
      file: 'x.vot',
      line: 5,
      column: 1,
      message: /TR has 1 TD but the table has 2 FIELDs/,
    });
  });

  it('streams a generated 200000-row TABLEDATA holding a bounded number of rows', async function () {
    this.timeout(60000);
    const total = 200_000;
    let produced = 0;
    let state = 0;
    const stream = new Readable({
      read() {
        if (state === 0) {
          state = 1;
          this.push('<VOTABLE><RESOURCE><TABLE><FIELD name="id" datatype="int"/><FIELD name="s" datatype="char" arraysize="*"/><DATA><TABLEDATA>\n');
        } else if (produced < total) {
          const parts: string[] = [];
          for (let k = 0; k < 200; k++, produced++) parts.push(`<TR><TD>${produced}</TD><TD>row &amp; ${produced}</TD></TR>\n`);
          this.push(parts.join(''));
        } else if (state === 1) {
          state = 2;
          this.push('</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>\n');
        } else {
          this.push(null);
        }
      },
    });
    const src = await readVotable(stream, { file: 'gen.vot' });
    let consumed = 0;
    let maxAhead = 0;
    for await (const row of src.rows) {
      expect(row[0]).to.equal(consumed);
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
    }
    expect(consumed).to.equal(total);
    expect(maxAhead).to.be.below(3000);
  });

  describe('hostile input', () => {
    const doc = (decl: string) =>
      `${decl}\n<VOTABLE version="1.4"><RESOURCE><TABLE name="t">\n<FIELD name="n" datatype="int"/><FIELD name="név" datatype="char" arraysize="*"/>\n` +
      '<DATA><TABLEDATA><TR><TD>1</TD><TD>ünïcødé ☃ 𝄞</TD></TR><TR><TD>2</TD><TD/></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>\n';
    const parts = (data: Buffer, size: number) => {
      const out: Buffer[] = [];
      for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
      return Readable.from(out);
    };
    const expectRows = async (data: Buffer, size: number) => {
      const src = await readVotable(parts(data, size), { file: 'u.vot' });
      expect(src.meta.columns.map((c) => c.name), `${size}`).to.deep.equal(['n', 'név']);
      expect(await collect(src)).to.deep.equal([
        [1, 'ünïcødé ☃ 𝄞'],
        [2, null],
      ]);
    };

    it('reads UTF-16 (a byte-order mark, or the UTF-16 spelling of "<?") and a UTF-8 byte-order mark, across chunk boundaries', async () => {
      const text = doc('<?xml version="1.0" encoding="UTF-16"?>');
      const le = Buffer.from(text, 'utf16le');
      const be = Buffer.from(le).swap16();
      const withBom = (b: Buffer, bom: number[]) => Buffer.concat([Buffer.from(bom), b]);
      for (const data of [withBom(le, [0xff, 0xfe]), withBom(be, [0xfe, 0xff]), le, be, withBom(Buffer.from(doc('<?xml version="1.0"?>')), [0xef, 0xbb, 0xbf])]) {
        for (const size of [1, 3, 65536]) await expectRows(data, size);
      }
    });

    it('decodes the 8-bit encoding the XML declaration names, and refuses one it does not know', async () => {
      const latin1 = Buffer.from(doc('<?xml version="1.0" encoding="ISO-8859-1"?>').replace('ünïcødé ☃ 𝄞', 'ünïcødé'), 'latin1');
      const src = await readVotable(parts(latin1, 5), { file: 'l.vot' });
      expect(src.meta.columns[1]!.name).to.equal('név');
      expect((await collect(src))[0]).to.deep.equal([1, 'ünïcødé']);
      await expectInputError(() => readVotable(Readable.from([Buffer.from(doc('<?xml version="1.0" encoding="x-klingon"?>'))]), { file: 'k.vot' }), {
        file: 'k.vot',
        line: 1,
        column: 1,
        message: /encoding "x-klingon".*not supported.*UTF-8/,
      });
    });

    it('rejects binary junk with a located InputFileError (a 400), whatever it starts with', async () => {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        for (const prefix of ['', '<', '<?xml version="1.0"?>\n<VOTABLE><RESOURCE><TABLE><FIELD name="', '\ufeff<']) {
          let caught: unknown;
          try {
            await collect(await readVotable(Readable.from([Buffer.concat([Buffer.from(prefix), junk(2048, seed)])]), { file: 'j.vot' }));
          } catch (e) {
            caught = e;
          }
          expect(caught, `seed ${seed}, prefix ${prefix}`).to.be.instanceOf(InputFileError);
          expect((caught as InputFileError).line, `seed ${seed}, prefix ${prefix}`).to.be.a('number');
        }
      }
    });

    it('rejects FIELD names with control characters, which no table can use, at the FIELD', async () => {
      const head = '<?xml version="1.0"?>\n<VOTABLE><RESOURCE><TABLE>\n';
      await expectInputError(() => readVotable(Readable.from([head + '<FIELD name="a&#9;b" datatype="int"/>\n<DATA><TABLEDATA/></DATA></TABLE></RESOURCE></VOTABLE>']), { file: 'c.vot' }), {
        file: 'c.vot',
        line: 3,
        column: 1,
        message: /FIELD name "a\\tb" holds a control character/,
      });
    });

    it('refuses a FIELD name longer than a database identifier, at the FIELD', async () => {
      const head = '<?xml version="1.0"?>\n<VOTABLE><RESOURCE><TABLE>\n';
      const err = await expectInputError(() => readVotable(Readable.from([head + `<FIELD name="${'n'.repeat(5000)}" datatype="int"/>\n</TABLE></RESOURCE></VOTABLE>`]), { file: 'l.vot' }), {
        file: 'l.vot',
        line: 3,
        column: 1,
        message: /FIELD name "n{60}…" is 5000 bytes long; a column name has at most 63 bytes/,
      });
      expect(err.message.length).to.be.below(200);
    });

    it('takes datatype="constructor" (an Object property name) for the unknown datatype it is', async () => {
      const head = '<?xml version="1.0"?>\n<VOTABLE><RESOURCE><TABLE>\n';
      await expectInputError(() => readVotable(Readable.from([head + '<FIELD name="constructor" datatype="constructor"/>\n<DATA><TABLEDATA/></DATA></TABLE></RESOURCE></VOTABLE>']), { file: 'o.vot' }), {
        file: 'o.vot',
        line: 3,
        column: 1,
        message: /FIELD constructor: datatype "constructor" is not supported/,
      });
    });

    it('refuses more FIELDs than a table holds, at the first one too many', async () => {
      const head = '<?xml version="1.0"?>\n<VOTABLE><RESOURCE><TABLE>\n';
      const fields = Array.from({ length: 1700 }, (_, i) => `<FIELD name="c${i}" datatype="int"/>\n`).join('');
      await expectInputError(() => readVotable(Readable.from([head + fields + '<DATA><TABLEDATA/></DATA></TABLE></RESOURCE></VOTABLE>']), { file: 'w.vot' }), {
        file: 'w.vot',
        line: 3 + 1599,
        column: 1,
        message: /more than 1599 FIELDs; a table holds at most 1599 columns \(PostgreSQL's 1600 less the one vodax adds\)/,
      });
    });
  });
});
