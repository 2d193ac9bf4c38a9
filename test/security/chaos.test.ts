/**
 * Chaos: clients as they really are. Downloads cut at random bytes and moments over every
 * format, hostile multipart bodies, bodies that stop, oversized headers and URLs, methods
 * nobody implements. After each: the server answers, no connection of ours is left in a
 * transaction or checked out, and no spool remains. Bounded in count and time, loopback only;
 * CHAOS_SCALE multiplies the counts for a longer run by hand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { testServer, type TestServer } from '../support/server.js';
import { testDatabase } from '../support/database.js';
import { cutRequest, eventually, inParallel, rawExchange } from '../support/chaos-clients.js';
import { scratchRoot } from '../../src/system/scratch.js';
import { mulberry32 } from '../../src/sample-data/random.js';

const SCALE = Number(process.env.CHAOS_SCALE ?? 1);
const FORMATS = ['csv', 'tsv', 'votable', 'votable/b2', 'fits', 'json', 'html', 'ipac'];
const CONE = "SELECT * FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 0.05, 0, 0.5))";

/** Connections of the test database left inside a transaction by anyone but this check. */
async function inTransaction(): Promise<number> {
  const { db } = await testDatabase();
  const [r] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
  );
  return r!.n;
}

/** Pooled connections handed out and not given back. */
async function checkedOut(): Promise<number> {
  const { db } = await testDatabase();
  return db.pool.totalCount - db.pool.idleCount;
}

/** Entries in the server's scratch folder. */
function scratch(srv: TestServer): string[] {
  try {
    return fs.readdirSync(scratchRoot(srv.dataDir));
  } catch {
    return [];
  }
}

/** The server is whole: nothing held, nothing left, and a query answers. */
async function expectWhole(srv: TestServer): Promise<void> {
  expect(await eventually(async () => (await inTransaction()) === 0 && (await checkedOut()) === 0, 10_000), 'connections released').to.equal(true);
  expect(await eventually(() => scratch(srv).length === 0, 5000), `no spool left: ${scratch(srv).join(' ')}`).to.equal(true);
  const t0 = Date.now();
  const res = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', body: new URLSearchParams({ QUERY: 'SELECT TOP 3 objectId FROM DC_W13_Stripe82.Object', RESPONSEFORMAT: 'csv' }) });
  expect(res.status).to.equal(200);
  expect((await res.text()).trim().split('\n')).to.have.length(4);
  // Generous: a loaded CI machine, but a pool waiting for a leaked connection takes 10 s.
  expect(Date.now() - t0).to.be.below(5000);
}

describe('chaos: misbehaving clients', function () {
  this.timeout(180_000 * Math.max(1, SCALE));
  let srv: TestServer;
  let port: number;
  before(async () => {
    srv = await testServer({ REQUEST_IDLE_TIMEOUT: '1', DB_POOL_SIZE: '10' });
    port = Number(new URL(srv.url).port);
  });
  after(() => srv.close());

  it(`${Math.round(1600 * SCALE)} downloads cut at random bytes and moments, in every format, leak no connection`, async () => {
    const random = mulberry32(20261203).next;
    const n = Math.round(1600 * SCALE);
    const plan = Array.from({ length: n }, (_, i) => ({
      format: FORMATS[i % FORMATS.length]!,
      // Half cut by bytes (anywhere in the first 64 KiB, often at 0), half by time (before or after the headers).
      afterBytes: i % 2 === 0 ? Math.floor(random() ** 2 * 65536) : undefined,
      afterMs: i % 2 === 1 ? Math.floor(random() * 60) : 2000,
      get: random() < 0.3,
    }));
    const results = await inParallel(plan, 8, (p) => {
      const params = new URLSearchParams({ QUERY: CONE, RESPONSEFORMAT: p.format });
      return p.get
        ? cutRequest(`${srv.url}/db/v0/tap/sync?${params}`, { afterBytes: p.afterBytes, afterMs: p.afterMs })
        : cutRequest(`${srv.url}/db/v0/tap/sync`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: params.toString(),
            afterBytes: p.afterBytes,
            afterMs: p.afterMs,
          });
    });
    const statuses = results.map((r) => r.status).filter((s) => s !== null);
    expect(statuses.filter((s) => s! >= 500), 'no 5xx').to.deep.equal([]);
    // Most were really cut (some small answers end before their byte or moment).
    expect(results.filter((r) => r.cut).length).to.be.above(n / 2);
    await expectWhole(srv);
  });

  it('1000-part multipart bodies (three times) are a 400 and leave no spool', async () => {
    for (let round = 0; round < 3; round++) {
      const form = new FormData();
      form.append('LANG', 'ADQL');
      form.append('QUERY', 'SELECT 1 AS one FROM DC_W13_Stripe82.Object');
      for (let i = 0; i < 1000; i++) form.append(`f${i}`, new Blob(['b']), 'a');
      const res = await fetch(`${srv.url}/db/v0/tap/sync`, { method: 'POST', body: form });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.match(/too many parts/);
    }
    await expectWhole(srv);
  });

  it('multipart bodies cut mid-part, nameless parts and garbage boundaries are 4xx or a closed connection, never a fault', async () => {
    const boundary = 'xYzBoundary';
    const part = (name: string, body: string, file = true) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="t.vot"' : ''}\r\n\r\n${body}\r\n`;
    const big = 'x'.repeat(200_000);
    const bodies = [
      // Declares more than it sends: the reader must give up after the idle timeout.
      { body: part('QUERY', 'SELECT 1', false) + part('t', big).slice(0, 100_000), length: 400_000 },
      { body: part('', 'nameless') + `--${boundary}--\r\n` },
      { body: part('QUERY', 'SELECT 1', false) + `--${boundary}\r\nContent-Disposition: form-data; name="t"; filename="x"\r\n\r\n` + big },
      { body: 'not a multipart body at all' },
    ];
    for (const b of bodies) {
      const head =
        `POST /db/v0/tap/sync?UPLOAD=t,param:t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `Content-Length: ${b.length ?? Buffer.byteLength(b.body)}\r\nConnection: close\r\n\r\n`;
      const { answer } = await rawExchange(port, head + b.body, 8000);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      expect(status === 0 || (status >= 400 && status < 500), answer.slice(0, 200)).to.equal(true);
    }
    await expectWhole(srv);
  });

  it('a body that stops before its Content-Length is a 408 after the idle timeout, not a held request', async () => {
    const t0 = Date.now();
    const { answer } = await rawExchange(
      port,
      'POST /db/v0/tap/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nLANG=ADQL&',
      10_000,
    );
    expect(answer).to.match(/^HTTP\/1\.1 408 /);
    expect(answer).to.match(/QUERY_STATUS" value="ERROR"/);
    expect(Date.now() - t0).to.be.below(5000);
    // A user-table PUT that stops likewise.
    const put = await rawExchange(port, 'PUT /db/v0/tap/tables/joe_myDb.t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 100\r\n\r\na,b\n', 10_000);
    expect(put.answer).to.match(/^HTTP\/1\.1 (408|401) /);
    await expectWhole(srv);
  });

  it('oversized headers get 431 and an oversized URL 414, answers the client reads (no reset)', async () => {
    const cases: [string, string, RegExp][] = [
      ['100 KB Authorization', `GET /meta/v0/db HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ['80 KB URL', `GET /db/v0/tap/sync?QUERY=${'a'.repeat(80_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 414 /],
      ['400 KB header', `GET /meta/v0/db HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(400_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ['400 KB URL', `GET /meta/v0/db?x=${'a'.repeat(400_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 (414|431) /],
    ];
    for (const [what, bytes, expected] of cases) {
      const { answer, reset } = await rawExchange(port, bytes);
      expect(answer, what).to.match(expected);
      expect(reset, `${what}: reset`).to.equal(false);
    }
    expect((await fetch(`${srv.url}/meta/v0/db`)).status).to.equal(200);
  });

  it('TRACE and other unimplemented methods on every route family are 405/501 with Allow, never a fault', async () => {
    const paths = ['/', '/meta/v0/db', '/db/v0/tap/sync', '/db/v0/tap/capabilities', '/db/v0/tap/tables', '/image/v0/L2/DR1/calexp/1', '/db/v0/tap/tables/joe_myDb.t'];
    for (const p of paths) {
      for (const method of ['TRACE', 'PATCH', 'CONNECT']) {
        const { answer } = await rawExchange(port, `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        expect(status, `${method} ${p}: ${answer.slice(0, 120)}`).to.be.oneOf([400, 404, 405, 501]);
        if (status === 405) expect(answer, `${method} ${p}`).to.match(/\r\nAllow: /i);
      }
    }
  });

  it('answers right after, at normal speed, with the pool whole', async () => {
    await expectWhole(srv);
    expect(path.isAbsolute(srv.dataDir)).to.equal(true);
  });
});
