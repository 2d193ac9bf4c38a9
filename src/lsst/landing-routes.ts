/** `GET /`: the list of services for programs, a page that says what is here for browsers. */
import { viewerOf } from '../auth/middleware.js';
import Router from '@koa/router';
import type { Registry } from '../catalog/table-registry.js';
import { sendResult } from './envelope.js';
import { escapeHtml, htmlPage } from '../http/html.js';

/** The root route. */
export function landingRoutes(registry: Registry): Router {
  const r = new Router();
  r.get('/', async (ctx) => {
    if (ctx.accepts('application/json', 'text/html') !== 'text/html') {
      sendResult(ctx, ['db', 'image', 'meta']);
      return;
    }
    const dbs = await registry.allDatabases(viewerOf(ctx));
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
<li><a href="/meta">/meta</a>: metadata of databases, tables and images (<a href="/meta/v0/db">database levels</a>)</li>
<li><a href="/db">/db</a>: queries</li>
<li><a href="/image">/image</a>: images</li>
<li><a href="/image/v0/hips">/image/v0/hips</a>: HiPS of the image collections, for Aladin</li>
</ul>
<h2>Databases</h2>
<table><tr><th>level</th><th>database</th><th>owner</th><th>description</th></tr>
${rows}
</table>`,
    );
  });
  return r;
}
