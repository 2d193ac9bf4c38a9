/**
 * Cutout benchmark: a 4096x4096 float32 image written by vodax's FITS writer (and a RICE_1
 * tile-compressed copy), registered in a benchmark database, and 100x100 cutouts answered over
 * HTTP by a vodax server in its own process (median and 95th percentile latency, the server's
 * peak memory beside its idle memory), beside astropy's Cutout2D on the same files (file open,
 * cut, FITS written to memory, per cutout) and Debian's fitscut when it is installed.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrations.js';
import { fitsCards } from '../src/fits/header-writer.js';
import { compressedImageHduBytes, emptyPrimaryBytes, imageHduChunks } from '../src/fits/image-writer.js';
import { FitsFile } from '../src/fits/file.js';
import { describeImageFile } from '../src/images/describe.js';
import { registerImage } from '../src/images/image-catalog.js';
import { wcsCards } from '../src/wcs/header-wcs.js';
import type { CelestialWcs } from '../src/wcs/projections.js';
import { benchServer, printTable, sampleRss, startChildServer } from './support.js';

const SIDE = 4096;
const CUT = 100;

const WCS: CelestialWcs = {
  projection: 'TAN',
  ctype: ['RA---TAN', 'DEC--TAN'],
  lonAxis: 0,
  crpix: [SIDE / 2 + 0.5, SIDE / 2 + 0.5],
  crval: [150, 2],
  cd: [
    [-0.2 / 3600, 0],
    [0, 0.2 / 3600],
  ],
  lonpole: null,
  latpole: null,
  pv: [0, 0],
  sip: null,
  radesys: 'ICRS',
};

/** Sky noise around 1000 with a gradient: deterministic, about Gaussian (sum of four uniforms). */
function pixels(): Float32Array {
  const data = new Float32Array(SIDE * SIDE);
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < data.length; i++) data[i] = 1000 + (i % SIDE) * 0.01 + (u() + u() + u() + u() - 2) * 17;
  return data;
}

/** Writes the plain and the RICE_1 files under DATA_DIR/images/bench. */
function writeImages(imagesDir: string): { plain: string; rice: string } {
  const dir = path.join(imagesDir, 'bench');
  fs.mkdirSync(dir, { recursive: true });
  const data = pixels();
  const cards = [...fitsCards('BUNIT', 'count', 'pixel unit'), ...wcsCards(WCS)];
  const plain = path.join(dir, 'big.fits');
  const fd = fs.openSync(plain, 'w');
  for (const b of imageHduChunks({ primary: true, bitpix: -32, width: SIDE, height: SIDE, cards }, data)) fs.writeSync(fd, b);
  fs.closeSync(fd);
  const rice = path.join(dir, 'big-rice.fits');
  const rfd = fs.openSync(rice, 'w');
  fs.writeSync(rfd, emptyPrimaryBytes());
  for (const b of compressedImageHduBytes({ primary: false, bitpix: -32, width: SIDE, height: SIDE, extname: 'IMAGE', cards }, data, { quantizeStep: 17 / 16 })) fs.writeSync(rfd, b);
  fs.closeSync(rfd);
  return { plain, rice };
}

/** Registers a file of the image store; returns its id. */
async function register(db: Database, dataDir: string, file: string, kind: string): Promise<number> {
  const f = await FitsFile.open(file);
  const d = describeImageFile(f);
  await f.close();
  const rel = path.relative(path.join(dataDir, 'images'), file).split(path.sep).join('/');
  return registerImage(db, { level: 'L2', collection: 'bench', kind, owner: 'bench', path: rel, fileBytes: fs.statSync(file).size, ...d }, 'http://bench');
}

/** Centres of the cutouts, deterministic, inside the image. */
function positions(n: number): [number, number][] {
  let s = 99;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => [Math.floor(CUT / 2 + u() * (SIDE - CUT)), Math.floor(CUT / 2 + u() * (SIDE - CUT))]);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
}

/** Latencies (ms, sorted) of cutouts over HTTP, each read to its end. */
async function httpCutouts(url: string, id: number, kind: string, at: [number, number][]): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (const [x, y] of at) {
    const t0 = performance.now();
    const res = await fetch(`${url}/image/v0/L2/bench/${kind}/${id}/cutout?x=${x}&y=${y}&width=${CUT}&height=${CUT}`);
    const body = await res.arrayBuffer();
    ms.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`cutout answered ${res.status}: ${Buffer.from(body).toString()}`);
    bytes = body.byteLength;
  }
  return { ms: ms.sort((a, b) => a - b), bytes };
}

const ASTROPY = `
import sys, json, time, io, warnings
warnings.simplefilter('ignore')
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS
path, hdu, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
at = json.loads(sys.stdin.read())
times = []
for x, y in at:
    t0 = time.perf_counter()
    with fits.open(path) as f:
        h = f[hdu]
        c = Cutout2D(h.data, (x, y), (size, size), wcs=WCS(h.header), copy=True)
        out = io.BytesIO()
        fits.PrimaryHDU(c.data, header=c.wcs.to_header()).writeto(out)
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps(times))
`;

/** Latencies (ms, sorted) of astropy Cutout2D per cutout (open, cut, write to memory), with its peak memory. */
async function astropyCutouts(file: string, hdu: number, at: [number, number][]): Promise<{ ms: number[]; rss: number } | null> {
  if (!fs.existsSync('/usr/bin/python3')) return null;
  const child = spawn('/usr/bin/python3', ['-c', ASTROPY, file, String(hdu), String(CUT)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rss = sampleRss(child.pid!);
  child.stdin.end(JSON.stringify(at));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  rss.stop();
  if (code !== 0) return null;
  return { ms: (JSON.parse(out) as number[]).sort((a, b) => a - b), rss: rss.peak() };
}

/** A vodax server over the database in its own process (so its memory is its own). */
async function startVodax(databaseUrl: string, dataDir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const { url, child } = await startChildServer(databaseUrl, dataDir);
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Run the cutout benchmark (`runs` cutouts per vodax row) and print its table. */
export async function benchCutout(runs = 200): Promise<void> {
  const pg = await benchServer();
  const db = new Database(pg.url, 4);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-cutout-'));
  let server: Awaited<ReturnType<typeof startVodax>> | null = null;
  try {
    await migrate(db);
    const t0 = performance.now();
    const files = writeImages(path.join(dataDir, 'images'));
    const writeSeconds = (performance.now() - t0) / 1000;
    // A shared BENCH_DATABASE_URL keeps the images of a run that was stopped half way.
    await db.query("DELETE FROM vodax.images WHERE collection = 'bench' AND owner = 'bench'");
    const plainId = await register(db, dataDir, files.plain, 'big');
    const riceId = await register(db, dataDir, files.rice, 'bigrice');
    server = await startVodax(pg.url, dataDir);
    const rss = sampleRss(server.pid);
    await new Promise((r) => setTimeout(r, 300));
    await httpCutouts(server.url, plainId, 'big', positions(10)); // warm up (JIT, connections)
    await new Promise((r) => setTimeout(r, 200));
    const idle = rss.peak();
    const at = positions(runs);
    const plain = await httpCutouts(server.url, plainId, 'big', at);
    const peakPlain = rss.peak();
    const rice = await httpCutouts(server.url, riceId, 'bigrice', at);
    const peakRice = rss.peak();
    rss.stop();
    const astropyRuns = Math.min(runs, 50);
    const apPlain = await astropyCutouts(files.plain, 0, at.slice(0, astropyRuns));
    const apRice = await astropyCutouts(files.rice, 1, at.slice(0, 5));
    let fitscut = 'not installed';
    try {
      fitscut = execFileSync('which', ['fitscut']).toString().trim() ? 'installed, not run' : fitscut;
    } catch {
      /* not installed */
    }
    const mb = (f: string) => (fs.statSync(f).size / 2 ** 20).toFixed(1);
    const rows: (string | number)[][] = [
      [`vodax HTTP, plain float32 (${mb(files.plain)} MiB)`, runs, quantile(plain.ms, 0.5), quantile(plain.ms, 0.95), apPlain ? (quantile(plain.ms, 0.5) / quantile(apPlain.ms, 0.5)).toFixed(2) : '-', `${idle.toFixed(0)} -> ${peakPlain.toFixed(0)}`, plain.bytes],
      [`vodax HTTP, RICE_1 (${mb(files.rice)} MiB)`, runs, quantile(rice.ms, 0.5), quantile(rice.ms, 0.95), apRice ? (quantile(rice.ms, 0.5) / quantile(apRice.ms, 0.5)).toFixed(3) : '-', `${peakPlain.toFixed(0)} -> ${peakRice.toFixed(0)}`, rice.bytes],
      apPlain
        ? ['astropy Cutout2D, plain (memmap)', apPlain.ms.length, quantile(apPlain.ms, 0.5), quantile(apPlain.ms, 0.95), '1.00', apPlain.rss.toFixed(0), '-']
        : ['astropy Cutout2D, plain', 'unavailable', '-', '-', '-', '-', '-'],
      apRice
        ? ['astropy Cutout2D, RICE_1 (decompresses all)', apRice.ms.length, quantile(apRice.ms, 0.5), quantile(apRice.ms, 0.95), '1.00', apRice.rss.toFixed(0), '-']
        : ['astropy Cutout2D, RICE_1', 'unavailable', '-', '-', '-', '-', '-'],
      ['Debian fitscut', fitscut, '-', '-', '-', '-', '-'],
    ];
    printTable(
      `Cutouts: ${CUT}x${CUT} of a ${SIDE}x${SIDE} float32 image (files written in ${writeSeconds.toFixed(1)} s); vodax times include HTTP; ratio = vodax median / astropy median`,
      ['what', 'cutouts', 'median ms', 'p95 ms', 'ratio', 'RSS MiB (idle -> peak)', 'answer bytes'],
      rows,
    );
  } finally {
    await server?.stop();
    await db.query("DELETE FROM vodax.images WHERE collection = 'bench' AND owner = 'bench'").catch(() => undefined);
    await db.close();
    await pg.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
