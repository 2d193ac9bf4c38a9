/**
 * HiPS benchmark: the sample images (60: 40 calexps, 20 deepCoadd patches) written and registered
 * in a benchmark database, less one r-band coadd patch; the HiPS of every collection, kind and
 * filter built from scratch (`vodax hips build`), then the missing patch registered and the HiPS
 * rebuilt (only the r-band coadd HiPS changes, and only the tiles the patch touches). Reports
 * seconds, tiles, and the peak memory of the process beside its memory before the builds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrations.js';
import { sampleCatalog } from '../src/sample-data/sample.js';
import { loadSampleImages } from '../src/sample-data/sample-images.js';
import { buildHips, hipsTargets } from '../src/images/hips-build.js';
import { benchServer, printTable } from './support.js';

export async function benchHips(): Promise<void> {
  const server = await benchServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-bench-hips-'));
  const db = new Database(server.url, 4);
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    await migrate(db);
    const catalog = sampleCatalog();
    const coadds = catalog.layout.coadds;
    const held = coadds.findIndex((c) => c.tract === 0 && c.patch === '12,11' && c.band.name === 'r');
    const others = coadds.map((_, i) => i).filter((i) => i !== held);
    await loadSampleImages(db, catalog, dataDir, 'http://bench', { coadds: others });
    const before = process.memoryUsage().rss;
    peak = before;
    const rows: (string | number)[][] = [];
    const run = async (label: string) => {
      const t0 = Date.now();
      let written = 0;
      let changed = 0;
      for (const t of await hipsTargets(db)) {
        const r = await buildHips(db, dataDir, t);
        written += r.tilesWritten;
        if (r.mode !== 'unchanged') changed++;
      }
      rows.push([label, changed, written, ((Date.now() - t0) / 1000).toFixed(1), (peak / 2 ** 20).toFixed(0)]);
    };
    await run('build the sample HiPS (10, from scratch)');
    await loadSampleImages(db, catalog, dataDir, 'http://bench', { exposures: [], coadds: [held] });
    await run('rebuild after adding one coadd patch');
    await run('rebuild with nothing new');
    const t0 = Date.now();
    const one = await buildHips(db, dataDir, { level: 'L2', collection: 'DR1', kind: 'deepCoadd', band: 'r', owner: null }, { full: true });
    rows.push(['one HiPS from scratch (deepCoadd r, 4 patches)', 1, one.tilesWritten, ((Date.now() - t0) / 1000).toFixed(1), (peak / 2 ** 20).toFixed(0)]);
    printTable(`HiPS builds (memory before the builds: ${(before / 2 ** 20).toFixed(0)} MiB)`, ['build', 'HiPS changed', 'tiles written', 'seconds', 'peak RSS MiB'], rows);
  } finally {
    clearInterval(timer);
    await db.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
