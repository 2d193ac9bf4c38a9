/** Opening the database: the embedded server under DATA_DIR/pg, or DATABASE_URL; migrated. */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Database } from '../storage/database.js';
import { startEmbedded } from '../storage/embedded.js';
import { applicationName, newInstanceId, startInstance, type Instance } from '../storage/instance.js';
import { migrate } from '../storage/migrations.js';

/** An open, migrated database and how to close it. */
export interface Storage {
  db: Database;
  url: string;
  /** This process among the vodax processes on the database; its connections are named after it. */
  instance: Instance;
  /** Close the pool (answering how many connections had to be closed by force), then the embedded server. */
  close(): Promise<{ forced: number }>;
}

/** Open the configured PostgreSQL (starting the embedded one if needed) and apply migrations. */
export async function openStorage(config: Config, log: Logger): Promise<Storage> {
  const embedded = config.databaseUrl ? null : await startEmbedded(path.join(config.dataDir, 'pg'), config.embeddedPgPort, log);
  const url = config.databaseUrl ?? embedded!.url;
  const instanceId = newInstanceId();
  // Named connections let another vodax end this one's queries should this process die.
  const db = new Database(url, config.limits.poolSize, {
    applicationName: applicationName(instanceId),
    // Backstops: a transaction left idle longer than any sync query may run, a statement longer
    // than any job may run. A slow reader keeps its statement running (PostgreSQL waits to write), under the second.
    idleInTransactionTimeoutMs: Math.max(config.limits.syncTimeout, 600) * 2000,
    statementTimeoutMs: config.limits.asyncMaxDuration * 1000 + 60_000,
  });
  let instance: Instance;
  try {
    // Before migrating: queries of a dead vodax may hold locks the migrations would wait for.
    instance = await startInstance(db, instanceId, { log });
  } catch (e) {
    await db.close().catch(() => {});
    await embedded?.stop();
    throw e;
  }
  try {
    const applied = await migrate(db);
    if (applied.length) log.info('migrations applied', { applied });
  } catch (e) {
    await instance.stop();
    await db.close().catch(() => {});
    await embedded?.stop();
    throw e;
  }
  return {
    db,
    url,
    instance,
    close: async () => {
      await instance.stop();
      const closed = await db.close();
      await embedded?.stop();
      return closed;
    },
  };
}

/** Host and port of a PostgreSQL URL, for the metadata answers. */
export function addressOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432) };
}
