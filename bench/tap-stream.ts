/**
 * Streaming benchmark: one million rows through TAP sync as CSV, VOTable TABLEDATA and BINARY2
 * (and the rest), beside PostgreSQL's own `COPY (...) TO STDOUT` of the same rows; with the
 * server process's peak memory, which must stay flat whatever the row count.
 *
 * Both sides are read by node:stream consumers (pg-copy-streams for COPY, node:http for vodax:
 * httpRead), the median of RUNS runs each. The server has answered one small query in the
 * format first, as a running server has: the first request of a fresh process also pays for
 * compiling its code (about 0.3 s).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { benchServer, httpRead, printTable, sampleRss, startChildServer } from './support.js';
import { sampleDatabase } from './sample-db.js';

const COLUMNS = 'objectId, ra, decl, uPsfFlux, gPsfFlux, rPsfFlux, iPsfFlux, zPsfFlux, rPsfMag, extendedness';
/** Timed runs of each side; the median is reported. */
const RUNS = 3;

/** A sink that counts bytes. */
function counter(): Writable & { bytes: number } {
  const w = new Writable({
    write(chunk: Buffer, _e, done) {
      (w as Writable & { bytes: number }).bytes += chunk.length;
      done();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

/** The median of the timed runs of `run` (seconds), with the bytes of the last. */
async function medianOf(run: () => Promise<{ seconds: number; bytes: number }>): Promise<{ seconds: number; bytes: number }> {
  const runs: { seconds: number; bytes: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await run());
  runs.sort((a, b) => a.seconds - b.seconds);
  return runs[Math.floor(RUNS / 2)]!;
}

/** Seconds for PostgreSQL to COPY the rows out as CSV, with the byte count. */
async function timeCopy(url: string, rows: number): Promise<{ seconds: number; bytes: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const cols = COLUMNS.split(', ').map((c) => `"${c}"`).join(', ');
  const sink = counter();
  const t0 = performance.now();
  await pipeline(client.query(copyTo(`COPY (SELECT ${cols} FROM "DC_W13_Stripe82"."Object" LIMIT ${rows}) TO STDOUT (FORMAT csv, HEADER true)`)), sink);
  const seconds = (performance.now() - t0) / 1000;
  await client.end();
  return { seconds, bytes: sink.bytes };
}

/** Seconds for a TAP sync query in `format` to be answered and read to its end, with the byte count. */
async function timeTapSync(url: string, query: string, format: string, maxrec: number): Promise<{ seconds: number; bytes: number }> {
  const t0 = performance.now();
  const res = await httpRead(`${url}/db/v0/tap/sync`, { form: { LANG: 'ADQL', QUERY: query, RESPONSEFORMAT: format, MAXREC: String(maxrec) } });
  if (res.status !== 200) throw new Error(`${format}: HTTP ${res.status}: ${res.head}`);
  return { seconds: (performance.now() - t0) / 1000, bytes: res.bytes };
}

/** Run the streaming benchmark on a `scale`-times sample catalog (scale 50 ≈ one million objects). */
export async function benchTapStream(scale = Number(process.env.BENCH_SCALE ?? 50)): Promise<void> {
  const server = await benchServer();
  const sample = await sampleDatabase(server.url, scale);
  const [{ n }] = await sample.db.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM "DC_W13_Stripe82"."Object"');
  const rows = Number(n);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-stream-'));
  const table: (string | number)[][] = [];
  // A fresh server per format: memory a process once took is not given back at once, so one
  // format's peak would hide the next one's.
  const served = async <T>(fn: (url: string, rss: ReturnType<typeof sampleRss>) => Promise<T>): Promise<T> => {
    const { url, child } = await startChildServer(sample.url, dataDir);
    const rss = sampleRss(child.pid!);
    try {
      await new Promise((r) => setTimeout(r, 300));
      return await fn(url, rss);
    } finally {
      rss.stop();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    const idle = await served(async (_url, rss) => rss.peak());
    const copy = await medianOf(() => timeCopy(sample.url, rows));
    table.push(['PostgreSQL COPY TO STDOUT (csv)', rows, Math.round(rows / copy.seconds), '1.00', (copy.bytes / 2 ** 20).toFixed(0), `${idle.toFixed(0)} (vodax idle)`]);
    for (const format of ['csv', 'votable/b2', 'votable', 'tsv', 'fits', 'json']) {
      const query = `SELECT TOP ${rows} ${COLUMNS} FROM DC_W13_Stripe82.Object`;
      table.push(
        await served(async (url, rss) => {
          await timeTapSync(url, `SELECT TOP 1000 ${COLUMNS} FROM DC_W13_Stripe82.Object`, format, 1000);
          const run = await medianOf(() => timeTapSync(url, query, format, rows));
          const rate = rows / run.seconds;
          return [`vodax TAP sync ${format}`, rows, Math.round(rate), (rate / (rows / copy.seconds)).toFixed(2), (run.bytes / 2 ** 20).toFixed(0), rss.peak().toFixed(0)];
        }),
      );
    }
  } finally {
    await sample.db.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(
    `TAP sync streaming of ${rows.toLocaleString('en-US')} rows vs PostgreSQL COPY, median of ${RUNS} runs each, warm server (rival DaCHS: 7.4 s for a million rows as CSV; COPY 0.8 s)`,
    ['what', 'rows', 'rows/s', 'ratio to COPY (target ≥ 0.83)', 'MiB out', 'server peak RSS MiB (target ≤ 130)'],
    table,
  );
}
