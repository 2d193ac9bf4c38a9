/**
 * User tables over HTTP: PUT /db/v0/tap/tables/{schema}.{table} with a CSV, VOTable or FITS body
 * into the caller's own L3 database, then ADQL on it (joined with L2 tables), DELETE; who may
 * write where, limits on size and count, and nothing left behind by a failed upload.
 */
import { expect } from 'chai';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type Koa from 'koa';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { addUser } from '../../src/auth/users.js';
import { createOwnedDatabase, shareDatabase } from '../../src/ingest/user-databases.js';
import { userTablesRoutes } from '../../src/lsst/user-tables-routes.js';
import { fitsTableWriter } from '../../src/formats/fits-table-writer.js';
import type { CellValue, ColumnMeta } from '../../src/formats/table-model.js';
import { testDatabase } from '../support/database.js';
import { fitsTable, junk } from '../formats/read-helpers.js';

/** A server over the test database with the user-table routes (mounted here until app.ts mounts them). */
async function serve(env: NodeJS.ProcessEnv = {}): Promise<{ url: string; close(): Promise<void> }> {
  const { db, url: dbUrl } = await testDatabase();
  const config = loadConfig({ LOG_FORMAT: 'silent', ...env });
  const app: Koa = createApp({ config, log: createLogger('silent'), db, registry: new Registry(db, addressOf(dbUrl)) });
  if (!mountsUserTables(app)) app.use(userTablesRoutes('/db/v0/tap', config, db).routes());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** True when the application already routes PUT /db/v0/tap/tables/:name. */
function mountsUserTables(app: Koa): boolean {
  return app.middleware.some((mw) => {
    const router = (mw as unknown as { router?: { stack: Array<{ path: string | RegExp; methods: string[] }> } }).router;
    return router?.stack.some((l) => l.path === '/db/v0/tap/tables/:name' && l.methods.includes('PUT')) ?? false;
  });
}

/** A request as a caller (null: anonymous). */
async function call(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: string | Buffer | Readable,
  type?: string,
): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (type) headers['content-type'] = type;
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (body instanceof Readable) {
    init.body = Readable.toWeb(body) as unknown as ReadableStream;
    init.duplex = 'half';
  } else if (body !== undefined) init.body = typeof body === 'string' ? body : new Uint8Array(body);
  const res = await fetch(base + path, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Run ADQL through TAP sync as a caller; status and CSV rows (header first). */
async function adql(base: string, token: string | null, query: string): Promise<{ status: number; rows: string[][]; text: string }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${base}/db/v0/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: query, FORMAT: 'csv' })}`, { headers });
  const text = await res.text();
  return { status: res.status, text, rows: res.status === 200 ? text.trim().split(/\r?\n/).map((l) => l.split(',')) : [] };
}

/** A FITS binary table of these columns and rows, written by the service's own FITS writer. */
async function fitsBody(columns: ColumnMeta[], rows: CellValue[][]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of fitsTableWriter.write({ columns, rows: [rows], overflowed: () => false, info: { tableName: 'ignored' } })) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('user tables over HTTP (PUT/DELETE /db/v0/tap/tables/{schema}.{table})', function () {
  this.timeout(60_000);
  const sfx = crypto.randomBytes(3).toString('hex');
  const alice = `alice${sfx}`;
  const bob = `bob${sfx}`;
  const carol = `carol${sfx}`;
  const mine = `aliceUT_${sfx}`;
  const bobs = `bobUT_${sfx}`;
  const tokens: Record<string, string> = {};
  let srv: { url: string; close(): Promise<void> };
  let objects: { objectId: bigint; ra: number; decl: number }[];
  const tablePath = (name: string) => `/db/v0/tap/tables/${encodeURIComponent(name)}`;

  before(async () => {
    const { db } = await testDatabase();
    for (const u of [alice, bob, carol]) tokens[u] = (await addUser(db, u)).token;
    await createOwnedDatabase(db, { level: 'L3', name: mine, owner: alice, description: 'alice user tables' });
    await createOwnedDatabase(db, { level: 'L3', name: bobs, owner: bob });
    await shareDatabase(db, mine, carol);
    objects = await db.query('SELECT "objectId", ra, decl FROM "DC_W13_Stripe82"."Object" ORDER BY "objectId" LIMIT 3');
    srv = await serve({ UPLOAD_MAX_BYTES: '2000000' });
  });
  after(() => srv?.close());

  it('creates a table from CSV (201, Location), which its owner then queries with ADQL, joined with an L2 table', async () => {
    // Each of alice's stars sits 0.2 arcsec north of a catalog object.
    const csv = ['id,ra,dec,label', ...objects.map((o, i) => `${i + 1},${o.ra},${o.decl + 0.2 / 3600},star ${i + 1}`)].join('\n') + '\n';
    const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.stars`), csv, 'text/csv');
    expect(res.status, res.text).to.equal(201);
    expect(res.headers.get('location')).to.equal(`${srv.url}/db/v0/tap/tables/${mine}.stars`);
    expect(JSON.parse(res.text)).to.include({ table: `${mine}.stars`, rows: 3 });
    // The Location answers with the VOSI description of the table.
    const vosi = await fetch(res.headers.get('location')!, { headers: { authorization: `Bearer ${tokens[alice]}` } });
    expect(vosi.status).to.equal(200);
    expect(await vosi.text()).to.include('<name>label</name>');

    const q = await adql(srv.url, tokens[alice]!, `SELECT id, label FROM ${mine}.stars WHERE dec > -90 ORDER BY id`);
    expect(q.status, q.text).to.equal(200);
    expect(q.rows).to.deep.equal([['id', 'label'], ['1', 'star 1'], ['2', 'star 2'], ['3', 'star 3']]);

    const join = await adql(
      srv.url,
      tokens[alice]!,
      `SELECT s.id, o.objectId FROM ${mine}.stars AS s JOIN DC_W13_Stripe82.Object AS o
       ON 1 = CONTAINS(POINT('ICRS', o.ra, o.decl), CIRCLE('ICRS', s.ra, s.dec, 0.5 / 3600)) ORDER BY s.id`,
    );
    expect(join.status, join.text).to.equal(200);
    expect(join.rows.slice(1)).to.deep.equal(objects.map((o, i) => [String(i + 1), String(o.objectId)]));
    // A cone on the user table itself (indexed by its ra/dec columns) finds the one star in it.
    const cone = await adql(srv.url, tokens[alice]!, `SELECT id FROM ${mine}.stars WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ${objects[1]!.ra}, ${objects[1]!.decl}, 1.0 / 3600))`);
    expect(cone.rows).to.deep.equal([['id'], ['2']]);
  });

  it('reads users shared the database with, and no one else: strangers get "no table" in ADQL and 404 in VOSI', async () => {
    const shared = await adql(srv.url, tokens[carol]!, `SELECT COUNT(*) AS n FROM ${mine}.stars`);
    expect(shared.rows).to.deep.equal([['n'], ['3']]);
    for (const t of [tokens[bob]!, null]) {
      const q = await adql(srv.url, t, `SELECT * FROM ${mine}.stars`);
      expect(q.status).to.equal(400);
      expect(q.text).to.match(/no table/i);
      expect(q.text).not.to.include('label');
      expect((await call(srv.url, t, 'GET', tablePath(`${mine}.stars`))).status).to.equal(404);
    }
  });

  it('takes a VOTable body, keeping units, UCDs and descriptions in TAP_SCHEMA', async () => {
    const votable = `<?xml version="1.0"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
 <RESOURCE><TABLE name="whatever">
  <DESCRIPTION>my variable candidates</DESCRIPTION>
  <FIELD name="cand" datatype="int" ucd="meta.id"><DESCRIPTION>candidate number</DESCRIPTION></FIELD>
  <FIELD name="alpha" datatype="double" unit="deg" ucd="pos.eq.ra;meta.main"/>
  <FIELD name="delta" datatype="double" unit="deg" ucd="pos.eq.dec;meta.main"/>
  <FIELD name="amp" datatype="float" unit="mag"/>
  <DATA><TABLEDATA>
   <TR><TD>7</TD><TD>${objects[0]!.ra}</TD><TD>${objects[0]!.decl}</TD><TD>0.25</TD></TR>
   <TR><TD>8</TD><TD>10.0</TD><TD>-1.0</TD><TD/></TR>
  </TABLEDATA></DATA>
 </TABLE></RESOURCE>
</VOTABLE>`;
    const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.cands`), votable, 'application/x-votable+xml');
    expect(res.status, res.text).to.equal(201);
    const cols = await adql(
      srv.url,
      tokens[alice]!,
      `SELECT column_name, unit, ucd, description FROM TAP_SCHEMA.columns WHERE table_name = '${mine}.cands' ORDER BY column_index`,
    );
    expect(cols.rows.slice(1)).to.deep.equal([
      ['cand', '', 'meta.id', 'candidate number'],
      ['alpha', 'deg', 'pos.eq.ra;meta.main', ''],
      ['delta', 'deg', 'pos.eq.dec;meta.main', ''],
      ['amp', 'mag', '', ''],
    ]);
    const desc = await adql(srv.url, tokens[alice]!, `SELECT description FROM TAP_SCHEMA.tables WHERE table_name = '${mine}.cands'`);
    expect(desc.rows[1]).to.deep.equal(['my variable candidates']);
    // Positions by UCD: a cone query uses alpha/delta.
    const cone = await adql(srv.url, tokens[alice]!, `SELECT cand FROM ${mine}.cands WHERE 1 = CONTAINS(POINT('ICRS', alpha, delta), CIRCLE('ICRS', 10, -1, 0.001))`);
    expect(cone.rows).to.deep.equal([['cand'], ['8']]);
    expect((await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.candsxml`), votable, 'text/xml; charset=utf-8')).status).to.equal(201);
  });

  it('takes a FITS binary table body', async () => {
    const body = await fitsBody(
      [
        { name: 'n', datatype: 'long' },
        { name: 'flux', datatype: 'double', unit: 'nJy' },
        { name: 'band', datatype: 'char', arraysize: '1' },
      ],
      [
        [1n, 12.5, 'g'],
        [2n, 13.25, 'r'],
      ],
    );
    const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.fluxes`), body, 'application/fits');
    expect(res.status, res.text).to.equal(201);
    const q = await adql(srv.url, tokens[alice]!, `SELECT n, flux, band FROM ${mine}.fluxes ORDER BY n`);
    expect(q.rows).to.deep.equal([['n', 'flux', 'band'], ['1', '12.5', 'g'], ['2', '13.25', 'r']]);
  });

  it('streams a chunked body of many rows', async () => {
    const rows = 60_000;
    async function* lines() {
      yield 'k,v\n';
      for (let i = 0; i < rows; i += 1000) {
        let s = '';
        for (let j = i; j < i + 1000; j++) s += `${j},${j * 0.5}\n`;
        yield s;
      }
    }
    const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.many`), Readable.from(lines()), 'text/csv');
    expect(res.status, res.text).to.equal(201);
    const q = await adql(srv.url, tokens[alice]!, `SELECT COUNT(*) AS n, SUM(k) AS s FROM ${mine}.many`);
    expect(q.rows[1]).to.deep.equal([String(rows), String((rows * (rows - 1)) / 2)]);
  });

  it('answers 409 for a table that exists (in any letter case), leaving it as it was', async () => {
    for (const name of [`${mine}.stars`, `${mine}.STARS`]) {
      const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(name), 'id\n99\n', 'text/csv');
      expect(res.status, name).to.equal(409);
      expect(res.text).to.include('exists already');
    }
    expect((await adql(srv.url, tokens[alice]!, `SELECT COUNT(*) AS n FROM ${mine}.stars`)).rows[1]).to.deep.equal(['3']);
  });

  it('answers 401 to anonymous callers and bad tokens, 404 for a schema the caller cannot see, 403 for one it may not write', async () => {
    const csv = 'id\n1\n';
    const anon = await call(srv.url, null, 'PUT', tablePath(`${mine}.x1`), csv, 'text/csv');
    expect(anon.status).to.equal(401);
    expect(anon.headers.get('www-authenticate')).to.match(/^Bearer/);
    expect((await call(srv.url, 'vdx_bogus_token_0123456789', 'PUT', tablePath(`${mine}.x1`), csv, 'text/csv')).status).to.equal(401);
    // Bob's attempt on alice's database reads exactly like one on a database that does not exist.
    const hidden = await call(srv.url, tokens[bob]!, 'PUT', tablePath(`${mine}.x1`), csv, 'text/csv');
    const missing = await call(srv.url, tokens[bob]!, 'PUT', tablePath(`nosuch_${sfx}.x1`), csv, 'text/csv');
    expect(hidden.status).to.equal(404);
    expect(missing.status).to.equal(404);
    expect(hidden.text.replace(mine, 'X')).to.equal(missing.text.replace(`nosuch_${sfx}`, 'X'));
    // Visible but not writable: shared with carol, the public L2 catalog, the service's own schemas.
    const forbidden: [string, string][] = [
      [tokens[carol]!, `${mine}.x1`],
      [tokens[alice]!, 'DC_W13_Stripe82.Mine'],
      [tokens[alice]!, 'TAP_SCHEMA.mine'],
      [tokens[alice]!, 'ivoa.mine'],
    ];
    for (const [t, name] of forbidden) {
      const res = await call(srv.url, t, 'PUT', tablePath(name), csv, 'text/csv');
      expect(res.status, name).to.equal(403);
    }
    // Bob writes in his own database.
    expect((await call(srv.url, tokens[bob]!, 'PUT', tablePath(`${bobs}.x1`), csv, 'text/csv')).status).to.equal(201);
    expect((await adql(srv.url, tokens[alice]!, `SELECT * FROM ${bobs}.x1`)).status).to.equal(400);
  });

  it('refuses bad names (400) and bodies it cannot read (415), and a broken body leaves nothing behind (400)', async () => {
    for (const name of [`${mine}.1abc`, `${mine}.a-b`, `${mine}.`, `${mine}.a.b`, 'nodot']) {
      const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(name), 'id\n1\n', 'text/csv');
      expect(res.status, name).to.equal(400);
    }
    for (const type of ['application/json', 'application/octet-stream']) {
      const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.typed`), 'id\n1\n', type);
      expect(res.status, type).to.equal(415);
    }
    expect((await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.typed`))).status).to.equal(415);
    const ragged = 'a,b\n1,2\n3\n';
    const bad = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.ragged`), ragged, 'text/csv');
    expect(bad.status).to.equal(400);
    expect(bad.text).to.match(/line 3/);
    const notFits = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.ragged`), 'SIMPLE? no', 'application/fits');
    expect(notFits.status).to.equal(400);
    await expectNoTable(`${mine}.ragged`);
    // The name is free after the failures.
    expect((await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.ragged`), 'a,b\n1,2\n', 'text/csv')).status).to.equal(201);
  });

  it('answers hostile bodies with a 400 naming the place, never a 500, and leaves nothing behind', async () => {
    const fitsCols: [string, string, number][] = [
      ['id', 'J', 4],
      ['name', '4A', 4],
    ];
    const fitsData = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('abcd')]);
    const header3000 = Array.from({ length: 3000 }, (_, i) => `c${i}`).join(',');
    const cases: [string, Buffer | string, string, RegExp][] = [
      ['VOTable junk', junk(3000, 7), 'application/x-votable+xml', /request body, line \d+, column \d+: /],
      ['VOTable junk after "<"', Buffer.concat([Buffer.from('<'), junk(3000, 8)]), 'application/x-votable+xml', /request body, line 1, column \d+: malformed XML/],
      ['a FIELD name with a tab', '<VOTABLE><RESOURCE><TABLE><FIELD name="a&#9;b" datatype="int"/><DATA><TABLEDATA/></DATA></TABLE></RESOURCE></VOTABLE>', 'text/xml', /request body, line 1, column 27: FIELD name "a\\tb" holds a control character/],
      ['CSV junk', junk(3000, 9), 'text/csv', /request body, line \d+, column \d+: /],
      ['a NUL in a CSV cell', 'a,b\n1,ok\n2,x\u0000y\n', 'text/csv', /request body, line 3, column 3: column "b": the text holds a NUL character \(U\+0000\)/],
      ['a CSV header of 3000 columns', `${header3000}\n${header3000.replace(/c/g, '')}\n`, 'text/csv', /request body, line 1, column \d+: 3000 columns; a table holds at most 1599 columns/],
      ['a VOTable sent as CSV', '<?xml version="1.0"?>\n<VOTABLE/>\n', 'text/csv', /request body, line 1, column 1: this is XML \(a VOTable\?\), not CSV/],
      ['FITS with NAXIS1 = -5', fitsTable(fitsCols, fitsData, { NAXIS1: -5 }), 'application/fits', /request body: HDU 2: NAXIS1 = -5 must be a non-negative integer/],
      ['FITS with NAXIS2 = -1', fitsTable(fitsCols, fitsData, { NAXIS2: -1 }), 'application/fits', /request body: HDU 2: NAXIS2 = -1 must be a non-negative integer/],
      ['FITS with TFIELDS = 1 over two TFORMs', fitsTable(fitsCols, fitsData, { TFIELDS: 1, NAXIS1: 4 }), 'application/fits', /request body: HDU 2: TFORM2 is present but TFIELDS = 1/],
      ['FITS with TFORM widths not adding up to NAXIS1', fitsTable(fitsCols, fitsData, { NAXIS1: 12 }), 'application/fits', /request body: the TFORMn widths add up to 8 bytes but NAXIS1 = 12/],
      ['FITS with no columns and a billion rows', fitsTable([], Buffer.alloc(0), { NAXIS2: 1_000_000_000 }), 'application/fits', /request body: HDU 2: the binary table has no columns/],
      ['FITS junk', junk(6000, 10), 'application/fits', /request body: /],
    ];
    for (const [what, body, type, pattern] of cases) {
      const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.hostile`), body, type);
      expect(res.status, `${what}: ${res.text}`).to.equal(400);
      expect(res.text, what).to.match(pattern);
      await expectNoTable(`${mine}.hostile`);
    }
  });

  it('reads a UTF-16 VOTable body with a byte-order mark, as Windows tools write it', async () => {
    const votable = `<?xml version="1.0" encoding="UTF-16"?>
<VOTABLE version="1.4"><RESOURCE><TABLE><FIELD name="n" datatype="int"/><FIELD name="label" datatype="char" arraysize="*"/>
<DATA><TABLEDATA><TR><TD>1</TD><TD>ünï ☃</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>`;
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(votable, 'utf16le')]);
    for (const [name, body] of [['utf16le', le], ['utf16be', Buffer.from(le).swap16()]] as const) {
      const res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(`${mine}.${name}`), body, 'application/x-votable+xml');
      expect(res.status, res.text).to.equal(201);
      const q = await adql(srv.url, tokens[alice]!, `SELECT n, label FROM ${mine}.${name}`);
      expect(q.rows).to.deep.equal([['n', 'label'], ['1', 'ünï ☃']]);
    }
  });

  it('answers 413 past UPLOAD_MAX_BYTES, declared or chunked, and leaves nothing behind', async () => {
    const small = await serve({ UPLOAD_MAX_BYTES: '20000' });
    try {
      const big = 'k\n' + Array.from({ length: 6000 }, (_, i) => `${i}\n`).join('');
      const declared = await call(small.url, tokens[alice]!, 'PUT', tablePath(`${mine}.big`), big, 'text/csv');
      expect(declared.status).to.equal(413);
      const chunked = await call(small.url, tokens[alice]!, 'PUT', tablePath(`${mine}.big`), Readable.from([big.slice(0, 15000), big.slice(15000)]), 'text/csv');
      expect(chunked.status).to.equal(413);
      expect(chunked.text).to.include('20000 bytes');
      await expectNoTable(`${mine}.big`);
    } finally {
      await small.close();
    }
  });

  it('rolls back when the client goes away mid-body: nothing left behind, the name free again', async () => {
    const name = `${mine}.cutoff`;
    const url = new URL(srv.url + tablePath(name));
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'PUT', headers: { authorization: `Bearer ${tokens[alice]}`, 'content-type': 'text/csv' } });
      req.on('error', () => resolve());
      req.write('k,v\n' + Array.from({ length: 2000 }, (_, i) => `${i},${i}\n`).join(''));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    // The aborted load releases its lock and connection: the same name can be created at once.
    let res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(name), 'k\n1\n', 'text/csv');
    for (let i = 0; i < 20 && res.status === 409; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await call(srv.url, tokens[alice]!, 'PUT', tablePath(name), 'k\n1\n', 'text/csv');
    }
    expect(res.status, res.text).to.equal(201);
    expect((await adql(srv.url, tokens[alice]!, `SELECT COUNT(*) AS n FROM ${name}`)).rows[1]).to.deep.equal(['1']);
  });

  it('limits the tables one user holds (USER_TABLES_MAX): a clean 403 past it, room again after a DELETE', async () => {
    const { db } = await testDatabase();
    const dave = `dave${sfx}`;
    const daves = `daveUT_${sfx}`;
    const token = (await addUser(db, dave)).token;
    await createOwnedDatabase(db, { level: 'L3', name: daves, owner: dave });
    const capped = await serve({ USER_TABLES_MAX: '2' });
    try {
      expect((await call(capped.url, token, 'PUT', tablePath(`${daves}.t1`), 'a\n1\n', 'text/csv')).status).to.equal(201);
      expect((await call(capped.url, token, 'PUT', tablePath(`${daves}.t2`), 'a\n1\n', 'text/csv')).status).to.equal(201);
      const over = await call(capped.url, token, 'PUT', tablePath(`${daves}.t3`), 'a\n1\n', 'text/csv');
      expect(over.status).to.equal(403);
      expect(over.text).to.include('USER_TABLES_MAX = 2');
      await expectNoTable(`${daves}.t3`);
      expect((await call(capped.url, token, 'DELETE', tablePath(`${daves}.t1`))).status).to.equal(204);
      expect((await call(capped.url, token, 'PUT', tablePath(`${daves}.t3`), 'a\n1\n', 'text/csv')).status).to.equal(201);
    } finally {
      await capped.close();
    }
  });

  it('DELETE drops the table with its TAP_SCHEMA and registry rows (204); only the owner may', async () => {
    const name = `${mine}.cands`;
    expect((await call(srv.url, null, 'DELETE', tablePath(name))).status).to.equal(401);
    expect((await call(srv.url, tokens[bob]!, 'DELETE', tablePath(name))).status).to.equal(404);
    expect((await call(srv.url, tokens[carol]!, 'DELETE', tablePath(name))).status).to.equal(403);
    expect((await call(srv.url, tokens[alice]!, 'DELETE', tablePath('DC_W13_Stripe82.Object'))).status).to.equal(403);
    expect((await adql(srv.url, tokens[alice]!, `SELECT COUNT(*) FROM ${name}`)).status).to.equal(200);
    const del = await call(srv.url, tokens[alice]!, 'DELETE', tablePath(name));
    expect(del.status).to.equal(204);
    await expectNoTable(name);
    const gone = await adql(srv.url, tokens[alice]!, `SELECT COUNT(*) FROM ${name}`);
    expect(gone.status).to.equal(400);
    expect(gone.text).to.match(/no table/i);
    expect((await call(srv.url, tokens[alice]!, 'GET', tablePath(name))).status).to.equal(404);
    expect((await call(srv.url, tokens[alice]!, 'DELETE', tablePath(name))).status).to.equal(404);
    // The other tables of the database are untouched.
    expect((await adql(srv.url, tokens[alice]!, `SELECT COUNT(*) AS n FROM ${mine}.stars`)).rows[1]).to.deep.equal(['3']);
  });
});

/** Neither PostgreSQL, TAP_SCHEMA nor the registry knows the table `db.table`. */
async function expectNoTable(tapName: string): Promise<void> {
  const { db } = await testDatabase();
  const [schema, table] = [tapName.slice(0, tapName.indexOf('.')), tapName.slice(tapName.indexOf('.') + 1)];
  const found = await db.query(
    `SELECT 'pg' AS src FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND lower(c.relname) = lower($2)
     UNION ALL SELECT 'tables' FROM "TAP_SCHEMA".tables WHERE table_name = $3
     UNION ALL SELECT 'columns' FROM "TAP_SCHEMA".columns WHERE table_name = $3
     UNION ALL SELECT 'registry' FROM vodax.tables WHERE table_name = $3`,
    [schema, table, tapName],
  );
  expect(found, tapName).to.deep.equal([]);
}
