/**
 * A vodax server for the cone benchmark, in its own process so the load generator does not
 * share its event loop: `startServer` over DATABASE_URL on a free loopback port, without
 * sample data (with it when BENCH_SAMPLE_DATA=1, as the soak wants); prints its URL on stdout
 * and stops cleanly on SIGTERM.
 */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startServer } from '../src/server/vodax-server.js';

const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'silent' });
const server = await startServer(config, createLogger('silent'), { sampleData: process.env.BENCH_SAMPLE_DATA === '1' });
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
