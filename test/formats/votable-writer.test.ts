import { expect } from 'chai';
import { votableWriter } from '../../src/formats/votable-writer.js';
import { votableBinary2Writer } from '../../src/formats/votable-binary2-writer.js';
import { daliErrorDocument } from '../../src/ivoa/dali/error-document.js';
import type { ColumnMeta } from '../../src/formats/table-model.js';
import { SAMPLE_COLUMNS, SAMPLE_ROWS, collect, failingDocument, sampleDocument } from './sample-table.js';
import { astropyMissing, checkWithAstropy } from './python.js';

interface ParsedVotable {
  version: string;
  resourceType: string;
  infos: [string, string, string | null][];
  fields: Record<string, string | null>[];
  rows: unknown[][];
}

/** What astropy should read back from the sample (TABLEDATA and BINARY2 alike, except noted). */
const EXPECTED_ROWS = [
  ['1', '10.5', '1.25', '42', '-7', '200', true, 'plain', 'Ångström 星', '2024-01-02T03:04:05.678', ['10.0', '20.0'], ['10.0', '20.0', '0.5'], ['1.0', '2.0', '3.0', '4.0', '5.0', '6.0'], ['1', '2', '3']],
  // Fixed arrays come back as arrays of masked elements.
  [null, null, null, null, null, null, null, '', '', '', [null, null], [null, null, null], [], []],
  ['9007199254740993', '0.30000000000000004', null, '-2147483647', '32767', '0', false, 'a,b "q" <x>&y\nline2\ttab', 'ü', '1999-12-31T23:59:59', ['359.999', '-89.5'], ['0.0', '0.0', '1e-10'], [], []],
];

describe('VOTable writers', () => {
  it('writes the TABLEDATA document exactly: header INFOs, FIELDs, escaped cells, empty TD for NULL', async () => {
    const text = (await collect(votableWriter.write(sampleDocument()))).toString('utf8');
    expect(text).to.contain('<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"');
    expect(text).to.contain(
      '<RESOURCE type="results">\n<INFO name="QUERY_STATUS" value="OK"/>\n' +
        '<INFO name="QUERY" value="SELECT *&#10;FROM &quot;t&quot; WHERE a &lt; 1 &amp; b &gt; 2"/>\n' +
        '<INFO name="LANG" value="ADQL"/>\n<INFO name="REQUEST_DATE" value="2024-05-06T07:08:09Z"/>\n<TABLE name="sample">\n' +
        '<FIELD ID="id" name="id" datatype="long" ucd="meta.id;meta.main">\n<DESCRIPTION>Object id</DESCRIPTION>\n</FIELD>\n' +
        '<FIELD ID="ra" name="ra" datatype="double" unit="deg" ucd="pos.eq.ra;meta.main">\n<DESCRIPTION>Right ascension &lt;ICRS&gt; &amp; "J2000"</DESCRIPTION>\n</FIELD>\n',
    );
    expect(text).to.contain('<FIELD ID="uname" name="uname" datatype="unicodeChar" arraysize="*"/>');
    expect(text).to.contain('<FIELD ID="t" name="t" datatype="char" arraysize="*" xtype="timestamp"/>');
    expect(text).to.contain('<FIELD ID="poly" name="poly" datatype="double" arraysize="*" xtype="polygon" unit="deg"/>');
    expect(text).to.contain(
      '<TABLEDATA>\n' +
        '<TR><TD>1</TD><TD>10.5</TD><TD>1.25</TD><TD>42</TD><TD>-7</TD><TD>200</TD><TD>T</TD><TD>plain</TD><TD>Ångström 星</TD><TD>2024-01-02T03:04:05.678</TD><TD>10 20</TD><TD>10 20 0.5</TD><TD>1 2 3 4 5 6</TD><TD>1 2 3</TD></TR>\n' +
        '<TR><TD/><TD/><TD/><TD/><TD/><TD/><TD/><TD/><TD/><TD/><TD/><TD/><TD/><TD/></TR>\n' +
        '<TR><TD>9007199254740993</TD><TD>0.30000000000000004</TD><TD>NaN</TD><TD>-2147483647</TD><TD>32767</TD><TD>0</TD><TD>F</TD>' +
        '<TD>a,b "q" &lt;x&gt;&amp;y\nline2\ttab</TD><TD>ü</TD><TD>1999-12-31T23:59:59</TD><TD>359.999 -89.5</TD><TD>0 0 1e-10</TD><TD></TD><TD></TD></TR>\n' +
        '</TABLEDATA>\n</DATA>\n</TABLE>\n</RESOURCE>\n</VOTABLE>\n',
    );
  });

  it('gives every FIELD a unique XML ID even when names clash after sanitising', async () => {
    const columns: ColumnMeta[] = [
      { name: 'a b', datatype: 'int' },
      { name: 'a_b', datatype: 'int' },
      { name: '1x', datatype: 'int' },
    ];
    const text = (await collect(votableWriter.write({ columns, rows: [], overflowed: () => false }))).toString();
    expect([...text.matchAll(/ID="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(['a_b', 'a_b_2', '_1x']);
  });

  it('writes +Inf, -Inf and NaN for non-finite floats and drops characters XML 1.0 forbids', async () => {
    const columns: ColumnMeta[] = [
      { name: 'x', datatype: 'double' },
      { name: 's', datatype: 'char', description: 'bad\u0000char' },
    ];
    const doc = { columns, rows: [[[Infinity, 'a\u0001b\u001fc\uFFFEd\uD800e'], [-Infinity, 'ok']]], overflowed: () => false };
    const text = (await collect(votableWriter.write(doc))).toString();
    expect(text).to.contain('<TR><TD>+Inf</TD><TD>abcde</TD></TR>\n<TR><TD>-Inf</TD><TD>ok</TD></TR>');
    expect(text).to.contain('<DESCRIPTION>badchar</DESCRIPTION>');
  });

  it('appends INFO QUERY_STATUS=OVERFLOW after the TABLE when the rows overflowed', async () => {
    for (const w of [votableWriter, votableBinary2Writer]) {
      const text = (await collect(w.write(sampleDocument({ overflow: true })))).toString();
      expect(text).to.match(/<\/TABLE>\n<INFO name="QUERY_STATUS" value="OVERFLOW">[^<]*<\/INFO>\n<\/RESOURCE>\n<\/VOTABLE>\n$/);
      expect(text.indexOf('value="OK"')).to.be.lessThan(text.indexOf('<TABLE'));
    }
  });

  it('closes the document with INFO QUERY_STATUS=ERROR and the message when the rows throw, and reports it', async () => {
    for (const w of [votableWriter, votableBinary2Writer]) {
      const seen: unknown[] = [];
      const text = (await collect(w.write(failingDocument((e) => seen.push(e))))).toString();
      expect(text).to.match(
        /<\/TABLE>\n<INFO name="QUERY_STATUS" value="ERROR">canceling statement due to statement timeout &lt;db&gt;<\/INFO>\n<\/RESOURCE>\n<\/VOTABLE>\n$/,
      );
      expect(seen).to.have.length(1);
    }
  });

  it('encodes BINARY2 rows as the standard lays them out (decoded here)', async () => {
    const text = (await collect(votableBinary2Writer.write(sampleDocument()))).toString();
    expect(text).to.contain('<DATA>\n<BINARY2>\n<STREAM encoding="base64">\n');
    const b64 = /<STREAM encoding="base64">\n([^<]*)<\/STREAM>/.exec(text)![1];
    const rows = decodeBinary2(Buffer.from(b64.replace(/\s+/g, ''), 'base64'), SAMPLE_COLUMNS);
    expect(rows[0]).to.deep.equal([1n, 10.5, 1.25, 42, -7, 200, true, 'plain', 'Ångström 星', '2024-01-02T03:04:05.678', [10, 20], [10, 20, 0.5], [1, 2, 3, 4, 5, 6], [1, 2, 3]]);
    expect(rows[1]).to.deep.equal(SAMPLE_COLUMNS.map(() => null));
    expect(rows[2].slice(0, 3)).to.deep.equal([9007199254740993n, 0.30000000000000004, NaN]);
    expect(rows[2].slice(3)).to.deep.equal([-2147483647, 32767, 0, false, 'a,b "q" <x>&y\nline2\ttab', 'ü\u0001', '1999-12-31T23:59:59', [359.999, -89.5], [0, 0, 1e-10], [], []]);
  });

  it('encodes every row of a BINARY2 answer bigger than its buffer and its base64 blocks', async () => {
    // 3,000 copies of the sample's rows (NULLs, strings, arrays): about 400 kB before base64.
    const rows = Array.from({ length: 3000 }, (_, i) => SAMPLE_ROWS[i % SAMPLE_ROWS.length]!);
    const text = (await collect(votableBinary2Writer.write({ columns: SAMPLE_COLUMNS, rows: [rows], overflowed: () => false }))).toString();
    const b64 = /<STREAM encoding="base64">\n([^<]*)<\/STREAM>/.exec(text)![1]!;
    const one = decodeBinary2(Buffer.from(/<STREAM encoding="base64">\n([^<]*)<\/STREAM>/.exec((await collect(votableBinary2Writer.write(sampleDocument()))).toString())![1]!.replace(/\s+/g, ''), 'base64'), SAMPLE_COLUMNS);
    const all = decodeBinary2(Buffer.from(b64.replace(/\s+/g, ''), 'base64'), SAMPLE_COLUMNS);
    expect(all).to.have.length(3000);
    for (let i = 0; i < all.length; i++) expect(all[i], `row ${i}`).to.deep.equal(one[i % one.length]);
  });

  it('replaces non-ASCII characters of char columns by ? in BINARY2 (char is ASCII there)', async () => {
    const columns: ColumnMeta[] = [
      { name: 'c', datatype: 'char' },
      { name: 'f', datatype: 'char', arraysize: '4' },
    ];
    const text = (await collect(votableBinary2Writer.write({ columns, rows: [[['héllo', 'abcdef']]], overflowed: () => false }))).toString();
    const b64 = /<STREAM encoding="base64">\n([^<]*)<\/STREAM>/.exec(text)![1];
    expect(decodeBinary2(Buffer.from(b64, 'base64'), columns)).to.deep.equal([['h?llo', 'abcd']]);
  });

  describe('read by astropy.io.votable with warnings as errors', function () {
    before(function () {
      const why = astropyMissing();
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
    });

    for (const w of [votableWriter, votableBinary2Writer]) {
      it(`${w.name}: same values, INFOs and FIELD metadata`, async () => {
        const out = checkWithAstropy<ParsedVotable>('check_votable.py', await collect(w.write(sampleDocument({ overflow: true }))), 'xml');
        expect(out.version).to.equal('1.4');
        expect(out.resourceType).to.equal('results');
        expect(out.infos.map((i) => [i[0], i[1]])).to.deep.equal([
          ['QUERY_STATUS', 'OK'],
          ['QUERY', 'SELECT *\nFROM "t" WHERE a < 1 & b > 2'],
          ['LANG', 'ADQL'],
          ['REQUEST_DATE', '2024-05-06T07:08:09Z'],
          ['QUERY_STATUS', 'OVERFLOW'],
        ]);
        expect(out.fields.map((f) => f.name)).to.deep.equal(SAMPLE_COLUMNS.map((c) => c.name));
        expect(out.fields[9]).to.include({ datatype: 'char', arraysize: '*', xtype: 'timestamp' });
        expect(out.fields[11]).to.include({ datatype: 'double', arraysize: '3', xtype: 'circle', unit: 'deg' });
        expect(out.fields[1].description).to.equal('Right ascension <ICRS> & "J2000"');
        const expected = structuredClone(EXPECTED_ROWS);
        if (w === votableBinary2Writer) {
          // BINARY2 carries what XML cannot; NULL arrays are masked rather than empty.
          expected[2][8] = 'ü\u0001';
          expected[1][12] = null;
          expected[1][13] = null;
        }
        expect(out.rows).to.deep.equal(expected);
      });
    }

    it('parses the DALI error document and its message', () => {
      const out = checkWithAstropy<ParsedVotable>('check_votable.py', Buffer.from(daliErrorDocument('line 1, column 8: expected FROM, found "<&>"')), 'xml');
      expect(out.infos).to.deep.equal([['QUERY_STATUS', 'ERROR', 'line 1, column 8: expected FROM, found "<&>"']]);
    });
  });

  it('escapes the DALI error message', () => {
    expect(daliErrorDocument('a < b & "c"\u0000')).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n' +
        '<RESOURCE type="results">\n<INFO name="QUERY_STATUS" value="ERROR">a &lt; b &amp; "c"</INFO>\n</RESOURCE>\n</VOTABLE>\n',
    );
  });
});

/** An independent BINARY2 decoder for the test: NULL bitmap, big-endian cells, counted variable parts. */
function decodeBinary2(bytes: Buffer, columns: ColumnMeta[]): unknown[][] {
  const rows: unknown[][] = [];
  let p = 0;
  const maskBytes = Math.ceil(columns.length / 8);
  const el: Record<string, [number, (at: number) => number | bigint]> = {
    unsignedByte: [1, (at) => bytes.readUInt8(at)],
    short: [2, (at) => bytes.readInt16BE(at)],
    int: [4, (at) => bytes.readInt32BE(at)],
    long: [8, (at) => bytes.readBigInt64BE(at)],
    float: [4, (at) => bytes.readFloatBE(at)],
    double: [8, (at) => bytes.readDoubleBE(at)],
  };
  while (p < bytes.length) {
    const mask = bytes.subarray(p, p + maskBytes);
    p += maskBytes;
    const row = columns.map((c, i) => {
      const isNull = (mask[i >> 3] & (0x80 >> (i & 7))) !== 0;
      const arraysize = c.arraysize ?? (c.datatype === 'char' || c.datatype === 'unicodeChar' ? '*' : null);
      let value: unknown;
      if (c.datatype === 'boolean') {
        value = bytes[p] === 0x54;
        p += 1;
      } else if (c.datatype === 'char' || c.datatype === 'unicodeChar') {
        const unit = c.datatype === 'char' ? 1 : 2;
        let n: number;
        if (arraysize === '*') {
          n = bytes.readUInt32BE(p);
          p += 4;
        } else n = Number(arraysize);
        const raw = bytes.subarray(p, p + n * unit);
        p += n * unit;
        value = unit === 1 ? raw.toString('latin1').replace(/\0+$/, '') : Buffer.from(raw).swap16().toString('utf16le');
      } else if (arraysize === null) {
        const [size, read] = el[c.datatype];
        value = read(p);
        p += size;
      } else {
        const [size, read] = el[c.datatype];
        let n: number;
        if (arraysize === '*') {
          n = bytes.readUInt32BE(p);
          p += 4;
        } else n = Number(arraysize);
        const a: (number | bigint)[] = [];
        for (let k = 0; k < n; k++, p += size) a.push(read(p));
        value = a;
      }
      return isNull ? null : value;
    });
    rows.push(row);
  }
  return rows;
}
