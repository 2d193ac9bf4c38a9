import { expect } from 'chai';
import { testDatabase } from '../support/database.js';
import { Database } from '../../src/storage/database.js';
import { GenericPlans, MAX_STATEMENTS, parameterized } from '../../src/storage/generic-plans.js';
import { loadCatalog } from '../../src/catalog/query-catalog.js';
import { prepareQuery, GENERIC_PLAN_MAX_RADIUS } from '../../src/query/prepared-query.js';
import { resultStream } from '../../src/query/result-stream.js';
import { votableWriter } from '../../src/formats/votable-writer.js';
import { csvWriter } from '../../src/formats/csv-writer.js';

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
    it('prepares a text once per connection, under names never reused, and deallocates the least recently used past the limit', () => {
      const plans = new GenericPlans();
      const a = {};
      const b = {};
      const first = plans.statement(a, 'SELECT $1::integer');
      expect(first.before).to.equal(`PREPARE ${first.name} AS SELECT $1::integer; `);
      expect(plans.statement(a, 'SELECT $1::integer')).to.deep.equal({ name: first.name, before: '' });
      expect(plans.statement(b, 'SELECT $1::integer').before, 'another connection prepares its own').to.include('PREPARE');
      for (let i = 1; i < MAX_STATEMENTS; i++) plans.statement(a, `SELECT ${i} + $1::integer`);
      expect(plans.count(a)).to.equal(MAX_STATEMENTS);
      // The first was used again since: the second-oldest goes.
      plans.statement(a, 'SELECT $1::integer');
      const next = plans.statement(a, 'SELECT -1 + $1::integer');
      expect(next.before).to.match(/^DEALLOCATE vodax_cone_\w+; PREPARE vodax_cone_\w+ AS /);
      expect(next.before).not.to.include(`DEALLOCATE ${first.name};`);
      expect(plans.count(a)).to.equal(MAX_STATEMENTS);
    });

    it('forgets a statement PostgreSQL refused, keeps one whose run failed, and forgets all when one is missing', () => {
      const plans = new GenericPlans();
      const c = {};
      const { name } = plans.statement(c, 'SELECT 1');
      plans.failed(c, 'SELECT 1', '57014');
      plans.failed(c, 'SELECT 1', '22012');
      expect(plans.statement(c, 'SELECT 1')).to.deep.equal({ name, before: '' });
      plans.failed(c, 'SELECT 1', '42P01');
      const again = plans.statement(c, 'SELECT 1');
      expect(again.name, 'a new name: the old one may exist').not.to.equal(name);
      plans.statement(c, 'SELECT 2');
      plans.failed(c, 'SELECT 2', '26000');
      expect(plans.count(c)).to.equal(0);
    });
  });

  describe('cones through the database', () => {
    it('answers cones with a prepared generic plan, the same bytes as planned each time, and reuses it', async () => {
      const { url } = await testDatabase();
      const db = new Database(url, 1);
      try {
        const catalog = await loadCatalog(db, { user: null });
        const options = { timeoutMs: 60_000, requestDate, viewer: null };
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
