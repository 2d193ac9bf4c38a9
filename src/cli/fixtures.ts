/** `vodax fixtures [--scale N] [--seed N]`: generate and load the sample data set. */
import { loadSampleData, loadSampleImageSet } from '../sample-data/load-sample-data.js';
import { openStorage } from '../server/storage.js';
import { intOption, parseArgs, rejectUnknown } from './args.js';
import type { Command } from './commands.js';
import { formatCount, progressBar } from './progress.js';

export const fixturesCommand: Command = {
  usage: '  vodax fixtures [--scale N] [--seed N]   load the sample catalogs (those not yet present)',
  async run(argv, { config, log }) {
    const args = parseArgs(argv);
    rejectUnknown(args, ['scale', 'seed']);
    const scale = intOption(args, 'scale', 1);
    if (scale < 1) throw new Error('--scale must be at least 1');
    const seed = intOption(args, 'seed', 1);
    const storage = await openStorage(config, log);
    const t0 = Date.now();
    const bar = progressBar('rows');
    try {
      const counts = await loadSampleData(storage.db, { scale, seed, onProgress: (db, table, rows) => bar.update(rows, undefined, `${db}.${table}`) });
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const tables = Object.keys(counts).length;
      const images = await loadSampleImageSet(storage.db, {
        dataDir: config.dataDir,
        baseUrl: config.publicUrl ?? `http://${config.host}:${config.port}`,
        onImage: (done, n, file) => bar.update(done, n, file),
      });
      const imageText = images.written + images.registered === 0 ? 'sample images already present' : `wrote ${images.written} and registered ${images.registered} sample images`;
      bar.finish(
        tables === 0
          ? `sample databases already present; nothing loaded; ${imageText}`
          : `loaded ${formatCount(total)} rows into ${tables} tables; ${imageText}; in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      await storage.close();
    }
    return 0;
  },
};
