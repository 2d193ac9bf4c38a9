import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase, testDatabase } from '../support/database.js';
import { Database } from '../../src/storage/database.js';
import { CatalogMovedError, QueryCancelledError } from '../../src/errors.js';
import { recordingDatabase } from '../support/recording-database.js';
import { GenericPlans, MAX_STATEMENTS, parameterized } from '../../src/storage/generic-plans.js';
import { CatalogCache, loadCatalog } from '../../src/catalog/query-catalog.js';
import { createDatabase, loadTable } from '../../src/ingest/loader.js';
import { dropTable } from '../../src/ingest/drop.js';
import { loadConfig } from '../../src/config.js';
import { UploadSpool } from '../../src/query/uploads.js';
import { RequestParams } from '../../src/params/request-params.js';
import { readTapQuery, runTapQuery } from '../../src/query/run-tap-query.js';
import { prepareQuery, GENERIC_PLAN_MAX_RADIUS } from '../../src/query/prepared-query.js';
import { resultStream } from '../../src/query/result-stream.js';
import { votableWriter } from '../../src/formats/votable-writer.js';
import { csvWriter } from '../../src/formats/csv-writer.js';
import type { ColumnMeta } from '../../src/formats/table-model.js';

const requestDate = new Date('2024-05-06T07:08:09.010Z');

async function bytesOf(stream: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of stream) parts.push(b);
  return Buffer.concat(parts).toString('utf8');
}

const cone = (ra: number, dec: number, r = 0.05) =>
  `SELECT objectId, ra, decl, rPsfMag FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', ${ra}, ${dec}, ${r}))`;

describe('storage: generic plans for cones', () => {
  describe('parameterized', () => {
    it('makes the numbers of the fragments parameters typed as PostgreSQL types the literals, and nothing else', () => {
      const sql = 'SELECT "a1"."x2" FROM t AS "a1" WHERE ("a1"."h" BETWEEN 0 AND 3000000000 AND "a1"."x2" - 0.25 <= 7.5e-7) ORDER BY 1 LIMIT 11';
      const p = parameterized(sql, ['("a1"."h" BETWEEN 0 AND 3000000000 AND "a1"."x2" - 0.25 <= 7.5e-7)'])!;
      expect(p.text).to.equal(
        'SELECT "a1"."x2" FROM t AS "a1" WHERE ("a1"."h" BETWEEN $1::integer AND $2::bigint AND "a1"."x2" - $3::numeric <= $4::numeric) ORDER BY 1 LIMIT 11',
      );
      expect(p.args).to.deep.equal(['0', '3000000000', '0.25', '7.5e-7']);
      // Past bigint a literal is numeric, as PostgreSQL reads it; leading zeros do not count.
      expect(parameterized('x = 99999999999999999999', ['99999999999999999999'])!.text).to.equal('x = $1::numeric');
      expect(parameterized('x = 2147483648 OR x = 00000000002147483647 OR x = 9223372036854775808', ['x = 2147483648 OR x = 00000000002147483647 OR x = 9223372036854775808'])!.text).to.equal(
        'x = $1::bigint OR x = $2::integer OR x = $3::numeric',
      );
    });

    it('declines fragments it cannot find in order, with a quote, or without a number', () => {
      expect(parameterized('a = 1 AND b = 2', ['b = 2', 'a = 1'])).to.equal(null);
      expect(parameterized("a = 1 AND b = '2'", ["b = '2'"])).to.equal(null);
      expect(parameterized('a = b', ['a = b'])).to.equal(null);
      expect(parameterized('"c1" = "t9"."n3"', ['"c1" = "t9"."n3"'])).to.equal(null);
    });
  });

  describe('GenericPlans', () => {
    /** A connection's query that records what it is sent, failing with `fail` for texts that match. */
    function recorder(fail?: { match: RegExp; code: string }) {
      const sent: string[] = [];
      const run = async (sql: string) => {
        sent.push(sql);
        if (fail && fail.match.test(sql)) throw Object.assign(new Error('refused'), { code: fail.code });
      };
      return { sent, run };
    }

    it('prepares a text once per connection, in a round trip of its own, and deallocates the least recently used past the limit', async () => {
      const plans = new GenericPlans();
      const a = {};
      const b = {};
      const { sent, run } = recorder();
      const first = await plans.statement(a, 'SELECT $1::integer', run);
      expect(sent).to.deep.equal([`PREPARE ${first} AS SELECT $1::integer`]);
      expect(await plans.statement(a, 'SELECT $1::integer', run)).to.equal(first);
      expect(sent).to.have.length(1);
      const other = await plans.statement(b, 'SELECT $1::integer', run);
      expect(sent, 'another connection prepares its own').to.deep.equal([`PREPARE ${first} AS SELECT $1::integer`, `PREPARE ${other} AS SELECT $1::integer`]);
      for (let i = 1; i < MAX_STATEMENTS; i++) await plans.statement(a, `SELECT ${i} + $1::integer`, run);
      expect(plans.count(a)).to.equal(MAX_STATEMENTS);
      // The first was used again since: the second-oldest goes.
      await plans.statement(a, 'SELECT $1::integer', run);
      sent.length = 0;
      const next = await plans.statement(a, 'SELECT -1 + $1::integer', run);
      expect(sent).to.have.length(2);
      expect(sent[0]).to.match(/^DEALLOCATE vodax_cone_\w+$/);
      expect(sent[0]).not.to.equal(`DEALLOCATE ${first}`);
      expect(sent[1]).to.equal(`PREPARE ${next} AS SELECT -1 + $1::integer`);
      expect(plans.count(a)).to.equal(MAX_STATEMENTS);
    });

    it('records nothing when the PREPARE fails (a cancel, a refused text), and tries again next time', async () => {
      const plans = new GenericPlans();
      const c = {};
      const failing = recorder({ match: /PREPARE/, code: '57014' });
      let caught: unknown = null;
      await plans.statement(c, 'SELECT 1', failing.run).catch((e: unknown) => (caught = e));
      expect((caught as { code?: string }).code).to.equal('57014');
      expect(plans.count(c)).to.equal(0);
      const { sent, run } = recorder();
      const name = await plans.statement(c, 'SELECT 1', run);
      expect(sent).to.deep.equal([`PREPARE ${name} AS SELECT 1`]);
    });

    it('keeps a statement whose run failed, forgets all when one is missing, deallocates one whose columns changed', async () => {
      const plans = new GenericPlans();
      const c = {};
      const { sent, run } = recorder();
      const name = await plans.statement(c, 'SELECT 1', run);
      for (const code of ['57014', '22012', 'VXCAT', '42P01']) plans.failed(c, 'SELECT 1', code);
      expect(await plans.statement(c, 'SELECT 1', run)).to.equal(name);
      plans.failed(c, 'SELECT 1', '0A000');
      sent.length = 0;
      const again = await plans.statement(c, 'SELECT 1', run);
      expect(sent).to.deep.equal([`DEALLOCATE ${name}`, `PREPARE ${again} AS SELECT 1`]);
      await plans.statement(c, 'SELECT 2', run);
      plans.failed(c, 'SELECT 2', '26000');
      expect(plans.count(c)).to.equal(0);
    });
  });

  describe('cones through the database', () => {
    it('answers cones with a prepared generic plan, the same bytes as planned each time, and reuses it', async () => {
      const { url } = await testDatabase();
      const db = new Database(url, 1);
      try {
        // With the catalog version, as TAP queries run: the statement checks it inside its plan.
        const { catalog, version } = await new CatalogCache(db).current({ user: null });
        const options = { timeoutMs: 60_000, requestDate, viewer: null, catalogVersion: version };
        const centres: [number, number][] = [
          [0.05, 0],
          [0.06, 0.01],
          [0.04, -0.01],
          [0.05, 0.02],
        ];
        for (const writer of [votableWriter, csvWriter]) {
          for (const [ra, dec] of centres) {
            const q = prepareQuery(catalog, cone(ra, dec, 0.02), 1000);
            expect(q.genericPlan, 'a small cone is served by a generic plan').to.have.length(1);
            // Three times: the first asks the planner, the next run as rows in one message.
            const answers = [];
            for (let i = 0; i < 3; i++) answers.push(await bytesOf(await resultStream(db, q, writer, options)));
            const planned = await bytesOf(await resultStream(db, { ...q, genericPlan: undefined }, writer, options));
            expect(answers[1]).to.equal(planned);
            expect(answers[2]).to.equal(planned);
            expect(planned).to.match(writer === csvWriter ? /\n\d+,/ : /<TR>/);
          }
        }
        const [stats] = await db.query<{ n: number; generic: number; custom: number }>(
          "SELECT count(*)::int AS n, coalesce(sum(generic_plans), 0)::int AS generic, coalesce(sum(custom_plans), 0)::int AS custom FROM pg_prepared_statements WHERE name LIKE 'vodax_cone_%'",
        );
        expect(stats!.n, 'one statement per shape of cone, on the one connection').to.be.within(1, 4);
        expect(stats!.generic).to.be.at.least(12);
        expect(stats!.custom).to.equal(0);
      } finally {
        await db.close();
      }
    });

    it("a client that leaves while its cone's statement is prepared is answered as cancelled, and frees its connection for the next cone", async () => {
      const { url } = await testDatabase();
      const db = new Database(url, 2);
      try {
        const catalog = await loadCatalog(db, { user: null });
        const abort = new AbortController();
        // The client leaves as the PREPARE goes out.
        const { db: leaving } = recordingDatabase(db, (text) => {
          if (text.startsWith('PREPARE vodax_cone_')) abort.abort();
        });
        const q = prepareQuery(catalog, cone(0.05, 0, 0.02), 1000);
        const options = { timeoutMs: 60_000, requestDate, viewer: null };
        // Planned for its numbers (no statement); then the first cone of its shape on the connection prepares one.
        const planned = await bytesOf(await resultStream(db, { ...q, genericPlan: undefined }, votableWriter, options));
        let failure: unknown = null;
        await resultStream(leaving, q, votableWriter, { ...options, signal: abort.signal }).then(bytesOf, (e: unknown) => (failure = e));
        expect(failure, 'the answer fails as cancelled').to.be.instanceOf(QueryCancelledError);
        expect(db.pool.totalCount - db.pool.idleCount, 'connections still out').to.equal(0);
        // Whether or not the PREPARE ran before the cancel, the next cone of its shape answers.
        expect(await bytesOf(await resultStream(db, q, votableWriter, options))).to.equal(planned);
        const [open] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND datname = current_database()");
        expect(open!.n, 'transactions left open').to.equal(0);
      } finally {
        await db.close();
      }
    });

    it('checks the catalog version inside the prepared cone: a catalog moved on, or a table dropped under the statement, fails as CatalogMovedError, and the query is checked again', async () => {
      const fresh = await freshDatabase();
      const other = new Database(fresh.url, 1);
      const db = new Database(fresh.url, 1);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-generic-plans-'));
      const spool = new UploadSpool(path.join(dataDir, 'spool'));
      try {
        await other.transaction(async (c) => {
          await createDatabase(c, { name: 'Sky', level: 'L2', owner: 'ann', description: '', annotations: {} });
          const columns: ColumnMeta[] = [
            { name: 'id', datatype: 'long' },
            { name: 'ra', datatype: 'double' },
            { name: 'dec', datatype: 'double' },
          ];
          await loadTable(c, 'Sky', { meta: { name: 'Obj', columns, position: { ra: 'ra', dec: 'dec' } }, rows: [[1n, 10, 0], [2n, 10.01, 0.01], [3n, 50, 5]] });
        });
        const catalogs = new CatalogCache(db);
        const { catalog, version } = await catalogs.current({ user: null });
        const adql = "SELECT id FROM Sky.Obj WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 10, 0, 0.05))";
        const q = prepareQuery(catalog, adql, 1000);
        expect(q.genericPlan, 'served by a generic plan').to.have.length(1);
        const { db: recorded, statements } = recordingDatabase(db);
        const options = { timeoutMs: 60_000, requestDate, viewer: null, catalogVersion: version };
        const planned = await bytesOf(await resultStream(recorded, { ...q, genericPlan: undefined }, csvWriter, options));
        expect(planned).to.equal('id\r\n1\r\n2\r\n');
        // The first asks the planner; the next run in one message, the check inside the statement.
        for (let i = 0; i < 3; i++) expect(await bytesOf(await resultStream(recorded, q, csvWriter, options))).to.equal(planned);
        const prepare = statements.find((t) => t.startsWith('PREPARE vodax_cone_'));
        expect(prepare).to.include('vodax.current_catalog_version').and.include('vodax.catalog_moved()');
        const message = statements[statements.length - 1]!;
        expect(message).to.match(/EXECUTE vodax_cone_\w+\(.*'[^']+'\); ROLLBACK$/);
        expect(message, 'no statement of its own for the check').not.to.include('expect_catalog_version');
        expect(message).not.to.match(/\bSELECT\b/);
        // Another process moves the catalog on: the cone checked against the old one runs nothing.
        await other.query(`UPDATE "TAP_SCHEMA".tables SET description = 'moved' WHERE table_name = 'Sky.Obj'`);
        const failure = await resultStream(recorded, q, csvWriter, options).then(bytesOf, (e: unknown) => e);
        expect(failure).to.be.instanceOf(CatalogMovedError);
        const moved = (await catalogs.current({ user: null })).version;
        expect(await bytesOf(await resultStream(recorded, q, csvWriter, { ...options, catalogVersion: moved }))).to.equal(planned);
        // Dropped under the prepared statement, the table fails its plan before the check is reached: still a moved catalog.
        await other.transaction((c) => dropTable(c, 'Sky', 'Obj'));
        const dropped = await resultStream(recorded, q, csvWriter, { ...options, catalogVersion: moved }).then(bytesOf, (e: unknown) => e);
        expect(dropped).to.be.instanceOf(CatalogMovedError);
        expect(db.pool.totalCount - db.pool.idleCount, 'connections still out').to.equal(0);
        // Through the TAP query, checked again against the current catalog: refused as unknown.
        const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
        const services = { config, db, catalogs };
        const run = { spool, viewer: null, signal: new AbortController().signal, timeoutMs: 10_000, requestDate };
        const tap = readTapQuery(RequestParams.fromEntries([['QUERY', adql], ['RESPONSEFORMAT', 'csv']]), config.limits);
        await runTapQuery(services, tap, run).then(
          () => expect.fail('ran'),
          (e: Error) => expect(e.message).to.match(/Sky\.Obj|not found|unknown/i),
        );
      } finally {
        await spool.dispose();
        await db.close();
        await other.close();
        await fresh.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('leaves large cones, polygons and queries without a cone to plans made for their numbers', async () => {
      const { db } = await testDatabase();
      const catalog = await loadCatalog(db, { user: null });
      expect(prepareQuery(catalog, cone(1, 0, GENERIC_PLAN_MAX_RADIUS * 2), 1000).genericPlan).to.equal(undefined);
      const polygon = "SELECT objectId FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), POLYGON('ICRS', 0, 0, 1, 0, 1, 1))";
      expect(prepareQuery(catalog, polygon, 1000).genericPlan).to.equal(undefined);
      expect(prepareQuery(catalog, 'SELECT objectId FROM DC_W13_Stripe82.Object WHERE ra < 1', 1000).genericPlan).to.equal(undefined);
    });
  });
});
