import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { testDatabase } from '../support/database.js';
import { testServer, type TestServer } from '../support/server.js';
import { recordingDatabase } from '../support/recording-database.js';
import type { Database } from '../../src/storage/database.js';
import type { ColumnMeta } from '../../src/formats/table-model.js';
import type { TableWriter } from '../../src/formats/table-writer.js';
import { plainNumber } from '../../src/formats/cell-values.js';
import { csvWriter } from '../../src/formats/csv-writer.js';
import { tsvWriter } from '../../src/formats/tsv-writer.js';
import { votableBinary2Writer } from '../../src/formats/votable-binary2-writer.js';
import { votableWriter } from '../../src/formats/votable-writer.js';
import { jsonWriter } from '../../src/formats/json-writer.js';
import { fitsTableWriter } from '../../src/formats/fits-table-writer.js';
import { loadCatalog } from '../../src/catalog/query-catalog.js';
import { openQuery, prepareQuery, type PreparedQuery } from '../../src/query/prepared-query.js';
import { fastDocumentStream, queryShape, resultStream, COPY_PATHS_MIN_ROWS } from '../../src/query/result-stream.js';
import { SmallShapes } from '../../src/storage/small-shapes.js';
import { jsNumberSql, PG_OID } from '../../src/formats/copy/column-sql.js';
import { inlineParams } from '../../src/formats/copy/inline-params.js';
import { lineCopySql } from '../../src/formats/copy/text-copy.js';

const WRITERS: [string, TableWriter][] = [
  ['CSV', csvWriter],
  ['TSV', tsvWriter],
  ['VOTable TABLEDATA', votableWriter],
  ['VOTable BINARY2', votableBinary2Writer],
  ['JSON', jsonWriter],
  ['FITS', fitsTableWriter],
];
const requestDate = new Date('2024-05-06T07:08:09.010Z');

async function bytesOf(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of stream) parts.push(b);
  return Buffer.concat(parts);
}

/** The generic writer's document and the fast path's (null when it declines) for the same query. */
async function both(db: Database, q: PreparedQuery, writer: TableWriter): Promise<{ generic: Buffer; fast: Buffer | null }> {
  const options = { timeoutMs: 60_000, requestDate, viewer: null };
  const generic = await bytesOf(writer.write(await openQuery(db, q, options)));
  const stream = await fastDocumentStream(db, q, writer, options, 0);
  return { generic, fast: stream && (await bytesOf(stream)) };
}

async function adql(db: Database, query: string, maxrec: number): Promise<PreparedQuery> {
  return prepareQuery(await loadCatalog(db, { user: null }), query, maxrec);
}

/** Active queries whose text holds `marker`, other than our own. */
async function running(db: Database, marker: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`,
    [`%${marker}%`],
  );
  return rows[0]!.n;
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 50))) if (await check()) return true;
  return check();
}

const AWKWARD_COLUMNS: ColumnMeta[] = [
  { name: 'id', datatype: 'long' },
  { name: 'd', datatype: 'double', unit: 'deg' },
  { name: 'f', datatype: 'float' },
  { name: 'i', datatype: 'int' },
  { name: 's', datatype: 'short' },
  { name: 'b', datatype: 'boolean' },
  { name: 't', datatype: 'char', arraysize: '*' },
  { name: 'ts', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
  { name: 'weird, "name"\twith tab', datatype: 'char', arraysize: '*' },
  { name: 'si', datatype: 'double' },
  { name: 't', datatype: 'char', arraysize: '*' },
];
const AWKWARD_SQL = `SELECT id, d, f, i, s, b, t, ts, t AS "weird", s AS si, t FROM copy_fast_test.awkward ORDER BY id`;

/** A prepared query over the awkward table, as the translator would write it. */
function awkward(maxrec: number, columns = AWKWARD_COLUMNS, sql = AWKWARD_SQL): PreparedQuery {
  return { adql: 'SELECT awkward things', sql: `${sql} LIMIT ${maxrec + 1}`, params: [], columns, maxrec };
}

describe('fast result paths (COPY)', function () {
  let db: Database;
  // PostgreSQL 15 gets the generic writers for CSV, TSV and TABLEDATA (see fast-stream.ts).
  let textPaths = true;
  const runs = (writer: TableWriter) => textPaths || writer === votableBinary2Writer || writer === fitsTableWriter;
  let srv: TestServer;

  before(async () => {
    db = (await testDatabase()).db;
    textPaths = (await db.serverVersion()) >= 160000;
    srv = await testServer();
    await db.query('DROP SCHEMA IF EXISTS copy_fast_test CASCADE');
    await db.query('CREATE SCHEMA copy_fast_test');
    await db.query(`CREATE TABLE copy_fast_test.awkward (id bigint, d float8, f float4, i int4, s int2, b boolean, t text, ts timestamp, a float8[])`);
    const rows: string[] = [
      `(1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      `(2, 'NaN', 'NaN', 0, 0, true, '', '2020-01-02 03:04:05.678901', '{1,2}')`,
      `(3, 'Infinity', '-Infinity', 1, 1, false, 'a,b', '1999-12-31 23:59:59', NULL)`,
      `(4, '-Infinity', 'Infinity', -1, -1, NULL, 'quote " inside', '2000-01-01 00:00:00', NULL)`,
      `(5, '-0', '-0', 2147483647, 32767, true, E'line\\nbreak\\r\\nand\\ttab and backslash \\\\ end', 'infinity', NULL)`,
      `(6, 1e-5, 1e-5, -2147483648, -32768, false, 'héllo wörld ☃ 😀 ünïcode', '0044-03-15 12:00:00 BC', NULL)`,
      `(7, 1e-7, 1234567, 7, 7, true, E'\\\\.', NULL, NULL)`,
      `(8, 1.5e-300, 3.4e38, 8, 8, true, '"', NULL, NULL)`,
      `(9, 1e15, 1e6, 9, 9, true, ',', NULL, NULL)`,
      `(10, 1.2345678901234567e16, 123456.7, 10, 10, true, E'\\r', NULL, NULL)`,
      `(11, 1e21, 1e-7, 11, 11, true, '  spaces  ', NULL, NULL)`,
      `(12, 1.234e20, 0.1, 12, 12, true, 'NULL', NULL, NULL)`,
      `(13, 123456789012345680000, 16777216, 13, 13, true, '\\N', NULL, NULL)`,
      `(14, -2.5e-6, -1.5e-5, 14, 14, true, 'x', NULL, NULL)`,
      `(15, 0.1, 1e-45, 15, 15, true, 'y', NULL, NULL)`,
      `(16, 5e-324, 1.17549435e-38, 16, 16, true, 'z', NULL, NULL)`,
      `(17, 1.7976931348623157e308, -3.4028235e38, 17, 17, true, 'é', NULL, NULL)`,
      `(18, 1e-4, 999999, 18, 18, true, '𝄞', NULL, NULL)`,
      `(19, 9.999999999999999e14, 99999.99, 19, 19, true, 'end', NULL, NULL)`,
      `(20, -('NaN'::float8), -('NaN'::float4), 20, 20, true, 'negative NaN', NULL, NULL)`,
      `(21, 123.456, 20.25, 21, 21, true, 'ordinary', '2024-02-29 12:34:56.5', NULL)`,
      `(-9223372036854775808, 1e-3, 1e-3, 22, 22, true, 'min', NULL, NULL)`,
      `(9223372036854775807, 1e13, 1e5, 23, 23, true, 'max', NULL, NULL)`,
      // 4.81e21 is halfway between two doubles: JavaScript prints it so, PostgreSQL with 16 digits.
      `(24, 4.81e21, 16777217, 24, 24, true, 'halfway', NULL, NULL)`,
      `(25, 2, 2, 25, 25, true, 'a & b < c > d ' || chr(1) || ' ctrl ' || chr(11) || chr(65534) || ' <TD>', NULL, NULL)`,
    ];
    await db.query(`INSERT INTO copy_fast_test.awkward VALUES ${rows.join(', ')}`);
  });

  after(async () => {
    await srv.close();
    await db.query('DROP SCHEMA IF EXISTS copy_fast_test CASCADE');
  });

  for (const table of ['Object', 'Source', 'Science_Ccd_Exposure']) {
    for (const [name, writer] of WRITERS) {
      it(`writes ${table} as ${name} byte for byte as the generic writer does`, async function () {
        if (!runs(writer)) this.skip();
        const q = await adql(db, `SELECT * FROM DC_W13_Stripe82.${table}`, 100_000);
        const { generic, fast } = await both(db, q, writer);
        expect(fast, 'the fast path was taken').not.to.equal(null);
        expect(generic.length).to.be.greaterThan(1000);
        expect(fast!.equals(generic)).to.equal(true);
      });
    }
  }

  for (const [name, writer] of WRITERS) {
    it(`writes NULLs, NaN, infinities, extreme numbers, timestamps and awkward text as ${name} exactly as the generic writer`, async function () {
      if (!runs(writer)) this.skip();
      const { generic, fast } = await both(db, awkward(100), writer);
      expect(fast).not.to.equal(null);
      expect(fast!.toString('utf8')).to.equal(generic.toString('utf8'));
      expect(fast!.equals(generic)).to.equal(true);
    });

    it(`cuts ${name} at MAXREC exactly as the generic writer, overflow included`, async function () {
      if (!runs(writer)) this.skip();
      for (const maxrec of [1, 5, 24]) {
        const { generic, fast } = await both(db, awkward(maxrec), writer);
        expect(fast!.equals(generic), `MAXREC=${maxrec}`).to.equal(true);
      }
      const { fast } = await both(db, awkward(5), writer);
      if (writer === votableBinary2Writer || writer === votableWriter) expect(fast!.toString()).to.match(/<INFO name="QUERY_STATUS" value="OVERFLOW"/);
      else if (writer === jsonWriter) expect(JSON.parse(fast!.toString())).to.deep.include({ more: true }).and.nested.property('result.table.data').with.length(5);
      else if (writer === fitsTableWriter) expect(fast!.toString('latin1')).to.match(/NAXIS2  = +5 /).and.match(/OVERFLOW= +T /);
      else expect(fast!.toString().trimEnd().split('\n')).to.have.length(6);
    });
  }

  it('writes TABLEDATA of numbers and booleans only (NULLs, NaN, infinities, extremes) exactly as the generic writer, NULL as <TD/>', async function () {
    if (!textPaths) this.skip();
    const numeric = awkward(100, AWKWARD_COLUMNS.slice(0, 6), 'SELECT id, d, f, i, s, b FROM copy_fast_test.awkward ORDER BY id');
    const { generic, fast } = await both(db, numeric, votableWriter);
    expect(fast).not.to.equal(null);
    expect(fast!.toString('utf8')).to.equal(generic.toString('utf8'));
    expect(fast!.toString('utf8')).to.contain('<TR><TD>1</TD><TD/><TD/><TD/><TD/><TD/></TR>');
  });

  it('joins rows of numbers only as PostgreSQL prints them, and writes them in every text format exactly as the generic writer (exponents, -0, NaN, infinities, extremes, a row of NULLs)', async function () {
    if (!textPaths) this.skip();
    const sql = 'SELECT id, d, f, i, s FROM copy_fast_test.awkward ORDER BY id';
    const numeric = awkward(100, AWKWARD_COLUMNS.slice(0, 5), sql);
    const fields = await db.transaction(async (client) => (await client.query(`SELECT * FROM (${sql}) AS x LIMIT 0`)).fields);
    for (const format of ['csv', 'tsv', 'tabledata', 'json'] as const) expect(lineCopySql(format, sql, numeric.columns, fields), format).to.contain('concat_ws(');
    for (const [name, writer] of WRITERS.filter(([, w]) => w !== votableBinary2Writer && w !== fitsTableWriter)) {
      const { generic, fast } = await both(db, numeric, writer);
      expect(fast, name).not.to.equal(null);
      expect(fast!.toString('utf8'), name).to.equal(generic.toString('utf8'));
    }
  });

  it('writes random doubles, floats and integers joined as PostgreSQL prints them, strings between them, exactly as the generic text writers', async function () {
    if (!textPaths) this.skip();
    this.timeout(120_000);
    await db.query('CREATE TABLE copy_fast_test.numbers (k int4, d float8, t text, f float4, n int8)');
    const columns: ColumnMeta[] = [
      { name: 'k', datatype: 'int' },
      { name: 'd', datatype: 'double' },
      { name: 't', datatype: 'char', arraysize: '*' },
      { name: 'f', datatype: 'float' },
      { name: 'n', datatype: 'long' },
    ];
    // Every decimal exponent equally often (where the notations switch), bit patterns, and NULLs.
    const scaled = fc.tuple(fc.integer({ min: -325, max: 308 }), fc.double({ min: -10, max: 10, noNaN: true })).map(([e, m]) => m * 10 ** e);
    // Strings with what marks a number to rewrite (e, -0, Infinity, NaN) and what separates fields.
    const marked = fc.constantFrom('1e-05', '-0', 'Infinity', 'NaN', '-0,', 'e', '<TD>-0</TD>', '1e+21\t-0\n', '"-0"');
    const row = fc.tuple(
      fc.option(fc.oneof(fc.double(), scaled), { freq: 20 }),
      fc.option(fc.oneof(fc.string(), marked), { freq: 10 }),
      fc.option(fc.oneof(fc.float(), scaled.map(Math.fround)), { freq: 20 }),
      fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { freq: 20 }),
    );
    const text = (v: number | null) => (v === null ? null : Object.is(v, -0) ? '-0' : String(v));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(row, { minLength: 20, maxLength: 300 }), async (rows) => {
          await db.query('TRUNCATE copy_fast_test.numbers');
          await db.query('INSERT INTO copy_fast_test.numbers SELECT * FROM unnest($1::int4[], $2::float8[], $3::text[], $4::float4[], $5::int8[])', [
            rows.map((_, k) => k),
            rows.map(([d]) => text(d)),
            // PostgreSQL text holds no NUL.
            rows.map(([, t]) => t?.replace(/\0/g, '') ?? null),
            rows.map(([, , f]) => text(f)),
            rows.map(([, , , n]) => (n === null ? null : String(n))),
          ]);
          const q = awkward(1000, columns, 'SELECT k, d, t, f, n FROM copy_fast_test.numbers ORDER BY k');
          for (const writer of [csvWriter, tsvWriter, votableWriter, jsonWriter]) {
            const { generic, fast } = await both(db, q, writer);
            expect(fast!.toString('utf8'), writer.name).to.equal(generic.toString('utf8'));
          }
        }),
        { numRuns: 15 },
      );
    } finally {
      await db.query('DROP TABLE copy_fast_test.numbers');
    }
  });

  it('formats the rows of a plain scan where parallel workers can do it: the LIMIT outside, no subquery per float', async function () {
    if (!textPaths) this.skip();
    const q = await adql(db, 'SELECT objectId, ra, decl, rPsfMag, extendedness FROM DC_W13_Stripe82.Object', 1_000_000);
    expect(q.sqlBeforeLimit).to.be.a('string');
    for (const query of ['SELECT objectId FROM DC_W13_Stripe82.Object ORDER BY ra', 'SELECT DISTINCT objectId FROM DC_W13_Stripe82.Object', 'SELECT objectId FROM DC_W13_Stripe82.Object OFFSET 5']) {
      expect((await adql(db, query, 1_000_000)).sqlBeforeLimit, query).to.equal(undefined);
    }
    const plan = await db.transaction(async (client) => {
      const fields = (await client.query(`SELECT * FROM (${q.sql}) AS x LIMIT 0`)).fields;
      const copy = lineCopySql('csv', q.sql, q.columns, fields, { sql: q.sqlBeforeLimit!, limit: q.rowLimit! })!;
      // The planner weighs workers against a table this small; here only whether they could run it matters.
      for (const setting of ['parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_table_scan_size = 0']) await client.query(`SET LOCAL ${setting}`);
      const select = copy.replace(/^COPY \(/, '').replace(/\) TO STDOUT \(FORMAT binary\)$/, '');
      return (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE) ${select}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    // The workers' scan outputs the finished lines.
    expect(plan, plan).to.match(/Parallel Seq Scan on "DC_W13_Stripe82"."Object"[^\n]*\n\s*Output: \(*CASE WHEN [^\n]*concat/);
  });

  it('writes a string query parameter into the COPY and answers the same rows', async () => {
    const q = await adql(db, "SELECT scienceCcdExposureId, filterName FROM DC_W13_Stripe82.Science_Ccd_Exposure WHERE filterName = 'r' OR filterName = 'it''s'", 1000);
    expect(q.params.length).to.be.greaterThan(0);
    for (const [, writer] of WRITERS.filter(([, w]) => runs(w))) {
      const { generic, fast } = await both(db, q, writer);
      expect(fast).not.to.equal(null);
      expect(fast!.equals(generic)).to.equal(true);
    }
  });

  it('leaves arrays to the generic writers, and unicodeChar to the generic BINARY2 writer', async () => {
    const arrays = awkward(100, [{ name: 'id', datatype: 'long' }, { name: 'a', datatype: 'double', arraysize: '*' }], 'SELECT id, a FROM copy_fast_test.awkward ORDER BY id');
    for (const [, writer] of WRITERS) expect((await both(db, arrays, writer)).fast).to.equal(null);
    const wide = awkward(100, [{ name: 't', datatype: 'unicodeChar', arraysize: '*' }], 'SELECT t FROM copy_fast_test.awkward ORDER BY id');
    expect((await both(db, wide, votableBinary2Writer)).fast).to.equal(null);
    if (textPaths) {
      const { generic, fast } = await both(db, wide, csvWriter);
      expect(fast!.equals(generic)).to.equal(true);
    }
  });

  it('formats any float8 and float4 as JavaScript prints the value the driver parses', async () => {
    // Bit patterns, plus every decimal exponent equally often (where the notations switch).
    const scaled = fc.tuple(fc.integer({ min: -325, max: 308 }), fc.double({ min: -10, max: 10, noNaN: true })).map(([e, m]) => m * 10 ** e);
    const rounded = fc.tuple(fc.integer({ min: -12, max: 25 }), fc.integer({ min: 1, max: 999 })).map(([e, m]) => m * 10 ** e);
    const anyDouble = fc.oneof(fc.double(), scaled, rounded);
    const anyFloat = fc.oneof(fc.float(), scaled.map(Math.fround), rounded.map(Math.fround));
    await fc.assert(
      fc.asyncProperty(fc.array(anyDouble, { minLength: 50, maxLength: 200 }), fc.array(anyFloat, { minLength: 50, maxLength: 200 }), async (doubles, floats) => {
        for (const [values, type, oid] of [
          [doubles, 'float8', PG_OID.float8],
          [floats, 'float4', PG_OID.float4],
        ] as const) {
          const rows = await db.query<{ t: string; js: string }>(
            `SELECT x::text AS t, ${jsNumberSql('x', oid)} AS js FROM unnest($1::${type}[]) AS u(x)`,
            [values.map((v) => (Object.is(v, -0) ? '-0' : String(v)))],
          );
          for (const r of rows) expect(r.js, r.t).to.equal(plainNumber(parseFloat(r.t)));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('inlines string parameters as literals, and declines what it cannot read safely', () => {
    expect(inlineParams('SELECT CAST($1 AS text), "a$1", \'$2\' WHERE x = $2', ["it's", 'back\\slash'])).to.equal(
      `SELECT CAST('it''s' AS text), "a$1", '$2' WHERE x =  E'back\\\\slash'`,
    );
    expect(inlineParams('SELECT $1', [5])).to.equal(null);
    expect(inlineParams('SELECT $$x$$', [])).to.equal(null);
    expect(inlineParams("SELECT E'\\''", [])).to.equal(null);
    expect(inlineParams('SELECT $2', ['a'])).to.equal(null);
    expect(inlineParams('SELECT 1 -- $1', ['a'])).to.equal(null);
    expect(inlineParams('SELECT 1 /* $1 */', ['a'])).to.equal(null);
    // Minus signs and slashes that start no comment stay, as does text with nothing to replace.
    expect(inlineParams('SELECT 4 - -2 / 1, x-$1 FROM t WHERE y/2 > -1', ['a'])).to.equal("SELECT 4 - -2 / 1, x-'a' FROM t WHERE y/2 > -1");
    const ranges = `SELECT * FROM t WHERE ${Array.from({ length: 200 }, (_, k) => `(h BETWEEN ${k * 10} AND ${k * 10 + 5})`).join(' OR ')}`;
    expect(inlineParams(ranges, [])).to.equal(ranges);
    // Without parameters too: what could hide a placeholder is still declined, quoted names kept.
    expect(inlineParams('SELECT "a$1", "b" FROM "t"', [])).to.equal('SELECT "a$1", "b" FROM "t"');
    expect(inlineParams('SELECT "b" -- x', [])).to.equal(null);
    expect(inlineParams('SELECT "b" /* x */', [])).to.equal(null);
  });

  it('cancels the query in the database when the signal aborts before the first row', async () => {
    const marker = '1.2345671';
    const q = await adql(db, `SELECT a.objectId FROM DC_W13_Stripe82.Object AS a, DC_W13_Stripe82.Object AS b WHERE a.ra + b.ra < -${marker}`, 10);
    const ac = new AbortController();
    const pending = fastDocumentStream(db, q, votableBinary2Writer, { timeoutMs: 60_000, requestDate, viewer: null, signal: ac.signal }, 0);
    const outcome = pending.then(
      () => 'answered',
      (e: Error) => e.name,
    );
    expect(await until(async () => (await running(db, marker)) === 1, 5000)).to.equal(true);
    ac.abort();
    expect(await outcome).not.to.equal('answered');
    expect(await until(async () => (await running(db, marker)) === 0, 1000)).to.equal(true);
  });

  it('cancels the COPY in the database when the consumer stops part-way', async () => {
    const marker = '1.2345672';
    const q = await adql(db, `SELECT a.objectId, b.ra FROM DC_W13_Stripe82.Object AS a, DC_W13_Stripe82.Object AS b WHERE a.ra + b.ra > -${marker}`, 100_000_000);
    // FITS is left out: it writes nothing before the last row (its header counts them); see the next test.
    for (const [, writer] of WRITERS.filter(([, w]) => runs(w) && w !== fitsTableWriter)) {
      const stream = await fastDocumentStream(db, q, writer, { timeoutMs: 60_000, requestDate, viewer: null }, 0);
      expect(stream).not.to.equal(null);
      let chunks = 0;
      for await (const _ of stream!) if (++chunks === 3) break;
      expect(await until(async () => (await running(db, marker)) === 0, 1000)).to.equal(true);
    }
    // The pool still works: its connections came back usable.
    expect(await db.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
  });

  it('cancels the COPY of a FITS answer when the signal aborts while the rows are spooled, and deletes the spool', async () => {
    const marker = '1.2345674';
    const q = await adql(db, `SELECT a.objectId, b.ra FROM DC_W13_Stripe82.Object AS a, DC_W13_Stripe82.Object AS b WHERE a.ra + b.ra > -${marker}`, 100_000_000);
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-fits-spool-'));
    try {
      const ac = new AbortController();
      const stream = await fastDocumentStream(db, q, fitsTableWriter, { timeoutMs: 60_000, requestDate, viewer: null, signal: ac.signal }, 0, { tmpDir });
      expect(stream).not.to.equal(null);
      const first = stream![Symbol.asyncIterator]().next();
      // More than a megabyte spooled: the spool has made its file.
      expect(await until(async () => fs.readdirSync(tmpDir).length === 1, 5000)).to.equal(true);
      ac.abort();
      const outcome = await first.then(() => 'answered', (e: Error) => e.name);
      expect(outcome).not.to.equal('answered');
      expect(await until(async () => (await running(db, marker)) === 0, 1000)).to.equal(true);
      expect(fs.readdirSync(tmpDir)).to.deep.equal([]);
    } finally {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
    expect(await db.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
  });

  for (const format of ['csv', 'tsv', 'votable', 'votable/b2', 'json', 'fits']) {
    it(`answers a query that fails at once with 400 and a DALI error (${format})`, async () => {
      const res = await fetch(`${srv.url}/db/v0/tap/sync`, {
        method: 'POST',
        body: new URLSearchParams({ LANG: 'ADQL', QUERY: 'SELECT TOP 5 LOG(ra - 1000) FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: format }),
      });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.match(/<INFO name="QUERY_STATUS" value="ERROR">[^<]*logarithm/);
    });
  }

  it('serves TAP sync CSV, TABLEDATA, BINARY2 and JSON equal to the generic writers', async () => {
    const query = 'SELECT TOP 500 objectId, ra, decl, rPsfMag, extendedness FROM DC_W13_Stripe82.Object ORDER BY objectId';
    for (const [format, writer] of [['csv', csvWriter], ['votable', votableWriter], ['votable/b2', votableBinary2Writer], ['json', jsonWriter], ['fits', fitsTableWriter]] as const) {
      const res = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', body: new URLSearchParams({ LANG: 'ADQL', QUERY: query, RESPONSEFORMAT: format, MAXREC: '100' }) });
      expect(res.status).to.equal(200);
      const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
      const generic = (await bytesOf(writer.write(await openQuery(db, await adql(db, query, 100), { timeoutMs: 60_000, requestDate, viewer: null })))).toString('latin1');
      // The request date differs between the two runs; everything else is the same.
      const date = /<INFO name="REQUEST_DATE" value="[^"]*"\/>|REQDATE = '[^']*'/;
      expect(body.replace(date, ''), format).to.equal(generic.replace(date, ''));
    }
  });

  it('leaves small results (by the planner estimate) to the generic text writers, large ones to COPY', async function () {
    if (!textPaths) this.skip();
    const small = await adql(db, 'SELECT TOP 3 objectId, ra FROM DC_W13_Stripe82.Object', 10);
    expect(await fastDocumentStream(db, small, csvWriter, { timeoutMs: 60_000, requestDate, viewer: null })).to.equal(null);
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "DC_W13_Stripe82"."Object"');
    const whole = await adql(db, 'SELECT objectId, ra FROM DC_W13_Stripe82.Object', 1_000_000);
    const fast = await fastDocumentStream(db, whole, csvWriter, { timeoutMs: 60_000, requestDate, viewer: null }, Math.min(n, COPY_PATHS_MIN_ROWS));
    expect(fast).not.to.equal(null);
    const text = (await bytesOf(fast!)).toString('utf8');
    expect(text.trimEnd().split('\n')).to.have.length(n + 1);
  });

  it("writes a small result's floats from PostgreSQL's text as the generic writers write the numbers: exponents, NaN, infinities, literals and char columns alike", async function () {
    if (!textPaths) this.skip();
    // Doubles in both of PostgreSQL's notations, real, a literal written with a trailing zero (the
    // translator casts it to double precision) and a char column of a double's text; NaN and the
    // infinities by CAST. A numeric under a double column is the pure test's (float-text.test.ts).
    const query =
      "SELECT objectId, ra, decl * 1e-12 AS tiny, ra * 1e20 AS huge, rPsfMag, 1.50 AS num, CAST(ra * 1e-9 AS VARCHAR(40)) AS txt, CAST('NaN' AS DOUBLE PRECISION) AS nan, CAST('-Infinity' AS DOUBLE PRECISION) AS ninf FROM DC_W13_Stripe82.Object WHERE MOD(objectId, 500) = 7";
    const q = await adql(db, query, 100_000);
    const options = { timeoutMs: 60_000, requestDate, viewer: null };
    for (const writer of [votableWriter, csvWriter, tsvWriter, jsonWriter]) {
      const small = (await bytesOf(await resultStream(db, q, writer, options))).toString('latin1');
      const generic = (await bytesOf(writer.write(await openQuery(db, q, options)))).toString('latin1');
      expect(small, writer.name).to.equal(generic);
      expect(small, writer.name).to.match(/e-1[0-9]|e\+2[0-9]/, small.slice(0, 400));
    }
    // The path was taken, by PostgreSQL's result types: real and double columns flagged, the
    // bigint and the char one not (equal bytes alone would hold without it too).
    const write = csvWriter.write;
    let flags: readonly boolean[] | undefined;
    csvWriter.write = (doc, o) => ((flags = doc.floatsAsText), write(doc, o));
    try {
      await bytesOf(await resultStream(db, q, csvWriter, options));
    } finally {
      csvWriter.write = write;
    }
    expect(flags).to.deep.equal([false, true, true, true, true, true, false, true, true]);
  });

  it('writes a result the planner finds small with the generic writer in the transaction that asked (no second one)', async function () {
    if (!textPaths) this.skip();
    const q = await adql(db, 'SELECT objectId, ra FROM DC_W13_Stripe82.Object WHERE objectId < 0', 100_000);
    const oneTransaction = new Proxy(db, {
      get: (target, key) => (key === 'streamReadOnly' ? () => Promise.reject(new Error('a second transaction')) : Reflect.get(target, key)),
    });
    const options = { timeoutMs: 60_000, requestDate, viewer: null };
    for (const writer of [csvWriter, votableWriter, jsonWriter]) {
      const answer = await resultStream(oneTransaction, q, writer, options);
      const generic = await bytesOf(writer.write(await openQuery(db, q, options)));
      expect((await bytesOf(answer)).equals(generic), writer.name).to.equal(true);
    }
    // The planner thinks it small, it never ends: the consumer stops, the query stops, the connection comes back.
    const marker = '1.2345673';
    const endless = await adql(
      db,
      `SELECT a.objectId FROM DC_W13_Stripe82.Object AS a, DC_W13_Stripe82.Object AS b WHERE MOD(a.objectId, 1) = 0 AND MOD(b.objectId, 1) = 0 AND MOD(a.objectId + b.objectId, 1) = 0 AND a.ra > -${marker}`,
      100_000_000,
    );
    let chunks = 0;
    for await (const _ of await resultStream(oneTransaction, endless, csvWriter, options)) if (++chunks === 3) break;
    expect(await until(async () => (await running(db, marker)) === 0, 1000)).to.equal(true);
    expect(await db.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    // Its shape is remembered small now: the next runs at once, in one message, and stops alike,
    // whether the consumer stops or the signal aborts.
    expect(db.smallShapes.has(queryShape(endless.adql, null))).to.equal(true);
    chunks = 0;
    for await (const _ of await resultStream(oneTransaction, endless, csvWriter, options)) if (++chunks === 3) break;
    expect(await until(async () => (await running(db, marker)) === 0, 1000)).to.equal(true);
    db.smallShapes.remember(queryShape(endless.adql, null));
    const ac = new AbortController();
    const body = await resultStream(oneTransaction, endless, csvWriter, { ...options, signal: ac.signal });
    expect(await running(db, marker)).to.equal(1);
    ac.abort();
    // The body ends (the endless query never would), with or without an error.
    await (async () => {
      for await (const _ of body) void _;
    })().catch(() => {});
    expect(await until(async () => (await running(db, marker)) === 0, 1000)).to.equal(true);
    expect(await db.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
  });

  it('plans a small result twice (estimate, run), not three times, then once: the next query of its shape runs in one message', async () => {
    const { db: recording, statements } = recordingDatabase(db);
    const options = { timeoutMs: 60_000, requestDate, viewer: null };
    // A shape of its own (the alias), so no other test has made it known.
    const cone = (ra: number) => adql(db, `SELECT objectId, ra AS ra_of_shape_test FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT(ra, decl), CIRCLE(${ra}, 0, 0.1))`, 100_000);
    let asked = false;
    for (const [k, writer] of [csvWriter, votableWriter, votableBinary2Writer, fitsTableWriter].entries()) {
      statements.length = 0;
      const q = await cone(10 + k);
      const answer = await resultStream(recording, q, writer, options);
      const generic = await bytesOf(writer.write(await openQuery(db, q, options)));
      expect((await bytesOf(answer)).equals(generic), writer.name).to.equal(true);
      expect(statements.join('\n'), writer.name).not.to.include('LIMIT 0');
      // On PostgreSQL 15 the text writers never ask for an estimate (no text path there).
      if (!runs(writer)) continue;
      if (!asked) {
        expect(statements.join('\n'), writer.name).to.include('EXPLAIN');
        // Two round trips: the transaction's start with the estimate, then the query with the transaction's end.
        expect(statements, writer.name).to.have.length(2);
        expect(statements[1], writer.name).to.match(/; ROLLBACK$/);
        asked = true;
        continue;
      }
      // A cone elsewhere is the same shape: the transaction, the query and its end in one message,
      // the query a statement prepared on the connection (in a round trip of its own, the first time).
      const message = statements.filter((t) => !t.startsWith('PREPARE vodax_cone_'));
      expect(statements.length - message.length, writer.name).to.be.at.most(1);
      expect(message, writer.name).to.have.length(1);
      expect(message[0], writer.name).to.match(/^BEGIN TRANSACTION READ ONLY;.*; EXECUTE vodax_cone_\w+\([^)]*\); ROLLBACK$/s);
      expect(message[0], writer.name).not.to.include('EXPLAIN');
    }
    // A large one is described (one more round trip, before its COPY).
    statements.length = 0;
    const whole = await adql(db, 'SELECT objectId, ra FROM DC_W13_Stripe82.Object', 1_000_000);
    await bytesOf(await resultStream(recording, whole, votableBinary2Writer, options));
    expect(statements.join('\n')).to.include('LIMIT 0');
  });

  it('answers a big result of a shape remembered small byte for byte as before, and asks the planner about that shape again next time', async () => {
    const { db: recording, statements } = recordingDatabase(db);
    const options = { timeoutMs: 60_000, requestDate, viewer: null };
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "DC_W13_Stripe82"."Object"');
    const minRows = Math.min(n, COPY_PATHS_MIN_ROWS);
    const above = (ra: number) => adql(db, `SELECT objectId, ra AS ra_of_big_shape FROM DC_W13_Stripe82.Object WHERE ra > ${ra}`, 1_000_000);
    const none = await above(1000);
    expect(db.smallShapes.has(queryShape(none.adql, null))).to.equal(false);
    await bytesOf((await fastDocumentStream(recording, none, votableBinary2Writer, options, minRows, {}))!);
    expect(db.smallShapes.has(queryShape(none.adql, null)), 'remembered small').to.equal(true);
    const all = await above(-1000);
    expect(queryShape(all.adql, null)).to.equal(queryShape(none.adql, null));
    for (const writer of WRITERS.map(([, w]) => w).filter(runs)) {
      statements.length = 0;
      const answer = await bytesOf((await fastDocumentStream(recording, all, writer, options, minRows, {}))!);
      const generic = await bytesOf(writer.write(await openQuery(db, all, options)));
      expect(answer.equals(generic), writer.name).to.equal(true);
      expect(generic.length).to.be.greaterThan(n * 5);
      if (db.smallShapes.has(queryShape(all.adql, null))) expect.fail(`${writer.name}: still remembered small after ${n} rows`);
      // Remembered (again, by the small one after each): run at once, in one message.
      expect(statements, writer.name).to.have.length(1);
      expect(statements[0], writer.name).not.to.include('EXPLAIN');
      await bytesOf((await fastDocumentStream(recording, none, votableBinary2Writer, options, minRows, {}))!);
    }
    // Forgotten after a big one: the next is asked about, and COPYed.
    await bytesOf((await fastDocumentStream(recording, all, votableBinary2Writer, options, minRows, {}))!);
    statements.length = 0;
    await bytesOf((await fastDocumentStream(recording, all, votableBinary2Writer, options, minRows, {}))!);
    expect(statements.join('\n')).to.include('EXPLAIN');
    expect(statements.join('\n')).to.match(/^COPY /m);
  });

  it('forgets nothing it should not and keeps no more shapes than its bound', () => {
    const shapes = new SmallShapes(3);
    for (const s of ['a', 'b', 'c']) shapes.remember(s);
    expect(['a', 'b', 'c'].map((s) => shapes.has(s))).to.deep.equal([true, true, true]);
    shapes.forget('b');
    expect(shapes.has('b')).to.equal(false);
    shapes.remember('d');
    shapes.remember('e');
    // Full: started over with the newest.
    expect(['a', 'c', 'd', 'e'].map((s) => shapes.has(s))).to.deep.equal([false, false, false, true]);
    const shape = queryShape("SELECT TOP 10 a FROM t WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(10.5, -3e-2, .1)) AND x2 = 'a7'", null);
    expect(shape).to.equal("\u0000SELECT TOP # a FROM t WHERE # = CONTAINS(POINT(ra, dec), CIRCLE(#, #, #)) AND x# = 'a#'");
    expect(queryShape('SELECT a FROM t WHERE x > 1', 'ann')).to.equal(queryShape('SELECT a FROM t WHERE x > 2', 'ann'));
    expect(queryShape('SELECT a FROM t WHERE x > 1', 'ann')).not.to.equal(queryShape('SELECT a FROM t WHERE x > 1', 'bob'));
  });

  it('declines a result that TOP, MAXREC or an aggregate without GROUP BY keep small without asking the database (no EXPLAIN round trip)', async () => {
    const untouchable = new Proxy(db, {
      get: (target, key) => (key === 'copyOutReadOnly' ? () => Promise.reject(new Error('asked the database')) : Reflect.get(target, key)),
    });
    for (const [query, maxrec] of [
      ['SELECT TOP 5 objectId, ra FROM DC_W13_Stripe82.Object', 1_000_000],
      ['SELECT objectId, ra FROM DC_W13_Stripe82.Object', 10],
      ['SELECT COUNT(*) AS n, MAX(ra) AS most FROM DC_W13_Stripe82.Object', 1_000_000],
      ['SELECT 1 AS one FROM DC_W13_Stripe82.Object HAVING COUNT(*) > 1', 1_000_000],
    ] as const) {
      const q = await adql(db, query, maxrec);
      expect(q.rowLimit).to.be.below(COPY_PATHS_MIN_ROWS);
      for (const writer of [csvWriter, votableWriter]) expect(await fastDocumentStream(untouchable, q, writer, { timeoutMs: 60_000, requestDate, viewer: null })).to.equal(null);
    }
    // Not when the limit allows enough rows: the planner is asked.
    const big = await adql(db, 'SELECT TOP 5000 objectId, ra FROM DC_W13_Stripe82.Object', 1_000_000);
    expect(big.rowLimit).to.equal(5000);
    // A GROUP BY makes a row per group: as many as the rows, for all anyone knows here.
    expect((await adql(db, 'SELECT objectId, COUNT(*) AS n FROM DC_W13_Stripe82.Object GROUP BY objectId', 1_000_000)).rowLimit).to.equal(1_000_001);
    let err: Error | null = null;
    await fastDocumentStream(untouchable, big, csvWriter, { timeoutMs: 60_000, requestDate, viewer: null }).catch((e: Error) => (err = e));
    if (textPaths) expect((err as Error | null)?.message).to.equal('asked the database');
  });

  it('takes the text paths on PostgreSQL 16 and later only, BINARY2 everywhere', async () => {
    const q = await adql(db, 'SELECT TOP 3 objectId, ra FROM DC_W13_Stripe82.Object', 10);
    const csv = await fastDocumentStream(db, q, csvWriter, { timeoutMs: 60_000, requestDate, viewer: null }, 0);
    expect(csv === null, 'CSV declined').to.equal(!textPaths);
    if (csv) for await (const _ of csv) void _;
    const b2 = await fastDocumentStream(db, q, votableBinary2Writer, { timeoutMs: 60_000, requestDate, viewer: null }, 0);
    expect(b2).not.to.equal(null);
    for await (const _ of b2!) void _;
  });
});
