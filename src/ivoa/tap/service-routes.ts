/** The TAP service root (DB1), its capabilities and its examples. Endpoint ids: docs/endpoints.md. */
import Router from '@koa/router';
import type { Config } from '../../config.js';
import { baseUrl } from '../../http/base-url.js';
import { htmlPage } from '../../http/html.js';
import { tapCapabilitiesXml, type UdfDeclaration } from '../vosi/capabilities-document.js';

/** A companion service as the face knows it: its path on this server (made absolute per request). */
export interface CompanionService {
  standardID: string;
  path: string;
  version: string;
}
import { readResource } from '../vosi/vosi-template.js';

/** Routes for `base` itself, `capabilities` and `examples`. */
export function serviceRoutes(base: string, config: Config, udfs: readonly UdfDeclaration[], securityMethods: readonly (string | null)[], companions: readonly CompanionService[] = []): Router {
  const r = new Router({ prefix: base });
  const examples = readResource('tap-examples.xhtml');
  r.get('/', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = htmlPage(
      'vodax TAP service',
      `<h1>vodax TAP service</h1>
<p>A Table Access Protocol 1.1 service: ADQL 2.1 queries over the catalogs, synchronously or as UWS jobs.
Point TOPCAT or pyvo at this page's address.</p>
<ul>
<li><a href="/query">the query page</a>: write and run ADQL here, in the browser</li>
<li><a href="${base}/sync">sync</a>: <code>${base}/sync?LANG=ADQL&amp;QUERY=SELECT TOP 10 * FROM TAP_SCHEMA.tables</code></li>
<li><a href="${base}/async">async</a>: UWS jobs</li>
<li><a href="${base}/tables">tables</a>: what can be queried (VOSI tables)</li>
<li><a href="${base}/capabilities">capabilities</a>, <a href="${base}/availability">availability</a></li>
<li><a href="${base}/examples">examples</a>: working queries</li>
</ul>`,
    );
  });
  r.get('/capabilities', (ctx) => {
    ctx.type = 'text/xml; charset=utf-8';
    const site = baseUrl(ctx, config.publicUrl);
    ctx.body = tapCapabilitiesXml({
      base: site + base,
      limits: config.limits,
      udfs,
      securityMethods,
      companions: companions.map((c) => ({ standardID: c.standardID, accessUrl: site + c.path, version: c.version })),
    });
  });
  r.get('/examples', (ctx) => {
    ctx.type = ctx.accepts('application/xhtml+xml', 'text/html') === 'application/xhtml+xml' ? 'application/xhtml+xml; charset=utf-8' : 'text/html; charset=utf-8';
    ctx.body = examples;
  });
  return r;
}
