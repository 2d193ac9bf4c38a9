/** `GET /`: the list of services for programs, a page that says what is here for browsers. */
import { viewerOf } from '../auth/middleware.js';
import Router from '@koa/router';
import type { DatabaseInfo, Registry, Viewer } from '../catalog/table-registry.js';
import { sendResult } from './envelope.js';
import { escapeHtml, htmlPage } from '../http/html.js';
import { IVOA_PATHS } from '../ivoa/paths.js';
import { MAX_SR_DEG } from '../ivoa/scs/scs-parameters.js';
import { NotFoundError } from '../errors.js';

/** The TAP names of the viewer's tables with a position: each has a Simple Cone Search. */
async function positionalTables(registry: Registry, viewer: Viewer, dbs: DatabaseInfo[]): Promise<string[]> {
  // A database or table dropped meanwhile is left out, not an error of the page.
  const gone = (e: unknown) => {
    if (e instanceof NotFoundError) return null;
    throw e;
  };
  const perDatabase = await Promise.all(
    dbs.map(async (d) => {
      const names = (await registry.tableNames(d.level, d.name, viewer, {}).catch(gone))?.items ?? [];
      const tables = await Promise.all(names.map((n) => registry.table(d.level, d.name, n, viewer).catch(gone)));
      return tables.flatMap((t) => (t && t.position ? [t.tapName] : []));
    }),
  );
  return perDatabase.flat();
}

/** The root route. */
export function landingRoutes(registry: Registry): Router {
  const r = new Router();
  r.get('/', async (ctx) => {
    if (ctx.accepts('application/json', 'text/html') !== 'text/html') {
      sendResult(ctx, ['db', 'image', 'meta']);
      return;
    }
    const dbs = await registry.allDatabases(viewerOf(ctx));
    const cones = (await positionalTables(registry, viewerOf(ctx), dbs))
      .map((t) => {
        const href = `${IVOA_PATHS.scs}/${encodeURIComponent(t)}`;
        return `<li>${escapeHtml(t)}: <code>${escapeHtml(href)}?RA=&amp;DEC=&amp;SR=</code> (<a href="${href}/capabilities">capabilities</a>)</li>`;
      })
      .join('\n');
    const rows = dbs
      .map((d) => {
        const href = `/meta/v0/db/${encodeURIComponent(d.level)}/${encodeURIComponent(d.name)}`;
        return `<tr><td>${escapeHtml(d.level)}</td><td><a href="${href}">${escapeHtml(d.name)}</a>
          (<a href="${href}/tables">tables</a>)</td><td>${escapeHtml(d.owner)}</td><td>${escapeHtml(d.description)}</td></tr>`;
      })
      .join('\n');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = htmlPage(
      'vodax',
      `<h1>vodax</h1>
<p>A data-access server for astronomy: the LSST Data Access Services API v0 and the IVOA protocols, over PostgreSQL.</p>
<h2>Services</h2>
<ul>
<li><a href="/query">/query</a>: the query page: ADQL with the schema, examples, results, plots and the sky view, in the browser</li>
<li><a href="/meta">/meta</a>: metadata of databases, tables and images (<a href="/meta/v0/db">database levels</a>)</li>
<li><a href="/db">/db</a>: queries</li>
<li><a href="/image">/image</a>: images</li>
<li><a href="/image/v0/hips">/image/v0/hips</a>: HiPS of the image collections, for Aladin</li>
<li>${IVOA_PATHS.scs}/{schema}.{table}: Simple Cone Search, one per table with a position (below)</li>
</ul>
<h2>Databases</h2>
<table><tr><th>level</th><th>database</th><th>owner</th><th>description</th></tr>
${rows}
</table>
<h2>Cone search</h2>
<p>Simple Cone Search 1.1 on each table with a position: RA, DEC, SR in degrees (SR at most ${MAX_SR_DEG}), VERB 1-3, MAXREC, RESPONSEFORMAT.</p>
<ul>
${cones}
</ul>`,
    );
  });
  return r;
}
