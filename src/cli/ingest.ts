/** `vodax ingest catalog FILE ... --db NAME --level L [--table T] [--ra COL --dec COL]`. */
import path from 'node:path';
import { openStorage } from '../server/storage.js';
import { canonicalLevel } from '../catalog/levels.js';
import { clashingTable, createDatabase, loadTable } from '../ingest/loader.js';
import { formatFromName, readTableFile, type TableFileFormat } from '../ingest/read-table-file.js';
import { option, parseArgs, rejectUnknown, UsageError } from './args.js';
import type { Command } from './commands.js';
import { formatCount, progressBar } from './progress.js';
import { BadRequestError, ConflictError } from '../errors.js';
import { ingestImages } from './images.js';

export const ingestCommand: Command = {
  usage: `  vodax ingest catalog FILE ... --db NAME --level LEVEL [--table T] [--ra COL --dec COL]
                  [--format csv|tsv|votable|fits] [--owner USER] [--description TEXT]
                                   load CSV, VOTable or FITS tables (one table per file, one transaction)
  vodax ingest images DIR --level LEVEL --collection C --kind K [--owner USER]
                                   register the FITS images under DIR (footprints from their WCS)`,
  async run(argv, { config, log }) {
    const args = parseArgs(argv);
    if (args.positionals[0] === 'images') return ingestImages(argv, { config, log });
    rejectUnknown(args, ['db', 'level', 'table', 'ra', 'dec', 'format', 'owner', 'description']);
    const [what, ...files] = args.positionals;
    if (what !== 'catalog') throw new UsageError(`ingest what? 'vodax ingest catalog FILE ...' or 'vodax ingest images DIR ...'`);
    if (files.length === 0) throw new UsageError('no FILE given');
    const dbName = option(args, 'db');
    const level = canonicalLevel(option(args, 'level'));
    if (!level) throw new UsageError('--level must be one of dc, L1, L2, L3, dev');
    const table = args.options.get('table');
    if (typeof table === 'string' && files.length > 1) throw new UsageError('--table names one table; give one FILE with it');
    const ra = args.options.get('ra');
    const dec = args.options.get('dec');
    if ((typeof ra === 'string') !== (typeof dec === 'string')) throw new UsageError('--ra and --dec go together');
    const format = args.options.get('format') as TableFileFormat | undefined;
    if (format !== undefined && !['csv', 'tsv', 'votable', 'fits'].includes(format)) throw new UsageError('--format must be csv, tsv, votable or fits');
    for (const f of files) if (!format && !formatFromName(f)) throw new UsageError(`${f}: unknown extension; give --format`);

    const storage = await openStorage(config, log);
    const t0 = Date.now();
    const bar = progressBar('bytes');
    let rows = 0;
    try {
      await storage.db.transaction(async (client) => {
        const existing = await client.query<{ level: string }>('SELECT level FROM vodax.databases WHERE name = $1', [dbName]);
        if (existing.rows.length === 0) {
          await createDatabase(client, {
            name: dbName,
            level,
            owner: option(args, 'owner', process.env.USER || 'admin'),
            description: option(args, 'description', ''),
            annotations: {},
          });
        } else if (existing.rows[0]!.level !== level) {
          throw new BadRequestError(`database ${dbName} exists at level ${existing.rows[0]!.level}, not ${level}`);
        }
        const position = typeof ra === 'string' && typeof dec === 'string' ? { ra, dec } : undefined;
        for (const file of files) {
          const name = typeof table === 'string' ? table : path.basename(file).replace(/\.gz$/i, '').replace(/\.[^.]+$/, '');
          // Before reading: a taken name (in any letter case) is one sentence, not PostgreSQL's error.
          const clash = await clashingTable(client, dbName, name);
          if (clash !== null) throw new ConflictError(`table ${dbName}.${clash} exists already; give another name with --table (ingest does not replace or add to a table)`);
          const source = await readTableFile(file, { format, tableName: name, position, onBytes: (b, total) => bar.update(b, total, path.basename(file)) });
          rows += await loadTable(client, dbName, source);
        }
      });
      bar.finish(`ingested ${formatCount(rows)} rows from ${files.length} file(s) into ${dbName} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await storage.close();
    }
    return 0;
  },
};
