/**
 * Ingest benchmark: a generated CSV of N rows (default 1 and 10 million) loaded by `vodax ingest
 * catalog`, with a position (sorted by HEALPix) and without one, beside PostgreSQL's own COPY of
 * the same file into an equivalent table and its own cost of sorting, indexing and analysing
 * the loaded table; with the ingest process's peak memory, which must stay flat whatever N is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { dropTable } from '../src/ingest/drop.js';
import { benchServer, ensureBuilt, printTable, sampleRss } from './support.js';

/** Write a catalog-like CSV of `rows` rows; returns its size in bytes. */
async function writeCsv(file: string, rows: number): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write('id,ra,dec,g,r,i,name\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const ra = (300 + (i * 0.0000137) % 120) % 360;
    const dec = -1.25 + ((i * 7919) % 250000) / 100000;
    chunk += `${i},${ra.toFixed(7)},${dec.toFixed(7)},${(18 + (i % 700) / 100).toFixed(3)},${(17.5 + (i % 650) / 100).toFixed(3)},${(17 + (i % 600) / 100).toFixed(3)},obj${i}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((r) => out.once('finish', () => r()));
  return fs.statSync(file).size;
}

/**
 * Time `vodax ingest catalog` on the file (the build in dist/, as `npm start` runs vodax),
 * sampling its memory; with a position unless `position` is false.
 */
async function timeIngest(url: string, file: string, table: string, position = true): Promise<{ seconds: number; peakMiB: number }> {
  await ensureBuilt();
  const t0 = Date.now();
  const args = ['dist/src/cli.js', 'ingest', 'catalog', file, '--db', 'Bench', '--level', 'dev', '--table', table, ...(position ? ['--ra', 'ra', '--dec', 'dec'] : [])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, DATABASE_URL: url, LOG_FORMAT: 'silent' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const rss = sampleRss(child.pid!);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  rss.stop();
  if (code !== 0) throw new Error(`ingest exited with ${code}`);
  return { seconds: (Date.now() - t0) / 1000, peakMiB: rss.peak() };
}

/**
 * PostgreSQL's own cost of what clustering adds to a load: sorting the loaded table into a new
 * one by its HEALPix column, indexing that column and ANALYZE (seconds).
 */
async function timeClusterFloor(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`CREATE UNLOGGED TABLE bench_unsorted AS SELECT * FROM "Bench"."${table}" ORDER BY random()`);
    const t0 = Date.now();
    await client.query('CREATE TABLE bench_sorted AS SELECT * FROM bench_unsorted ORDER BY vodax_hpx');
    await client.query('CREATE INDEX ON bench_sorted (vodax_hpx)');
    await client.query('ANALYZE bench_sorted');
    return (Date.now() - t0) / 1000;
  } finally {
    await client.query('ROLLBACK');
    await client.end();
  }
}

/**
 * Drop the bench's tables from database Bench (with a BENCH_DATABASE_URL it persists between
 * runs, and ingest refuses a table that exists); a first run finds none.
 */
async function dropBenchTables(url: string, tables: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const t of tables) await dropTable(client, 'Bench', t);
    await client.query('COMMIT');
  } catch (e) {
    // Before the first ingest there is no catalog schema to delete from.
    await client.query('ROLLBACK');
    if ((e as { code?: string }).code !== '42P01') throw e;
  } finally {
    await client.end();
  }
}

/** Time a plain COPY of the file into an equivalent table (PostgreSQL's own speed). */
async function timeCopy(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS bench_copy');
  await client.query('CREATE UNLOGGED TABLE bench_copy (id bigint, ra double precision, dec double precision, g real, r real, i real, name text)');
  const t0 = Date.now();
  await pipeline(fs.createReadStream(file), client.query(copyFrom('COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)')));
  const s = (Date.now() - t0) / 1000;
  await client.query('DROP TABLE bench_copy');
  await client.end();
  return s;
}

/** Run the ingest benchmark for the given row counts. */
export async function benchIngest(counts: number[]): Promise<void> {
  const server = await benchServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-csv-'));
  const rows: (string | number)[][] = [];
  try {
    for (const n of counts) {
      const file = path.join(dir, `rows${n}.csv`);
      const bytes = await writeCsv(file, n);
      const tables = [`T${n}`, `U${n}`];
      await dropBenchTables(server.url, tables);
      const copy = await timeCopy(server.url, file);
      const ingest = await timeIngest(server.url, file, `T${n}`);
      const plain = await timeIngest(server.url, file, `U${n}`, false);
      const floor = await timeClusterFloor(server.url, `T${n}`);
      await dropBenchTables(server.url, tables);
      rows.push([
        n,
        (bytes / 2 ** 20).toFixed(0),
        Math.round(n / copy),
        Math.round(n / ingest.seconds),
        (copy / ingest.seconds).toFixed(2),
        (copy / (copy + floor)).toFixed(2),
        Math.round(n / plain.seconds),
        (copy / plain.seconds).toFixed(2),
        Math.max(ingest.peakMiB, plain.peakMiB).toFixed(0),
      ]);
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
  printTable(
    'ingest catalog (CSV; types inferred and narrowed, TAP_SCHEMA) vs plain COPY (target ratio >= 0.6). With --ra/--dec: HEALPix index, rows sorted by it (clustered); ' +
      "ceiling = COPY's time against COPY plus PostgreSQL's own sort, index and ANALYZE of the loaded table",
    ['rows', 'MiB', 'COPY rows/s', 'clustered rows/s', 'ratio', 'ceiling', 'no position rows/s', 'ratio', 'peak RSS MiB'],
    rows,
  );
}
