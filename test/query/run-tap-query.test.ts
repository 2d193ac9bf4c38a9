/** The TAP query use case that sync answers and async jobs both run, without HTTP. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig, type Config } from '../../src/config.js';
import { CatalogCache } from '../../src/catalog/query-catalog.js';
import { UploadSpool } from '../../src/query/uploads.js';
import { RequestParams } from '../../src/params/request-params.js';
import { checkTapQuery, readTapQuery, runTapQuery, type TapQueryServices } from '../../src/query/run-tap-query.js';
import { freshDatabase, testDatabase } from '../support/database.js';
import { Database } from '../../src/storage/database.js';
import { createDatabase, loadTable } from '../../src/ingest/loader.js';

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of body) parts.push(b);
  return Buffer.concat(parts).toString('utf8');
}

describe('runTapQuery', () => {
  let dataDir: string;
  let config: Config;
  let services: TapQueryServices;
  let spool: UploadSpool;
  const run = () => ({ spool, viewer: null, signal: new AbortController().signal, timeoutMs: 10_000, requestDate: new Date('2024-01-02T03:04:05Z') });

  before(async () => {
    const { db } = await testDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-run-tap-query-'));
    config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    services = { config, db, catalogs: new CatalogCache(db) };
  });
  beforeEach(() => {
    spool = new UploadSpool(path.join(dataDir, 'spool'));
  });
  afterEach(() => spool.dispose());
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const params = (p: Record<string, string>) => RequestParams.fromEntries(Object.entries(p));

  it('answers the format asked for and the document of the query', async () => {
    const query = readTapQuery(params({ QUERY: 'SELECT TOP 3 objectId FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: 'csv' }), config.limits);
    const { format, body } = await runTapQuery(services, query, run());
    expect(format.format.name).to.equal('csv');
    expect((await text(body)).trim().split(/\r?\n/)).to.have.length(4);
  });

  it('queries the uploads the spool holds as TAP_UPLOAD tables', async () => {
    const file = path.join(dataDir, 'ids.csv');
    fs.writeFileSync(file, 'id,tag\n1,a\n2,b\n');
    spool.use('part1', file);
    const query = readTapQuery(params({ QUERY: 'SELECT tag FROM TAP_UPLOAD.mine ORDER BY id', UPLOAD: 'mine,param:part1', RESPONSEFORMAT: 'csv' }), config.limits);
    expect((await text((await runTapQuery(services, query, run())).body)).trim().split(/\r?\n/)).to.deep.equal(['tag', 'a', 'b']);
  });

  it('fails before any byte on a query that fails, and names an upload part the spool lacks', async () => {
    const bad = readTapQuery(params({ QUERY: 'SELECT dec FROM DC_W13_Stripe82.Object' }), config.limits);
    await runTapQuery(services, bad, run()).then(
      () => expect.fail('ran'),
      (e: Error) => expect(e.message).to.match(/decl/),
    );
    const missing = readTapQuery(params({ QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: 't,param:nowhere' }), config.limits);
    await runTapQuery(services, missing, run()).then(
      () => expect.fail('ran'),
      (e: Error) => expect(e.message).to.match(/nowhere/),
    );
  });

  it('checks a query without running it (HEAD): its format, or the same error', async () => {
    const ok = readTapQuery(params({ QUERY: 'SELECT TOP 1 ra FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: 'votable/b2' }), config.limits);
    expect((await checkTapQuery(services, ok, run())).contentType).to.match(/serialization=BINARY2/i);
    const bad = readTapQuery(params({ QUERY: 'SELECT dec FROM DC_W13_Stripe82.Object' }), config.limits);
    await checkTapQuery(services, bad, run()).then(
      () => expect.fail('checked'),
      (e: Error) => expect(e.message).to.match(/decl/),
    );
  });
});

describe('runTapQuery over a cached catalog', () => {
  it('asks the database nothing but the query once the catalog is cached, and still follows what another process commits', async () => {
    const fresh = await freshDatabase();
    const other = new Database(fresh.url, 2);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-run-tap-query-'));
    const spool = new UploadSpool(path.join(dataDir, 'spool'));
    try {
      const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
      let asked = 0;
      // Counts the statements run outside a query's own transaction (the catalog version, loads).
      const db = new Proxy(fresh.db, {
        get: (target, key) => (key === 'query' ? (...args: Parameters<Database['query']>) => (asked++, target.query(...args)) : Reflect.get(target, key)),
      });
      const services: TapQueryServices = { config, db, catalogs: new CatalogCache(db) };
      const run = () => ({ spool, viewer: null, signal: new AbortController().signal, timeoutMs: 10_000, requestDate: new Date() });
      const ask = async (q: string) => text((await runTapQuery(services, readTapQuery(RequestParams.fromEntries([['QUERY', q], ['RESPONSEFORMAT', 'csv']]), config.limits), run())).body);
      const make = (name: string, rows: number[][]) =>
        other.transaction(async (c) => {
          await createDatabase(c, { name, level: 'L2', owner: 'ann', description: '', annotations: {} });
          await loadTable(c, name, { meta: { name: 'T', columns: [{ name: 'x', datatype: 'int' }] }, rows });
        });
      await make('Uno', [[1]]);
      expect(await ask('SELECT x FROM Uno.T')).to.equal('x\r\n1\r\n');
      asked = 0;
      expect(await ask('SELECT x FROM Uno.T')).to.equal('x\r\n1\r\n');
      expect(asked, 'statements beside the query').to.equal(0);
      // Another process adds a table: the cached catalog does not know it, the current one does.
      await make('Dos', [[2]]);
      expect(await ask('SELECT x FROM Dos.T')).to.equal('x\r\n2\r\n');
      // The catalog moves on under a query the cached one accepts: checked again, it runs.
      await make('Tres', [[3]]);
      expect(await ask('SELECT x FROM Uno.T')).to.equal('x\r\n1\r\n');
      // A table dropped by another process: refused as unknown, as if never cached.
      await other.transaction(async (c) => {
        await c.query(`DELETE FROM "TAP_SCHEMA".columns WHERE table_name = 'Uno.T'`);
        await c.query(`DELETE FROM "TAP_SCHEMA".tables WHERE table_name = 'Uno.T'`);
      });
      await runTapQuery(services, readTapQuery(RequestParams.fromEntries([['QUERY', 'SELECT x FROM Uno.T']]), config.limits), run()).then(
        () => expect.fail('ran'),
        (e: Error) => expect(e.message).to.match(/Uno\.T|not found|unknown/i),
      );
    } finally {
      await spool.dispose();
      await other.close();
      await fresh.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
