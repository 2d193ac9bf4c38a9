/** `vodax serve`: run the server until SIGINT or SIGTERM, then shut down gracefully. */
import { startServer } from '../server/vodax-server.js';
import { parseArgs, rejectUnknown } from './args.js';
import type { Command } from './commands.js';

export const serveCommand: Command = {
  usage: '  vodax serve                      serve HTTP (PORT, HOST, DATABASE_URL, DATA_DIR, ...)',
  async run(argv, { config, log }) {
    rejectUnknown(parseArgs(argv), []);
    const server = await startServer(config, log);
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
