/** SCS's UCD1 names on the main FIELDs of a VOTable answer, relabelled as it streams. */
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { relabelFields, scsFieldUcds, withFieldUcds } from '../../../src/ivoa/scs/scs-field-ucds.js';

const UCDS = scsFieldUcds({ id: 'objectId', ra: 'ra', dec: 'decl' });
const HEADER =
  '<?xml version="1.0"?>\n<VOTABLE><RESOURCE type="results"><TABLE>\n' +
  '<FIELD ID="objectId" name="objectId" datatype="long" ucd="meta.id;meta.main"/>\n' +
  '<FIELD name="ra" datatype="double" unit="deg" ucd="pos.eq.ra;meta.main">\n<DESCRIPTION>RA é</DESCRIPTION></FIELD>\n' +
  '<FIELD name="decl" datatype="double"/>\n' +
  '<FIELD name="raSigma" datatype="float" ucd="stat.error;pos.eq.ra"/>\n';
const ROWS = '<DATA><TABLEDATA><TR><TD>1</TD><TD>2</TD><TD>3</TD><TD>4</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>\n';

const ucdsOf = (doc: string) => [...doc.matchAll(/<FIELD [^>]*>/g)].map((m) => /ucd="([^"]*)"/.exec(m[0])?.[1] ?? null);

async function text(r: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

describe('SCS FIELD UCDs (scs-field-ucds.ts)', () => {
  it('replaces or adds the UCD of the named FIELDs only', () => {
    const out = relabelFields(HEADER, UCDS);
    expect(ucdsOf(out)).to.deep.equal(['ID_MAIN', 'POS_EQ_RA_MAIN', 'POS_EQ_DEC_MAIN', 'stat.error;pos.eq.ra']);
    expect(out).to.contain('<DESCRIPTION>RA é</DESCRIPTION>');
    // Nothing else changes.
    expect(out.replace(/ ucd="[^"]*"/g, '')).to.equal(HEADER.replace(/ ucd="[^"]*"/g, ''));
  });

  it('without an ID column only RA and Dec are named', () => {
    expect(ucdsOf(relabelFields(HEADER, scsFieldUcds({ id: undefined, ra: 'ra', dec: 'decl' })))).to.deep.equal(['meta.id;meta.main', 'POS_EQ_RA_MAIN', 'POS_EQ_DEC_MAIN', 'stat.error;pos.eq.ra']);
  });

  it('matches names written with XML escapes', () => {
    const out = relabelFields('<FIELD name="a&amp;b" ucd="x"/>', new Map([['a&b', 'POS_EQ_RA_MAIN']]));
    expect(out).to.equal('<FIELD name="a&amp;b" ucd="POS_EQ_RA_MAIN"/>');
  });

  it('streams: any chunking (even inside a UTF-8 character) gives the same document, rows untouched', async () => {
    const doc = Buffer.from(HEADER + ROWS, 'utf8');
    const expected = relabelFields(HEADER, UCDS) + ROWS;
    for (const size of [1, 2, 3, 7, 64, doc.length]) {
      const chunks: Buffer[] = [];
      for (let k = 0; k < doc.length; k += size) chunks.push(doc.subarray(k, k + size));
      expect(await text(withFieldUcds(Readable.from(chunks), UCDS)), `chunks of ${size}`).to.equal(expected);
    }
  });

  it('a table without DATA (the metadata answer) is relabelled too', async () => {
    const doc = HEADER + '</TABLE></RESOURCE></VOTABLE>\n';
    expect(ucdsOf(await text(withFieldUcds(Readable.from([Buffer.from(doc)]), UCDS)))).to.deep.equal(['ID_MAIN', 'POS_EQ_RA_MAIN', 'POS_EQ_DEC_MAIN', 'stat.error;pos.eq.ra']);
  });

  it('destroying the answer destroys the stream behind it (a client gone ends the query)', async () => {
    let destroyed = false;
    let sent = false;
    // The header and a first row, then nothing more: a query still running.
    const body = new Readable({
      read() {
        if (!sent) this.push(Buffer.from(HEADER + '<DATA><TABLEDATA><TR>'));
        sent = true;
      },
      destroy(err, cb) {
        destroyed = true;
        cb(err);
      },
    });
    const out = withFieldUcds(body, UCDS);
    await new Promise<void>((resolve) => out.once('data', () => resolve()));
    out.destroy();
    await new Promise((r) => setImmediate(r));
    expect(destroyed).to.equal(true);
  });
});
