/**
 * A catalog sharded over three PostgreSQL servers (embedded clusters on loopback) answers every
 * query exactly as the same catalog on one server: cones across shard boundaries, at RA 0, at the
 * poles, aggregates, joins, ORDER BY with TOP, an upload crossmatch. Cones touch only their shards;
 * a stopped shard is a clear 503 naming it while cones elsewhere still answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { startEmbedded, type EmbeddedServer } from '../../src/storage/embedded.js';
import { createLogger } from '../../src/log.js';
import { createApp } from '../../src/server/app.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { loadConfig } from '../../src/config.js';
import { Registry } from '../../src/catalog/table-registry.js';
import { addressOf } from '../../src/server/storage.js';
import { createDatabase, loadTable } from '../../src/ingest/loader.js';
import type { CellValue, TableMeta } from '../../src/formats/table-model.js';
import { addShard } from '../../src/shard/shard-servers.js';
import { findTarget, partitionsOf, shardStatus, shardTable, type PartitionRecord } from '../../src/shard/sharded-table.js';
import { ingestSharded } from '../../src/shard/shard-ingest.js';
import { ang2pix, INDEX_ORDER } from '../../src/healpix/nested.js';
import { overlaps } from '../../src/shard/boundaries.js';
import { shardCommand } from '../../src/cli/shard.js';

const ROWS = 6000;

/** Positions spread over the sky (deterministic), plus RA 0 / 360, the poles and rows without a position. */
function catalogRows(): CellValue[][] {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows: CellValue[][] = [];
  for (let i = 0; i < ROWS; i++) {
    const ra = rand() * 360;
    const dec = (Math.asin(2 * rand() - 1) * 180) / Math.PI;
    rows.push([i, ra, dec, Math.round(rand() * 1000) / 100 + 14, ['g', 'r', 'i'][i % 3]!]);
  }
  const special: Array<[number, number]> = [[0, 0], [359.9999, 0.0001], [0.0001, -0.0001], [0, 90], [123, 89.999], [0, -90], [250, -89.999], [359.95, 10]];
  special.forEach(([ra, dec], k) => rows.push([ROWS + k, ra, dec, 20 + k / 10, 'r']));
  rows.push([ROWS + 100, null, null, 21.5, 'g']);
  return rows;
}

const META = (name: string): TableMeta => ({
  name,
  columns: [
    { name: 'id', datatype: 'long', nullable: false, principal: true },
    { name: 'ra', datatype: 'double', unit: 'deg' },
    { name: 'decl', datatype: 'double', unit: 'deg' },
    { name: 'mag', datatype: 'double' },
    { name: 'band', datatype: 'char', arraysize: '*' },
  ] as TableMeta['columns'],
  position: { ra: 'ra', dec: 'decl' },
  primaryKey: ['id'],
});

describe('sharded catalogs (postgres_fdw, HEALPix range partitions)', function () {
  this.timeout(120_000);
  const log = createLogger('silent');
  const shards: Array<{ name: string; server: EmbeddedServer; dir: string; stopped: boolean }> = [];
  let coord: TestDatabase & { drop(): Promise<void> };
  let server: http.Server;
  let base: string;
  let dataDir: string;
  let parts: PartitionRecord[];

  before(async () => {
    coord = await freshDatabase();
    // Three shard clusters at once: their start-up is most of this file's time.
    const started = await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vodax-shard-${name}-`));
        fs.chmodSync(dir, 0o755);
        return { name, dir, server: await startEmbedded(path.join(dir, 'pg'), 0, log), stopped: false };
      }),
    );
    shards.push(...started);
    await coord.db.transaction(async (c) => {
      await createDatabase(c, { name: 'Sky', level: 'L2', owner: 'ann', description: 'sharding test', annotations: {} });
      await loadTable(c, 'Sky', { meta: META('Flat'), rows: catalogRows() });
      // The sharded copy starts empty and gets its rows through the coordinator (routed by COPY).
      await loadTable(c, 'Sky', { meta: META('Sharded'), rows: [] });
    });
    for (const s of shards) await addShard(coord.db, s.name, s.server.url);
    const t = await findTarget(coord.db, 'L2', 'Sky', 'Sharded');
    await shardTable(coord.db, t, ['a', 'b']);
    const half = catalogRows();
    expect(await ingestSharded(coord.db, t, { meta: META('Sharded'), rows: half })).to.equal(half.length);
    // Rebalanced onto a third shard added later: ranges from the data, rows moved.
    parts = await shardTable(coord.db, t, ['a', 'b', 'c']);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-shard-data-'));
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    const app = createApp({ config, log, db: coord.db, registry: new Registry(coord.db, addressOf(coord.url)) });
    server = createHttpServer(app.callback(), config.limits);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (coord) await coord.drop();
    for (const s of shards) {
      if (!s.stopped) await s.server.stop();
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function csv(query: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${base}/db/v0/tap/sync`, { method: 'POST', body: new URLSearchParams({ LANG: 'ADQL', RESPONSEFORMAT: 'csv', QUERY: query }) });
    return { status: res.status, text: await res.text() };
  }

  /** The answer on the sharded table equals the one on the flat table (row order ignored unless ordered). */
  async function same(query: string, ordered = false): Promise<string[]> {
    const flat = await csv(query.replaceAll('Sky.T', 'Sky.Flat'));
    const sharded = await csv(query.replaceAll('Sky.T', 'Sky.Sharded'));
    expect(flat.status, flat.text).to.equal(200);
    expect(sharded.status, sharded.text).to.equal(200);
    const lines = (t: string) => {
      const [head, ...rest] = t.trim().split(/\r?\n/);
      return [head!, ...(ordered ? rest : rest.sort())];
    };
    expect(lines(sharded.text)).to.deep.equal(lines(flat.text));
    return lines(flat.text).slice(1);
  }

  const cone = (ra: number, dec: number, r: number) => `SELECT id, ra, decl, mag FROM Sky.T WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', ${ra}, ${dec}, ${r}))`;

  /** A position on the boundary between the first two shards. */
  function boundaryPoint(): [number, number] {
    // Search a coarse grid for two neighbouring positions on either side of the first cut.
    const shardOf = (ra: number, dec: number) => parts.findIndex((p) => ang2pix(INDEX_ORDER, ra, dec) < p.range.hi);
    for (let dec = -80; dec <= 80; dec += 0.5) {
      for (let ra = 0; ra < 360; ra += 0.5) {
        if (shardOf(ra, dec) === 0 && shardOf(ra + 0.5, dec) === 1) return [ra + 0.25, dec];
      }
    }
    throw new Error('no boundary found');
  }

  it('balances the rows over the shards and reports them with their ranges', async () => {
    const status = await shardStatus(coord.db, await findTarget(coord.db, 'L2', 'Sky', 'Sharded'));
    expect(status.map((s) => s.shard)).to.deep.equal(['a', 'b', 'c']);
    const total = status.reduce((n, s) => n + s.rows!, 0);
    expect(total).to.equal(ROWS + 8); // the row without a position stays on the coordinator
    for (const s of status) expect(s.rows).to.be.within(total / 3 - 200, total / 3 + 200);
  });

  it('answers cones across a shard boundary, at RA 0 and at both poles exactly as one server', async () => {
    const [ra, dec] = boundaryPoint();
    expect((await same(cone(ra, dec, 3))).length).to.be.greaterThan(0);
    expect((await same(cone(0, 0, 2))).length).to.be.greaterThan(0);
    expect(await same(cone(359.99, 0, 0.05))).to.have.length.greaterThan(1);
    expect((await same(cone(0, 90, 5))).length).to.be.greaterThan(1);
    expect((await same(cone(180, -90, 5))).length).to.be.greaterThan(1);
    await same(`SELECT id FROM Sky.T WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), BOX('ICRS', 0, 0, 6, 4))`);
    await same(`SELECT id FROM Sky.T WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), POLYGON('ICRS', 350, -5, 10, -5, 10, 5, 350, 5))`);
  });

  it('answers COUNT, GROUP BY aggregates, a join and ORDER BY with TOP exactly as one server', async () => {
    expect(await same('SELECT COUNT(*) AS n FROM Sky.T')).to.deep.equal([String(ROWS + 9)]);
    await same('SELECT band, COUNT(*) AS n, MIN(mag) AS lo, MAX(mag) AS hi, ROUND(AVG(mag), 8) AS mean, ROUND(SUM(mag), 6) AS total FROM Sky.T GROUP BY band');
    // (AVG and SUM rounded: doubles summed in another order differ in the last bits.)
    await same('SELECT TOP 25 id, mag FROM Sky.T ORDER BY mag DESC, id', true);
    await same('SELECT TOP 10 id, ra FROM Sky.T WHERE decl > 60 ORDER BY ra, id', true);
    await same(`SELECT a.id, b.id AS other FROM Sky.T AS a JOIN Sky.Flat AS b ON b.id = a.id + 1 WHERE 1 = CONTAINS(POINT('ICRS', a.ra, a.decl), CIRCLE('ICRS', 40, 20, 4))`);
  });

  it('answers every form of aggregate the shards compute exactly as one server', async () => {
    // Grouped by a column and by an alias, a string literal in WHERE (one parameter for every
    // shard), COUNT of a column with NULLs, SUM of integers, MIN of strings, ORDER BY an aggregate.
    await same("SELECT band AS b, COUNT(ra) AS n, SUM(id) AS ids, MIN(band) AS lowest FROM Sky.T WHERE band <> 'i' GROUP BY b");
    await same('SELECT TOP 2 band, COUNT(*) AS n FROM Sky.T GROUP BY band ORDER BY 2 DESC, 1', true);
    await same('SELECT MAX(id) AS hi, MIN(decl) AS lo, COUNT(*) AS n FROM Sky.T WHERE mag > 20 AND decl < 0');
    // No row matches: COUNT is 0 and the others NULL, as on one server.
    expect(await same('SELECT COUNT(*) AS n, SUM(mag) AS s, AVG(mag) AS a FROM Sky.T WHERE mag > 99')).to.deep.equal(['0,,']);
    expect(await same(`SELECT COUNT(*) AS n FROM Sky.T WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 100, 30, 0.001))`)).to.deep.equal(['0']);
    // Forms the shards cannot finish alone are still answered right: DISTINCT, HAVING, an expression over aggregates.
    await same('SELECT COUNT(DISTINCT band) AS n FROM Sky.T');
    await same('SELECT band, COUNT(*) AS n FROM Sky.T GROUP BY band HAVING COUNT(*) > 2000');
    await same('SELECT COUNT(*) * 2 AS twice FROM Sky.T');
  });

  it('computes COUNT and GROUP BY aggregates on each shard (EXPLAIN: one remote aggregate per shard, asynchronous)', async () => {
    for (const adql of ['SELECT COUNT(*) AS n FROM Sky.Sharded', 'SELECT band, COUNT(*) AS n, AVG(mag) AS a FROM Sky.Sharded GROUP BY band']) {
      const q = await querytype(adql);
      expect(q.shards).to.deep.equal(['a', 'b', 'c']);
      const plan = (await coord.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE, COSTS OFF) ${q.sql}`)).map((r) => r['QUERY PLAN']).join('\n');
      const remote = plan.split('\n').filter((l) => l.includes('Remote SQL:'));
      expect(remote, plan).to.have.length(3);
      for (const r of remote) expect(r, plan).to.match(/Remote SQL: SELECT (band, )?count\(/);
      if (adql.includes('GROUP BY')) for (const r of remote) expect(r, plan).to.include('GROUP BY');
      expect(plan.match(/Async Foreign Scan/g), plan).to.have.length(3);
      expect(plan.match(/Relations: Aggregate on/g), plan).to.have.length(3);
    }
  });

  it('crossmatches an uploaded table with the sharded table as with the flat one', async () => {
    const upload = 'name,ra,decl\nzero,0.0,0.0\nnorth,10,89.5\nedge,359.9,0.1\nmid,200,-30\n';
    const answers: string[] = [];
    for (const t of ['Flat', 'Sharded']) {
      const fd = new FormData();
      fd.set('LANG', 'ADQL');
      fd.set('RESPONSEFORMAT', 'csv');
      fd.set('QUERY', `SELECT m.name, o.id FROM TAP_UPLOAD.mine AS m JOIN Sky.${t} AS o ON 1 = CONTAINS(POINT('ICRS', o.ra, o.decl), CIRCLE('ICRS', m.ra, m.decl, 2)) ORDER BY m.name, o.id`);
      fd.set('UPLOAD', 'mine,param:t1');
      fd.set('t1', new Blob([upload], { type: 'text/csv' }), 't1.csv');
      const res = await fetch(`${base}/db/v0/tap/sync`, { method: 'POST', body: fd });
      const text = await res.text();
      expect(res.status, text).to.equal(200);
      answers.push(text);
    }
    expect(answers[1]).to.equal(answers[0]);
    expect(answers[0]!.split('\n').length).to.be.greaterThan(3);
  });

  async function querytype(adql: string): Promise<{ shards: string[]; sql: string }> {
    const res = await fetch(`${base}/db/v0/tap/querytype?${new URLSearchParams({ QUERY: adql })}`, { headers: { accept: 'application/json' } });
    const body = await res.text();
    expect(res.status, body).to.equal(200);
    return JSON.parse(body).result;
  }

  /** The shard of a position. */
  const shardAt = (ra: number, dec: number) => {
    const h = ang2pix(INDEX_ORDER, ra, dec);
    return parts.find((p) => h >= p.range.lo && h < p.range.hi)!.shard;
  };

  it('plans a small cone on its one shard (EXPLAIN: one Foreign Scan), and querytype names it', async () => {
    const [ra, dec] = [100, 30];
    const q = await querytype(cone(ra, dec, 0.5).replace('Sky.T', 'Sky.Sharded'));
    expect(q.shards).to.deep.equal([shardAt(ra, dec)]);
    const plan = JSON.stringify((await coord.db.query(`EXPLAIN (FORMAT JSON) ${q.sql}`))[0]);
    const scans = plan.match(/"Node Type":"Foreign Scan"/g) ?? [];
    expect(scans).to.have.length(1);
    const own = parts.find((p) => p.shard === shardAt(ra, dec))!.partition;
    expect(plan).to.include(own);
    for (const p of parts) if (p.partition !== own) expect(plan).not.to.include(p.partition);
    // A cone across the boundary names both shards; a full count all three.
    // Across the boundary: exactly the shards whose ranges meet the cone's HEALPix ranges, both sides included.
    const [bra, bdec] = boundaryPoint();
    const across = await querytype(cone(bra, bdec, 3).replace('Sky.T', 'Sky.Sharded'));
    const ranges = [...across.sql.matchAll(/BETWEEN (\d+) AND (\d+)/g)].map((m) => [BigInt(m[1]!), BigInt(m[2]!)] as const);
    expect(ranges.length).to.be.greaterThan(0);
    const meeting = parts.filter((p) => ranges.some(([lo, hi]) => overlaps(p.range, lo, hi))).map((p) => p.shard);
    expect(across.shards).to.deep.equal([...new Set(meeting)].sort());
    expect(across.shards).to.include.members([parts[0]!.shard, parts[1]!.shard]);
    expect((await querytype('SELECT COUNT(*) FROM Sky.Sharded')).shards).to.deep.equal(['a', 'b', 'c']);
    expect((await querytype('SELECT COUNT(*) FROM Sky.Flat')).shards).to.deep.equal([]);
  });

  it("pushes a cone's aggregate, HEALPix ranges and exact test down to its one shard (one row travels)", async () => {
    const adql = `SELECT COUNT(*) AS n, MAX(mag) AS hi FROM Sky.Sharded WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 100, 30, 0.5))`;
    const q = await querytype(adql);
    const plan = (await coord.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE, COSTS OFF) ${q.sql}`)).map((r) => r['QUERY PLAN']).join('\n');
    expect(q.shards).to.have.length(1);
    const remote = plan.split('\n').filter((l) => l.includes('Remote SQL:'));
    expect(remote).to.have.length(1);
    expect(remote[0]).to.match(/Remote SQL: SELECT count\(\*\), max\(mag\) FROM /);
    expect(remote[0]).to.match(/WHERE .*vodax_hpx >= \d+::bigint/);
    expect(remote[0]).to.include('radians(decl)');
    await same(adql.replace('Sky.Sharded', 'Sky.T'));
  });

  it('vodax shard status prints rows and ranges per shard, shard ingest routes a file\'s rows, a bad shard URL is a clear error', async () => {
    const config = loadConfig({ LOG_FORMAT: 'silent', DATABASE_URL: coord.url, DATA_DIR: dataDir });
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    try {
      expect(await shardCommand.run(['status', 'L2', 'Sky', 'Sharded'], { config, log })).to.equal(0);
    } finally {
      process.stdout.write = write;
    }
    const lines = out.trim().split('\n');
    expect(lines).to.have.length(4);
    expect(lines[1]).to.match(/^a\t\d+\t\[0, \d+\)\t8\/0-\d+$/);
    expect(lines[3]).to.match(/^c\t\d+\t/);
    // vodax shard ingest: a file's rows appended through the coordinator, each routed to its shard.
    const file = path.join(dataDir, 'more.csv');
    fs.writeFileSync(file, 'id,ra,decl,mag,band\n900001,10,10,15,g\n900002,200,-45,16,r\n900003,300,80,17,i\n');
    const before = await csv('SELECT COUNT(*) AS n FROM Sky.Sharded');
    expect(await shardCommand.run(['ingest', file, 'L2', 'Sky', 'Sharded'], { config, log })).to.equal(0);
    const added = await csv('SELECT id FROM Sky.Sharded WHERE id > 900000 ORDER BY id');
    expect(added.text.trim().split(/\r?\n/).slice(1)).to.deep.equal(['900001', '900002', '900003']);
    const where = await coord.db.query<{ shard: string }>(
      `SELECT p.shard FROM "Sky"."Sharded" s JOIN pg_class c ON c.oid = s.tableoid JOIN vodax.shard_partitions p ON p.partition = c.relname WHERE s.id > 900000 ORDER BY s.id`,
    );
    expect(where.map((r) => r.shard)).to.deep.equal([shardAt(10, 10), shardAt(200, -45), shardAt(300, 80)]);
    // Taken out again (a write outside the read-only query path) so both copies stay equal.
    await coord.db.query('DELETE FROM "Sky"."Sharded" WHERE id > 900000');
    expect((await csv('SELECT COUNT(*) AS n FROM Sky.Sharded')).text).to.equal(before.text);
    let err: Error | null = null;
    try {
      await shardCommand.run(['add', 'd', 'mysql://x@y/z'], { config, log });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/must start with postgres:\/\//);
  });

  it('keeps queries read-only through the foreign tables', async () => {
    const gen = coord.db.streamReadOnly('INSERT INTO "Sky"."Sharded" (id, ra, decl, vodax_hpx) VALUES (-1, 1, 1, 1)', []);
    let err: Error | null = null;
    try {
      for await (const _ of gen) void _;
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/read-only transaction/);
    const r = await csv('SELECT COUNT(*) AS n FROM Sky.Sharded WHERE id < 0');
    expect(r.text.trim().split(/\r?\n/)[1]).to.equal('0');
  });

  it('vodax shard rebalance onto two of the shards: new partitions, the same answers at once (aggregates included)', async () => {
    const config = loadConfig({ LOG_FORMAT: 'silent', DATABASE_URL: coord.url, DATA_DIR: dataDir });
    // Warm the server's catalog, which names the partitions the aggregates run on.
    const count = await same('SELECT COUNT(*) AS n, MAX(mag) AS hi FROM Sky.T');
    const old = parts.map((p) => p.partition);
    const quiet = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await shardCommand.run(['rebalance', 'L2', 'Sky', 'Sharded', '--shards', 'a,c'], { config, log })).to.equal(0);
    } finally {
      process.stdout.write = quiet;
    }
    const t = await findTarget(coord.db, 'L2', 'Sky', 'Sharded');
    const now = await partitionsOf(coord.db, t);
    expect(now.map((p) => p.shard)).to.deep.equal(['a', 'c']);
    for (const p of now) expect(old).not.to.include(p.partition);
    // The catalog moved on with the partitions: no query names a partition that is gone.
    expect(await same('SELECT COUNT(*) AS n, MAX(mag) AS hi FROM Sky.T')).to.deep.equal(count);
    await same('SELECT band, COUNT(*) AS n, MIN(mag) AS lo FROM Sky.T GROUP BY band');
    await same(cone(100, 30, 3));
    expect((await querytype('SELECT COUNT(*) FROM Sky.Sharded')).shards).to.deep.equal(['a', 'c']);
    // Back onto the three shards for the tests after this one.
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await shardCommand.run(['rebalance', 'L2', 'Sky', 'Sharded', '--shards', 'a,b,c'], { config, log })).to.equal(0);
    } finally {
      process.stdout.write = quiet;
    }
    parts = await partitionsOf(coord.db, t);
    expect(parts.map((p) => p.shard)).to.deep.equal(['a', 'b', 'c']);
    await same('SELECT COUNT(*) AS n FROM Sky.T');
  });

  it('answers a 503 naming a stopped shard (no credentials, no hang) and still serves cones elsewhere', async () => {
    const victim = shards.find((s) => s.name === parts[2]!.shard)!;
    await victim.server.stop();
    victim.stopped = true;
    // A cone on the stopped shard: a clear error, quickly.
    let at: [number, number] | null = null;
    for (let ra = 0; ra < 360 && !at; ra += 7) for (let dec = -60; dec <= 60 && !at; dec += 7) if (shardAt(ra, dec) === victim.name && shardAt(ra + 1, dec) === victim.name && shardAt(ra - 1, dec) === victim.name && shardAt(ra, dec + 1) === victim.name && shardAt(ra, dec - 1) === victim.name) at = [ra, dec];
    const t0 = Date.now();
    const res = await fetch(`${base}/db/v0/tap/sync`, { method: 'POST', body: new URLSearchParams({ LANG: 'ADQL', QUERY: cone(at![0], at![1], 0.5).replace('Sky.T', 'Sky.Sharded') }) });
    const xml = await res.text();
    expect(Date.now() - t0).to.be.below(10_000);
    expect(res.status, xml).to.equal(503);
    expect(xml).to.match(/QUERY_STATUS" value="ERROR"/);
    expect(xml).to.include(`shard ${victim.name} is unavailable`);
    const password = new URL(victim.server.url).password;
    expect(xml).not.to.include(password);
    expect(xml).not.to.include(String(new URL(victim.server.url).port));
    // The other shards' cones still answer, and the same as the flat table.
    for (const p of parts.filter((x) => x.shard !== victim.name)) {
      let ok: [number, number] | null = null;
      for (let ra = 0; ra < 360 && !ok; ra += 7) for (let dec = -60; dec <= 60 && !ok; dec += 7) if ([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]].every(([x, y]) => shardAt(ra + x!, dec + y!) === p.shard)) ok = [ra, dec];
      await same(cone(ok![0], ok![1], 0.5));
    }
    expect((await partitionsOf(coord.db, { schema: 'Sky', table: 'Sharded' })).length).to.equal(3);
  });
});
