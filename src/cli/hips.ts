/**
 * `vodax hips build|list|catalog`: the HiPS of the image collections (one per level, collection,
 * kind and filter) and catalogue HiPS of tables, written under DATA_DIR/hips and served at
 * /image/v0/hips/... and /db/v0/hips/...
 */
import { openStorage } from '../server/storage.js';
import { buildHips, hipsTargets, type HipsTarget } from '../images/hips-build.js';
import { buildCatalogHips } from '../images/hips-catalog-build.js';
import { TILE_FORMATS, type TileFormat } from '../images/hips/tile-files.js';
import { intOption, option, parseArgs, rejectUnknown, UsageError } from './args.js';
import type { Command } from './commands.js';
import { formatCount, progressBar } from './progress.js';

function describe(t: HipsTarget): string {
  return `${t.level}/${t.owner ? `${t.owner}:` : ''}${t.collection}/${t.kind}${t.band ? `/${t.band}` : ''}`;
}

function formatsOf(text: string | undefined): TileFormat[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim().toLowerCase().replace(/^jpg$/, 'jpeg'));
  for (const f of list) if (!(f in TILE_FORMATS)) throw new UsageError(`--formats takes png, jpeg and fits, not ${f}`);
  return list as TileFormat[];
}

export const hipsCommand: Command = {
  usage: [
    '  vodax hips build [--level L2] [--collection DR1] [--kind deepCoadd] [--filter r] [--owner USER]',
    '                   [--order N] [--tile-width 512] [--formats png,fits] [--full]',
    '                                   build the HiPS of the image collections (only tiles new images touch)',
    '  vodax hips list                  the HiPS the registered images make',
    '  vodax hips catalog --level L2 --db DB --table T [--rank COLUMN] [--per-tile 500]',
    '                                   a catalogue HiPS of a table\'s positions',
  ].join('\n'),
  async run(argv, { config, log }) {
    const args = parseArgs(argv, new Set(['full']));
    const [action, ...rest] = args.positionals;
    if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}`);
    if (action === 'build' || action === 'list') {
      rejectUnknown(args, action === 'build' ? ['level', 'collection', 'kind', 'filter', 'owner', 'order', 'tile-width', 'formats', 'full'] : ['level', 'collection', 'kind', 'filter', 'owner']);
      const storage = await openStorage(config, log);
      try {
        const get = (k: string) => (typeof args.options.get(k) === 'string' ? (args.options.get(k) as string) : undefined);
        const targets = await hipsTargets(storage.db, { level: get('level'), collection: get('collection'), kind: get('kind'), band: get('filter'), owner: get('owner') });
        if (action === 'list') {
          for (const t of targets) process.stdout.write(`${describe(t)}\n`);
          return 0;
        }
        if (targets.length === 0) throw new UsageError('no registered images match; see vodax hips list');
        const t0 = Date.now();
        let tiles = 0;
        for (const [k, t] of targets.entries()) {
          const bar = progressBar('tiles');
          const r = await buildHips(storage.db, config.dataDir, t, {
            order: args.options.has('order') ? intOption(args, 'order', 0) : undefined,
            width: intOption(args, 'tile-width', 512),
            formats: formatsOf(get('formats')),
            full: args.options.get('full') === true,
            onProgress: (done, total, stage) => bar.update(done, total, `[${k + 1}/${targets.length}] ${describe(t)} ${stage}`),
            // A server (or another `vodax hips build`) building this HiPS: this build runs after it.
            onWait: (pid) => process.stderr.write(`${describe(t)}: process ${pid} is building this HiPS; waiting for it to finish\n`),
          });
          tiles += r.tilesWritten;
          bar.finish(
            `${describe(r.target)}: ${r.mode}, ${formatCount(r.images)} images${r.mode === 'incremental' ? ` (${r.newImages} new)` : ''}, order ${r.order}, ` +
              `${formatCount(r.tilesWritten)} tiles written${r.tilesRemoved ? `, ${r.tilesRemoved} removed` : ''}, ${formatCount(r.deepestTiles)} at order ${r.order}, sky fraction ${r.skyFraction.toExponential(3)}, ${r.seconds.toFixed(1)} s`,
          );
        }
        process.stderr.write(`built ${targets.length} HiPS, ${formatCount(tiles)} tiles written, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        return 0;
      } finally {
        await storage.close();
      }
    }
    if (action === 'catalog') {
      rejectUnknown(args, ['level', 'db', 'table', 'rank', 'per-tile']);
      const storage = await openStorage(config, log);
      try {
        const bar = progressBar('rows');
        const r = await buildCatalogHips(storage.db, config.dataDir, { level: option(args, 'level', 'L2'), database: option(args, 'db'), table: option(args, 'table') }, {
          rank: typeof args.options.get('rank') === 'string' ? (args.options.get('rank') as string) : undefined,
          perTile: args.options.has('per-tile') ? intOption(args, 'per-tile', 500) : undefined,
          onProgress: (done, total, stage) => bar.update(done, total, stage),
          onWait: (pid) => process.stderr.write(`process ${pid} is building this catalogue HiPS; waiting for it to finish\n`),
        });
        bar.finish(`catalogue HiPS: ${formatCount(r.rows)} rows in ${formatCount(r.tiles)} tiles, orders up to ${r.maxOrder}, ${r.seconds.toFixed(1)} s`);
        return 0;
      } finally {
        await storage.close();
      }
    }
    throw new UsageError('vodax hips needs build, list or catalog');
  },
};
