/** A migrated database with the sample data at some scale, on a benchmark's PostgreSQL server. */
import pg from 'pg';
import { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrations.js';
import { loadSampleData } from '../src/sample-data/load-sample-data.js';

/** A benchmark database: its pool, its URL, and the seconds its load took (0 when reused). */
export interface SampleDatabase {
  db: Database;
  url: string;
  loadSeconds: number;
}

/**
 * The database `vodax_bench_s<scale>` on the server of `serverUrl`, created, migrated and
 * loaded with the sample data at `scale` unless already there (so a BENCH_DATABASE_URL server
 * keeps it between runs); analysed so the planner has statistics.
 */
export async function sampleDatabase(serverUrl: string, scale: number, poolSize = 20): Promise<SampleDatabase> {
  const name = `vodax_bench_s${String(scale).replace(/\W/g, '_')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const db = new Database(u.toString(), poolSize);
  await migrate(db);
  const t0 = performance.now();
  const loaded = await loadSampleData(db, { scale });
  const loadSeconds = Object.keys(loaded).length > 0 ? (performance.now() - t0) / 1000 : 0;
  if (loadSeconds > 0) await db.query('ANALYZE');
  return { db, url: u.toString(), loadSeconds };
}
