import { expect } from 'chai';
import { testServer, getJson, type TestServer } from '../support/server.js';
import { testDatabase } from '../support/database.js';

describe('LSST v0 face: / and /meta (M1-M8)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await testServer();
  });
  after(() => srv.close());

  it('lists the services at / in the result envelope', async () => {
    const { status, body } = await getJson(srv.url, '/');
    expect(status).to.equal(200);
    expect(body).to.deep.equal({ result: ['db', 'image', 'meta'] });
  });

  it('gives a browser an HTML landing page listing the databases', async () => {
    const res = await fetch(srv.url + '/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.headers.get('content-type')).to.match(/text\/html/);
    const html = await res.text();
    expect(html).to.include('DC_W13_Stripe82');
    expect(html).to.include('href="/meta/v0/db/L2/DC_W13_Stripe82"');
    expect(html).not.to.include('joe_myDb');
  });

  it('M1/M2: versions and types', async () => {
    for (const top of ['/meta', '/db', '/image']) expect((await getJson(srv.url, top)).body).to.deep.equal({ result: ['v0'] });
    expect((await getJson(srv.url, '/meta/v0')).body).to.deep.equal({ result: ['db', 'image'] });
    // /db lists v0, and v0 answers what it serves (the TAP service), not a 404.
    expect(await getJson(srv.url, '/db/v0')).to.deep.equal({ status: 200, body: { result: ['tap'] } });
  });

  it('M3: lists the levels an anonymous caller can see (not the private L3)', async () => {
    const { body } = await getJson(srv.url, '/meta/v0/db');
    expect(body.result).to.include.members(['L1', 'L2']);
    expect(body.result).not.to.include('L3');
  });

  it('M4: lists databases of a level, level case-insensitive, with paging flags', async () => {
    const { status, body } = await getJson(srv.url, '/meta/v0/db/l2');
    expect(status).to.equal(200);
    expect(body.result).to.include('DC_W13_Stripe82');
    expect(body).to.include({ start: 0, more: false, stable: true });
    expect(body.count).to.equal(body.result.length);
  });

  it('M4: containing filters by substring, or as a LIKE pattern with % or _', async () => {
    expect((await getJson(srv.url, '/meta/v0/db/L2?containing=stripe')).body.result).to.deep.equal(['DC_W13_Stripe82']);
    expect((await getJson(srv.url, '/meta/v0/db/L2?containing=nothing-like-this')).body.result).to.deep.equal([]);
    expect((await getJson(srv.url, '/meta/v0/db/L2?containing=DC%25')).body.result).to.deep.equal(['DC_W13_Stripe82']);
    expect((await getJson(srv.url, '/meta/v0/db/L2?containing=DC_W13')).body.result).to.deep.equal([]);
  });

  it('M6: pages table names with start and count', async () => {
    const all = (await getJson(srv.url, '/meta/v0/db/L2/DC_W13_Stripe82/tables')).body;
    expect(all.result).to.include.members(['Object', 'Source', 'Science_Ccd_Exposure', 'DeepCoadd', 'DeepCoadd_Metadata']);
    const first = (await getJson(srv.url, '/meta/v0/db/L2/DC_W13_Stripe82/tables?start=0&count=2')).body;
    expect(first.result).to.deep.equal(all.result.slice(0, 2));
    expect(first).to.include({ start: 0, count: 2, more: true, stable: false });
    const rest = (await getJson(srv.url, `/meta/v0/db/L2/DC_W13_Stripe82/tables?start=2&count=100`)).body;
    expect(rest.result).to.deep.equal(all.result.slice(2));
    expect(rest.more).to.equal(false);
    expect((await getJson(srv.url, '/meta/v0/db/L2/DC_W13_Stripe82/tables?containing=deep')).body.result).to.deep.equal([
      'DeepCoadd',
      'DeepCoadd_Metadata',
    ]);
  });

  it('M5: describes a database with its annotations', async () => {
    const { status, body } = await getJson(srv.url, '/meta/v0/db/L2/DC_W13_Stripe82');
    expect(status).to.equal(200);
    const [info, annotations] = body.result;
    expect(info).to.include.keys('name', 'owner', 'host', 'port', 'description');
    expect(info.name).to.equal('DC_W13_Stripe82');
    expect(info.port).to.be.a('number');
    expect(annotations).to.be.an('object');
  });

  it('M7: describes a table with its columns, units and UCDs', async () => {
    const { status, body } = await getJson(srv.url, '/meta/v0/db/L2/DC_W13_Stripe82/tables/Object');
    expect(status).to.equal(200);
    const [info] = body.result;
    expect(info.name).to.equal('Object');
    expect(info.rowCount).to.be.greaterThan(1000);
    const ra = info.columns.find((c: { name: string }) => c.name === 'ra');
    expect(ra).to.include({ datatype: 'double', unit: 'deg' });
    expect(ra.ucd).to.match(/^pos\.eq\.ra/);
    expect(info.columns.map((c: { name: string }) => c.name)).not.to.include('vodax_hpx');
  });

  it('M8: answers a CREATE TABLE statement that PostgreSQL accepts', async () => {
    const { body } = await getJson(srv.url, '/meta/v0/db/L2/DC_W13_Stripe82/tables/Object/schema');
    const ddl: string = body.result;
    expect(ddl).to.match(/^CREATE TABLE "DC_W13_Stripe82"\."Object" \(/);
    expect(ddl).to.match(/"ra" double precision/);
    expect(ddl).to.match(/PRIMARY KEY \("objectId"\)/);
    // It is valid SQL: create it under another schema name and drop it again.
    const { db } = await testDatabase();
    const c = await db.connect();
    try {
      await c.query('BEGIN');
      await c.query('CREATE SCHEMA ddl_check');
      await c.query(ddl.replace('"DC_W13_Stripe82"', 'ddl_check'));
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('answers 404 in the error shape for unknown levels, databases and tables', async () => {
    for (const path of ['/meta/v0/db/L9', '/meta/v0/db/L2/NoSuchDb', '/meta/v0/db/L2/DC_W13_Stripe82/tables/NoSuchTable', '/meta/v0/nothing']) {
      const { status, body } = await getJson(srv.url, path);
      expect(status, path).to.equal(404);
      expect(body.error.code).to.equal('NotFound');
      expect(body.error.message).to.be.a('string').and.not.equal('');
    }
  });

  it('keeps an L3 database invisible to anyone but its owner', async () => {
    expect((await getJson(srv.url, '/meta/v0/db/L3')).body.result).to.deep.equal([]);
    expect((await getJson(srv.url, '/meta/v0/db/L3/joe_myDb')).status).to.equal(404);
  });

  it('rejects non-numeric and negative paging with a 400', async () => {
    for (const q of ['start=abc', 'count=-1', 'count=1.5', 'start=-3']) {
      const { status, body } = await getJson(srv.url, `/meta/v0/db/L2/DC_W13_Stripe82/tables?${q}`);
      expect(status, q).to.equal(400);
      expect(body.error.message).to.match(/start|count/);
    }
  });

  it('answers 405 for a method a resource does not allow', async () => {
    const res = await fetch(srv.url + '/meta/v0/db', { method: 'DELETE' });
    expect(res.status).to.equal(405);
    expect((await res.json()).error.code).to.be.a('string');
  });

  it('answers lists in CSV, TSV, HTML, FITS and VOTable too, by format parameter or Accept header', async () => {
    const csv = await fetch(srv.url + '/meta/v0/db/L2/DC_W13_Stripe82/tables?format=csv');
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    expect(lines[0]).to.equal('value');
    expect(lines).to.include('Object');
    const tsv = await fetch(srv.url + '/meta/v0/db/L2/DC_W13_Stripe82/tables', { headers: { accept: 'text/tab-separated-values' } });
    expect(tsv.headers.get('content-type')).to.match(/^text\/tab-separated-values/);
    expect(await tsv.text()).to.include('Source');
    const html = await fetch(srv.url + '/meta/v0/db/L2', { headers: { accept: 'text/html' } });
    expect(await html.text()).to.include('<a href="/meta/v0/db/L2/DC_W13_Stripe82">DC_W13_Stripe82</a>');
    const fits = Buffer.from(await (await fetch(srv.url + '/meta/v0/db/L2?format=fits')).arrayBuffer());
    expect(fits.subarray(0, 30).toString('latin1')).to.match(/^SIMPLE  =\s+T/);
    expect(fits.length % 2880).to.equal(0);
    const vot = await (await fetch(srv.url + '/meta/v0/db/L2/DC_W13_Stripe82?format=votable')).text();
    expect(vot).to.include('<VOTABLE');
    expect(vot).to.match(/<TD>owner<\/TD><TD>lsst<\/TD>/);
  });

  it('rejects an unknown format with a 400 naming the ones it has', async () => {
    const { status, body } = await getJson(srv.url, '/meta/v0/db?format=xls');
    expect(status).to.equal(400);
    expect(body.error.message).to.match(/csv/);
  });
});
