/**
 * End-to-end isolation: two users with tokens (and a third the database is shared with), every
 * face that exists checked for leaks of the other's private (L3) database, its tables and jobs.
 */
import { expect } from 'chai';
import crypto from 'node:crypto';
import { testServer, type TestServer } from '../support/server.js';
import { testDatabase } from '../support/database.js';
import { addUser } from '../../src/auth/users.js';
import { createOwnedDatabase, shareDatabase } from '../../src/ingest/user-databases.js';
import { loadTable } from '../../src/ingest/loader.js';

/** A request as some caller: status, headers and text of the answer. */
async function as(token: string | null, base: string, path: string, init: RequestInit = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const res = await fetch(base + path, { ...init, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('security: isolation of private databases between users', () => {
  let srv: TestServer;
  const sfx = crypto.randomBytes(3).toString('hex');
  const alice = `alice${sfx}`;
  const bob = `bob${sfx}`;
  const carol = `carol${sfx}`;
  const privDb = `alicePriv_${sfx}`;
  const secretTable = 'SecretStars';
  const tokens: Record<string, string> = {};
  before(async () => {
    const { db } = await testDatabase();
    for (const u of [alice, bob, carol]) tokens[u] = (await addUser(db, u)).token;
    await createOwnedDatabase(db, { level: 'L3', name: privDb, owner: alice, description: 'alice private catalog' });
    await db.transaction((client) =>
      loadTable(client, privDb, {
        meta: {
          name: secretTable,
          description: 'secret table',
          columns: [
            { name: 'id', datatype: 'long' },
            { name: 'ra', datatype: 'double', unit: 'deg' },
            { name: 'dec', datatype: 'double', unit: 'deg' },
            { name: 'codename', datatype: 'char', arraysize: '*' },
          ],
          position: { ra: 'ra', dec: 'dec' },
          primaryKey: ['id'],
        },
        rows: [
          [1n, 10.5, -0.5, 'aurora'],
          [2n, 11.5, 0.5, 'borealis'],
        ],
      }),
    );
    await shareDatabase(db, privDb, carol);
    srv = await testServer();
  });
  after(() => srv.close());

  const seers = () => [tokens[alice]!, tokens[carol]!];
  const strangers = () => [null, tokens[bob]!];

  it('M3/M4: the level and the database are listed only for the owner and those it is shared with', async () => {
    for (const t of seers()) {
      const dbs = JSON.parse((await as(t, srv.url, '/meta/v0/db/L3')).text).result;
      expect(dbs).to.include(privDb);
      expect(JSON.parse((await as(t, srv.url, '/meta/v0/db')).text).result).to.include('L3');
    }
    for (const t of strangers()) {
      const res = await as(t, srv.url, '/meta/v0/db/L3');
      expect(res.status).to.equal(200);
      expect(res.text).not.to.include(privDb);
      // A LIKE pattern or a substring cannot fish it out either.
      expect((await as(t, srv.url, `/meta/v0/db/L3?containing=${encodeURIComponent('%')}`)).text).not.to.include(privDb);
      expect((await as(t, srv.url, `/meta/v0/db/L3?containing=alicePriv`)).text).not.to.include(privDb);
    }
    // bob has no L3 database of his own and none shared: M3 does not even list the level.
    expect(JSON.parse((await as(tokens[bob]!, srv.url, '/meta/v0/db')).text).result).not.to.include('L3');
  });

  it('M5-M8: the database, its tables, a table and its schema are 404 to strangers, identical to a missing one', async () => {
    const paths = [
      `/meta/v0/db/L3/${privDb}`,
      `/meta/v0/db/L3/${privDb}/tables`,
      `/meta/v0/db/L3/${privDb}/tables/${secretTable}`,
      `/meta/v0/db/L3/${privDb}/tables/${secretTable}/schema`,
    ];
    for (const p of paths) {
      for (const t of seers()) {
        const ok = await as(t, srv.url, p);
        expect(ok.status, p).to.equal(200);
      }
      for (const t of strangers()) {
        const res = await as(t, srv.url, p);
        expect(res.status, `${p} as ${t ? 'bob' : 'anonymous'}`).to.equal(404);
        expect(res.text).not.to.include(secretTable);
        // The answer for a private database is the answer for one that does not exist.
        const missing = await as(t, srv.url, p.replace(privDb, `noSuch_${sfx}`));
        expect(missing.status).to.equal(404);
        expect(res.text.replace(privDb, 'X')).to.equal(missing.text.replace(`noSuch_${sfx}`, 'X'));
      }
    }
    expect((await as(tokens[alice]!, srv.url, `/meta/v0/db/L3/${privDb}/tables/${secretTable}/schema`)).text).to.include('codename');
  });

  it('the level of a private database is not a way around: other levels do not show it', async () => {
    for (const level of ['L1', 'L2', 'dc', 'dev', 'l3']) {
      const res = await as(tokens[bob]!, srv.url, `/meta/v0/db/${level}/${privDb}`);
      expect(res.status, level).to.equal(404);
    }
  });

  it('VOSI tables: the schema and its tables appear only for those who may see them', async () => {
    for (const t of seers()) {
      const xml = (await as(t, srv.url, '/db/v0/tap/tables', { headers: { accept: 'text/xml' } })).text;
      expect(xml).to.include(`${privDb}.${secretTable}`);
      const one = await as(t, srv.url, `/db/v0/tap/tables/${privDb}.${secretTable}`, { headers: { accept: 'text/xml' } });
      expect(one.status).to.equal(200);
      expect(one.text).to.include('codename');
    }
    for (const t of strangers()) {
      const xml = (await as(t, srv.url, '/db/v0/tap/tables', { headers: { accept: 'text/xml' } })).text;
      expect(xml).to.include('DC_W13_Stripe82');
      expect(xml).not.to.include(privDb);
      expect(xml).not.to.include('codename');
      const one = await as(t, srv.url, `/db/v0/tap/tables/${privDb}.${secretTable}`, { headers: { accept: 'text/xml' } });
      expect(one.status).to.equal(404);
      expect(one.text).not.to.include('codename');
    }
  });

  it('the HTML landing page lists the private database only for those who may see it', async () => {
    const html = async (t: string | null) => (await as(t, srv.url, '/', { headers: { accept: 'text/html' } })).text;
    expect(await html(tokens[alice]!)).to.include(privDb);
    expect(await html(tokens[carol]!)).to.include(privDb);
    expect(await html(tokens[bob]!)).not.to.include(privDb);
    expect(await html(null)).not.to.include(privDb);
  });

  it("joe's sample database is private to joe as well", async () => {
    for (const t of [null, tokens[alice]!, tokens[bob]!]) {
      expect((await as(t, srv.url, '/meta/v0/db/L3')).text).not.to.include('joe_myDb');
      expect((await as(t, srv.url, '/meta/v0/db/L3/joe_myDb')).status).to.equal(404);
      expect((await as(t, srv.url, '/db/v0/tap/tables', { headers: { accept: 'text/xml' } })).text).not.to.include('joe_myDb');
    }
  });
});
