import { expect } from 'chai';
import type { Context } from 'koa';
import { errorStyleMiddleware, renderError, type ErrorRenderer } from '../../src/http/error-style.js';
import { NotFoundError } from '../../src/errors.js';

const plain: ErrorRenderer = (e) => ({ type: 'text/plain', body: `plain: ${e.message}` });
const deeper: ErrorRenderer = (e) => ({ type: 'text/plain', body: `deeper: ${e.message}` });

/** The body an error gets on `path` under these styles. */
async function bodyOn(path: string): Promise<string> {
  const ctx = { path, state: {}, get: () => '', query: {} } as unknown as Context;
  await errorStyleMiddleware([
    { prefixes: ['/db/v0/tap'], render: plain },
    { prefixes: ['/db/v0/tap/async/special'], render: deeper },
  ])(ctx, async () => {});
  return renderError(new NotFoundError('gone'), ctx).body;
}

describe('error styles (each face renders the errors of its paths)', () => {
  it('uses the style of the face whose prefix claims the path, the longest prefix first', async () => {
    expect(await bodyOn('/db/v0/tap')).to.equal('plain: gone');
    expect(await bodyOn('/db/v0/tap/sync')).to.equal('plain: gone');
    expect(await bodyOn('/db/v0/tap/async/special/x')).to.equal('deeper: gone');
  });

  it('answers {"error": ...} on paths no face claims, and a prefix claims whole segments only', async () => {
    for (const path of ['/meta/v0/db', '/db/v0/tapestry', '/']) {
      expect(JSON.parse(await bodyOn(path)), path).to.deep.equal({ error: { code: 'NotFound', message: 'gone' } });
    }
  });
});
