/** TAP UPLOAD by http(s) URL, through the app: on by default, public addresses only unless allow-listed. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import dc from 'node:diagnostics_channel';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config.js';
import { JobEngine } from '../../../src/jobs/job-engine.js';
import { tapJobKind } from '../../../src/query/tap-job-kind.js';
import { CatalogCache } from '../../../src/catalog/query-catalog.js';
import { testDatabase } from '../../support/database.js';
import { testServer, type TestServer } from '../../support/server.js';
import { loopbackFiles, type LoopbackFiles } from '../../support/loopback-files.js';
import { engineOptions, postForm, tapAsyncServer, untilPhase } from '../uws/support.js';

/** GET the sync endpoint of `srv`. */
function sync(srv: TestServer, params: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  return fetch(`${srv.url}/db/v0/tap/sync?${new URLSearchParams({ LANG: 'ADQL', ...params })}`, { signal });
}

/** Cells of a TABLEDATA VOTable, row by row. */
function tdRows(xml: string): string[][] {
  return [...xml.matchAll(/<TR>(.*?)<\/TR>/gs)].map((m) => [...m[1]!.matchAll(/<TD>(.*?)<\/TD>|<TD\/>/gs)].map((c) => c[1] ?? ''));
}

/** The hosts this process makes node:http client requests to (the server's fetcher) while `work` runs. */
async function requestsMadeBy(work: () => Promise<void>): Promise<string[]> {
  const hosts: string[] = [];
  const onStart = (msg: unknown) => void hosts.push((msg as { request: http.ClientRequest }).request.host);
  dc.subscribe('http.client.request.start', onStart);
  try {
    await work();
  } finally {
    dc.unsubscribe('http.client.request.start', onStart);
  }
  return hosts;
}

describe('TAP UPLOAD by URL', function () {
  this.timeout(30_000);
  let files: LoopbackFiles;
  let allowing: TestServer;
  let plain: TestServer;
  before(async () => {
    files = await loopbackFiles();
    allowing = await testServer({ UPLOAD_URL_HOSTS: files.hostPort, UPLOAD_MAX_BYTES: '20000' });
    plain = await testServer();
  });
  after(async () => {
    await allowing?.close();
    await plain?.close();
    await files?.close();
  });

  it('declares upload-http and upload-https by default, and neither when UPLOAD_URLS=false (which refuses URLs)', async () => {
    const caps = await (await fetch(`${plain.url}/db/v0/tap/capabilities`)).text();
    expect(caps).to.include('<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-inline"/>');
    expect(caps).to.include('<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-http"/>');
    expect(caps).to.include('<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-https"/>');
    const off = await testServer({ UPLOAD_URLS: 'false', UPLOAD_URL_HOSTS: files.hostPort });
    try {
      const offCaps = await (await fetch(`${off.url}/db/v0/tap/capabilities`)).text();
      expect(offCaps).to.include('#upload-inline');
      expect(offCaps).not.to.include('#upload-http');
      const before = files.requests.length;
      const res = await sync(off, { QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: `t,${files.url}/x.vot` });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.match(/uploads by URL are not allowed on this service/);
      expect(files.requests.length).to.equal(before);
    } finally {
      await off.close();
    }
  });

  it('runs a sync query on a table fetched from an allow-listed loopback URL', async () => {
    const res = await sync(allowing, { QUERY: 'SELECT id, ra, dec FROM TAP_UPLOAD.t ORDER BY id', UPLOAD: `t,${files.url}/x.vot` });
    const xml = await res.text();
    expect(res.status, xml).to.equal(200);
    expect(tdRows(xml)).to.deep.equal([
      ['1', '0', '0'],
      ['2', '0.5', '-0.25'],
      ['3', '1', '-0.5'],
    ]);
    // Uploaded by URL and inline together, joined.
    const fd = new FormData();
    fd.set('LANG', 'ADQL');
    fd.set('QUERY', 'SELECT a.id, b.tag FROM TAP_UPLOAD.a AS a JOIN TAP_UPLOAD.b AS b ON a.id = b.id');
    fd.set('UPLOAD', `a,${files.url}/hops/2;b,param:p`);
    fd.set('p', new Blob(['id,tag\n2,two\n'], { type: 'text/csv' }), 'p.csv');
    const joined = await fetch(`${allowing.url}/db/v0/tap/sync`, { method: 'POST', body: fd });
    const jxml = await joined.text();
    expect(joined.status, jxml).to.equal(200);
    expect(tdRows(jxml)).to.deep.equal([['2', 'two']]);
  });

  it('refuses loopback, localhost, [::1], private and link-local URLs with a 400 naming the reason, fetching nothing', async () => {
    const before = files.requests.length;
    for (const [url, reason] of [
      [`${files.url}/x.vot`, /127\.0\.0\.1 is a loopback address/],
      [`http://localhost:${files.port}/x.vot`, /host localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
      [`http://[::1]:${files.port}/x.vot`, /::1 is a loopback address/],
      ['http://10.0.0.1/x.vot', /10\.0\.0\.1 is a private address/],
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    ] as const) {
      let res: Response | undefined;
      const made = await requestsMadeBy(async () => {
        res = await sync(plain, { QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: `t,${url}` });
      });
      expect(res!.status, url).to.equal(400);
      const xml = await res!.text();
      expect(xml, url).to.match(/<INFO name="QUERY_STATUS" value="ERROR">/);
      expect(xml, url).to.match(reason);
      expect(xml, url).to.include('this server fetches only from public addresses');
      expect(made, url).to.deep.equal([]);
    }
    expect(files.requests.length).to.equal(before);
  });

  it('refuses a redirect from the allowed server to a forbidden address', async () => {
    const to = 'http://169.254.169.254/latest/meta-data/';
    const url = `${files.url}/to?u=${encodeURIComponent(to)}`;
    const made = await requestsMadeBy(async () => {
      const res = await sync(allowing, { QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: `t,${url}` });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.match(/169\.254\.169\.254 is a link-local address/);
    });
    expect(made).to.deep.equal(['127.0.0.1']);
  });

  it('answers 413 for a table larger than UPLOAD_MAX_BYTES, and 400 naming the URL and status for a 404', async () => {
    const big = await sync(allowing, { QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: `t,${files.url}/rows/500.vot` });
    expect(big.status).to.equal(413);
    const bigXml = await big.text();
    expect(bigXml).to.match(/<INFO name="QUERY_STATUS" value="ERROR">/);
    expect(bigXml).to.include(`${files.url}/rows/500.vot is larger than 20000 bytes`);
    const missing = await sync(allowing, { QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: `t,${files.url}/gone.vot` });
    expect(missing.status).to.equal(400);
    expect(await missing.text()).to.include(`URL ${files.url}/gone.vot: the server answered 404 Not Found`);
  });

  it('cancels the fetch when the client goes away', async () => {
    const before = files.requests.length;
    const ac = new AbortController();
    const pending = sync(allowing, { QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: `t,${files.url}/stall-body` }, ac.signal).catch(() => null);
    for (let i = 0; i < 100 && files.requests.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    const seen = files.requests[before]!;
    expect(seen.path).to.equal('/stall-body');
    ac.abort();
    await pending;
    for (let i = 0; i < 100 && !seen.closedEarly; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen.closedEarly).to.equal(true);
  });

  it('reads UPLOAD_URLS (default true) and UPLOAD_URL_HOSTS, refusing values it cannot use', () => {
    expect(loadConfig({}).limits.uploadUrls).to.equal(true);
    expect(loadConfig({ UPLOAD_URLS: 'false' }).limits.uploadUrls).to.equal(false);
    expect(loadConfig({}).limits.uploadUrlHosts).to.deep.equal([]);
    expect(loadConfig({ UPLOAD_URL_HOSTS: ' Files.Internal , 127.0.0.1:8080,[::1]:9000' }).limits.uploadUrlHosts).to.deep.equal([
      'files.internal',
      '127.0.0.1:8080',
      '[::1]:9000',
    ]);
    expect(() => loadConfig({ UPLOAD_URLS: 'maybe' })).to.throw(/UPLOAD_URLS must be true or false, got 'maybe'/);
    expect(() => loadConfig({ UPLOAD_URL_HOSTS: 'http://files.internal/' })).to.throw(/UPLOAD_URL_HOSTS .*'http:\/\/files\.internal\/' is neither/);
  });

  describe('in async jobs (UWS)', () => {
    let dataDir: string;
    let engine: JobEngine;
    let server: http.Server;
    let base: string;
    before(async () => {
      const { db } = await testDatabase();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-upload-url-'));
      const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir, UPLOAD_URL_HOSTS: files.hostPort });
      engine = new JobEngine(engineOptions(db, dataDir, { kinds: [tapJobKind({ config, db, catalogs: new CatalogCache(db) })] }));
      await engine.start();
      ({ server, base } = await tapAsyncServer(engine));
    });
    after(async () => {
      if (server) await new Promise((r) => server.close(r));
      await engine?.stop(1000);
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** Run a job to its end; its URL and final phase. */
    const runJob = async (form: Record<string, string>) => {
      const res = await postForm(base, { LANG: 'ADQL', PHASE: 'RUN', ...form });
      expect(res.status).to.equal(303);
      const url = res.headers.get('location')!;
      return { url, phase: await untilPhase(engine, url.slice(url.lastIndexOf('/') + 1), ['COMPLETED', 'ERROR', 'ABORTED']) };
    };

    it('fetches an allow-listed URL for a job, and ends a job naming a private address in ERROR', async () => {
      const ok = await runJob({ QUERY: 'SELECT id FROM TAP_UPLOAD.t ORDER BY id', UPLOAD: `t,${files.url}/x.vot` });
      expect(ok.phase).to.equal('COMPLETED');
      expect(tdRows(await (await fetch(`${ok.url}/results/result`)).text())).to.deep.equal([['1'], ['2'], ['3']]);
      let bad: { url: string; phase: string } | undefined;
      const made = await requestsMadeBy(async () => {
        bad = await runJob({ QUERY: 'SELECT * FROM TAP_UPLOAD.t', UPLOAD: 't,http://192.168.1.1/t.vot' });
      });
      expect(bad!.phase).to.equal('ERROR');
      expect(await (await fetch(`${bad!.url}/error`)).text()).to.match(/192\.168\.1\.1 is a private address/);
      expect(made).to.deep.equal([]);
    });
  });
});
