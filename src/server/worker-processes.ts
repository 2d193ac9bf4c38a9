/**
 * `vodax serve` with WORKERS > 1: this process opens the database (starting the embedded one),
 * loads the sample data, then runs WORKERS server processes (node:cluster) sharing the port and
 * the database; each is a whole vodax (jobs run once across them: see jobs/job-engine.ts). A
 * worker that dies is replaced; SIGTERM stops the workers, then the database.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { HipsOnDemand } from '../images/hips-on-demand.js';
import { openStorage } from './storage.js';
import { prepareSampleData } from './vodax-server.js';

/** The running workers and how to stop them with the database. */
export interface WorkerPool {
  /** Stop every worker (each shuts down gracefully), then close the database. */
  close(): Promise<void>;
}

/** Start `workers` server processes over the configured database. */
export async function startWorkers(config: Config, log: Logger, workers: number): Promise<WorkerPool> {
  const storage = await openStorage(config, log);
  const hips = new HipsOnDemand(storage.db, config.dataDir, log);
  try {
    await prepareSampleData(config, log, storage, hips);
  } finally {
    await hips.stop();
  }
  // Workers reach the database this process opened (the embedded one too) and run one server each.
  const env = { DATABASE_URL: storage.url, WORKERS: '1' };
  let closing = false;
  const live = new Set<Worker>();
  const fork = (): Worker => {
    const w = cluster.fork(env);
    live.add(w);
    w.once('exit', (code, signal) => {
      live.delete(w);
      if (closing) return;
      log.error('a server process ended; starting another', { pid: w.process.pid, code, signal });
      setTimeout(() => {
        if (!closing) fork();
      }, 1000).unref();
    });
    return w;
  };
  const started = Array.from({ length: workers }, fork);
  await Promise.all(
    started.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('listening', () => resolve());
          w.once('exit', (code) => reject(new Error(`a server process exited with ${code} before listening`)));
        }),
    ),
  ).catch(async (e) => {
    closing = true;
    for (const w of live) w.kill('SIGTERM');
    await storage.close();
    throw e;
  });
  log.info('vodax workers listening', { workers, pids: started.map((w) => w.process.pid) });
  return {
    close: async () => {
      closing = true;
      await Promise.all(
        [...live].map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
      // A worker stopped before it could remove its own row (killed while starting) leaves one:
      // its process is gone now, so the sweep removes it and ends any session it left.
      await storage.instance.sweep().catch((e) => log.warn('could not sweep the instances of the stopped workers', { error: (e as Error).message }));
      await storage.close();
    },
  };
}
