/** Aggregates over a sharded table split into one pushed-down aggregate per partition (pure). */
import { expect } from 'chai';
import { Catalog } from '../../src/catalog/query-catalog.js';
import { parseAdql } from '../../src/adql/parser.js';
import { validate } from '../../src/adql/validator.js';
import { translate } from '../../src/adql/translator.js';
import { testCatalog } from './test-catalog.js';

/** The test catalog with Object sharded onto two partitions. */
function shardedCatalog(): Catalog {
  const base = testCatalog();
  const object = base.tables.find((t) => t.name === 'Object')!;
  const partitions = [{ pgSchema: 'vodax_shards', pgTable: 'obj_a' }, { pgSchema: 'vodax_shards', pgTable: 'obj_b' }];
  return new Catalog(base.tables.map((t) => (t === object ? { ...t, partitions } : t)));
}

const sql = (adql: string) => translate(validate(parseAdql(adql), shardedCatalog()), { maxrec: 100 });
const branches = (text: string) => [...text.matchAll(/FROM "vodax_shards"\."(obj_[ab])"/g)].map((m) => m[1]);

describe('aggregates over a sharded table', () => {
  it('COUNT(*) runs on each partition and is summed (0 when no row matches)', () => {
    const t = sql('SELECT COUNT(*) AS n FROM DC_W13_Stripe82.Object');
    expect(branches(t.sql)).to.deep.equal(['obj_a', 'obj_b']);
    expect(t.sql).to.include(' UNION ALL ');
    expect(t.sql).to.match(/CAST\(coalesce\(sum\("p0"\), 0\) AS bigint\) AS "n"/);
    expect(t.sql).to.match(/LIMIT 101$/);
    expect(t.columns.map((c) => c.name)).to.deep.equal(['n']);
  });

  it('grouped: each partition groups by the key, the coordinator groups the partial groups; AVG from sums and counts', () => {
    const t = sql('SELECT TOP 5 objectId, MIN(ra) AS lo, AVG(decl) AS mean FROM DC_W13_Stripe82.Object GROUP BY objectId ORDER BY 2 DESC');
    expect(branches(t.sql)).to.deep.equal(['obj_a', 'obj_b']);
    expect(t.sql).to.include('GROUP BY 1 UNION ALL');
    expect(t.sql).to.include('GROUP BY "k0" ORDER BY 2 DESC LIMIT 5');
    expect(t.sql).to.match(/min\("p1"\)/);
    expect(t.sql).to.match(/sum\("p2"\) \/ nullif\(sum\("c2"\), 0\)/);
  });

  it('a string literal in WHERE is one parameter, shared by every partition', () => {
    const t = sql("SELECT MAX(ra) AS hi FROM DC_W13_Stripe82.Object WHERE CAST(objectId AS VARCHAR(20)) <> 'x'");
    expect(t.params).to.deep.equal(['x']);
    expect(t.sql.match(/\$1\b/g)).to.have.length(2);
  });

  for (const adql of [
    'SELECT COUNT(DISTINCT objectId) FROM DC_W13_Stripe82.Object',
    'SELECT objectId, COUNT(*) FROM DC_W13_Stripe82.Object GROUP BY objectId HAVING COUNT(*) > 1',
    'SELECT COUNT(*) * 2 AS twice FROM DC_W13_Stripe82.Object',
    'SELECT SUM(RAND(3)) FROM DC_W13_Stripe82.Object',
    'SELECT COUNT(*) FROM DC_W13_Stripe82.Object AS o JOIN DC_W13_Stripe82.Source AS s ON s.objectId = o.objectId',
    'SELECT ra FROM DC_W13_Stripe82.Object',
    'SELECT COUNT(*) FROM DC_W13_Stripe82.Source',
  ]) {
    it(`left as one query over the partitioned table: ${adql}`, () => {
      const t = sql(adql);
      expect(t.sql).not.to.include('UNION ALL');
      expect(branches(t.sql)).to.deep.equal([]);
    });
  }
});
