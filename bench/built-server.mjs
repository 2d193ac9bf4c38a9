// @ts-check
/**
 * A vodax server for the benchmarks, in a process of its own so the load generator does not
 * share its event loop, and run as users run it: the build in dist/ (`npm start`), without
 * tsx's loader (about 40 MiB of memory and some CPU of its own). `startServer` over
 * DATABASE_URL on a free loopback port, without sample data (with it when
 * BENCH_SAMPLE_DATA=1, as the soak wants); prints its URL on stdout, stops on SIGTERM.
 */
import { loadConfig } from '../dist/src/config.js';
import { createLogger } from '../dist/src/log.js';
import { startServer } from '../dist/src/server/vodax-server.js';

const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'silent' });
const server = await startServer(config, createLogger('silent'), { sampleData: process.env.BENCH_SAMPLE_DATA === '1' });
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
