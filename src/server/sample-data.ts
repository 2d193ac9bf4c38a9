/** The sample data set (SPEC section 8): generated and loaded on first start, never fetched. */
import type { Database } from '../storage/database.js';
import type { Logger } from '../log.js';
import { sampleDatabases } from '../fixtures/sample.js';
import { loadDatabase } from '../ingest/loader.js';
import { isPrivateLevel } from '../registry/levels.js';
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

/** On a database with no catalogs yet, load the sample data set and log what was loaded. */
export async function ensureSampleData(db: Database, log: Logger): Promise<void> {
  const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM vodax.databases');
  if (n! > 0) return;
  const t0 = Date.now();
  log.info('loading the sample data set (first start)');
  const counts = await loadSampleData(db);
  log.info('sample data loaded', { tables: counts, seconds: (Date.now() - t0) / 1000 });
}
