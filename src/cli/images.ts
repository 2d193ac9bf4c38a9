/**
 * `vodax ingest images DIR --level L --collection C --kind K [--owner USER]`: registers the FITS
 * images under DIR (footprints from their WCS) in vodax.images, and so in ivoa.obscore. Files
 * already under DATA_DIR/images are registered where they are; others are copied into
 * DATA_DIR/images/ingest/{level}/{collection}/{kind}/ first, so the server never reads outside
 * DATA_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openStorage } from '../server/storage.js';
import { canonicalLevel } from '../catalog/levels.js';
import { FitsFile } from '../fits/file.js';
import type { FitsHeader } from '../fits/header.js';
import { describeImageFile } from '../images/describe.js';
import { registerImage } from '../images/image-catalog.js';
import { option, parseArgs, rejectUnknown, UsageError } from './args.js';
import type { CommandContext } from './commands.js';
import { formatCount, progressBar } from './progress.js';

const FITS_NAME = /\.(fits|fit|fts|fz|fits\.fz)$/i;

/** FITS files under a folder, sorted, following no symbolic links out of it. */
export function findFitsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && FITS_NAME.test(e.name)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

function first<T>(headers: FitsHeader[], get: (h: FitsHeader) => T | undefined): T | undefined {
  for (const h of headers) {
    const v = get(h);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Runs `vodax ingest images` (argv after `ingest`); resolves to the exit code. */
export async function ingestImages(argv: string[], { config, log }: CommandContext): Promise<number> {
  const args = parseArgs(argv);
  rejectUnknown(args, ['level', 'collection', 'kind', 'owner']);
  const [, dir, ...rest] = args.positionals;
  if (!dir) throw new UsageError('no DIR given: vodax ingest images DIR --level L --collection C --kind K');
  if (rest.length > 0) throw new UsageError('give one DIR');
  const level = canonicalLevel(option(args, 'level'));
  if (!level) throw new UsageError('--level must be one of dc, L1, L2, L3, dev');
  const collection = option(args, 'collection');
  const kind = option(args, 'kind');
  for (const [name, v] of [['collection', collection], ['kind', kind]] as const) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new UsageError(`--${name} must be letters, digits, '_', '.' or '-'`);
  }
  const owner = option(args, 'owner', process.env.USER || 'admin');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const files = findFitsFiles(path.resolve(dir));
  const imagesDir = path.join(config.dataDir, 'images');
  const storage = await openStorage(config, log);
  const t0 = Date.now();
  const bar = progressBar('files');
  let registered = 0;
  let skipped = 0;
  const failed: string[] = [];
  try {
    const base = config.publicUrl ?? `http://${config.host}:${config.port}`;
    for (const [k, file] of files.entries()) {
      bar.update(k, files.length, path.basename(file));
      let rel = path.relative(imagesDir, file);
      try {
        if (rel.startsWith('..') || path.isAbsolute(rel)) {
          rel = path.posix.join('ingest', level, collection, kind, ...path.relative(path.resolve(dir), file).split(path.sep));
          const target = path.join(imagesDir, ...rel.split('/'));
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.copyFileSync(file, target);
        }
        rel = rel.split(path.sep).join('/');
        const exists = await storage.db.query('SELECT 1 FROM vodax.images WHERE path = $1', [rel]);
        if (exists.length > 0) {
          skipped++;
          continue;
        }
        const fits = await FitsFile.open(path.join(imagesDir, ...rel.split('/')));
        try {
          const d = describeImageFile(fits);
          const headers = [fits.hdus[d.hdus.data!]!.header, fits.hdus[0]!.header];
          const mjd = first(headers, (h) => h.getNumber('MJD-OBS'));
          const exptime = first(headers, (h) => h.getNumber('EXPTIME'));
          await registerImage(
            storage.db,
            {
              level,
              collection,
              kind,
              owner,
              path: rel,
              fileBytes: fs.statSync(fits.path).size,
              ...d,
              band: first(headers, (h) => h.getString('FILTER')?.trim()) ?? null,
              tMin: mjd ?? null,
              tMax: mjd !== undefined && exptime !== undefined ? mjd + exptime / 86400 : null,
              exptime: exptime ?? null,
              tract: first(headers, (h) => h.getNumber('TRACT')) ?? null,
              patch: first(headers, (h) => h.getString('PATCH')?.trim()) ?? null,
              visit: first(headers, (h) => h.getNumber('VISIT') ?? h.getNumber('RUN')) ?? null,
              ccd: first(headers, (h) => h.getNumber('CCD') ?? h.getNumber('CCDNUM') ?? h.getNumber('CAMCOL')) ?? null,
              facilityName: first(headers, (h) => h.getString('TELESCOP')?.trim()) ?? null,
              instrumentName: first(headers, (h) => h.getString('INSTRUME')?.trim()) ?? null,
            },
            base,
          );
          registered++;
        } finally {
          await fits.close();
        }
      } catch (e) {
        failed.push(`${file}: ${(e as Error).message}`);
      }
    }
    bar.finish(
      `registered ${formatCount(registered)} of ${formatCount(files.length)} FITS files as ${level}/${collection}/${kind}` +
        `${skipped ? `, ${formatCount(skipped)} already registered` : ''}${failed.length ? `, ${failed.length} failed` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const f of failed) process.stderr.write(`  ${f}\n`);
  } finally {
    await storage.close();
  }
  return failed.length > 0 ? 1 : 0;
}
