import { expect } from 'chai';
import { testServer, type TestServer } from '../../support/server.js';
import { testDatabase } from '../../support/database.js';
import { readResource } from '../../../src/ivoa/vosi/vosi-template.js';

/** GET the sync endpoint with these parameters. */
async function sync(srv: TestServer, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${srv.url}/db/v0/tap/sync?${new URLSearchParams(params)}`, { headers });
}

/** Cells of a TABLEDATA VOTable, row by row. */
function tdRows(xml: string): string[][] {
  return [...xml.matchAll(/<TR>(.*?)<\/TR>/gs)].map((m) => [...m[1]!.matchAll(/<TD>(.*?)<\/TD>|<TD\/>/gs)].map((c) => c[1] ?? ''));
}

describe('TAP sync (/db/v0/tap/sync)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await testServer();
  });
  after(() => srv.close());

  it('answers an ADQL query as a VOTable with the columns described', async () => {
    const res = await sync(srv, { LANG: 'ADQL', QUERY: 'SELECT TOP 5 objectId, ra, decl FROM DC_W13_Stripe82.Object ORDER BY objectId' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/x-votable\+xml/);
    const xml = await res.text();
    expect(xml).to.match(/<FIELD [^>]*name="ra"[^>]*unit="deg"/);
    expect(xml).to.match(/<INFO name="QUERY_STATUS" value="OK"/);
    const rows = tdRows(xml);
    expect(rows).to.have.length(5);
    const ids = rows.map((r) => BigInt(r[0]!));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).to.deep.equal(ids);
  });

  it('takes parameters by POST, form-encoded or multipart, names in any case, and sql as an alias of QUERY', async () => {
    const q = 'SELECT COUNT(*) AS n FROM DC_W13_Stripe82.Object';
    const form = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', body: new URLSearchParams({ lang: 'ADQL', query: q, responseformat: 'csv' }) });
    expect(form.status).to.equal(200);
    const n = Number((await form.text()).trim().split(/\r?\n/)[1]);
    expect(n).to.be.greaterThan(10000);
    const fd = new FormData();
    fd.set('LANG', 'ADQL');
    fd.set('sql', q);
    fd.set('FORMAT', 'text/csv');
    const multi = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', body: fd });
    expect(multi.status).to.equal(200);
    expect(Number((await multi.text()).trim().split(/\r?\n/)[1])).to.equal(n);
  });

  it('flags overflow past MAXREC, and answers metadata only for MAXREC=0', async () => {
    const q = 'SELECT objectId FROM DC_W13_Stripe82.Object';
    const three = await (await sync(srv, { QUERY: q, MAXREC: '3' })).text();
    expect(tdRows(three)).to.have.length(3);
    expect(three).to.match(/<\/TABLE>\s*<INFO name="QUERY_STATUS" value="OVERFLOW"/);
    const zero = await (await sync(srv, { QUERY: q, MAXREC: '0' })).text();
    expect(zero).to.match(/<FIELD [^>]*name="objectId"/);
    expect(tdRows(zero)).to.have.length(0);
    expect(zero).to.match(/value="OVERFLOW"/);
  });

  it('answers each RESPONSEFORMAT with its content type', async () => {
    const q = 'SELECT TOP 3 objectId, ra FROM DC_W13_Stripe82.Object';
    for (const [format, type] of [
      ['csv', /^text\/csv/],
      ['tsv', /^text\/tab-separated-values/],
      ['fits', /^application\/fits/],
      ['votable/b2', /serialization=BINARY2/],
      ['json', /^application\/json/],
      ['html', /^text\/html/],
      ['ipac', /^text\/plain/],
      ['application/x-votable+xml;serialization=BINARY2', /serialization=BINARY2/],
    ] as const) {
      const res = await sync(srv, { QUERY: q, RESPONSEFORMAT: format });
      expect(res.status, format).to.equal(200);
      expect(res.headers.get('content-type'), format).to.match(type);
      expect((await res.arrayBuffer()).byteLength, format).to.be.greaterThan(0);
    }
  });

  it('answers the v0 JSON shape to Accept: application/json (DB2)', async () => {
    const res = await sync(srv, { QUERY: 'SELECT TOP 2 objectId, ra FROM DC_W13_Stripe82.Object', MAXREC: '1' }, { accept: 'application/json' });
    const body = await res.json();
    expect(body.result.metadata.elements.map((e: { name: string }) => e.name)).to.deep.equal(['objectId', 'ra']);
    expect(body.result.table.data).to.have.length(1);
    expect(body.more).to.equal(true);
  });

  it('answers an HTML table to an Accept that asks for HTML, VOTable to Java clients and */*, and RESPONSEFORMAT first', async () => {
    const q = { QUERY: 'SELECT TOP 2 objectId, ra FROM DC_W13_Stripe82.Object' };
    const firefox = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    // What java.net.HttpURLConnection sends unless told otherwise (TOPCAT, STILTS).
    const java = 'text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2';
    for (const [accept, params, type] of [
      ['text/html', q, /^text\/html/],
      [firefox, q, /^text\/html/],
      [java, q, /^application\/x-votable\+xml/],
      ['*/*', q, /^application\/x-votable\+xml/],
      ['text/html', { ...q, RESPONSEFORMAT: 'csv' }, /^text\/csv/],
      [firefox, { ...q, RESPONSEFORMAT: 'votable' }, /^application\/x-votable\+xml/],
    ] as const) {
      const res = await sync(srv, params, { accept });
      const body = await res.text();
      expect(res.status, accept).to.equal(200);
      expect(res.headers.get('content-type'), `${accept} ${JSON.stringify(params)}`).to.match(type);
      if (type.source.includes('html')) expect(body, accept).to.match(/<table[\s>]/);
    }
  });

  for (const [what, params, pattern] of [
    ['a syntax error, with line and column', { QUERY: 'SELECT TOP 5 *\nFORM DC_W13_Stripe82.Object' }, /line 2, column 1/],
    ['an unknown column, with a suggestion', { QUERY: 'SELECT dec FROM DC_W13_Stripe82.Object' }, /decl/],
    ['a missing QUERY', { LANG: 'ADQL' }, /QUERY/],
    ['an unsupported LANG', { LANG: 'SQL', QUERY: 'SELECT 1' }, /LANG/],
    ['a bad MAXREC', { QUERY: 'SELECT TOP 1 ra FROM DC_W13_Stripe82.Object', MAXREC: 'lots' }, /MAXREC/],
    ['an unknown RESPONSEFORMAT', { QUERY: 'SELECT TOP 1 ra FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: 'xls' }, /RESPONSEFORMAT/],
    ['an upload from a private address', { QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: 't,http://10.0.0.1/t.vot' }, /private address/],
    ['a PostgreSQL function', { QUERY: "SELECT pg_sleep(5) FROM DC_W13_Stripe82.Object" }, /pg_sleep/],
  ] as const) {
    it(`answers ${what} with a DALI error document and 400`, async () => {
      const res = await sync(srv, params as Record<string, string>);
      expect(res.status).to.equal(400);
      const xml = await res.text();
      expect(xml).to.match(/<INFO name="QUERY_STATUS" value="ERROR">/);
      expect(xml).to.match(pattern);
    });
  }

  it('joins an uploaded VOTable (TAP_UPLOAD) with Object', async () => {
    const first = tdRows(await (await sync(srv, { QUERY: 'SELECT TOP 3 objectId FROM DC_W13_Stripe82.Object ORDER BY objectId' })).text());
    const ids = first.map((r) => r[0]!);
    const votable = `<?xml version="1.0"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE>
<FIELD name="objectId" datatype="long"/><FIELD name="tag" datatype="char" arraysize="*"/>
<DATA><TABLEDATA>${ids.map((id, i) => `<TR><TD>${id}</TD><TD>t${i}</TD></TR>`).join('')}</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>`;
    const fd = new FormData();
    fd.set('LANG', 'ADQL');
    fd.set('QUERY', 'SELECT m.tag, o.objectId FROM TAP_UPLOAD.mine AS m JOIN DC_W13_Stripe82.Object AS o ON o.objectId = m.objectId ORDER BY m.tag');
    fd.set('UPLOAD', 'mine,param:t1');
    fd.set('t1', new Blob([votable], { type: 'application/x-votable+xml' }), 't1.vot');
    const res = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', body: fd });
    const xml = await res.text();
    expect(res.status, xml).to.equal(200);
    expect(tdRows(xml)).to.deep.equal(ids.map((id, i) => [`t${i}`, id]));
    // The temporary table is gone: another query cannot see it.
    const again = await sync(srv, { QUERY: 'SELECT * FROM TAP_UPLOAD.mine' });
    expect(again.status).to.equal(400);
  });

  it('cancels the database query within a second when the client goes away', async () => {
    const { db } = await testDatabase();
    const ac = new AbortController();
    // A marker constant finds the query in pg_stat_activity; no row matches, so it runs long.
    const q = 'SELECT a.objectId FROM DC_W13_Stripe82.Object AS a, DC_W13_Stripe82.Object AS b WHERE a.ra + b.ra < -1.234567';
    const pending = fetch(`${srv.url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: q, MAXREC: '10' })}`, { signal: ac.signal }).catch(() => null);
    const running = async () =>
      (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%1.234567%' AND pid <> pg_backend_pid()`))[0]!.n;
    for (let i = 0; i < 50 && (await running()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await running()).to.equal(1);
    ac.abort();
    await pending;
    await new Promise((r) => setTimeout(r, 1000));
    expect(await running()).to.equal(0);
  });

  it('runs every example of /examples successfully', async () => {
    const page = await (await fetch(`${srv.url}/db/v0/tap/examples`)).text();
    expect(page).to.equal(readResource('tap-examples.xhtml'));
    const queries = [...page.matchAll(/<pre property="query"[^>]*>([\s\S]*?)<\/pre>/g)].map((m) =>
      m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
    );
    expect(queries.length).to.be.at.least(10);
    for (const q of queries) {
      const res = await sync(srv, { QUERY: q, MAXREC: '1000' });
      const xml = await res.text();
      expect(res.status, `${q}\n${xml.slice(0, 500)}`).to.equal(200);
      expect(xml, q).not.to.match(/value="ERROR"/);
      // The test database holds the sample catalogs but not the sample images, so ObsCore is empty.
      if (!q.includes('ivoa.obscore')) expect(tdRows(xml).length, q).to.be.greaterThan(0);
    }
  });

  it('answers a multipart part without a name with 400, and keeps serving', async () => {
    const body = '--B\r\nContent-Disposition: form-data; name=""\r\n\r\nx\r\n--B--\r\n';
    const res = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B' }, body });
    expect(res.status).to.equal(400);
    expect(await res.text()).to.match(/no name/);
    expect((await sync(srv, { QUERY: 'SELECT TOP 1 ra FROM DC_W13_Stripe82.Object' })).status).to.equal(200);
  });

  it('answers HEAD without running the query, and frees every connection', async () => {
    for (const format of ['votable', 'csv', 'votable/b2', 'fits']) {
      for (let i = 0; i < 15; i++) {
        const res = await fetch(`${srv.url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: 'SELECT TOP 5 ra FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: format })}`, {
          method: 'HEAD',
        });
        expect(res.status).to.equal(200);
      }
    }
    // 60 HEADs would have used up the pool if any had kept its connection.
    const res = await sync(srv, { QUERY: 'SELECT TOP 2 ra FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: 'csv' });
    expect((await res.text()).trim().split(/\r?\n/)).to.have.length(3);
    const bad = await fetch(`${srv.url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: 'SELECT FROM nowhere' })}`, { method: 'HEAD' });
    expect(bad.status).to.equal(400);
  });

  it('sends a small answer whole with its Content-Length, and a large one chunked, the same bytes either way', async () => {
    const small = await sync(srv, { QUERY: 'SELECT TOP 20 objectId, ra FROM DC_W13_Stripe82.Object ORDER BY objectId', RESPONSEFORMAT: 'csv' });
    const smallText = await small.text();
    expect(small.headers.get('transfer-encoding')).to.equal(null);
    expect(Number(small.headers.get('content-length'))).to.equal(Buffer.byteLength(smallText));
    expect(smallText.trim().split(/\r?\n/)).to.have.length(21);
    const large = await sync(srv, { QUERY: 'SELECT TOP 20000 objectId, ra FROM DC_W13_Stripe82.Object ORDER BY objectId', RESPONSEFORMAT: 'csv' });
    const largeText = await large.text();
    expect(large.headers.get('transfer-encoding')).to.equal('chunked');
    expect(Buffer.byteLength(largeText)).to.be.greaterThan(64 * 1024);
    expect(largeText.startsWith(smallText.trim().split(/\r?\n/).slice(0, 21).join('\r\n'))).to.equal(true);
    expect(largeText.trim().split(/\r?\n/)).to.have.length(20001);
  });

  it('frees the connection of an answer the client never reads', async () => {
    const { db } = await testDatabase();
    for (let i = 0; i < 30; i++) {
      const ac = new AbortController();
      const res = await fetch(`${srv.url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: 'SELECT objectId, ra FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: i % 2 ? 'csv' : 'votable' })}`, {
        signal: ac.signal,
      });
      expect(res.status).to.equal(200);
      ac.abort();
    }
    await new Promise((r) => setTimeout(r, 500));
    const idle = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`);
    expect(idle[0]!.n).to.equal(0);
    expect((await sync(srv, { QUERY: 'SELECT TOP 1 ra FROM DC_W13_Stripe82.Object' })).status).to.equal(200);
  });
});
