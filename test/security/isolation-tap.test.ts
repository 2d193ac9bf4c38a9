/**
 * End-to-end isolation on the IVOA and image faces: two users with tokens and anonymous callers,
 * a private (L3) database with a table and a private image of the first user. Checked: ADQL
 * through TAP sync and async, TAP_SCHEMA as ADQL shows it, VOSI tables, UWS jobs on every
 * sub-resource, the LSST image metadata and pixels, and ivoa.obscore.
 */
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { engineFromConfig, type JobEngine } from '../../src/jobs/job-engine.js';
import { tapJobKind } from '../../src/query/tap-job-kind.js';
import { CatalogCache } from '../../src/catalog/query-catalog.js';
import { addUser } from '../../src/auth/users.js';
import { createOwnedDatabase } from '../../src/ingest/user-databases.js';
import { loadTable } from '../../src/ingest/loader.js';
import { registerImage } from '../../src/images/image-catalog.js';
import { describeImageFile } from '../../src/images/describe.js';
import { FitsFile } from '../../src/fits/file.js';
import { imageHduChunks } from '../../src/fits/image-writer.js';
import { fitsCards } from '../../src/fits/header-writer.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';

/** An answer: status, headers, text. */
interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

/** Write a small float image with a TAN WCS centred on (ra, dec), 0.2 arcsec pixels. */
function writeImage(file: string, ra: number, dec: number): void {
  const size = 32;
  const scale = 0.2 / 3600;
  const cards = [
    ...fitsCards('CTYPE1', 'RA---TAN'),
    ...fitsCards('CTYPE2', 'DEC--TAN'),
    ...fitsCards('CRPIX1', size / 2 + 0.5),
    ...fitsCards('CRPIX2', size / 2 + 0.5),
    ...fitsCards('CRVAL1', ra),
    ...fitsCards('CRVAL2', dec),
    ...fitsCards('CD1_1', -scale),
    ...fitsCards('CD1_2', 0),
    ...fitsCards('CD2_1', 0),
    ...fitsCards('CD2_2', scale),
    ...fitsCards('RADESYS', 'ICRS'),
  ];
  const data = Float32Array.from({ length: size * size }, (_, i) => i % 7);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([...imageHduChunks({ primary: true, bitpix: -32, width: size, height: size, cards }, data)]));
}

describe('security: isolation on TAP (sync, async, TAP_SCHEMA, VOSI) and images', function () {
  this.timeout(60_000);
  const sfx = crypto.randomBytes(3).toString('hex');
  const alice = `alice${sfx}`;
  const bob = `bob${sfx}`;
  const privDb = `alicePriv_${sfx}`;
  const secret = 'SecretStars';
  const secretQuery = `SELECT id, codename FROM ${privDb}.${secret} ORDER BY id`;
  const collection = `mine${sfx}`;
  const tokens: Record<string, string> = {};
  let fresh: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let jobs: JobEngine;
  let server: http.Server;
  let base: string;
  let privateImage: number;
  let publicImage: number;

  /** A request as alice, bob or anonymous (null). */
  const as = async (user: string | null, p: string, init: RequestInit = {}): Promise<Answer> => {
    const headers = new Headers(init.headers);
    if (user) headers.set('authorization', `Bearer ${tokens[user]}`);
    const res = await fetch(p.startsWith('http') ? p : base + p, { ...init, headers, redirect: 'manual' });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  /** ADQL through TAP sync as CSV. */
  const adql = (user: string | null, query: string) => as(user, `/db/v0/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: query, FORMAT: 'csv' })}`);
  /** Submit a TAP async job and run it; its URL. */
  const submit = async (user: string | null, query: string): Promise<string> => {
    const res = await as(user, '/db/v0/tap/async', { method: 'POST', body: new URLSearchParams({ LANG: 'ADQL', QUERY: query, FORMAT: 'csv', PHASE: 'RUN' }) });
    expect(res.status, res.text).to.equal(303);
    return res.headers.get('location')!;
  };
  /** Wait until a job is COMPLETED or ERROR (as its owner); the final phase. */
  const finish = async (user: string | null, job: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const res = await as(user, `${job}?WAIT=2`);
      const phase = /<uws:phase>([A-Z]+)<\/uws:phase>/.exec(res.text)?.[1];
      if (phase === 'COMPLETED' || phase === 'ERROR' || phase === 'ABORTED') return phase;
    }
    throw new Error(`job ${job} did not finish`);
  };

  before(async () => {
    fresh = await freshDatabase();
    const db = fresh.db;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-isolation-'));
    for (const u of [alice, bob]) tokens[u] = (await addUser(db, u)).token;
    await createOwnedDatabase(db, { level: 'L3', name: privDb, owner: alice, description: 'alice private catalog' });
    await db.transaction((client) =>
      loadTable(client, privDb, {
        meta: {
          name: secret,
          description: 'secret table',
          columns: [
            { name: 'id', datatype: 'long' },
            { name: 'ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main' },
            { name: 'dec', datatype: 'double', unit: 'deg', ucd: 'pos.eq.dec;meta.main' },
            { name: 'codename', datatype: 'char', arraysize: '*' },
          ],
          position: { ra: 'ra', dec: 'dec' },
          primaryKey: ['id'],
        },
        rows: [
          [1n, 20.0, 10.0, 'aurora'],
          [2n, 20.001, 10.001, 'borealis'],
        ],
      }),
    );
    // Two images: a public (L2) one, and alice's private (L3) one.
    for (const [level, owner, rel] of [['L2', 'lsst', `public${sfx}.fits`], ['L3', alice, `${alice}/secret.fits`]] as const) {
      const file = path.join(dataDir, 'images', rel);
      writeImage(file, 20, 10);
      const f = await FitsFile.open(file);
      const d = describeImageFile(f);
      await f.close();
      const id = await registerImage(db, { level, collection, kind: 'calexp', owner, path: rel, fileBytes: fs.statSync(file).size, ...d }, 'http://vodax.test');
      if (level === 'L3') privateImage = id;
      else publicImage = id;
    }
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const log = createLogger('silent');
    // One catalog cache for the jobs and the routes, as the server has.
    const catalogs = new CatalogCache(db);
    jobs = engineFromConfig(config, db, log, [tapJobKind({ config, db, catalogs })]);
    await jobs.start();
    const app = createApp({ config, log, db, registry: new Registry(db, addressOf(fresh.url)), catalogs, jobs });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await jobs?.stop(1000);
    await fresh?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('TAP sync: the owner reads the private table; another user and anonymous get 400 "no table", as for a missing one', async () => {
    const mine = await adql(alice, secretQuery);
    expect(mine.status, mine.text).to.equal(200);
    expect(mine.text).to.include('aurora');
    for (const who of [bob, null]) {
      for (const q of [secretQuery, `SELECT * FROM "${privDb}"."${secret}"`, `SELECT * FROM ${secret}`, `SELECT COUNT(*) FROM ${privDb}.${secret.toLowerCase()}`]) {
        const res = await adql(who, q);
        expect(res.status, `${q} as ${who ?? 'anonymous'}`).to.equal(400);
        expect(res.text).to.match(/no table/i);
        expect(res.text).not.to.match(/aurora|codename/);
      }
      // The error for the private table says no more than the error for a table that does not exist.
      const hidden = await adql(who, `SELECT * FROM ${privDb}.${secret}`);
      const missing = await adql(who, `SELECT * FROM nosuch${sfx}.${secret}`);
      expect(hidden.text.replaceAll(privDb, 'X')).to.equal(missing.text.replaceAll(`nosuch${sfx}`, 'X'));
    }
    // A crossmatch against it from a public table does not reach it either.
    expect((await adql(bob, `SELECT s.id FROM ${privDb}.${secret} AS s JOIN TAP_SCHEMA.tables AS t ON 1 = 1`)).status).to.equal(400);
  });

  it('TAP_SCHEMA through ADQL lists the schema, table and columns only to the owner', async () => {
    const listing = async (who: string | null) =>
      [
        (await adql(who, 'SELECT schema_name FROM TAP_SCHEMA.schemas')).text,
        (await adql(who, 'SELECT table_name, description FROM TAP_SCHEMA.tables')).text,
        (await adql(who, 'SELECT table_name, column_name FROM TAP_SCHEMA.columns')).text,
        (await adql(who, `SELECT COUNT(*) AS n FROM TAP_SCHEMA.columns WHERE column_name = 'codename'`)).text,
      ].join('\n');
    const mine = await listing(alice);
    expect(mine).to.include(privDb);
    expect(mine).to.include(`${privDb}.${secret}`);
    expect(mine).to.include('codename');
    for (const who of [bob, null]) {
      const theirs = await listing(who);
      expect(theirs).to.include('TAP_SCHEMA.tables');
      expect(theirs).not.to.include(privDb);
      expect(theirs).not.to.include('codename');
      expect(theirs).not.to.include('secret table');
      expect(theirs).to.match(/^n\r?\n0\r?$/m);
    }
  });

  it('VOSI tables lists it only for the owner', async () => {
    expect((await as(alice, '/db/v0/tap/tables')).text).to.include(`${privDb}.${secret}`);
    for (const who of [bob, null]) {
      const all = await as(who, '/db/v0/tap/tables');
      expect(all.status).to.equal(200);
      expect(all.text).not.to.include(privDb);
      expect((await as(who, `/db/v0/tap/tables/${privDb}.${secret}`)).status).to.equal(404);
    }
  });

  it("UWS: another user's job is 404 on every sub-resource, for reading and for changing, and absent from their job list", async () => {
    const job = await submit(alice, secretQuery);
    expect(await finish(alice, job)).to.equal('COMPLETED');
    const failed = await submit(alice, `SELECT nothing FROM ${privDb}.NoSuchTable`);
    expect(await finish(alice, failed)).to.equal('ERROR');
    const id = job.slice(job.lastIndexOf('/') + 1);
    const subs = ['', '/phase', '/parameters', '/results', '/results/result', '/error', '/quote', '/owner', '/executionduration', '/destruction', '/runId'];
    // The owner sees each of them.
    for (const s of subs) {
      const target = s === '/error' ? failed : job;
      expect((await as(alice, target + s)).status, `alice GET ${s}`).to.equal(200);
    }
    expect((await as(alice, `${job}/results/result`)).text).to.include('aurora');
    expect((await as(alice, `${job}/parameters`)).text).to.include(secret);
    for (const who of [bob, null]) {
      for (const target of [job, failed]) {
        for (const s of subs) {
          const res = await as(who, target + s);
          expect(res.status, `${who ?? 'anonymous'} GET ${s}`).to.equal(404);
          expect(res.text).not.to.match(/aurora|SecretStars|NoSuchTable/);
        }
      }
      // Changing it is 404 as well, and leaves it as it was.
      const posts: [string, Record<string, string>][] = [
        ['', { ACTION: 'DELETE' }],
        ['/phase', { PHASE: 'ABORT' }],
        ['/executionduration', { EXECUTIONDURATION: '1' }],
        ['/destruction', { DESTRUCTION: '2000-01-01T00:00:00Z' }],
        ['/parameters', { QUERY: 'SELECT 1 FROM TAP_SCHEMA.tables' }],
      ];
      for (const [s, form] of posts) {
        const res = await as(who, job + s, { method: 'POST', body: new URLSearchParams(form) });
        expect(res.status, `${who ?? 'anonymous'} POST ${s}`).to.equal(404);
      }
      expect((await as(who, job, { method: 'DELETE' })).status).to.equal(404);
      // A real job id reads like a made-up one.
      const fake = job.replace(id, 'A'.repeat(id.length));
      expect((await as(who, job)).text.replace(id, 'X')).to.equal((await as(who, fake)).text.replace('A'.repeat(id.length), 'X'));
      const list = await as(who, '/db/v0/tap/async');
      expect(list.status).to.equal(200);
      expect(list.text).not.to.include(id);
    }
    expect((await as(alice, '/db/v0/tap/async')).text).to.include(id);
    expect((await as(alice, `${job}/phase`)).text).to.equal('COMPLETED');
    expect((await as(alice, `${job}/destruction`)).text).not.to.match(/^2000/);
  });

  it("UWS: another user's job over the private table fails with 'no table'; anonymous jobs are listed to no one", async () => {
    const bobs = await submit(bob, secretQuery);
    expect(await finish(bob, bobs)).to.equal('ERROR');
    const err = await as(bob, `${bobs}/error`);
    expect(err.text).to.match(/no table/i);
    expect((await as(bob, `${bobs}/results`)).text).not.to.include('aurora');
    const anon = await submit(null, 'SELECT COUNT(*) AS n FROM TAP_SCHEMA.tables');
    expect(await finish(null, anon)).to.equal('COMPLETED');
    const anonId = anon.slice(anon.lastIndexOf('/') + 1);
    for (const who of [alice, bob, null]) expect((await as(who, '/db/v0/tap/async')).text).not.to.include(anonId);
    // Reachable through its URL, which only its submitter knows.
    expect((await as(null, `${anon}/phase`)).text).to.equal('COMPLETED');
  });

  it('images: the private image is 404 to others in /meta/v0/image and /image/v0, and its level and collection are not listed', async () => {
    const paths = [
      `/meta/v0/image/L3/${collection}/calexp/${privateImage}`,
      `/image/v0/L3/${collection}/calexp/${privateImage}`,
      `/image/v0/L3/${collection}/calexp/${privateImage}?plane=data`,
      `/image/v0/L3/${collection}/calexp/${privateImage}?format=png`,
      `/image/v0/L3/${collection}/calexp/${privateImage}/cutout?x=0&y=0&width=4&height=4`,
      `/image/v0/L3/${collection}/calexp/cutout?ra=20&dec=10&widthPix=4&heightPix=4`,
    ];
    for (const p of paths) expect((await as(alice, p)).status, `alice ${p}`).to.equal(200);
    expect((await as(alice, '/meta/v0/image')).text).to.include('L3');
    expect((await as(alice, `/meta/v0/image/L3/${collection}/calexp`)).text).to.include(`/${privateImage}`);
    for (const who of [bob, null]) {
      for (const p of paths) {
        const res = await as(who, p);
        expect(res.status, `${who ?? 'anonymous'} ${p}`).to.equal(404);
      }
      // Under another level or collection, the id does not lead to it either.
      expect((await as(who, `/image/v0/L2/${collection}/calexp/${privateImage}`)).status).to.equal(404);
      expect((await as(who, `/meta/v0/image/L2/${collection}/calexp/${privateImage}`)).status).to.equal(404);
      expect(JSON.parse((await as(who, '/meta/v0/image')).text).result).not.to.include('L3');
      const l3 = await as(who, '/meta/v0/image/L3');
      expect(l3.text).not.to.include(collection);
      const listing = await as(who, `/meta/v0/image/L3/${collection}/calexp`);
      expect(listing.text).not.to.include(`/${privateImage}`);
      // The public image next to it is served.
      expect((await as(who, `/meta/v0/image/L2/${collection}/calexp/${publicImage}`)).status).to.equal(200);
    }
  });

  it('images: ivoa.obscore queried through TAP shows the public image and never the private one', async () => {
    for (const who of [alice, bob, null]) {
      const res = await adql(who, `SELECT obs_publisher_did, access_url FROM ivoa.obscore WHERE obs_collection = '${collection}'`);
      expect(res.status, res.text).to.equal(200);
      expect(res.text).to.include(`ivo://vodax/image?${publicImage}`);
      expect(res.text).not.to.include(`ivo://vodax/image?${privateImage}`);
      expect(res.text).not.to.include('/L3/');
    }
    const count = await adql(bob, `SELECT COUNT(*) AS n FROM ivoa.obscore WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 20, 10, 0.01))`);
    expect(count.text).to.match(/^n\r?\n1\r?$/m);
  });
});
