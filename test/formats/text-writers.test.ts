import { expect } from 'chai';
import { csvWriter } from '../../src/formats/csv-writer.js';
import { tsvWriter } from '../../src/formats/tsv-writer.js';
import { jsonWriter } from '../../src/formats/json-writer.js';
import { htmlWriter } from '../../src/formats/html-writer.js';
import { ipacWriter } from '../../src/formats/ipac-writer.js';
import { collect, failingDocument, sampleDocument } from './sample-table.js';
import { astropyMissing } from './python.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const text = async (w: typeof csvWriter, overflow = false): Promise<string> => (await collect(w.write(sampleDocument({ overflow })))).toString('utf8');

describe('text table writers', () => {
  it('CSV: RFC 4180 quoting, CRLF, NULL empty, empty string "", full precision, NaN', async () => {
    expect(await text(csvWriter)).to.equal(
      'id,ra,flux,n,s,b,ok,label,uname,t,pos,circ,poly,vals\r\n' +
        '1,10.5,1.25,42,-7,200,true,plain,Ångström 星,2024-01-02T03:04:05.678,10 20,10 20 0.5,1 2 3 4 5 6,1 2 3\r\n' +
        ',,,,,,,,,,,,,\r\n' +
        '9007199254740993,0.30000000000000004,NaN,-2147483647,32767,0,false,"a,b ""q"" <x>&y\nline2\ttab",ü\u0001,1999-12-31T23:59:59,359.999 -89.5,0 0 1e-10,,\r\n',
    );
    const doc = { columns: [{ name: 's', datatype: 'char' as const }, { name: 'x', datatype: 'double' as const }], rows: [[['', Infinity], ['a', -Infinity]]], overflowed: () => false };
    expect((await collect(csvWriter.write(doc))).toString()).to.equal('s,x\r\n"",Infinity\r\na,-Infinity\r\n');
  });

  it('TSV: tabs, newlines and backslashes in values are escaped', async () => {
    const out = await text(tsvWriter);
    expect(out.split('\n')[3]).to.equal(
      '9007199254740993\t0.30000000000000004\tNaN\t-2147483647\t32767\t0\tfalse\ta,b "q" <x>&y\\nline2\\ttab\tü\u0001\t1999-12-31T23:59:59\t359.999 -89.5\t0 0 1e-10\t\t',
    );
    expect(out.split('\n')[2]).to.equal('\t'.repeat(13));
    const doc = { columns: [{ name: 'p', datatype: 'char' as const }], rows: [[['C:\\dir\r\n']]], overflowed: () => false };
    expect((await collect(tsvWriter.write(doc))).toString()).to.equal('p\nC:\\\\dir\\r\\n\n');
  });

  it('JSON: the v0 shape, exact longs, NaN as null, more = overflow', async () => {
    const out = await text(jsonWriter, true);
    const parsed = JSON.parse(out) as { result: { metadata: { elements: { name: string; datatype: string }[] }; table: { data: unknown[][] } }; more: boolean };
    expect(parsed.more).to.equal(true);
    expect(parsed.result.metadata.elements[0]).to.deep.equal({ name: 'id', datatype: 'long', ucd: 'meta.id;meta.main', description: 'Object id' });
    expect(parsed.result.metadata.elements.map((e) => e.datatype)).to.deep.equal(['long', 'double', 'float', 'int', 'short', 'unsignedByte', 'boolean', 'char', 'unicodeChar', 'char', 'double', 'double', 'double', 'int']);
    expect(parsed.result.table.data[1]).to.deep.equal(new Array(14).fill(null));
    expect(out).to.contain(
      '\n[9007199254740993,0.30000000000000004,null,-2147483647,32767,0,false,"a,b \\"q\\" <x>&y\\nline2\\ttab","ü\\u0001","1999-12-31T23:59:59",[359.999,-89.5],[0,0,1e-10],[],[]]\n]}},"more":true}\n',
    );
    expect(parsed.result.table.data[0]).to.deep.equal([1, 10.5, 1.25, 42, -7, 200, true, 'plain', 'Ångström 星', '2024-01-02T03:04:05.678', [10, 20], [10, 20, 0.5], [1, 2, 3, 4, 5, 6], [1, 2, 3]]);
    expect(JSON.parse(await text(jsonWriter, false)).more).to.equal(false);
  });

  it('JSON: a failure of the rows closes the document with an error member', async () => {
    const seen: unknown[] = [];
    const out = (await collect(jsonWriter.write(failingDocument((e) => seen.push(e))))).toString();
    const parsed = JSON.parse(out) as { result: { table: { data: unknown[] } }; error: { code: string; message: string } };
    expect(parsed.result.table.data).to.have.length(1);
    expect(parsed.error).to.deep.equal({ code: 'QueryFailed', message: 'canceling statement due to statement timeout <db>' });
    expect(seen).to.have.length(1);
  });

  it('HTML: escaped cells, units under names, overflow and error notes', async () => {
    const out = await text(htmlWriter, true);
    expect(out).to.contain('<th title="Right ascension &lt;ICRS&gt; &amp; &quot;J2000&quot;">ra<br><span class="unit">deg</span></th>');
    expect(out).to.contain('<td>a,b "q" &lt;x&gt;&amp;y\nline2\ttab</td>');
    expect(out).to.contain('<pre class="query">SELECT *\nFROM "t" WHERE a &lt; 1 &amp; b &gt; 2</pre>');
    expect(out).to.contain('<tr><td></td><td></td>');
    expect(out).to.match(/<\/table>\n<p class="note">The result was truncated[^<]*<\/p>\n<\/body>\n<\/html>\n$/);
    expect(out).not.to.contain('<x>');
    const failed = (await collect(htmlWriter.write(failingDocument()))).toString();
    expect(failed).to.match(/<\/table>\n<p class="note error">Error: the result is incomplete: canceling statement due to statement timeout &lt;db&gt;<\/p>\n<\/body>\n<\/html>\n$/);
  });

  it('IPAC: keywords, four header lines with types/units/nulls, aligned fixed-width rows', async () => {
    const out = await text(ipacWriter, true);
    const lines = out.split('\n');
    expect(lines.slice(0, 7)).to.deep.equal([
      '\\fixlen = T',
      "\\TABLE_NAME = 'sample'",
      '\\QUERY = \'SELECT * FROM "t" WHERE a < 1 & b > 2\'',
      "\\QUERY_LANG = 'ADQL'",
      "\\REQUEST_DATE = '2024-05-06T07:08:09Z'",
      "\\QUERY_STATUS = 'OVERFLOW'",
      '\\ The result was truncated: more rows exist than were returned (MAXREC).',
    ]);
    expect(lines[7]).to.equal('|id              |ra                 |flux |n          |s    |b   |ok  |label                  |uname     |t                      |pos          |circ     |poly       |vals |');
    expect(lines[8]).to.equal('|long            |double             |float|int        |int  |int |char|char                   |char      |char                   |char         |char     |char       |char |');
    expect(lines[9]).to.equal('|                |deg                |mag  |           |     |    |    |                       |          |                       |deg          |deg      |deg        |     |');
    expect(lines[10]).to.equal('|null            |null               |null |null       |null |null|null|null                   |null      |null                   |null         |null     |null       |null |');
    expect(lines[13]).to.equal(' 9007199254740993 0.30000000000000004   NaN -2147483647 32767    0 F    a,b "q" <x>&y line2 tab ü          1999-12-31T23:59:59     359.999 -89.5 0 0 1e-10                   ');
    // Every data line lines up with the header: blanks exactly where the header has '|'.
    const bars = [...lines[7]].flatMap((c, i) => (c === '|' ? [i] : []));
    for (const line of lines.slice(11, 14)) {
      expect(line.length).to.equal(lines[7].length);
      for (const i of bars) expect(line[i]).to.equal(' ');
    }
  });

  it('CSV, TSV and IPAC rethrow a failure of the rows (they have no way to report it)', async () => {
    for (const w of [csvWriter, tsvWriter, ipacWriter]) {
      expect(w.inBandErrors).to.equal(false);
      let caught: unknown;
      try {
        await collect(w.write(failingDocument()));
      } catch (e) {
        caught = e;
      }
      expect(String(caught)).to.contain('statement timeout');
    }
  });

  describe('read back by astropy', function () {
    before(function () {
      const why = astropyMissing();
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
    });

    it('CSV and IPAC: same values and NULLs masked', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-check-'));
      try {
        for (const [w, fmt] of [[csvWriter, 'csv'], [ipacWriter, 'ipac']] as const) {
          const file = path.join(dir, `t.${fmt}`);
          fs.writeFileSync(file, await collect(w.write(sampleDocument())));
          const script =
            'import sys, json, warnings\nwarnings.simplefilter("error")\nfrom astropy.table import Table\n' +
            't = Table.read(sys.argv[1], format=sys.argv[2])\n' +
            'print(json.dumps([[None if (hasattr(t[c], "mask") and t[c].mask[i]) else str(t[c][i]) for c in t.colnames] for i in range(len(t))]))';
          const r = spawnSync('/usr/bin/python3', ['-c', script, file, fmt], { encoding: 'utf8' });
          expect(r.status, r.stderr).to.equal(0);
          const rows = JSON.parse(r.stdout) as (string | null)[][];
          expect(rows[0].slice(0, 9)).to.deep.equal(['1', '10.5', '1.25', '42', '-7', '200', fmt === 'csv' ? 'true' : 'T', 'plain', 'Ångström 星']);
          expect(rows[1]).to.deep.equal(new Array(14).fill(null));
          expect(rows[2].slice(0, 4)).to.deep.equal(['9007199254740993', '0.30000000000000004', 'nan', '-2147483647']);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
