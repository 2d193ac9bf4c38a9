/**
 * Soak: minutes of mixed load on a vodax server process with the sample data, a share of it
 * from clients that misbehave (downloads cut at random bytes or moments, hostile multipart,
 * oversized headers, stalled bodies). Every interval it reports requests served, 5xx, resets,
 * connections of the server left in a transaction, and the server's RSS; at the end, whether
 * the server came back to its quiet state. SOAK_SECONDS (default 180) and SOAK_CLIENTS (8).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchServer, printTable, startChildServer } from './support.js';
import { mulberry32 } from '../src/sample-data/random.js';
import { cutRequest, rawExchange } from '../test/support/chaos-clients.js';

const FORMATS = ['csv', 'tsv', 'votable', 'votable/b2', 'fits', 'json', 'html', 'ipac'];

/** A cone of radius r degrees around a point on the sample strip. */
function cone(random: () => number, r: number): string {
  const ra = (360 + (random() * 100 - 50)) % 360;
  const dec = random() * 2 - 1;
  return `SELECT * FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', ${ra.toFixed(4)}, ${dec.toFixed(4)}, ${r}))`;
}

/** Resident memory of a process (MiB), from /proc. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Counters of one interval. */
interface Tally {
  served: number;
  cut: number;
  errors5xx: number;
  resets: number;
  other: number;
}

export async function benchSoak(seconds = Number(process.env.SOAK_SECONDS ?? 180), clients = Number(process.env.SOAK_CLIENTS ?? 8)): Promise<void> {
  const pgServer = await benchServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-soak-'));
  fs.chmodSync(dataDir, 0o755);
  const { url, child } = await startChildServer(pgServer.url, dataDir, { BENCH_SAMPLE_DATA: '1', REQUEST_IDLE_TIMEOUT: '2' });
  const port = Number(new URL(url).port);
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  const inTransaction = async () =>
    Number(
      (
        await admin.query(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'vodax:%' AND state LIKE 'idle in transaction%'`,
        )
      ).rows[0].n,
    );
  const random = mulberry32(7).next;
  let tally: Tally = { served: 0, cut: 0, errors5xx: 0, resets: 0, other: 0 };
  const faults: string[] = [];
  const count = (status: number | null, cut: boolean, what = '') => {
    if (status !== null && status >= 500) {
      tally.errors5xx++;
      if (faults.length < 10) faults.push(`${status} ${what}`);
    }
    else if (cut) tally.cut++;
    else if (status !== null && status < 500) tally.served++;
    else tally.other++;
  };
  // One step of one client: 70% ordinary requests, 20% cut downloads, 10% hostile.
  const step = async () => {
    const x = random();
    const format = FORMATS[Math.floor(random() * FORMATS.length)]!;
    if (x < 0.4) {
      const r = await cutRequest(`${url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: cone(random, 0.1), RESPONSEFORMAT: format })}`, { afterMs: 60_000 });
      count(r.status, r.cut, `sync cone ${format}`);
    } else if (x < 0.55) {
      const r = await cutRequest(`${url}/meta/v0/db/L2/DC_W13_Stripe82/tables/Object`, { afterMs: 60_000 });
      count(r.status, r.cut, 'meta table');
    } else if (x < 0.6) {
      const r = await cutRequest(`${url}/image/v0/L2/DR1/calexp/1/cutout?x=100&y=100&width=100&height=100`, { afterMs: 60_000 });
      count(r.status, r.cut, 'cutout');
    } else if (x < 0.7) {
      const res = await fetch(`${url}/db/v0/tap/async`, { method: 'POST', body: new URLSearchParams({ QUERY: cone(random, 0.05), PHASE: 'RUN' }), redirect: 'manual' });
      const job = res.headers.get('location');
      if (!job) return count(res.status, false, `async submit: ${(await res.text()).slice(0, 200)}`);
      let phase = '';
      for (let i = 0; i < 20 && !['COMPLETED', 'ERROR', 'ABORTED'].includes(phase); i++) {
        phase = (await (await fetch(`${job}/phase`)).text()).trim();
        if (phase === 'QUEUED' || phase === 'EXECUTING') await (await fetch(`${job}?WAIT=2&PHASE=${phase}`)).arrayBuffer();
      }
      if (phase === 'COMPLETED') {
        const result = await fetch(`${job}/results/result`);
        await result.arrayBuffer();
        count(result.status, false, 'async result');
      } else if (phase === 'ERROR') {
        // A cone job has no reason to fail but a fault.
        count(500, false, `async job ERROR: ${(await (await fetch(`${job}/error`)).text()).replace(/\s+/g, ' ').slice(0, 300)}`);
      } else tally.other++;
      await fetch(job, { method: 'DELETE', redirect: 'manual' });
    } else if (x < 0.9) {
      const big = random() < 0.5;
      const r = await cutRequest(`${url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: cone(random, big ? 1 : 0.2), RESPONSEFORMAT: format })}`, {
        afterBytes: Math.floor(random() ** 2 * 100_000),
        afterMs: Math.floor(random() * 200),
      });
      count(r.status, true, `cut sync ${format}`);
    } else {
      const kind = Math.floor(random() * 3);
      const bytes =
        kind === 0
          ? `GET /meta/v0/db HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\n\r\n`
          : kind === 1
            ? 'POST /db/v0/tap/sync HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nLANG=ADQL&'
            : `POST /db/v0/tap/sync HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 999999\r\n\r\n--B\r\nContent-Disposition: form-data; name="t"; filename="t"\r\n\r\n${'x'.repeat(50_000)}`;
      const { answer, reset } = await rawExchange(port, bytes, 5000);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      if (reset) tally.resets++;
      count(status || null, false, `hostile ${kind}: ${answer.slice(0, 200)}`);
    }
  };
  const rows: (string | number)[][] = [];
  const totals: Tally = { served: 0, cut: 0, errors5xx: 0, resets: 0, other: 0 };
  const rss0 = rssMiB(child.pid!);
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const sampler = setInterval(() => {
    void inTransaction().then((n) => {
      rows.push([Math.round((Date.now() - t0) / 1000), tally.served, tally.cut, tally.errors5xx, tally.resets, n, rssMiB(child.pid!).toFixed(0)]);
      for (const k of Object.keys(totals) as (keyof Tally)[]) totals[k] += tally[k];
      tally = { served: 0, cut: 0, errors5xx: 0, resets: 0, other: 0 };
    });
  }, 15_000);
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) await step().catch(() => tally.other++);
    }),
  );
  clearInterval(sampler);
  for (const k of Object.keys(totals) as (keyof Tally)[]) totals[k] += tally[k];
  await new Promise((r) => setTimeout(r, 3000));
  const leaked = await inTransaction();
  const quietT0 = performance.now();
  const after = await fetch(`${url}/db/v0/tap/sync?${new URLSearchParams({ QUERY: cone(random, 0.1), RESPONSEFORMAT: 'csv' })}`);
  await after.text();
  const quietMs = performance.now() - quietT0;
  printTable(`soak: ${seconds} s, ${clients} clients, every 15 s`, ['t (s)', 'served', 'cut by client', '5xx', 'resets', 'in transaction', 'server RSS (MiB)'], rows);
  printTable('soak: totals', ['requests', 'served', 'cut by client', '5xx', 'resets', 'other', 'left in transaction after', 'RSS start → end (MiB)', 'a cone after (ms)'], [
    [totals.served + totals.cut + totals.errors5xx + totals.other, totals.served, totals.cut, totals.errors5xx, totals.resets, totals.other, leaked, `${rss0.toFixed(0)} → ${rssMiB(child.pid!).toFixed(0)}`, quietMs.toFixed(1)],
  ]);
  if (faults.length) console.log(`\n5xx seen:\n${faults.join('\n')}`);
  await admin.end();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
  await pgServer.stop();
}
