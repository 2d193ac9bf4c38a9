/**
 * Simple Cone Search at /db/v0/scs/{schema}.{table} over the sample catalogs: the cone equals the
 * same ADQL cone through TAP sync and a brute-force oracle (across RA 0 too), VERB column sets
 * against TAP_SCHEMA, MAXREC overflow, SR=0 metadata, formats, bad input, unknown tables, L3
 * privacy, VOSI, and that the cone is index-driven.
 */
import { expect } from 'chai';
import { testServer, type TestServer } from '../../support/server.js';
import { testDatabase } from '../../support/database.js';
import { ensureUser, issueToken } from '../../../src/auth/users.js';
import { CatalogCache } from '../../../src/catalog/query-catalog.js';
import { prepareQuery } from '../../../src/query/prepared-query.js';
import { RequestParams } from '../../../src/params/request-params.js';
import { scsQuery, hasPosition } from '../../../src/ivoa/scs/scs-parameters.js';

const OBJECT = 'DC_W13_Stripe82.Object';
const RAD = Math.PI / 180;

/** Angular distance, degrees (haversine: exact for small angles). */
function distance(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const s = Math.sin(((dec2 - dec1) * RAD) / 2) ** 2 + Math.cos(dec1 * RAD) * Math.cos(dec2 * RAD) * Math.sin(((ra2 - ra1) * RAD) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(s)))) / RAD;
}

/** FIELD names and TABLEDATA rows of a VOTable. */
function votable(text: string): { fields: string[]; ucds: Array<string | null>; rows: string[][] } {
  const fieldTags = [...text.matchAll(/<FIELD [^>]*>/g)].map((m) => m[0]);
  const fields = fieldTags.map((t) => /name="([^"]+)"/.exec(t)![1]!);
  const ucds = fieldTags.map((t) => /ucd="([^"]+)"/.exec(t)?.[1] ?? null);
  const rows = [...text.matchAll(/<TR>([\s\S]*?)<\/TR>/g)].map((tr) => [...tr[1]!.matchAll(/<TD>([\s\S]*?)<\/TD>|<TD\/>/g)].map((m) => m[1] ?? ''));
  return { fields, ucds, rows };
}

/** CSV lines after the header (the sample values hold no commas or quotes). */
const csvRows = (text: string) => text.trim().split(/\r?\n/).slice(1).sort();

describe('Simple Cone Search routes (/db/v0/scs)', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let joe: Record<string, string>;
  let alice: Record<string, string>;

  before(async () => {
    srv = await testServer();
    const { db } = await testDatabase();
    await ensureUser(db, 'joe');
    await ensureUser(db, 'alice');
    joe = { authorization: `Bearer ${(await issueToken(db, 'joe')).token}` };
    alice = { authorization: `Bearer ${(await issueToken(db, 'alice')).token}` };
  });
  after(async () => srv?.close());

  const scs = async (path: string, q: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${srv.url}/db/v0/scs/${path}${q ? `?${q}` : ''}`, { headers });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const tap = async (adql: string, format = 'csv', headers: Record<string, string> = {}) => {
    const res = await fetch(`${srv.url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: adql, RESPONSEFORMAT: format, MAXREC: '1000000' })}`, { headers });
    const text = await res.text();
    expect(res.status, text).to.equal(200);
    return text;
  };
  const adqlCone = (cols: string, table: string, ra: number, dec: number, sr: number, raCol = 'ra', decCol = 'decl') =>
    `SELECT ${cols} FROM ${table} WHERE CONTAINS(POINT('ICRS', ${raCol}, ${decCol}), CIRCLE('ICRS', ${ra}, ${dec}, ${sr})) = 1`;

  it('a cone on Object has the rows of the same ADQL cone through TAP sync, across RA 0 too', async () => {
    const cones: Array<[number, number, number]> = [[0, 0, 0.2], [359.9, 0.1, 0.1], [0.02, -0.1, 0.15], [10, 0.3, 0.5], [330, -0.8, 1], [45, 1, 2], [180, 0, 1]];
    let nonEmpty = 0;
    for (const [ra, dec, sr] of cones) {
      const r = await scs(OBJECT, `RA=${ra}&DEC=${dec}&SR=${sr}&VERB=3&RESPONSEFORMAT=csv`);
      expect(r.status, r.text).to.equal(200);
      const expected = csvRows(await tap(adqlCone('*', OBJECT, ra, dec, sr)));
      expect(csvRows(r.text), `cone ${ra} ${dec} ${sr}`).to.deep.equal(expected);
      if (expected.length) nonEmpty++;
    }
    expect(nonEmpty).to.be.at.least(6);
  });

  it('the cone across RA 0 finds exactly the objects within SR (brute-force oracle)', async () => {
    const [ra, dec, sr] = [0.01, 0.2, 0.25];
    // Every object in a box around the cone, by plain comparisons (no geometry).
    const box = csvRows(await tap(`SELECT objectId, ra, decl FROM ${OBJECT} WHERE (ra > 359.5 OR ra < 0.5) AND decl BETWEEN -0.1 AND 0.5`));
    const within = box
      .map((l) => l.split(','))
      .filter(([, a, d]) => distance(ra, dec, Number(a), Number(d)) <= sr)
      .map(([id]) => id!);
    const { rows, fields } = votable((await scs(OBJECT, `RA=${ra}&DEC=${dec}&SR=${sr}&VERB=1`)).text);
    expect(fields).to.deep.equal(['objectId', 'ra', 'decl']);
    const found = rows.map((r) => r[0]!);
    expect(found.some((id) => Number(rows.find((r) => r[0] === id)![1]) > 359), 'objects on both sides of RA 0').to.equal(true);
    expect(found.some((id) => Number(rows.find((r) => r[0] === id)![1]) < 1)).to.equal(true);
    expect(found.sort()).to.deep.equal(within.sort());
    expect(within.length).to.be.greaterThan(20);
  });

  it('VERB 1, 2 (default) and 3 give the id and position, the principal columns, all columns', async () => {
    const ordered = votable(await tap(`SELECT column_name, principal FROM TAP_SCHEMA.columns WHERE table_name = '${OBJECT}' ORDER BY column_index`, 'votable')).rows;
    const all = ordered.map((r) => r[0]!);
    const principal = ordered.filter((r) => r[1] === '1').map((r) => r[0]!);
    const q = 'RA=0&DEC=0&SR=0.05';
    const v1 = votable((await scs(OBJECT, `${q}&VERB=1`)).text);
    expect(v1.fields).to.deep.equal(['objectId', 'ra', 'decl']);
    // SCS's UCD1 names for the three it requires (section 3.1); TAP keeps TAP_SCHEMA's UCD1+.
    expect(v1.ucds).to.deep.equal(['ID_MAIN', 'POS_EQ_RA_MAIN', 'POS_EQ_DEC_MAIN']);
    expect(votable(await tap(adqlCone('objectId, ra, decl', OBJECT, 0, 0, 0.05), 'votable')).ucds).to.deep.equal(['meta.id;meta.main', 'pos.eq.ra;meta.main', 'pos.eq.dec;meta.main']);
    expect(votable((await scs(OBJECT, q)).text).fields).to.deep.equal(principal);
    expect(votable((await scs(OBJECT, `${q}&VERB=2`)).text).fields).to.deep.equal(principal);
    const v3 = votable((await scs(OBJECT, `${q}&VERB=3`)).text);
    expect(v3.fields).to.deep.equal(all);
    expect(v3.ucds.filter((u) => /_MAIN$/.test(u ?? ''))).to.deep.equal(['ID_MAIN', 'POS_EQ_RA_MAIN', 'POS_EQ_DEC_MAIN']);
    expect(v3.ucds[all.indexOf('raSigma')]).to.equal('stat.error;pos.eq.ra');
    expect(principal.length).to.be.greaterThan(3).and.lessThan(all.length);
    // Same rows whatever the verbosity.
    expect(v1.rows.map((r) => r[0]).sort()).to.deep.equal(v3.rows.map((r) => r[0]).sort());
    expect(v1.rows.length).to.be.greaterThan(0);
  });

  it('MAXREC truncates and flags the overflow; enough rows flag none', async () => {
    const full = votable((await scs(OBJECT, 'RA=0&DEC=0&SR=0.1&VERB=1')).text).rows.length;
    expect(full).to.be.greaterThan(5);
    const cut = await scs(OBJECT, 'RA=0&DEC=0&SR=0.1&VERB=1&MAXREC=3');
    expect(votable(cut.text).rows.length).to.equal(3);
    expect(cut.text).to.match(/<INFO name="QUERY_STATUS" value="OVERFLOW"/);
    const enough = await scs(OBJECT, `RA=0&DEC=0&SR=0.1&VERB=1&MAXREC=${full}`);
    expect(votable(enough.text).rows.length).to.equal(full);
    expect(enough.text).to.not.match(/value="OVERFLOW"/);
  });

  it('SR=0 is the metadata query: the fields, no rows', async () => {
    const r = await scs(OBJECT, 'RA=0&DEC=0&SR=0&VERB=3');
    expect(r.status, r.text).to.equal(200);
    const v = votable(r.text);
    expect(v.fields.length).to.be.greaterThan(10);
    expect(v.rows).to.deep.equal([]);
  });

  it('answers VOTable by default and the other shared formats through RESPONSEFORMAT', async () => {
    const vot = await scs(OBJECT, 'RA=0&DEC=0&SR=0.05');
    expect(vot.type).to.match(/^application\/x-votable\+xml/);
    expect(vot.text).to.contain('<RESOURCE type="results">');
    const csv = await scs(OBJECT, 'RA=0&DEC=0&SR=0.05&VERB=1&RESPONSEFORMAT=csv');
    expect(csv.type).to.match(/^text\/csv/);
    expect(csv.text.split(/\r?\n/)[0]).to.equal('objectId,ra,decl');
    expect(csvRows(csv.text).map((l) => l.split(',')[0])).to.deep.equal(votable(vot.text).rows.map((r) => r[0]).sort());
    const b2 = await scs(OBJECT, 'RA=0&DEC=0&SR=0.05&VERB=1&RESPONSEFORMAT=votable/b2');
    expect(b2.text).to.contain('<BINARY2>');
    expect(votable(b2.text).ucds).to.deep.equal(['ID_MAIN', 'POS_EQ_RA_MAIN', 'POS_EQ_DEC_MAIN']);
    const json = await scs(OBJECT, 'RA=0&DEC=0&SR=0.05&VERB=1&RESPONSEFORMAT=json');
    expect(json.status).to.equal(200);
    expect(JSON.parse(json.text)).to.be.an('object');
  });

  it('the query is also at {table}/query, and POST reads the same', async () => {
    const q = 'RA=0.01&DEC=0&SR=0.05&VERB=1&RESPONSEFORMAT=csv';
    const get = await scs(OBJECT, q);
    expect((await scs(`${OBJECT}/query`, q)).text).to.equal(get.text);
    const post = await fetch(`${srv.url}/db/v0/scs/${OBJECT}/query`, { method: 'POST', body: new URLSearchParams(q) });
    expect(post.status).to.equal(200);
    expect(await post.text()).to.equal(get.text);
  });

  it('every bad parameter is a DALI error naming it (400, with SCS 1.03\'s INFO Error too), never a 500', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /parameter RA is required/],
      ['DEC=0&SR=1', /parameter RA is required/],
      ['RA=0&SR=1', /parameter DEC is required/],
      ['RA=0&DEC=0', /parameter SR is required/],
      ['RA=abc&DEC=0&SR=1', /parameter RA must be a number/],
      ['RA=0&DEC=0&SR=%27%3B+DROP', /parameter SR must be a number/],
      ['RA=400&DEC=0&SR=1', /parameter RA must lie in 0..360/],
      ['RA=-1&DEC=0&SR=1', /parameter RA must lie in 0..360/],
      ['RA=0&DEC=91&SR=1', /parameter DEC must lie in -90..90/],
      ['RA=0&DEC=0&SR=-1', /parameter SR must not be negative/],
      ['RA=0&DEC=0&SR=11', /parameter SR must be at most 10/],
      ['RA=0&DEC=0&SR=1&VERB=0', /parameter VERB must be one of 1, 2, 3/],
      ['RA=0&DEC=0&SR=1&MAXREC=x', /parameter MAXREC must be an integer/],
      ['RA=0&DEC=0&SR=1&RESPONSEFORMAT=image/png', /parameter RESPONSEFORMAT/],
    ];
    for (const [q, message] of cases) {
      const r = await scs(OBJECT, q);
      expect(r.status, q).to.equal(400);
      expect(r.type, q).to.match(/^application\/x-votable\+xml/);
      expect(r.text, q).to.match(/<INFO name="QUERY_STATUS" value="ERROR">/);
      expect(r.text, q).to.match(message);
      // SCS 1.03's form too, which pyvo 1.2.1's SCS client reads: the same message.
      const info = /<VOTABLE [^>]*>\n<INFO ID="Error" name="Error" value="([^"]*)"\/>/.exec(r.text);
      expect(info?.[1], q).to.match(message);
    }
  });

  it('an unknown table, a table without a position, and a bare /db/v0/scs are DALI 404s', async () => {
    const unknown = await scs('DC_W13_Stripe82.NoSuchTable', 'RA=0&DEC=0&SR=1');
    expect(unknown.status).to.equal(404);
    expect(unknown.text).to.match(/value="ERROR">no table "DC_W13_Stripe82.NoSuchTable"/);
    const noPosition = await scs('DC_W13_Stripe82.DeepCoadd_Metadata', 'RA=0&DEC=0&SR=1');
    expect(noPosition.status).to.equal(404);
    expect(noPosition.text).to.match(/has no position/);
    expect((await scs('TAP_SCHEMA.tables', 'RA=0&DEC=0&SR=1')).status).to.equal(404);
    for (const p of ['NoSuchTable/capabilities', 'NoSuchTable/availability', '..%2F..%2Fetc%2Fpasswd']) {
      const r = await scs(p, 'RA=0&DEC=0&SR=1');
      expect(r.status, p).to.equal(404);
      expect(r.text, p).to.contain('QUERY_STATUS');
    }
    const bare = await fetch(`${srv.url}/db/v0/scs`);
    expect(bare.status).to.equal(404);
    expect(await bare.text()).to.contain('QUERY_STATUS');
  });

  it("an L3 table is its owner's: joe cone-searches it; anyone else gets the unknown table's 404", async () => {
    const t = 'joe_myDb.MyObjects';
    const q = 'RA=0&DEC=0&SR=10&VERB=1&RESPONSEFORMAT=csv';
    const mine = await scs(t, q, joe);
    expect(mine.status, mine.text).to.equal(200);
    expect(mine.text.split(/\r?\n/)[0]).to.equal('id,ra,decl');
    expect(csvRows(mine.text)).to.deep.equal(csvRows(await tap(adqlCone('id, ra, decl', t, 0, 0, 10), 'csv', joe)));
    expect(csvRows(mine.text).length).to.be.greaterThan(0);
    const unknown = await scs('joe_myDb.NoSuchTable', q, alice);
    for (const headers of [{}, alice]) {
      for (const path of [t, `${t}/query`, `${t}/capabilities`, `${t}/availability`]) {
        const r = await scs(path, q, headers);
        expect(r.status, path).to.equal(404);
        // Word for word the unknown table's answer: nothing says the table exists.
        expect(r.text.replaceAll('MyObjects', 'NoSuchTable'), path).to.equal(unknown.text);
      }
    }
    expect((await scs(`${t}/capabilities`, '', joe)).status).to.equal(200);
  });

  it('the landing page lists the cone searches the caller may use, an L3 one to its owner only', async () => {
    const page = async (headers: Record<string, string>) => (await fetch(`${srv.url}/`, { headers: { accept: 'text/html', ...headers } })).text();
    const anonymous = await page({});
    for (const t of [OBJECT, 'DC_W13_Stripe82.Source', 'live.DiaObject']) expect(anonymous).to.contain(`<code>/db/v0/scs/${t}?RA=&amp;DEC=&amp;SR=</code>`);
    expect(anonymous).to.contain(`<a href="/db/v0/scs/${OBJECT}/capabilities">`);
    expect(anonymous).to.not.contain('/db/v0/scs/DC_W13_Stripe82.DeepCoadd_Metadata');
    expect(anonymous).to.not.contain('joe_myDb');
    expect(await page(alice)).to.not.contain('/db/v0/scs/joe_myDb.MyObjects');
    expect(await page(joe)).to.contain('<code>/db/v0/scs/joe_myDb.MyObjects?RA=&amp;DEC=&amp;SR=</code>');
    // Every endpoint listed answers.
    for (const m of anonymous.matchAll(/<a href="(\/db\/v0\/scs\/[^"]+\/capabilities)">/g)) expect((await fetch(`${srv.url}${m[1]}`)).status, m[1]).to.equal(200);
  });

  it('a client that goes away mid-answer releases its query and connection (more aborts than the pool holds)', async () => {
    const { db } = await testDatabase();
    for (let i = 0; i < 12; i++) {
      const ac = new AbortController();
      // The radius marks the query in pg_stat_activity.
      const res = await fetch(`${srv.url}/db/v0/scs/${OBJECT}?RA=0&DEC=0&SR=9.87654&VERB=3`, { signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read();
      ac.abort();
      await reader.read().catch(() => null);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%9.87654%' AND pid <> pg_backend_pid()`);
    expect(row!.n).to.equal(0);
    const after = await scs(OBJECT, 'RA=0&DEC=0&SR=0.01&VERB=1');
    expect(after.status).to.equal(200);
    expect(votable(after.text).rows.length).to.be.greaterThan(0);
  });

  it('VOSI: the capabilities declare SCS 1.1 with maxSR, maxRecords, verbosity; availability answers', async () => {
    const cap = await scs(`${OBJECT}/capabilities`, '');
    expect(cap.status).to.equal(200);
    expect(cap.type).to.match(/^text\/xml/);
    expect(cap.text).to.contain('standardID="ivo://ivoa.net/std/ConeSearch#query-1.1" xsi:type="cs:ConeSearch"');
    expect(cap.text).to.contain(`<accessURL use="base">${srv.url}/db/v0/scs/${OBJECT}/query</accessURL>`);
    expect(cap.text).to.match(/<maxSR>10<\/maxSR>\s*<maxRecords>\d+<\/maxRecords>\s*<verbosity>true<\/verbosity>/);
    expect(cap.text).to.contain(`<accessURL use="full">${srv.url}/db/v0/scs/${OBJECT}/availability</accessURL>`);
    const av = await scs(`${OBJECT}/availability`, '');
    expect(av.text).to.contain('<vosi:available>true</vosi:available>');
  });

  it('every table with a position has a cone search; its cone becomes HEALPix ranges (index-driven)', async () => {
    const { db } = await testDatabase();
    const catalog = await new CatalogCache(db).get({ user: null });
    const positional = catalog.tables.filter(hasPosition);
    expect(positional.map((t) => `${t.schema}.${t.name}`)).to.include.members([OBJECT, 'DC_W13_Stripe82.Source', 'live.DiaObject']);
    for (const table of positional) {
      const q = scsQuery(RequestParams.fromEntries([['RA', '0'], ['DEC', '0'], ['SR', '0.1']]), table, { limits: { defaultMaxrec: 10, hardMaxrec: 10 } });
      const prepared = prepareQuery(catalog, q.adql, q.maxrec);
      const cone = prepared.spatial[0];
      expect(cone && cone.shape !== 'crossmatch' ? cone.index : null, `${table.schema}.${table.name}: the cone became HEALPix ranges`).to.not.equal(null);
      const r = await scs(`${table.schema}.${table.name}`, 'RA=0&DEC=0&SR=0.1');
      expect(r.status, `${table.schema}.${table.name}: ${r.text}`).to.equal(200);
    }
  });
});
