/** The query page for people: `GET /query` (HTML) and its bundled assets under `/query/assets/`. */
import Router from '@koa/router';
import { NotFoundError } from '../errors.js';
import { pageBundle } from './page-bundle.js';
import { queryPageHtml } from './query-page-html.js';

/** Where the page is. */
export const QUERY_PAGE_PATH = '/query';

/** The page's routes; `tapBase` is the TAP service it queries. */
export function queryPageRoutes(tapBase: string): Router {
  const r = new Router();
  const assets = `${QUERY_PAGE_PATH}/assets`;
  const html = queryPageHtml(assets, tapBase);
  r.get(QUERY_PAGE_PATH, (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  });
  r.get(`${assets}/:file`, async (ctx) => {
    const file = (await pageBundle()).get(ctx.params.file ?? '');
    if (!file) throw new NotFoundError(`no asset ${ctx.params.file} of the query page`);
    ctx.type = file.type;
    // Asset names are stable, not hashed: revalidate rather than cache for long.
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = Buffer.from(file.contents);
  });
  return r;
}
