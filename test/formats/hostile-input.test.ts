/**
 * Hostile TAP uploads (POST /db/v0/tap/sync with UPLOAD=t,param:t): binary junk, text in other
 * encodings, NULs, too many columns. Each is a DALI error document with a 400 that names the
 * upload and, where there is one, the line and column; never a 500.
 */
import { expect } from 'chai';
import { testServer, type TestServer } from '../support/server.js';
import { junk } from './read-helpers.js';

/** A sync query over one uploaded part `t` holding `body`; status and the document. */
async function upload(srv: TestServer, body: Buffer | string, query = 'SELECT * FROM TAP_UPLOAD.t'): Promise<{ status: number; text: string }> {
  const fd = new FormData();
  fd.set('LANG', 'ADQL');
  fd.set('QUERY', query);
  fd.set('UPLOAD', 't,param:t');
  fd.set('RESPONSEFORMAT', 'csv');
  fd.set('t', new Blob([typeof body === 'string' ? body : new Uint8Array(body)], { type: 'application/x-votable+xml' }), 't.vot');
  const res = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', body: fd });
  return { status: res.status, text: await res.text() };
}

/** The message of a DALI error document. */
function daliMessage(text: string): string {
  const m = /<INFO name="QUERY_STATUS" value="ERROR">([^]*?)<\/INFO>/.exec(text);
  expect(m, text).to.not.equal(null);
  return m![1]!;
}

/** Asserts a 400 DALI error whose message matches `pattern`. */
function expect400(res: { status: number; text: string }, pattern: RegExp): void {
  expect(res.status, res.text).to.equal(400);
  expect(daliMessage(res.text)).to.match(pattern);
}

const VOTABLE = `<?xml version="1.0" encoding="UTF-16"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE>
<FIELD name="n" datatype="int"/><FIELD name="label" datatype="char" arraysize="*"/>
<DATA><TABLEDATA><TR><TD>1</TD><TD>ünï ☃</TD></TR><TR><TD>2</TD><TD>b</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>
`;

describe('hostile TAP uploads: a 400 naming the place, never a 500', function () {
  this.timeout(60_000);
  let srv: TestServer;
  before(async () => {
    srv = await testServer();
  });
  after(() => srv?.close());

  it('binary junk, whatever it starts with', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      for (const prefix of ['', '<', 'a,b\n']) {
        const res = await upload(srv, Buffer.concat([Buffer.from(prefix), junk(3000, seed)]));
        expect400(res, /^upload t, line \d+, column \d+: /);
      }
      // Junk without delimiters, quotes or line ends: one column, its name full of NULs.
      const plain = Buffer.from(junk(3000, seed).filter((b) => b !== 0x2c && b !== 0x0a && b !== 0x0d && b !== 0x22));
      expect400(await upload(srv, Buffer.concat([Buffer.from('x'), plain])), /^upload t, line 1, column 1: column name ".*" holds a control character: this is not CSV text/);
    }
  });

  it('UTF-16 XML, with or without a byte-order mark, either endianness, is read as the VOTable it is', async () => {
    const le = Buffer.from(VOTABLE, 'utf16le');
    const be = Buffer.from(le).swap16();
    const bom = (b: Buffer, mark: number[]) => Buffer.concat([Buffer.from(mark), b]);
    const read = await upload(srv, le, 'SELECT n, label FROM TAP_UPLOAD.t ORDER BY n');
    expect(read.status, read.text).to.equal(200);
    expect(read.text.trim().split(/\r?\n/)).to.deep.equal(['n,label', '1,ünï ☃', '2,b']);
    for (const data of [be, bom(le, [0xff, 0xfe]), bom(be, [0xfe, 0xff])]) {
      const res = await upload(srv, data, 'SELECT n, label FROM TAP_UPLOAD.t ORDER BY n');
      expect(res.status, res.text).to.equal(200);
      expect(res.text.trim().split(/\r?\n/)).to.deep.equal(['n,label', '1,ünï ☃', '2,b']);
    }
  });

  it('a FIELD name with a control character', async () => {
    const vot = VOTABLE.replace(' encoding="UTF-16"', '').replace('name="label"', 'name="la&#9;bel"');
    expect400(await upload(srv, vot), /^upload t, line 3, column \d+: FIELD name "la\\tbel" holds a control character/);
  });

  it('a CSV with a NUL byte in a cell names its line and column', async () => {
    expect400(await upload(srv, 'a,b\n1,ok\n2,x\u0000y\n'), /^upload t, line 3, column 3: column "b": the text holds a NUL character \(U\+0000\)/);
  });

  it('a CSV header of 3000 columns says the limit', async () => {
    const header = Array.from({ length: 3000 }, (_, i) => `c${i}`).join(',');
    expect400(await upload(srv, `${header}\n${header.replace(/c/g, '')}\n`), /^upload t, line 1, column \d+: 3000 columns; a table holds at most 1599 columns/);
  });

  it('a CSV row of numbers too big for a database row says what to do', async () => {
    const header = Array.from({ length: 1500 }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: 1500 }, (_, i) => `${i}.5`).join(',');
    expect400(await upload(srv, `${header}\n${row}\n`), /^table t: row is too big.*; fewer columns, or split the table in two/);
  });
});
