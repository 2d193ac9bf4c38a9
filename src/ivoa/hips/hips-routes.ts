/**
 * HiPS over HTTP (HiPS 1.0, section 5): the HiPS of every image collection at
 * /image/v0/hips/{level}/{collection}/{kind}[/{filter}]/ (properties, Moc.fits, NorderK/Allsky.ext,
 * NorderK/DirD/NpixN.ext), the catalogue HiPS of tables at /db/v0/hips/{level}/{db}/{table}/, and
 * the node's HiPS list at /image/v0/hips. Files are read from DATA_DIR/hips as `vodax hips` (or
 * the server, on the first request for a HiPS not built yet) wrote them; every path part a
 * request gives is checked, and an L3 HiPS is its owner's alone (it is built from the owner's
 * images, under the owner's name, and found only under the caller's).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../../config.js';
import type { Database } from '../../storage/database.js';
import type { Registry } from '../../catalog/table-registry.js';
import { NotFoundError, UnavailableError } from '../../errors.js';
import { viewerOf } from '../../auth/middleware.js';
import { resolveUnder, UnsafePathError } from '../../auth/safe-path.js';
import { baseUrl } from '../../http/base-url.js';
import { escapeHtml, htmlPage } from '../../http/html.js';
import { canonicalLevel, isPrivateLevel } from '../../catalog/levels.js';
import { hipsRoot, hipsTargets, NO_FILTER, type HipsTarget } from '../../images/hips-build.js';
import { catalogHipsRoot, type CatalogHipsTarget } from '../../images/hips-catalog-build.js';
import { catalogHipsBuildCommand, hipsBuildCommand, hipsName, isHipsBuilt, type HipsOnDemand } from '../../images/hips-on-demand.js';
import { parseProperties } from '../../images/hips/properties.js';
import { hipsUrl } from '../../images/hips-urls.js';
import { sendResult } from '../../lsst/envelope.js';

const TYPES: Record<string, string> = {
  fits: 'application/fits',
  png: 'image/png',
  jpg: 'image/jpeg',
  tsv: 'text/tab-separated-values; charset=utf-8',
  xml: 'application/x-votable+xml',
};

/** The file a HiPS path names ('properties', 'Moc.fits', 'NorderK/Allsky.ext', 'NorderK/DirD/NpixN.ext'), or null. */
export function hipsFileOf(parts: string[], exts: readonly string[]): string[] | null {
  const ext = `(${exts.join('|')})`;
  if (parts.length === 1 && ['properties', 'Moc.fits', 'metadata.xml'].includes(parts[0]!)) return parts;
  if (parts.length === 2 && /^Norder\d{1,2}$/.test(parts[0]!) && new RegExp(`^Allsky\\.${ext}$`).test(parts[1]!)) return parts;
  if (parts.length === 3) {
    const o = /^Norder(\d{1,2})$/.exec(parts[0]!);
    const d = /^Dir(\d{1,15})$/.exec(parts[1]!);
    const n = new RegExp(`^Npix(\\d{1,15})\\.${ext}$`).exec(parts[2]!);
    // The Dir of a tile is fixed by its index: any other spelling names nothing.
    if (o && d && n && Number(d[1]) === Math.floor(Number(n[1]) / 10000) * 10000 && String(Number(n[1])) === n[1] && String(Number(d[1])) === d[1]) return parts;
  }
  return null;
}

/** Decoded path segments after a prefix; NotFound for anything that is not plain names. */
function segmentsAfter(ctx: Context, prefix: string): string[] {
  // Empty segments are dropped: clients join a base URL that ends in '/' with '/properties'.
  const parts = ctx.path.slice(prefix.length).split('/').filter((p) => p !== '');
  return parts.map((p) => {
    let s: string;
    try {
      s = decodeURIComponent(p);
    } catch {
      throw new NotFoundError('no such HiPS file');
    }
    if (s === '' || s.startsWith('.') || s.includes('/')) throw new NotFoundError('no such HiPS file');
    return s;
  });
}

/**
 * Sends a file of a HiPS with its type, length and validators (304 when unchanged). A FITS tile
 * the build kept gzipped (NpixN.fits.gz, a mostly empty one) goes as it is, with
 * Content-Encoding: gzip, to a client that accepts gzip, and decompressed to any other.
 */
async function sendFile(ctx: Context, root: string, parts: string[], privateHips: boolean): Promise<void> {
  let file: string;
  let gzipped: string | null = null;
  try {
    file = await resolveUnder(root, ...parts);
    if (parts.length === 3 && parts[2]!.endsWith('.fits')) gzipped = await resolveUnder(root, parts[0]!, parts[1]!, `${parts[2]}.gz`);
  } catch (e) {
    if (e instanceof UnsafePathError) throw new NotFoundError('no such HiPS file');
    throw e;
  }
  let stat = await fs.promises.stat(file).catch(() => null);
  let gzip = false;
  if ((!stat || !stat.isFile()) && gzipped) {
    stat = await fs.promises.stat(gzipped).catch(() => null);
    file = gzipped;
    gzip = true;
  }
  if (!stat || !stat.isFile()) throw new NotFoundError(`no ${parts.join('/')} in this HiPS (tiles exist only where there is data)`);
  const name = parts[parts.length - 1]!;
  const ext = name === 'properties' ? '' : name.slice(name.lastIndexOf('.') + 1);
  ctx.type = name === 'properties' ? 'text/plain; charset=utf-8' : TYPES[ext] ?? 'application/octet-stream';
  // Either encoding of a FITS tile may be what a cache holds.
  if (gzipped) ctx.vary('Accept-Encoding');
  const encoded = gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${gzip ? (encoded ? '-gz' : '-id') : ''}"`;
  ctx.set('ETag', etag);
  ctx.set('Last-Modified', stat.mtime.toUTCString());
  // Tiles change when images are added: clients may keep them a while, then revalidate.
  ctx.set('Cache-Control', `${privateHips ? 'private' : 'public'}, max-age=300`);
  if (ctx.get('If-None-Match') === etag) {
    ctx.status = 304;
    return;
  }
  if (gzip && !encoded) {
    const gunzip = zlib.createGunzip();
    // A read or inflate error destroys the body stream, which ends the answer.
    pipeline(fs.createReadStream(file), gunzip, () => {});
    ctx.body = gunzip;
    return;
  }
  if (encoded) ctx.set('Content-Encoding', 'gzip');
  ctx.length = stat.size;
  ctx.body = fs.createReadStream(file);
}

const commandFor = (t: HipsTarget): string => hipsBuildCommand(t);

const isBuilt = isHipsBuilt;

/**
 * The HiPS routes. With `builds` (the running server's), a HiPS (image or catalogue) that is not
 * built yet is built in the background on the first request for it, answered 503 with
 * Retry-After until it is ready; without, it is a 404 naming the command that builds it.
 */
export function hipsRoutes(config: Config, db: Database, registry: Registry, builds?: HipsOnDemand): Router {
  const r = new Router();
  const base = (ctx: Context) => baseUrl(ctx, config.publicUrl);
  /** The image HiPS the caller may see (L3: theirs only). */
  const visibleTargets = async (ctx: Context): Promise<HipsTarget[]> => {
    const user = viewerOf(ctx).user;
    return (await hipsTargets(db)).filter((t) => !isPrivateLevel(t.level as never) || (user !== null && t.owner === user));
  };

  // The HiPS list of this node (HiPS 1.0, section 5.2), or a page or JSON of the same.
  r.get('/image/v0/hips', async (ctx) => {
    const b = base(ctx);
    const targets = await visibleTargets(ctx);
    const built = targets.filter((t) => isBuilt(config.dataDir, t));
    const want = ctx.accepts('text/plain', 'application/json', 'text/html');
    if (want === 'application/json') {
      sendResult(ctx, targets.map((t) => ({ url: hipsUrl(b, t), level: t.level, collection: t.collection, kind: t.kind, filter: t.band, built: isBuilt(config.dataDir, t), ...(isBuilt(config.dataDir, t) ? {} : { build: commandFor(t) }) })));
      return;
    }
    if (want === 'text/html') {
      const rows = targets
        .map((t) => {
          const url = hipsUrl(b, t);
          return `<tr><td>${escapeHtml(`${t.level}/${t.collection}/${t.kind}${t.band ? `/${t.band}` : ''}`)}</td><td>${isBuilt(config.dataDir, t) ? `<a href="${escapeHtml(url)}properties">${escapeHtml(url)}</a>` : `not built yet${builds ? ' (its URL starts the build)' : ''}: <code>${escapeHtml(commandFor(t))}</code>`}</td></tr>`;
        })
        .join('\n');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = htmlPage('HiPS', `<h1>HiPS of the image collections</h1>\n<p>Give a HiPS URL to Aladin (File, Open, or <code>load URL</code> in a script). Catalogue HiPS: <code>/db/v0/hips/{level}/{db}/{table}/</code> once built with <code>npm run vodax -- hips catalog</code>.</p>\n<table><tr><th>HiPS</th><th>URL</th></tr>\n${rows}\n</table>`);
      return;
    }
    const records = built.map((t) => {
      const props = parseProperties(fs.readFileSync(path.join(hipsRoot(config.dataDir, t), 'properties'), 'utf8')).all.filter(([k]) => k !== 'hips_service_url');
      return [...props, ['hips_service_url', hipsUrl(b, t).replace(/\/$/, '')]].map(([k, v]) => `${k.padEnd(20)} = ${v}`).join('\n');
    });
    const waiting = targets.filter((t) => !isBuilt(config.dataDir, t)).map((t) => `# not built yet${builds ? ' (its URL starts the build)' : ''}: ${hipsUrl(b, t)} (${commandFor(t)})`);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `# HiPS list of vodax at ${b}\n${waiting.join('\n')}${waiting.length ? '\n' : ''}\n${records.join('\n\n')}\n`;
  });

  r.get(/^\/image\/v0\/hips\/.+/, async (ctx) => {
    const parts = segmentsAfter(ctx, '/image/v0/hips/');
    if (parts.length < 3) throw new NotFoundError('a HiPS is at /image/v0/hips/{level}/{collection}/{kind}[/{filter}]/');
    const level = canonicalLevel(parts[0]!);
    if (!level) throw new NotFoundError(`no image level "${parts[0]}" (levels: dc, L1, L2, L3, dev)`);
    const [, collection, kind, ...tail] = parts as [string, string, string, ...string[]];
    // With no filter the tail starts with a HiPS file name; anything else is the filter.
    const fileFirst = tail.length === 0 || hipsFileOf(tail, ['fits', 'png', 'jpg']) !== null;
    const band = fileFirst ? null : tail[0]!;
    const file = fileFirst ? tail : tail.slice(1);
    if (band === NO_FILTER) throw new NotFoundError('no such HiPS');
    const user = viewerOf(ctx).user;
    const privateHips = isPrivateLevel(level);
    if (privateHips && user === null) throw new NotFoundError(`no HiPS ${parts.slice(0, 4).join('/')}`);
    const target: HipsTarget = { level, collection, kind, band, owner: privateHips ? user : null };
    const root = hipsRoot(config.dataDir, target);
    if (!fs.existsSync(path.join(root, 'properties'))) {
      const known = (await hipsTargets(db, { level, collection, kind, owner: target.owner })).find((t) => t.band === band && (!privateHips || t.owner === user));
      if (!known) throw new NotFoundError(`no HiPS ${level}/${collection}/${kind}${band ? `/${band}` : ''}: no such images${band === null ? ' without a filter (name one: /image/v0/hips/{level}/{collection}/{kind}/{filter}/)' : ''}`);
      if (!builds) throw new NotFoundError(`the HiPS of ${level}/${collection}/${kind}${band ? `/${band}` : ''} is not built yet: run \`${commandFor(known)}\``);
      const st = builds.request(known);
      const name = hipsName(known);
      if (st.state === 'failed') throw new UnavailableError(`building the HiPS ${name} failed: ${st.error} (see the server log); a request after ${st.retryAfter} s tries again, or run \`${commandFor(known)}\``, st.retryAfter);
      throw new UnavailableError(
        `the HiPS ${name} is not built yet: the server is building it (${st.ahead === 0 ? 'now' : `after ${st.ahead} other${st.ahead === 1 ? '' : 's'}`}); try again in ${st.retryAfter} s. To build every HiPS at once: \`${hipsBuildCommand()}\``,
        st.retryAfter,
      );
    }
    if (file.length === 0) {
      if (!ctx.path.endsWith('/')) {
        // Relative tile paths need the trailing slash.
        ctx.redirect(`${ctx.path}/`);
        return;
      }
      await sendFile(ctx, root, ['properties'], privateHips);
      return;
    }
    if (!hipsFileOf(file, ['fits', 'png', 'jpg'])) throw new NotFoundError(`no ${file.join('/')} in a HiPS (properties, Moc.fits, NorderK/Allsky.ext, NorderK/DirD/NpixN.ext)`);
    await sendFile(ctx, root, file, privateHips);
  });

  // Catalogue HiPS: visible when the table is.
  r.get(/^\/db\/v0\/hips\/.+/, async (ctx) => {
    const parts = segmentsAfter(ctx, '/db/v0/hips/');
    if (parts.length < 3) throw new NotFoundError('a catalogue HiPS is at /db/v0/hips/{level}/{db}/{table}/');
    const [levelText, database, table, ...file] = parts as [string, string, string, ...string[]];
    const info = await registry.table(levelText, database, table, viewerOf(ctx));
    const level = canonicalLevel(levelText)!;
    const target: CatalogHipsTarget = { level, database: info.database, table: info.name };
    const root = catalogHipsRoot(config.dataDir, target);
    if (!fs.existsSync(path.join(root, 'properties'))) {
      if (!info.position) throw new NotFoundError(`${info.tapName} has no position columns, so no catalogue HiPS`);
      const command = catalogHipsBuildCommand(target);
      if (!builds) throw new NotFoundError(`the catalogue HiPS of ${info.tapName} is not built yet: run \`${command}\``);
      const st = builds.requestCatalog(target);
      if (st.state === 'failed') throw new UnavailableError(`building the catalogue HiPS of ${info.tapName} failed: ${st.error} (see the server log); a request after ${st.retryAfter} s tries again, or run \`${command}\``, st.retryAfter);
      throw new UnavailableError(
        `the catalogue HiPS of ${info.tapName} is not built yet: the server is building it (${st.ahead === 0 ? 'now' : `after ${st.ahead} other${st.ahead === 1 ? '' : 's'}`}); try again in ${st.retryAfter} s, or build it with \`${command}\``,
        st.retryAfter,
      );
    }
    if (file.length === 0) {
      if (!ctx.path.endsWith('/')) {
        ctx.redirect(`${ctx.path}/`);
        return;
      }
      await sendFile(ctx, root, ['properties'], isPrivateLevel(level));
      return;
    }
    if (!hipsFileOf(file, ['tsv'])) throw new NotFoundError(`no ${file.join('/')} in a catalogue HiPS (properties, Moc.fits, metadata.xml, NorderK/DirD/NpixN.tsv)`);
    await sendFile(ctx, root, file, isPrivateLevel(level));
  });
  return r;
}
