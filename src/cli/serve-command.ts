/** `vodax serve`: run the server until SIGINT or SIGTERM, then shut down gracefully. */
import cluster from 'node:cluster';
import { startServer } from '../server/vodax-server.js';
import { startWorkers } from '../server/worker-processes.js';
import { parseArgs, rejectUnknown } from './args.js';
import type { Command } from './commands.js';

export const serveCommand: Command = {
  usage: '  vodax serve                      serve HTTP (PORT, HOST, DATABASE_URL, DATA_DIR, WORKERS, ...)',
  async run(argv, { config, log }) {
    rejectUnknown(parseArgs(argv), []);
    // WORKERS > 1: this process holds the database and runs the servers (a worker is WORKERS=1).
    const server = config.workers > 1 && cluster.isPrimary ? await startWorkers(config, log, config.workers) : await startServer(config, log);
    const stop = (signal: string) => {
      log.info('shutting down', { signal });
      server.close().then(
        () => process.exit(0),
        (e: unknown) => {
          log.error('shutdown failed', { error: e });
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    return -1;
  },
};
