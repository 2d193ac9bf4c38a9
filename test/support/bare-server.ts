/**
 * A vodax server in a process of its own, over DATABASE_URL and without sample data (the test
 * database has its own): for tests that measure the server's process alone (its memory under
 * load). Prints its URL on stdout; stops on SIGTERM.
 */
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../../src/server/vodax-server.js';

const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'silent' });
const server = await startServer(config, createLogger('silent'), { sampleData: false });
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
