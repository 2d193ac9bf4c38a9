/**
 * Ingest benchmark: a generated CSV of N rows (default 10 million) loaded by `vodax ingest
 * catalog`, beside PostgreSQL's own COPY of the same file into an equivalent table; with the
 * ingest process's peak memory, which must stay flat whatever N is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { benchServer, printTable, sampleRss } from './support.js';

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

/** Time `vodax ingest catalog` on the file, sampling its memory. */
async function timeIngest(url: string, file: string, table: string): Promise<{ seconds: number; peakMiB: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'ingest', 'catalog', file, '--db', 'Bench', '--level', 'dev', '--table', table, '--ra', 'ra', '--dec', 'dec'], {
    env: { ...process.env, DATABASE_URL: url, LOG_FORMAT: 'silent' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const rss = sampleRss(child.pid!);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  rss.stop();
  if (code !== 0) throw new Error(`ingest exited with ${code}`);
  return { seconds: (Date.now() - t0) / 1000, peakMiB: rss.peak() };
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
      const copy = await timeCopy(server.url, file);
      const ingest = await timeIngest(server.url, file, `T${n}`);
      rows.push([n, (bytes / 2 ** 20).toFixed(0), Math.round(n / copy), Math.round(n / ingest.seconds), (copy / ingest.seconds).toFixed(2), ingest.peakMiB.toFixed(0)]);
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
  printTable('ingest catalog (CSV, with HEALPix index and TAP_SCHEMA) vs plain COPY', ['rows', 'MiB', 'COPY rows/s', 'ingest rows/s', 'ratio', 'ingest peak RSS MiB'], rows);
}
