/** `vodax shard add|create|ingest|rebalance|status`: catalogs spread over PostgreSQL servers (postgres_fdw). */
import path from 'node:path';
import { openStorage } from '../server/storage.js';
import { canonicalLevel } from '../catalog/levels.js';
import { addShard, listShards } from '../shard/shard-servers.js';
import { findTarget, partitionsOf, shardStatus, shardTable } from '../shard/sharded-table.js';
import { ingestSharded } from '../shard/shard-ingest.js';
import { formatFromName, readTableFile, type TableFileFormat } from '../ingest/read-table-file.js';
import { parseArgs, rejectUnknown, UsageError } from './args.js';
import type { Command } from './commands.js';
import { formatCount, progressBar } from './progress.js';

export const shardCommand: Command = {
  usage: [
    '  vodax shard add NAME URL         register a shard server (postgres://user:password@host:port/db; postgres_fdw)',
    '  vodax shard create LEVEL DB TABLE --shards a,b,c   spread a table over shards by HEALPix range (rows balanced)',
    '  vodax shard ingest FILE LEVEL DB TABLE [--format F]   append a file\'s rows to a sharded table (routed, streamed)',
    '  vodax shard rebalance LEVEL DB TABLE [--shards a,b,c]   recompute the ranges, move rows (also onto new shards)',
    '  vodax shard status [LEVEL DB TABLE]   the shards; rows and HEALPix ranges per shard of a table',
  ].join('\n'),
  async run(argv, { config, log }) {
    const args = parseArgs(argv);
    const [action, ...rest] = args.positionals;
    const arity: Record<string, number[]> = { add: [2], create: [3], ingest: [4], rebalance: [3], status: [0, 3] };
    if (action === undefined || arity[action] === undefined) throw new UsageError('vodax shard needs add, create, ingest, rebalance or status');
    if (!arity[action]!.includes(rest.length)) throw new UsageError(`vodax shard ${action}: wrong number of arguments`);
    rejectUnknown(args, action === 'create' || action === 'rebalance' ? ['shards'] : action === 'ingest' ? ['format'] : []);
    const storage = await openStorage(config, log);
    const db = storage.db;
    const target = async (l: string, d: string, t: string) => {
      const level = canonicalLevel(l);
      if (!level) throw new UsageError('LEVEL must be one of dc, L1, L2, L3, dev');
      return findTarget(db, level, d, t);
    };
    try {
      if (action === 'add') {
        const [name, url] = rest as [string, string];
        const s = await addShard(db, name, url);
        process.stderr.write(`registered shard ${s.name} (${s.host}:${s.port}/${s.dbname}, foreign server ${s.server})\n`);
      } else if (action === 'create' || action === 'rebalance') {
        const t = await target(rest[0]!, rest[1]!, rest[2]!);
        const given = args.options.get('shards');
        let names: string[];
        if (typeof given === 'string') names = given.split(',').map((s) => s.trim()).filter(Boolean);
        else if (action === 'rebalance') names = [...new Set((await partitionsOf(db, t)).map((p) => p.shard))];
        else throw new UsageError('--shards a,b,c is required');
        if (action === 'rebalance' && names.length === 0) throw new UsageError(`${t.tapName} is not sharded yet; vodax shard create first`);
        const bar = progressBar('rows');
        const t0 = Date.now();
        const parts = await shardTable(db, t, names, (done, total) => bar.update(done, total, t.tapName));
        bar.finish(`${t.tapName} spread over ${parts.length} shard(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        await printStatus(db, t);
      } else if (action === 'ingest') {
        const [file, l, d, name] = rest as [string, string, string, string];
        const t = await target(l, d, name);
        const format = args.options.get('format') as TableFileFormat | undefined;
        if (format !== undefined && !['csv', 'tsv', 'votable', 'fits'].includes(format)) throw new UsageError('--format must be csv, tsv, votable or fits');
        if (!format && !formatFromName(file)) throw new UsageError(`${file}: unknown extension; give --format`);
        const bar = progressBar('bytes');
        const t0 = Date.now();
        const source = await readTableFile(file, { format, tableName: t.table, onBytes: (b, total) => bar.update(b, total, path.basename(file)) });
        const rows = await ingestSharded(db, t, source);
        bar.finish(`appended ${formatCount(rows)} rows to ${t.tapName} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        await printStatus(db, t);
      } else if (rest.length === 0) {
        for (const s of await listShards(db)) process.stdout.write(`${s.name}\t${s.host}:${s.port}/${s.dbname}\t${s.server}\n`);
      } else {
        await printStatus(db, await target(rest[0]!, rest[1]!, rest[2]!));
      }
    } finally {
      await storage.close();
    }
    return 0;
  },
};

/** One line per shard: rows, HEALPix range (order 29, half-open) and the same as order-8 pixels. */
async function printStatus(db: Parameters<typeof shardStatus>[0], t: Parameters<typeof shardStatus>[1]): Promise<void> {
  process.stdout.write(`shard\trows\thpx29 [lo, hi)\tpixels (order/first-last)\n`);
  for (const s of await shardStatus(db, t)) {
    process.stdout.write(`${s.shard}\t${s.rows === null ? `DOWN (${s.error})` : s.rows}\t[${s.hpxLo}, ${s.hpxHi})\t${s.pixels}\n`);
  }
}
