import { expect } from 'chai';
import fs from 'node:fs';
import pg from 'pg';
import { testDatabase } from '../support/database.js';
import { loadCatalog } from '../../src/catalog/query-catalog.js';
import { prepareQuery } from '../../src/query/prepared-query.js';
import { inlineParams } from '../../src/formats/copy/inline-params.js';
import { CATALOG_VERSION_SQL } from '../../src/storage/database.js';
import { withMallocTunable } from '../../src/storage/postgres-process.js';

/** Minor page faults of a process so far (field 10 of /proc/PID/stat). */
function minorFaults(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

describe('storage: the embedded PostgreSQL keeps its freed memory', () => {
  it('adds the malloc setting to GLIBC_TUNABLES, and leaves a threshold the environment sets', () => {
    expect(withMallocTunable(undefined)).to.equal('glibc.malloc.trim_threshold=4194304');
    expect(withMallocTunable('glibc.malloc.arena_max=2')).to.equal('glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=4194304');
    expect(withMallocTunable('glibc.malloc.trim_threshold=1048576')).to.equal('glibc.malloc.trim_threshold=1048576');
  });

  it('answers cone after cone without faulting memory back in', async function () {
    // Another server's processes are its administrator's to configure; /proc is Linux's.
    if (process.env.TEST_DATABASE_URL || !fs.existsSync('/proc/self/stat')) this.skip();
    const { db, url } = await testDatabase();
    const q = prepareQuery(await loadCatalog(db, { user: null }), "SELECT objectId, ra, decl FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 0.05, 0, 0.1))", 1000);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const version = (await client.query<{ v: string }>(CATALOG_VERSION_SQL)).rows[0]!.v;
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // A query as vodax sends one planned for its numbers: transaction, catalog version check, query, end; in one message.
      const message = `BEGIN TRANSACTION READ ONLY; SELECT vodax.expect_catalog_version(${client.escapeLiteral(version)}); ${inlineParams(q.sql, q.params)}; ROLLBACK`;
      const results = (await client.query(message)) as unknown as pg.QueryResult[];
      expect(results[2]!.rows.length, 'the cone finds objects').to.be.greaterThan(0);
      for (let i = 0; i < 20; i++) await client.query(message);
      const before = minorFaults(pid);
      for (let i = 0; i < 100; i++) await client.query(message);
      // By default glibc gives the heap's top back after each statement: about 25 faults a cone.
      expect((minorFaults(pid) - before) / 100).to.be.below(1);
    } finally {
      await client.end();
    }
  });
});
