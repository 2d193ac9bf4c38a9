/** Errors read well in a browser (HTML first in Accept); programs keep their DALI and JSON documents. */
import { expect } from 'chai';
import { testServer, type TestServer } from '../support/server.js';

const CHROME = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const JAVA = 'text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2';

describe('error pages for browsers', function () {
  this.timeout(30_000);
  let srv: TestServer;
  before(async () => (srv = await testServer()));
  after(() => srv.close());

  const get = async (path: string, accept?: string) => {
    const res = await fetch(srv.url + path, { headers: accept ? { accept } : {} });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };
  const badQuery = `/db/v0/tap/sync?LANG=ADQL&QUERY=${encodeURIComponent('SELECT ra\nFROM DC_W13_Stripe82.Object WHERE')}`;

  it('an ADQL error in a browser is a page with the message, its line and column, and a link to edit the query', async () => {
    const r = await get(badQuery, CHROME);
    expect(r.status).to.equal(400);
    expect(r.type).to.match(/^text\/html/);
    expect(r.body).to.match(/<!DOCTYPE html>/);
    expect(r.body).to.match(/line 2, column \d+/);
    expect(r.body).to.include(`/query?query=${encodeURIComponent('SELECT ra\nFROM DC_W13_Stripe82.Object WHERE')}`);
  });

  it('TOPCAT and STILTS (Java\'s Accept), pyvo (none) and */* keep the DALI VOTable error', async () => {
    for (const accept of [JAVA, undefined, '*/*']) {
      const r = await get(badQuery, accept);
      expect(r.status, String(accept)).to.equal(400);
      expect(r.type, String(accept)).to.match(/^application\/x-votable\+xml/);
      expect(r.body).to.include('QUERY_STATUS');
    }
  });

  it('a missing LSST resource is a page in a browser and JSON for programs', async () => {
    const page = await get('/meta/v0/db/L2/no_such_db', CHROME);
    expect(page.status).to.equal(404);
    expect(page.type).to.match(/^text\/html/);
    expect(page.body).to.include('no_such_db');
    const json = await get('/meta/v0/db/L2/no_such_db', 'application/json');
    expect(json.status).to.equal(404);
    expect(JSON.parse(json.body).error.code).to.equal('NotFound');
  });

  it('escapes what the request said', async () => {
    const r = await get(`/db/v0/tap/sync?QUERY=${encodeURIComponent('<script>alert(1)</script>')}`, CHROME);
    expect(r.status).to.equal(400);
    expect(r.body).to.not.include('<script>alert');
  });
});
