/**
 * A HiPS catalogue (HiPS 1.0, section 4.2.2) of a table with positions: NorderK/DirD/NpixN.tsv
 * tiles where each tile of order k holds up to `perTile` of the rows of its cell not already
 * shown at a lower order, brightest (lowest rank column) first, so a client sees the brightest
 * sources when zoomed out and more as it zooms in; the deepest order takes all that remain. The
 * ranking runs in PostgreSQL over the table's HEALPix index column (order 29), and tiles stream
 * out of a cursor one at a time, so memory stays flat. Under DATA_DIR/hips/catalogs/.
 */
import fs from 'node:fs';
import path from 'node:path';
import Cursor from 'pg-cursor';
import type { Database } from '../storage/database.js';
import { NotFoundError, BadRequestError } from '../errors.js';
import { joinUnder } from '../auth/safe-path.js';
import { canonicalLevel, isPrivateLevel } from '../catalog/levels.js';
import { readTapColumns } from '../catalog/tap-columns.js';
import { qualified, quoteIdent } from '../catalog/pg-types.js';
import type { Level } from '../catalog/model.js';
import type { ColumnMeta } from '../formats/table-model.js';
import { escapeXml } from '../xml/escape.js';
import { rangeSet, type Range } from '../healpix/ranges.js';
import { tilePath } from './hips/geometry.js';
import { mocFitsBytes, skyFraction } from './hips/moc.js';
import { hipsDate, HIPS_VERSION, propertiesText } from './hips/properties.js';
import { withHipsLock } from './hips-lock.js';

/** A table to make a catalogue HiPS of. */
export interface CatalogHipsTarget {
  level: string;
  database: string;
  table: string;
}

/** Options of a catalogue HiPS. */
export interface CatalogHipsOptions {
  /** Column ranking rows (ascending: a magnitude); default the first of rPsfMag, rMag, mag, phot_g_mean_mag present, else none. */
  rank?: string;
  /** Rows per tile before the rest go deeper; default 500 (the standard's "a few hundred"). */
  perTile?: number;
  minOrder?: number;
  maxOrder?: number;
  now?: Date;
  onProgress?: (done: number, total: number, stage: string) => void;
  /** Stops the build between batches of rows (it then leaves nothing behind). */
  signal?: AbortSignal;
  /** Called when another build of this catalogue HiPS holds its lock (by pid): this one waits for it. */
  onWait?: (pid: number) => void;
}

/** What a catalogue build did. */
export interface CatalogHipsResult {
  root: string;
  rows: number;
  tiles: number;
  maxOrder: number;
  seconds: number;
}

/** The root folder of a table's catalogue HiPS. */
export function catalogHipsRoot(dataDir: string, t: CatalogHipsTarget): string {
  return joinUnder(path.join(dataDir, 'hips', 'catalogs'), t.level, t.database, t.table);
}

const RANK_CANDIDATES = ['rPsfMag', 'rMag', 'psfMag_r', 'mag', 'phot_g_mean_mag'];
/** Columns a tile carries at most (the position and rank first, then principal ones). */
const MAX_COLUMNS = 12;
/** MOC order of a catalogue (cells of 3.4'). */
const MOC_ORDER = 10;

function tsvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return String(v).replace(/[\t\r\n]/g, ' ');
}

function writeAtomic(file: string, bytes: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

/** A VOTable with the columns' metadata (metadata.xml), which clients read for units, UCDs and positions. */
function metadataVotable(title: string, cols: ColumnMeta[], ra: string, dec: string): string {
  const field = (c: ColumnMeta) => {
    const ucd = c.name === ra ? 'pos.eq.ra;meta.main' : c.name === dec ? 'pos.eq.dec;meta.main' : c.ucd;
    const datatype: string = c.datatype;
    const arraysize = datatype === 'char' || datatype === 'unicodeChar' ? ' arraysize="*"' : '';
    return `      <FIELD name="${escapeXml(c.name)}" datatype="${escapeXml(datatype)}"${arraysize}${c.unit ? ` unit="${escapeXml(c.unit)}"` : ''}${ucd ? ` ucd="${escapeXml(ucd)}"` : ''}>${c.description ? `<DESCRIPTION>${escapeXml(c.description)}</DESCRIPTION>` : ''}</FIELD>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
  <RESOURCE>
    <TABLE name="${escapeXml(title)}">
${cols.map(field).join('\n')}
      <DATA><TABLEDATA></TABLEDATA></DATA>
    </TABLE>
  </RESOURCE>
</VOTABLE>
`;
}

/** Builds a table's catalogue HiPS from scratch (staged, then swapped in), holding its build lock (hips-lock.ts). */
export async function buildCatalogHips(db: Database, dataDir: string, target: CatalogHipsTarget, options: CatalogHipsOptions = {}): Promise<CatalogHipsResult> {
  const level = canonicalLevel(target.level);
  if (!level) throw new NotFoundError(`no level "${target.level}"`);
  const root = catalogHipsRoot(dataDir, { level, database: target.database, table: target.table });
  return withHipsLock(root, { signal: options.signal, onWait: options.onWait }, () => buildLocked(db, dataDir, { ...target, level }, options));
}

async function buildLocked(db: Database, dataDir: string, target: CatalogHipsTarget & { level: Level }, options: CatalogHipsOptions): Promise<CatalogHipsResult> {
  const t0 = Date.now();
  const level = target.level;
  const [info] = await db.query<{ table_name: string; ra_column: string | null; dec_column: string | null; hpx_column: string | null; owner: string }>(
    `SELECT t.table_name, t.ra_column, t.dec_column, t.hpx_column, d.owner FROM vodax.tables t JOIN vodax.databases d ON d.name = t.database
      WHERE d.level = $1 AND t.database = $2 AND t.pg_table = $3`,
    [level, target.database, target.table],
  );
  if (!info) throw new NotFoundError(`no table ${target.table} in ${level} database ${target.database}`);
  if (!info.ra_column || !info.dec_column || !info.hpx_column) throw new BadRequestError(`table ${info.table_name} has no position columns`);
  const all = (await readTapColumns(db, [info.table_name])).get(info.table_name) ?? [];
  const byName = new Map(all.map((c) => [c.name, c]));
  const rank = options.rank ?? RANK_CANDIDATES.find((c) => byName.has(c)) ?? null;
  if (rank !== null && !byName.has(rank)) throw new BadRequestError(`table ${info.table_name} has no column ${rank}`);
  const first = [all.find((c) => c.principal && !['ra', 'dec', rank].includes(c.name)) ?? null].filter((c): c is ColumnMeta => c !== null);
  const chosen: ColumnMeta[] = [];
  for (const c of [...first, byName.get(info.ra_column)!, byName.get(info.dec_column)!, ...(rank ? [byName.get(rank)!] : []), ...all.filter((c) => c.principal)]) {
    if (c && !chosen.includes(c) && chosen.length < MAX_COLUMNS) chosen.push(c);
  }
  const perTile = options.perTile ?? 500;
  const minOrder = options.minOrder ?? 1;
  const maxOrder = options.maxOrder ?? 11;
  const finalRoot = catalogHipsRoot(dataDir, { level, database: target.database, table: target.table });
  const staging = path.join(dataDir, 'hips', '.staging');
  const root = path.join(staging, `catalog-${process.pid}-${Date.now()}`);
  fs.mkdirSync(root, { recursive: true });
  const progress = options.onProgress ?? (() => {});
  const src = qualified(target.database, target.table);
  const colSql = chosen.map((c, i) => `${quoteIdent(c.name)} AS c${i}`).join(', ');
  let tiles = 0;
  let rows = 0;
  let deepest = minOrder;
  const cells: Range[] = [];
  try {
    await db.transaction(async (client) => {
      await client.query(`CREATE TEMP TABLE vodax_hips_rows ON COMMIT DROP AS
        SELECT row_number() OVER () AS rid, ${quoteIdent(info.hpx_column!)}::bigint AS hpx, ${rank ? `${quoteIdent(rank)}::double precision` : 'NULL::double precision'} AS rk,
               NULL::smallint AS ord, ${colSql} FROM ${src} WHERE ${quoteIdent(info.hpx_column!)} IS NOT NULL`);
      await client.query('CREATE INDEX ON vodax_hips_rows (ord, hpx)');
      rows = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM vodax_hips_rows')).rows[0]!.n);
      for (let k = minOrder; k <= maxOrder; k++) {
        options.signal?.throwIfAborted();
        const shift = 2 * (29 - k);
        const placed =
          k === maxOrder
            ? await client.query('UPDATE vodax_hips_rows SET ord = $1 WHERE ord IS NULL', [k])
            : await client.query(
                `UPDATE vodax_hips_rows h SET ord = $1 FROM (
                   SELECT rid, row_number() OVER (PARTITION BY hpx >> ${shift} ORDER BY rk ASC NULLS LAST, rid) AS rn FROM vodax_hips_rows WHERE ord IS NULL
                 ) s WHERE h.rid = s.rid AND s.rn <= $2`,
                [k, perTile],
              );
        if ((placed.rowCount ?? 0) > 0) deepest = k;
        const left = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM vodax_hips_rows WHERE ord IS NULL')).rows[0]!.n);
        progress(rows - left, rows, `order ${k}`);
        if (left === 0) break;
      }
      // Tiles, one cell at a time from a cursor. The header line is followed by a line of dashes,
      // which Aladin's TSV reader needs to tell the header from the rows (it reads none without).
      const header = `${chosen.map((c) => c.name).join('\t')}\n${chosen.map((c) => '-'.repeat(Math.max(1, c.name.length))).join('\t')}`;
      for (let k = minOrder; k <= deepest; k++) {
        // Orders up to 3 also get an Allsky.tsv, all their tiles in one (HiPS 1.0, section 4.2.3):
        // clients read the low orders from it, and Aladin reads no tile of an order below 3 without it.
        const allsky = k <= 3 ? path.join(root, `Norder${k}`, `Allsky.tsv.tmp-${process.pid}`) : null;
        if (allsky) {
          fs.mkdirSync(path.dirname(allsky), { recursive: true });
          fs.writeFileSync(allsky, `${header}\n`);
        }
        const cursor = client.query(new Cursor<unknown[]>(`SELECT hpx >> ${2 * (29 - k)} AS npix, ${chosen.map((_, i) => `c${i}`).join(', ')} FROM vodax_hips_rows WHERE ord = $1 ORDER BY 1, rk ASC NULLS LAST, rid`, [k], { rowMode: 'array' }));
        let current: number | null = null;
        let lines: string[] = [];
        const flush = () => {
          if (current === null) return;
          writeAtomic(path.join(root, ...tilePath(k, current, 'tsv').split('/')), `${header}\n${lines.join('\n')}\n`);
          if (allsky) fs.appendFileSync(allsky, `${lines.join('\n')}\n`);
          tiles++;
          lines = [];
        };
        for (;;) {
          options.signal?.throwIfAborted();
          const batch = await cursor.read(5000);
          if (batch.length === 0) break;
          for (const r of batch) {
            const npix = Number(r[0]);
            if (npix !== current) {
              flush();
              current = npix;
            }
            lines.push(r.slice(1).map(tsvCell).join('\t'));
          }
        }
        flush();
        await cursor.close();
        if (allsky) fs.renameSync(allsky, path.join(root, `Norder${k}`, 'Allsky.tsv'));
      }
      const mocShift = 2 * (29 - MOC_ORDER);
      for (const r of (await client.query<{ c: string }>(`SELECT DISTINCT hpx >> ${mocShift} AS c FROM vodax_hips_rows`)).rows) {
        const c = BigInt(r.c);
        cells.push([c, c + 1n]);
      }
    });
    const moc = rangeSet(MOC_ORDER, cells);
    const now = options.now ?? new Date();
    writeAtomic(path.join(root, 'Moc.fits'), mocFitsBytes(moc, { type: 'CATALOG', id: `ivo://vodax/C/${level}/${target.database}/${target.table}`, name: 'coverage', date: now }));
    writeAtomic(path.join(root, 'metadata.xml'), metadataVotable(info.table_name, chosen, info.ra_column, info.dec_column));
    const [c] = await db.query<{ ra: number; dec: number; fov: number }>(
      `SELECT degrees(atan2(sum(cos(radians(${quoteIdent(info.dec_column)})) * sin(radians(${quoteIdent(info.ra_column)}))), sum(cos(radians(${quoteIdent(info.dec_column)})) * cos(radians(${quoteIdent(info.ra_column)}))))) AS ra,
              avg(${quoteIdent(info.dec_column)}) AS dec, 0 AS fov FROM ${src}`,
    );
    const ra = ((Number(c?.ra ?? 0) % 360) + 360) % 360;
    writeAtomic(
      path.join(root, 'properties'),
      propertiesText(
        [
          ['creator_did', `ivo://vodax/C/${encodeURIComponent(level)}/${encodeURIComponent(target.database)}/${encodeURIComponent(target.table)}`],
          ['obs_title', `${info.table_name} (${level})`],
          ['obs_description', `Positions of ${info.table_name}: up to ${perTile} rows per tile and order${rank ? `, lowest ${rank} first` : ''}; the deepest order holds the rest.`],
          ['dataproduct_type', 'catalog'],
          ['hips_version', HIPS_VERSION],
          ['hips_release_date', hipsDate(now)],
          ['hips_creation_date', hipsDate(now)],
          ['hips_status', isPrivateLevel(level) ? 'private master unclonable' : 'public master clonableOnce'],
          ['hips_tile_format', 'tsv'],
          ['hips_order', String(deepest)],
          ['hips_order_min', String(minOrder)],
          ['hips_frame', 'equatorial'],
          ['hips_cat_nrows', String(rows)],
          ['hips_initial_ra', String(Number(ra.toPrecision(8)))],
          ['hips_initial_dec', String(Number(Number(c?.dec ?? 0).toPrecision(8)))],
          ['hips_initial_fov', '2'],
          ['hips_builder', 'vodax'],
          ['hips_creator', 'vodax'],
          ['moc_sky_fraction', String(Number(skyFraction(moc).toPrecision(6)))],
        ],
        `catalogue HiPS of ${info.table_name}, built by vodax`,
      ),
    );
    const trash = path.join(staging, `old-${process.pid}-${Date.now()}`);
    fs.mkdirSync(path.dirname(finalRoot), { recursive: true });
    if (fs.existsSync(finalRoot)) fs.renameSync(finalRoot, trash);
    fs.renameSync(root, finalRoot);
    fs.rmSync(trash, { recursive: true, force: true });
    return { root: finalRoot, rows, tiles, maxOrder: deepest, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }
}
