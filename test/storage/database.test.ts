import { expect } from 'chai';
import { testDatabase, freshDatabase } from '../support/database.js';
import { QueryCancelledError } from '../../src/errors.js';
import { migrate } from '../../src/storage/migrations.js';
import { Database, isOneStatement } from '../../src/storage/database.js';
import { recordingDatabase } from '../support/recording-database.js';

/** Consume a row stream into one array. */
async function collect(stream: AsyncIterable<unknown[][]>): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const batch of stream) out.push(...batch);
  return out;
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 20))) if (await check()) return true;
  return check();
}

describe('storage: Database', () => {
  it('streams a result in batches of array rows, with its fields', async () => {
    const { db } = await testDatabase();
    const stream = db.streamReadOnly('SELECT g AS n, g::bigint * 3 AS triple FROM generate_series(1, 5000) g', [], { batchSize: 1000 });
    let batches = 0;
    let rows = 0;
    for await (const batch of stream) {
      batches++;
      expect(batch.length).to.be.at.most(1000);
      rows += batch.length;
    }
    expect(rows).to.equal(5000);
    expect(batches).to.be.at.least(5);
    expect(stream.fields().map((f) => f.name)).to.deep.equal(['n', 'triple']);
  });

  it('returns BIGINT values exactly, as bigint', async () => {
    const { db } = await testDatabase();
    const rows = await collect(db.streamReadOnly('SELECT 9007199254740993::bigint', []));
    expect(rows[0]![0]).to.equal(9007199254740993n);
  });

  it('refuses to write inside a user query (read-only transaction)', async () => {
    const { db } = await testDatabase();
    let err: unknown;
    try {
      await collect(db.streamReadOnly('CREATE TABLE vodax.should_not_exist (x int)', []));
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/read-only/);
    const left = await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'should_not_exist'");
    expect(left).to.have.length(0);
  });

  it('cancels a query past its statement timeout', async () => {
    const { db } = await testDatabase();
    const t0 = Date.now();
    let err: unknown;
    try {
      await collect(db.streamReadOnly('SELECT pg_sleep(10)', [], { timeoutMs: 200 }));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(QueryCancelledError);
    expect(Date.now() - t0).to.be.below(5000);
  });

  it('cancels the query in the database when the caller aborts', async () => {
    const { db } = await testDatabase();
    const ac = new AbortController();
    const marker = `abort_marker_${Date.now()}`;
    const running = collect(db.streamReadOnly(`SELECT pg_sleep(20), '${marker}'`, [], { signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 300));
    const active = async () =>
      (await db.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${marker}%`]))[0]!.n;
    expect(await active()).to.equal(1);
    ac.abort();
    let err: unknown;
    try {
      await running;
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(QueryCancelledError);
    // Gone from the database within a second.
    await new Promise((r) => setTimeout(r, 200));
    const rows = await db.query("SELECT state FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()", [`%${marker}%`]);
    expect(rows).to.have.length(0);
  });

  /** Abort `run` as soon as its statement (marked by `marker`) shows active: while PostgreSQL still plans it. */
  async function abortWhilePlanned(db: Awaited<ReturnType<typeof testDatabase>>['db'], marker: string, run: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
    const ac = new AbortController();
    const settled = run(ac.signal).then(
      () => null,
      (e: unknown) => e,
    );
    const active = async () =>
      (await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()", [`%${marker}%`]))[0]!.n;
    while ((await active()) === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    const err = await settled;
    expect(await active(), 'the statement is gone from the database').to.equal(0);
    return err;
  }
  // A count over a cross join of pg_attribute with itself three times: billions of rows, a plan of a few milliseconds.
  const NEVER_ENDING = (marker: string) => `SELECT count(*), '${marker}' FROM pg_attribute a, pg_attribute b, pg_attribute c`;

  it('cancels a query when every connection of its pool is out, and while its pool closes', async () => {
    const { url, db } = await testDatabase();
    const one = new Database(url, 1);
    const active = async (marker: string) =>
      (await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()", [`%${marker}%`]))[0]!.n;
    const run = (marker: string, signal: AbortSignal) => collect(one.streamReadOnly(NEVER_ENDING(marker), [], { signal })).then(() => null, (e: unknown) => e);
    const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<string>((r) => setTimeout(() => r('still running'), ms))]);
    let closed: Promise<unknown> | null = null;
    try {
      // The query holds the pool's only connection: a cancel that waited for one would never go.
      const full = new AbortController();
      const first = `pool_full_${Date.now()}`;
      const running = run(first, full.signal);
      expect(await until(async () => (await active(first)) === 1, 5000)).to.equal(true);
      full.abort();
      expect(await within(running, 5000)).to.be.instanceOf(QueryCancelledError);
      expect(await active(first), 'gone from the database').to.equal(0);
      // Aborted as the pool starts to close (a server stopping cuts its requests, then closes its pool).
      const stopping = new AbortController();
      const second = `pool_closing_${Date.now()}`;
      const cut = run(second, stopping.signal);
      expect(await until(async () => (await active(second)) === 1, 5000)).to.equal(true);
      stopping.abort();
      closed = one.close(500);
      expect(await within(cut, 5000)).to.be.instanceOf(QueryCancelledError);
      await closed;
      expect(await until(async () => (await active(second)) === 0, 500), 'gone from the database').to.equal(true);
    } finally {
      await (closed ?? one.close());
    }
  });

  it('cancels a query aborted while its statement is still being planned (a single cancel would be dropped)', async () => {
    const { db } = await testDatabase();
    for (let i = 0; i < 5; i++) {
      const marker = `planned_cursor_${Date.now()}_${i}`;
      const err = await abortWhilePlanned(db, marker, (signal) => collect(db.streamReadOnly(NEVER_ENDING(marker), [], { signal })));
      expect(err).to.be.instanceOf(QueryCancelledError);
    }
  });

  it('cancels a COPY aborted as soon as it runs', async () => {
    const { db } = await testDatabase();
    for (let i = 0; i < 5; i++) {
      const marker = `planned_copy_${Date.now()}_${i}`;
      // The marker only in the COPY, not in the statement described before it.
      const err = await abortWhilePlanned(db, marker, async (signal) => {
        const out = await db.copyOutReadOnly(NEVER_ENDING('described'), () => NEVER_ENDING(marker), { signal });
        for await (const _ of out!.copy!) void _;
      });
      expect(err).to.be.instanceOf(QueryCancelledError);
    }
  });

  it('stops the query when the consumer breaks off early', async () => {
    const { db } = await testDatabase();
    const marker = `break_marker_${Date.now()}`;
    // A cross join of Object with itself: hundreds of millions of rows, produced lazily.
    const stream = db.streamReadOnly(`SELECT a."objectId", '${marker}' FROM "DC_W13_Stripe82"."Object" a CROSS JOIN "DC_W13_Stripe82"."Object" b`, [], {
      batchSize: 100,
    });
    for await (const batch of stream) {
      expect(batch).to.have.length(100);
      break;
    }
    const rows = await db.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()", [`%${marker}%`]);
    expect(rows).to.have.length(0);
    // The connection went back to the pool in a usable state.
    expect(await collect(db.streamReadOnly('SELECT 42', []))).to.deep.equal([[42]]);
  });

  it('runs a query whole, so PostgreSQL may run it in parallel (it never does for a cursor)', async () => {
    const { db } = await testDatabase();
    const marker = `parallel_marker_${Date.now()}`;
    const forced = (await db.serverVersion()) >= 160000 ? 'debug_parallel_query' : 'force_parallel_mode';
    const session = { setup: (c: { query(q: string): Promise<unknown> }) => c.query(`SET ${forced} = on`).then(() => {}), cleanup: (c: { query(q: string): Promise<unknown> }) => c.query(`RESET ${forced}`).then(() => {}) };
    const done = collect(db.streamReadOnly(`SELECT pg_sleep(0.4), '${marker}'`, [], { session }));
    const workers = async () =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND query LIKE $1", [`%${marker}%`]))[0]!.n;
    expect(await until(async () => (await workers()) > 0, 2000), 'a parallel worker ran the query').to.equal(true);
    expect((await done)[0]![1]).to.equal(marker);
  });

  it('holds a few batches at most while the consumer waits (PostgreSQL waits to write), and cancels the rest when it stops', async () => {
    const { db } = await testDatabase();
    const marker = `paced_marker_${Date.now()}`;
    const stream = db.streamReadOnly(`SELECT a."objectId", '${marker}' FROM "DC_W13_Stripe82"."Object" a CROSS JOIN "DC_W13_Stripe82"."Object" b`, [], { batchSize: 100 });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value).to.have.length(100);
    const backend = async () =>
      (await db.query<{ state: string; wait_event: string | null }>('SELECT state, wait_event FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${marker}%`]))[0];
    expect(await until(async () => (await backend())?.wait_event === 'ClientWrite', 3000), 'the backend waits to write to us').to.equal(true);
    await it.return!(undefined);
    expect((await backend())?.state).not.to.equal('active');
    expect(await collect(db.streamReadOnly('SELECT 42', []))).to.deep.equal([[42]]);
  });

  it('gives its connection back when the consumer stops after the query has ended but before reading its batches', async () => {
    const { db } = await testDatabase();
    // Small batches: the whole answer arrives in one read of the socket, the query ends while
    // more batches wait than the socket is paused for.
    const stream = db.streamReadOnly('SELECT g FROM generate_series(1, 500) AS g', [], { batchSize: 10 });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value).to.have.length(10);
    await new Promise((r) => setTimeout(r, 50));
    const stopped = await Promise.race([it.return!(undefined).then(() => 'returned'), new Promise((r) => setTimeout(() => r('hung'), 3000))]);
    expect(stopped).to.equal('returned');
    expect(await collect(db.streamReadOnly('SELECT 42', []))).to.deep.equal([[42]]);
  });

  it('runs a small read-only query in one round trip: its transaction, settings, the query and the end in one message', async () => {
    const { url } = await testDatabase();
    const one = new Database(url, 1);
    try {
      const { db, statements } = recordingDatabase(one);
      const stream = db.streamReadOnly("SELECT current_setting('vodax.viewer') AS viewer, current_setting('statement_timeout') AS timeout, current_setting('transaction_read_only') AS ro", [], {
        viewer: 'alice',
        timeoutMs: 4321,
      });
      expect(await collect(stream)).to.deep.equal([['alice', '4321ms', 'on']]);
      expect(stream.fields().map((f) => f.name)).to.deep.equal(['viewer', 'timeout', 'ro']);
      expect(statements).to.have.length(1);
      // The same (only) connection is out of the transaction and its settings afterwards.
      expect(await one.query("SELECT current_setting('vodax.viewer', true) AS viewer, current_setting('transaction_read_only') AS ro")).to.deep.equal([{ viewer: '', ro: 'off' }]);
      // Its columns are known also when it has no rows.
      const empty = db.streamReadOnly('SELECT 1 AS a WHERE false', []);
      expect(await collect(empty)).to.deep.equal([]);
      expect(empty.fields().map((f) => f.name)).to.deep.equal(['a']);
    } finally {
      await one.close();
    }
  });

  it('leaves a connection usable when a query sent in one message fails, and never sends a second statement with it', async () => {
    const { url } = await testDatabase();
    const one = new Database(url, 1);
    try {
      let caught: unknown = null;
      await collect(one.streamReadOnly('SELECT 1 / (g - 3) FROM generate_series(1, 5) g', [])).catch((e) => (caught = e));
      expect(String(caught)).to.match(/division by zero/);
      expect(await one.query("SELECT current_setting('transaction_read_only') AS ro")).to.deep.equal([{ ro: 'off' }]);
      // Two statements in one text: refused whole (extended protocol), nothing of the second runs.
      caught = null;
      await collect(one.streamReadOnly('SELECT 1; COMMIT; CREATE TABLE vodax_escaped (x int)', [])).catch((e) => (caught = e));
      expect(String(caught)).to.match(/multiple commands/);
      expect(await one.query("SELECT to_regclass('vodax_escaped') AS t")).to.deep.equal([{ t: null }]);
    } finally {
      await one.close();
    }
  });

  it('takes a text for one statement only when no semicolon can be outside its quotes', () => {
    expect(isOneStatement('SELECT "a;b", \'c;\'\'d\' FROM t')).to.equal(true);
    expect(isOneStatement('SELECT 1; COMMIT')).to.equal(false);
    expect(isOneStatement("SELECT 'x'; DROP TABLE t")).to.equal(false);
    // What the scan does not follow is refused, whatever it holds.
    for (const text of ["SELECT E'\\'; COMMIT; --'", 'SELECT $$;$$', 'SELECT 1 -- ;', 'SELECT /* ; */ 1', "SELECT 'open", 'SELECT "open']) expect(isOneStatement(text), text).to.equal(false);
  });

  it('applies migrations once, and again is a no-op', async () => {
    const fresh = await freshDatabase();
    try {
      expect(await migrate(fresh.db)).to.deep.equal([]);
      const tables = await fresh.db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'TAP_SCHEMA' ORDER BY table_name",
      );
      expect(tables.map((t) => t.table_name)).to.deep.equal(['columns', 'key_columns', 'keys', 'schemas', 'tables']);
    } finally {
      await fresh.drop();
    }
  });
});
