/** Opening the database: the embedded server under DATA_DIR/pg, or DATABASE_URL; migrated. */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Database } from '../storage/database.js';
import { startEmbedded } from '../storage/embedded.js';
import { migrate } from '../storage/migrations.js';

/** An open, migrated database and how to close it. */
export interface Storage {
  db: Database;
  url: string;
  close(): Promise<void>;
}

/** Open the configured PostgreSQL (starting the embedded one if needed) and apply migrations. */
export async function openStorage(config: Config, log: Logger): Promise<Storage> {
  const embedded = config.databaseUrl ? null : await startEmbedded(path.join(config.dataDir, 'pg'), config.embeddedPgPort, log);
  const url = config.databaseUrl ?? embedded!.url;
  const db = new Database(url, config.limits.poolSize);
  try {
    const applied = await migrate(db);
    if (applied.length) log.info('migrations applied', { applied });
  } catch (e) {
    await db.close().catch(() => {});
    await embedded?.stop();
    throw e;
  }
  return {
    db,
    url,
    close: async () => {
      await db.close();
      await embedded?.stop();
    },
  };
}

/** Host and port of a PostgreSQL URL, for the metadata answers. */
export function addressOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432) };
}
