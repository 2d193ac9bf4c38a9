/** The sample data set (SPEC section 8): generated and loaded on first start, never fetched. */
import type { Database } from '../storage/database.js';
import type { Logger } from '../log.js';
import { sampleCatalog, sampleDatabases } from './sample.js';
import { loadSampleImages } from './sample-images.js';
import { loadDatabase } from '../ingest/loader.js';
import { isPrivateLevel } from '../catalog/levels.js';
import { ensureUser } from '../auth/users.js';

/** Options of a sample-data load. */
export interface SampleOptions {
  seed?: number;
  scale?: number;
  onProgress?: (database: string, table: string, rows: number) => void;
}

/** Load every sample database not yet present; returns the row counts loaded per table. */
export async function loadSampleData(db: Database, options: SampleOptions = {}): Promise<Record<string, number>> {
  const present = new Set((await db.query<{ name: string }>('SELECT name FROM vodax.databases')).map((r) => r.name));
  const counts: Record<string, number> = {};
  for (const spec of sampleDatabases({ seed: options.seed, scale: options.scale })) {
    // Owners of private sample databases (joe) are users, without a token: `vodax user token` issues one.
    if (isPrivateLevel(spec.level)) await ensureUser(db, spec.owner);
    if (present.has(spec.name)) continue;
    const loaded = await db.transaction((client) =>
      loadDatabase(client, spec, options.onProgress && ((table, rows) => options.onProgress!(spec.name, table, rows))),
    );
    for (const [t, n] of Object.entries(loaded)) counts[`${spec.name}.${t}`] = n;
  }
  return counts;
}

/** Where sample images go (DATA_DIR) and the base URL of their ObsCore access_url. */
export interface SampleImageTarget {
  dataDir: string;
  baseUrl: string;
  onImage?: (done: number, total: number, path: string) => void;
}

/**
 * When the sample catalog DC_W13_Stripe82 is loaded, write its images that are missing under
 * DATA_DIR/images (with the catalog's seed, so stars fall where its sources are) and register
 * those not yet in vodax.images.
 */
export async function loadSampleImageSet(db: Database, target: SampleImageTarget): Promise<{ written: number; registered: number }> {
  const rows = await db.query<{ annotations: Record<string, string> }>("SELECT annotations FROM vodax.databases WHERE name = 'DC_W13_Stripe82'");
  if (!rows[0]) return { written: 0, registered: 0 };
  const seed = Number(rows[0].annotations.seed ?? NaN);
  const scale = Number(rows[0].annotations.scale ?? 1);
  const catalog = sampleCatalog({ seed: Number.isInteger(seed) ? seed : undefined, scale: Number.isFinite(scale) ? scale : 1 });
  return loadSampleImages(db, catalog, target.dataDir, target.baseUrl, { onImage: target.onImage });
}

/**
 * On a database with no catalogs yet, load the sample data set; then make sure its images exist.
 * Says how many sample images it registered (more than 0: they were loaded for the first time).
 */
export async function ensureSampleData(db: Database, log: Logger, images?: SampleImageTarget): Promise<{ imagesRegistered: number }> {
  const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM vodax.databases');
  if (n! === 0) {
    const t0 = Date.now();
    log.info('loading the sample data set (first start)');
    const counts = await loadSampleData(db);
    log.info('sample data loaded', { tables: counts, seconds: (Date.now() - t0) / 1000 });
  }
  if (!images) return { imagesRegistered: 0 };
  const t1 = Date.now();
  const r = await loadSampleImageSet(db, images);
  if (r.written > 0 || r.registered > 0) log.info('sample images ready', { ...r, seconds: (Date.now() - t1) / 1000 });
  return { imagesRegistered: r.registered };
}
