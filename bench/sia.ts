/**
 * SIA 2.0 benchmark: ten thousand images registered (BENCH_IMAGES changes it) as
 * `vodax ingest images` registers them, LSST-like CCD footprints tiling a strip of the sky;
 * an SIA POS=CIRCLE search over HTTP, beside the same search as ADQL on ivoa.obscore through
 * TAP sync, beside its translated SQL run directly in PostgreSQL (the floor), beside the exact
 * footprint test alone (no index: every registration read). The images' files are not written:
 * a search reads only their registrations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrations.js';
import { registerImage, type NewImage } from '../src/images/image-catalog.js';
import { imageGeometry } from '../src/images/describe.js';
import type { CelestialWcs } from '../src/wcs/projections.js';
import { loadConfig } from '../src/config.js';
import { loadCatalog } from '../src/catalog/query-catalog.js';
import { prepareQuery } from '../src/query/prepared-query.js';
import { queryPlan } from '../src/adql/query-plan.js';
import { RequestParams } from '../src/params/request-params.js';
import { siaQuery } from '../src/ivoa/sia/sia-parameters.js';
import { benchServer, printTable, startChildServer } from './support.js';

const RADIUS = 0.05;
// A CCD of 2048 x 4096 pixels at 0.2 arcsec: 0.11 x 0.23 degrees.
const NAXIS1 = 2048;
const NAXIS2 = 4096;
const SCALE = 0.2 / 3600;
// The strip they tile: RA 300..60 (crossing 0), Dec -1.25..+1.25.
const RA0 = 300;
const RA_SPAN = 120;
const DEC0 = -1.25;
const DEC_SPAN = 2.5;

/** The i-th of n CCD registrations: a grid over the strip, every image in its own place. */
function ccd(i: number, n: number): NewImage {
  const rows = Math.max(1, Math.round(Math.sqrt((n * DEC_SPAN) / RA_SPAN)));
  const cols = Math.ceil(n / rows);
  const ra = (RA0 + ((i % cols) + 0.5) * (RA_SPAN / cols)) % 360;
  const dec = DEC0 + (Math.floor(i / cols) + 0.5) * (DEC_SPAN / rows);
  const wcs: CelestialWcs = {
    projection: 'TAN',
    ctype: ['RA---TAN', 'DEC--TAN'],
    lonAxis: 0,
    crpix: [(NAXIS1 + 1) / 2, (NAXIS2 + 1) / 2],
    crval: [ra, dec],
    cd: [
      [-SCALE, 0],
      [0, SCALE],
    ],
    lonpole: null,
    latpole: null,
    pv: [0, 0],
    sip: null,
    radesys: 'ICRS',
  };
  return {
    planes: ['data', 'mask', 'variance'],
    hdus: { data: 1, mask: 2, variance: 3 },
    naxis1: NAXIS1,
    naxis2: NAXIS2,
    bitpix: -32,
    compressed: false,
    wcs,
    ...imageGeometry(wcs, NAXIS1, NAXIS2),
    level: 'L2',
    collection: 'BENCH',
    kind: 'calexp',
    owner: 'bench',
    path: `bench/calexp-${i}.fits`,
    fileBytes: NAXIS1 * NAXIS2 * 12 + 8640,
    band: 'r',
    emMin: 5.5e-7,
    emMax: 6.9e-7,
    tMin: 60000 + i / 100,
    tMax: 60000 + i / 100 + 30 / 86400,
    exptime: 30,
    visit: i,
    ccd: 0,
  };
}

/** The benchmark database with `n` registered images (kept between runs on a BENCH_DATABASE_URL server). */
async function imageDatabase(serverUrl: string, n: number): Promise<{ url: string; loadSeconds: number }> {
  const name = `vodax_bench_sia_${n}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const db = new Database(u.toString(), 4);
  try {
    await migrate(db);
    const have = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM vodax.images'))[0]!.n);
    if (have === n) return { url: u.toString(), loadSeconds: 0 };
    await db.query('DELETE FROM vodax.images');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await registerImage(db, ccd(i, n), 'http://bench');
    await db.query('ANALYZE vodax.images');
    return { url: u.toString(), loadSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await db.close();
  }
}

/** Search centres inside the strip, the same every run. */
function centres(k: number): Array<[number, number]> {
  let s = 4242;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: k }, () => [Number(((RA0 + RA_SPAN * next()) % 360).toFixed(4)), Number((DEC0 + 0.1 + (DEC_SPAN - 0.2) * next()).toFixed(4))]);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))]!;
}

async function durations(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

/** GET a URL and read the whole answer; fails on anything but 200. */
async function fetchAll(url: string): Promise<string> {
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.slice(0, 500)}`);
  return body;
}

const rowCount = (votable: string) => (votable.match(/<TR>/g) ?? []).length;

/** Run the SIA benchmark and print its tables. */
export async function benchSia(n = Number(process.env.BENCH_IMAGES ?? 10_000)): Promise<void> {
  const server = await benchServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-sia-'));
  let child: ChildProcess | null = null;
  let db: Database | null = null;
  try {
    const { url, loadSeconds } = await imageDatabase(server.url, n);
    const directClient = new pg.Client({ connectionString: url });
    await directClient.connect();
    db = new Database(url, 2);
    const catalog = await loadCatalog(db, { user: null });
    const limits = loadConfig({ LOG_FORMAT: 'silent' }).limits;
    const margin = Number((await directClient.query('SELECT max(fov) / 2 AS m FROM vodax.images')).rows[0].m);
    const cs = centres(64);
    const at = (i: number) => cs[i % cs.length]!;
    const pos = (i: number) => `CIRCLE ${at(i)[0]} ${at(i)[1]} ${RADIUS}`;
    const adqlOf = (i: number) => siaQuery(RequestParams.fromEntries([['POS', pos(i)]]), { limits, footprintMargin: margin }).adql;
    const translated = cs.map((_, i) => prepareQuery(catalog, adqlOf(i), limits.hardMaxrec));
    // The exact test alone: the same footprint condition with the index cone left out.
    const exactOnly = cs.map(([ra, dec]) =>
      prepareQuery(catalog, `SELECT obs_publisher_did FROM ivoa.obscore WHERE INTERSECTS(s_region, CIRCLE('ICRS', ${ra}, ${dec}, ${RADIUS})) = 1`, limits.hardMaxrec),
    );

    // Same images every way, and the plan.
    let same = true;
    let found = 0;
    for (let i = 0; i < 8; i++) {
      const a = (await directClient.query(translated[i]!.sql, translated[i]!.params)).rows.map((r) => String(r.obs_publisher_did)).sort();
      const b = (await directClient.query(exactOnly[i]!.sql, exactOnly[i]!.params)).rows.map((r) => String(r.obs_publisher_did)).sort();
      same &&= a.length === b.length && a.every((x, k) => x === b[k]);
      found += a.length;
    }
    const explain = (await directClient.query(`EXPLAIN (FORMAT JSON) ${translated[0]!.sql}`, translated[0]!.params)).rows[0]['QUERY PLAN'];
    const plan = queryPlan(translated[0]!.validated, translated[0]!, explain);
    const scan = plan.estimate!.scans[0]!;
    printTable(
      `SIA 2.0 search by position over ${n.toLocaleString('en-US')} registered images${loadSeconds ? ` (registered in ${loadSeconds.toFixed(1)} s)` : ''}`,
      ['check', 'result'],
      [
        ['search', `POS=CIRCLE ra dec ${RADIUS}`],
        ['EXPLAIN (the view over vodax.images)', `${scan.method}${scan.indexes.length ? ` on ${scan.indexes.join(', ')}` : ' (NO index)'}`],
        ['images per search (mean of 8)', (found / 8).toFixed(1)],
        ['same images as the exact test alone', same ? 'yes' : 'NO'],
        ['machine load (1-min average / cores)', `${os.loadavg()[0]!.toFixed(1)} / ${os.cpus().length}`],
      ],
    );

    const started = await startChildServer(url, dataDir);
    child = started.child;
    const base = started.url;
    const siaUrl = (i: number) => `${base}/image/v0/sia/query?${new URLSearchParams({ POS: pos(i) })}`;
    const tapUrl = (i: number) => `${base}/db/v0/tap/sync?${new URLSearchParams({ LANG: 'ADQL', QUERY: adqlOf(i) })}`;
    const a = await fetchAll(siaUrl(0));
    const b = await fetchAll(tapUrl(0));
    if (rowCount(a) !== rowCount(b)) throw new Error(`SIA found ${rowCount(a)} images, the ADQL ${rowCount(b)}`);
    await durations(20, (i) => fetchAll(siaUrl(i)));
    await durations(20, (i) => fetchAll(tapUrl(i)));
    await durations(20, (i) => directClient.query(translated[i % cs.length]!.sql, translated[i % cs.length]!.params));
    const runs = 100;
    const sia = await durations(runs, (i) => fetchAll(siaUrl(i)));
    const tap = await durations(runs, (i) => fetchAll(tapUrl(i)));
    const sql = await durations(runs, (i) => directClient.query(translated[i % cs.length]!.sql, translated[i % cs.length]!.params));
    const exact = await durations(20, (i) => directClient.query(exactOnly[i % cs.length]!.sql, exactOnly[i % cs.length]!.params));
    const floor = quantile(sql, 0.5);
    printTable(
      'Image search latency (ms; sequential requests, loopback; ratio to the direct SQL)',
      ['path', 'median', 'p95', 'ratio'],
      [
        ['HTTP SIA query, VOTable', quantile(sia, 0.5), quantile(sia, 0.95), quantile(sia, 0.5) / floor],
        ['HTTP TAP sync, the same ADQL on ivoa.obscore', quantile(tap, 0.5), quantile(tap, 0.95), quantile(tap, 0.5) / floor],
        ['SQL directly (HEALPix cone + exact footprint)', floor, quantile(sql, 0.95), 1],
        ['SQL, exact footprint test alone (no index)', quantile(exact, 0.5), quantile(exact, 0.95), quantile(exact, 0.5) / floor],
      ],
    );
    await directClient.end();
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await server.stop();
  }
}
