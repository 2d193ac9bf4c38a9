/**
 * DataLink at /image/v0/datalink/links over the sample images: the links of a calexp and a coadd,
 * several IDs, unknown, malformed and private IDs as error rows that leak nothing, the owner's
 * own L3 image, usage errors, following the links; and ivoa.obscore.access_url pointing at the
 * DataLink document from the request's base URL (or PUBLIC_URL) in TAP sync (generic writers and
 * COPY fast paths), TAP async (the base of the submission) and SIA.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../../support/database.js';
import { createApp } from '../../../src/server/app.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { Registry } from '../../../src/catalog/table-registry.js';
import { sampleCatalog } from '../../../src/sample-data/sample.js';
import { loadSampleImages } from '../../../src/sample-data/sample-images.js';
import { registerImage } from '../../../src/images/image-catalog.js';
import { describeImageFile } from '../../../src/images/describe.js';
import { FitsFile } from '../../../src/fits/file.js';
import { addUser } from '../../../src/auth/users.js';
import { JobEngine } from '../../../src/jobs/job-engine.js';
import { tapJobKind } from '../../../src/query/tap-job-kind.js';
import { CatalogCache } from '../../../src/catalog/query-catalog.js';
import { prepareQuery } from '../../../src/query/prepared-query.js';
import { fastDocumentStream } from '../../../src/query/result-stream.js';
import { csvWriter } from '../../../src/formats/csv-writer.js';
import { votableWriter } from '../../../src/formats/votable-writer.js';
import { votableBinary2Writer } from '../../../src/formats/votable-binary2-writer.js';
import { engineOptions, untilPhase } from '../uws/support.js';
import { pyvoMissing, readLinks } from './read-links.js';

interface Answer {
  status: number;
  type: string;
  location: string | null;
  body: Buffer;
  text: string;
}

/** A request with any Host header (fetch would not send one of ours). */
function send(url: string, options: { method?: string; headers?: Record<string, string>; form?: Record<string, string | string[]> } = {}): Promise<Answer> {
  const u = new URL(url);
  let body: string | undefined;
  const headers: Record<string, string> = { ...options.headers };
  if (options.form) {
    const f = new URLSearchParams();
    for (const [k, v] of Object.entries(options.form)) for (const x of Array.isArray(v) ? v : [v]) f.append(k, x);
    body = f.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: options.method ?? (body ? 'POST' : 'GET'), headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), location: (res.headers.location as string | undefined) ?? null, body: b, text: b.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The rows of a links document: cells by column name (TABLEDATA, as vodax writes it). */
function rowsOf(xml: string): Record<string, string | null>[] {
  const names = [...xml.matchAll(/<FIELD name="([^"]+)"/g)].map((m) => m[1]!);
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...xml.matchAll(/<TR>([\s\S]*?)<\/TR>/g)].map((tr) => {
    const cells = [...tr[1]!.matchAll(/<TD>([\s\S]*?)<\/TD>|<TD\/>/g)].map((m) => (m[1] === undefined ? null : unescape(m[1])));
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? null]));
  });
}

const did = (id: number) => `ivo://vodax/image?${id}`;
const linksQuery = (...ids: string[]) => ids.map((i) => `ID=${encodeURIComponent(i)}`).join('&');

describe('DataLink routes (/image/v0/datalink/links) and ObsCore access_url', function () {
  this.timeout(300_000);
  let tdb: TestDatabase & { drop(): Promise<void> };
  let dataDir: string;
  let engine: JobEngine;
  const servers: http.Server[] = [];
  let root: string;
  let publicRoot: string;
  let joeToken: string;
  let annToken: string;
  let calexp: { id: number; file_bytes: string };
  let coadd: { id: number; footprint: number[]; em_min: number; em_max: number; ra: number; dec: number };
  let l3: number;

  async function listen(env: Record<string, string>): Promise<string> {
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir, ...env });
    const app = createApp({ config, log: createLogger('silent'), db: tdb.db, registry: new Registry(tdb.db, { host: '127.0.0.1', port: 5432 }), jobs: engine });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  before(async () => {
    tdb = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-datalink-'));
    await loadSampleImages(tdb.db, sampleCatalog(), dataDir, 'http://registered.test');
    // joe's private image: a copy of a calexp, in an L3 collection of his.
    const src = (await tdb.db.query<{ path: string }>("SELECT path FROM vodax.images WHERE kind = 'calexp' ORDER BY id LIMIT 1"))[0]!.path;
    fs.mkdirSync(path.join(dataDir, 'images', 'joe'), { recursive: true });
    fs.copyFileSync(path.join(dataDir, 'images', src), path.join(dataDir, 'images', 'joe', 'secret.fits'));
    const f = await FitsFile.open(path.join(dataDir, 'images', 'joe', 'secret.fits'));
    const d = describeImageFile(f);
    await f.close();
    l3 = await registerImage(tdb.db, { level: 'L3', collection: 'joesecret', kind: 'calexp', owner: 'joe', path: 'joe/secret.fits', fileBytes: fs.statSync(path.join(dataDir, 'images', 'joe', 'secret.fits')).size, ...d }, 'http://registered.test');
    joeToken = (await addUser(tdb.db, 'joe')).token;
    annToken = (await addUser(tdb.db, 'ann')).token;
    calexp = (await tdb.db.query<{ id: number; file_bytes: string }>("SELECT id, file_bytes::text FROM vodax.images WHERE kind = 'calexp' AND level = 'L2' ORDER BY id LIMIT 1"))[0]!;
    coadd = (await tdb.db.query<typeof coadd>("SELECT id, footprint, em_min, em_max, ra, dec FROM vodax.images WHERE kind = 'deepCoadd' ORDER BY id LIMIT 1"))[0]!;
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    engine = new JobEngine(engineOptions(tdb.db, dataDir, { kinds: [tapJobKind({ config, db: tdb.db, catalogs: new CatalogCache(tdb.db) })] }));
    await engine.start();
    root = await listen({});
    publicRoot = await listen({ PUBLIC_URL: 'https://public.example/vodax' });
  });
  after(async () => {
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
    await engine?.stop(1000);
    await tdb?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const links = (q: string, headers: Record<string, string> = {}) => send(`${root}/image/v0/datalink/links?${q}`, { headers });

  it('a calexp: #this FITS and HDF5, #preview, #cutout, mask and variance as #auxiliary, at the request\'s host', async () => {
    const res = await links(linksQuery(did(calexp.id)), { host: 'dl.example:8443' });
    expect(res.status, res.text).to.equal(200);
    expect(res.type).to.equal('application/x-votable+xml;content=datalink');
    const url = `http://dl.example:8443/image/v0/L2/DR1/calexp/${calexp.id}`;
    expect(rowsOf(res.text).map((r) => [r.ID, r.semantics, r.access_url, r.service_def, r.content_type])).to.deep.equal([
      [did(calexp.id), '#this', url, null, 'image/fits'],
      [did(calexp.id), '#this', `${url}?format=hdf5`, null, 'application/x-hdf5'],
      [did(calexp.id), '#preview', `${url}?format=png`, null, 'image/png'],
      [did(calexp.id), '#cutout', null, `soda-${calexp.id}`, 'image/fits'],
      [did(calexp.id), '#auxiliary', `${url}?plane=mask`, null, 'image/fits'],
      [did(calexp.id), '#auxiliary', `${url}?plane=variance`, null, 'image/fits'],
    ]);
    expect(res.text).to.include(`<PARAM name="accessURL" datatype="char" arraysize="*" ucd="meta.ref.url" value="http://dl.example:8443/image/v0/soda/sync"/>`);
  });

  it('following the links: #this is the FITS file (content_length exact), the planes, the preview PNG, the HDF5', async () => {
    const rows = rowsOf((await links(linksQuery(did(calexp.id)))).text);
    const [fits, hdf5, png, , mask, variance] = rows;
    const whole = await send(fits!.access_url!);
    expect(whole.status).to.equal(200);
    expect(whole.type).to.equal('image/fits');
    expect(whole.body.subarray(0, 30).toString('latin1')).to.match(/^SIMPLE  =                    T/);
    expect(whole.body.length).to.equal(Number(fits!.content_length)).and.to.equal(Number(calexp.file_bytes));
    // An empty primary HDU, then the three planes.
    expect(whole.body.toString('latin1').match(/XTENSION= 'IMAGE   '/g)).to.have.length(3);
    expect(whole.body.toString('latin1').match(/EXTNAME = '(\w+)/g)!.map((e) => e.slice(11))).to.include.members(['MASK', 'VARIANCE']);
    for (const [row, extname] of [[mask, 'MASK'], [variance, 'VARIANCE']] as const) {
      const plane = await send(row!.access_url!);
      expect(plane.status).to.equal(200);
      expect(plane.body.length).to.equal(Number(row!.content_length));
      expect(plane.body.toString('latin1')).to.match(new RegExp(`EXTNAME = '${extname}`));
    }
    const preview = await send(png!.access_url!);
    expect(preview.type).to.equal('image/png');
    expect(preview.body.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
    const h5 = await send(hdf5!.access_url!);
    expect(h5.type).to.equal('application/x-hdf5');
    expect(h5.body.subarray(0, 8).toString('hex')).to.equal('894844460d0a1a0a');
  });

  it('a coadd: its SODA descriptor carries the footprint, a covering circle and the band', async function () {
    const res = await links(linksQuery(did(coadd.id)));
    expect(rowsOf(res.text).map((r) => r.semantics)).to.deep.equal(['#this', '#this', '#preview', '#cutout', '#auxiliary', '#auxiliary']);
    if (pyvoMissing()) this.skip();
    const read = readLinks(res.text);
    expect(read.descriptors).to.have.length(1);
    const inputs = read.descriptors[0]!.inputs;
    expect(inputs.POLYGON!.max).to.deep.equal(coadd.footprint.map(Number));
    const [ra, dec, r] = inputs.CIRCLE!.max!;
    expect([ra, dec]).to.deep.equal([coadd.ra, coadd.dec]);
    const RAD = Math.PI / 180;
    for (let k = 0; k < 8; k += 2) {
      const cos = Math.sin(dec! * RAD) * Math.sin(coadd.footprint[k + 1]! * RAD) + Math.cos(dec! * RAD) * Math.cos(coadd.footprint[k + 1]! * RAD) * Math.cos((ra! - coadd.footprint[k]!) * RAD);
      expect(Math.acos(Math.min(1, cos)) / RAD).to.be.at.most(r! + 1e-9);
    }
    expect([inputs.BAND!.min, inputs.BAND!.max]).to.deep.equal([[coadd.em_min], [coadd.em_max]]);
  });

  it('several IDs (GET or POST): their rows in order, a repeated ID once; unknown and malformed IDs as NotFoundFault rows', async () => {
    const ids = [did(coadd.id), 'ivo://vodax/image?999999', did(calexp.id), 'not an id', did(coadd.id), '../../etc/passwd'];
    const get = await links(linksQuery(...ids));
    const post = await send(`${root}/image/v0/datalink/links`, { form: { ID: ids } });
    expect(post.status).to.equal(200);
    expect(post.text).to.equal(get.text);
    const rows = rowsOf(get.text);
    expect(rows.map((r) => r.ID).filter((v, i, a) => a.indexOf(v) === i)).to.deep.equal([did(coadd.id), 'ivo://vodax/image?999999', did(calexp.id), 'not an id', '../../etc/passwd']);
    expect(rows).to.have.length(6 + 1 + 6 + 1 + 1);
    const errors = rows.filter((r) => r.error_message !== null);
    expect(errors.map((r) => [r.ID, r.semantics, r.access_url, r.service_def, r.content_type])).to.deep.equal([
      ['ivo://vodax/image?999999', '#this', null, null, null],
      ['not an id', '#this', null, null, null],
      ['../../etc/passwd', '#this', null, null, null],
    ]);
    expect(errors.every((r) => r.error_message!.startsWith('NotFoundFault: '))).to.equal(true);
    expect(get.text.match(/<RESOURCE type="meta" utype="adhoc:service"/g)).to.have.length(2);
  });

  it('another user\'s L3 image is exactly as unknown as one that does not exist; its owner sees its links', async () => {
    const missing = 999_998;
    for (const headers of [{}, { authorization: `Bearer ${annToken}` }] as Record<string, string>[]) {
      const res = await links(linksQuery(did(l3), did(missing)), headers);
      expect(res.status).to.equal(200);
      const [priv, none] = rowsOf(res.text);
      expect(priv!.error_message).to.equal(none!.error_message!.replace(String(missing), String(l3)));
      expect({ ...priv, ID: null, error_message: null }).to.deep.equal({ ...none, ID: null, error_message: null });
      expect(res.text).not.to.match(/L3|joesecret|secret\.fits|joe/);
      expect(res.text).not.to.include('adhoc:service');
    }
    const mine = await links(linksQuery(did(l3)), { authorization: `Bearer ${joeToken}` });
    const rows = rowsOf(mine.text);
    expect(rows.map((r) => r.semantics)).to.deep.equal(['#this', '#this', '#preview', '#cutout', '#auxiliary', '#auxiliary']);
    expect(rows[0]!.access_url).to.match(new RegExp(`/image/v0/L3/joesecret/calexp/${l3}$`));
    // The link works for its owner only.
    expect((await send(rows[0]!.access_url!, { headers: { authorization: `Bearer ${joeToken}` } })).status).to.equal(200);
    expect((await send(rows[0]!.access_url!)).status).to.equal(404);
  });

  it('usage errors are DALI error documents (400): no ID, a RESPONSEFORMAT other than VOTable, a bad MAXREC', async () => {
    for (const [q, says] of [
      ['', /UsageFault: parameter ID is missing/],
      ['MAXREC=3', /UsageFault: parameter ID is missing/],
      [`${linksQuery(did(calexp.id))}&RESPONSEFORMAT=csv`, /UsageFault: RESPONSEFORMAT 'csv'/],
      [`${linksQuery(did(calexp.id))}&RESPONSEFORMAT=application/json`, /RESPONSEFORMAT/],
      [`${linksQuery(did(calexp.id))}&MAXREC=-1`, /UsageFault: MAXREC/],
      [`${linksQuery(did(calexp.id))}&MAXREC=lots`, /UsageFault: MAXREC/],
    ] as const) {
      const res = await links(q);
      expect(res.status, q).to.equal(400);
      expect(res.type, q).to.match(/^application\/x-votable\+xml/);
      expect(res.text, q).to.match(/<INFO name="QUERY_STATUS" value="ERROR">/).and.to.match(says);
    }
    for (const f of ['votable', 'application/x-votable+xml', 'application/x-votable+xml;content=datalink']) {
      expect((await links(`${linksQuery(did(calexp.id))}&RESPONSEFORMAT=${encodeURIComponent(f)}`)).status, f).to.equal(200);
    }
  });

  it('MAXREC never cuts the rows of one ID: it stops before the ID that would pass it and flags overflow', async () => {
    const two = linksQuery(did(calexp.id), did(coadd.id));
    const cut = await links(`${two}&MAXREC=7`);
    expect(rowsOf(cut.text).map((r) => r.ID)).to.deep.equal(Array(6).fill(did(calexp.id)));
    expect(cut.text).to.include('<INFO name="QUERY_STATUS" value="OVERFLOW"/>');
    const none = await links(`${two}&MAXREC=0`);
    expect(rowsOf(none.text)).to.have.length(0);
    expect(none.text).to.include('value="OVERFLOW"');
    const all = await links(`${two}&MAXREC=12`);
    expect(rowsOf(all.text)).to.have.length(12);
    expect(all.text).not.to.include('OVERFLOW');
  });

  it('with PUBLIC_URL set, every link starts with it', async () => {
    const res = await send(`${publicRoot}/image/v0/datalink/links?${linksQuery(did(calexp.id))}`, { headers: { host: 'ignored.example' } });
    const urls = [...res.text.matchAll(/https?:\/\/[^<"]+/g)].map((m) => m[0]).filter((u) => !u.startsWith('http://www.ivoa.net'));
    expect(urls.length).to.be.greaterThan(5);
    for (const u of urls) expect(u).to.match(/^https:\/\/public\.example\/vodax\/image\/v0\//);
  });

  describe('ivoa.obscore.access_url', () => {
    const dl = (base: string, id: number) => `${base}/image/v0/datalink/links?ID=${encodeURIComponent(did(id))}`;
    const adql = () => `SELECT obs_publisher_did, access_url, access_format FROM ivoa.obscore WHERE obs_publisher_did = '${did(calexp.id)}'`;

    it('TAP sync answers the DataLink URL at the request\'s host, in every format', async () => {
      for (const format of ['votable', 'csv', 'tsv', 'json', 'html', 'fits']) {
        const res = await send(`${root}/db/v0/tap/sync`, { headers: { host: 'tap.example:9000' }, form: { LANG: 'ADQL', QUERY: adql(), RESPONSEFORMAT: format } });
        expect(res.status, res.text).to.equal(200);
        expect(res.body.toString('latin1'), format).to.include(dl('http://tap.example:9000', calexp.id).replace(/&/g, format === 'html' || format === 'votable' ? '&amp;' : '&'));
        expect(res.body.toString('latin1'), format).to.include('application/x-votable+xml;content=datalink');
      }
      // BINARY2: strings are raw bytes inside the base64 stream.
      const b2 = await send(`${root}/db/v0/tap/sync`, { headers: { host: 'tap.example:9000' }, form: { LANG: 'ADQL', QUERY: adql(), RESPONSEFORMAT: 'votable/b2' } });
      const stream = Buffer.from(/<STREAM encoding="base64">([\s\S]*?)<\/STREAM>/.exec(b2.text)![1]!.replace(/\s+/g, ''), 'base64').toString('latin1');
      expect(stream).to.include(dl('http://tap.example:9000', calexp.id));
    });

    it('the COPY fast paths (TABLEDATA, BINARY2, CSV) carry the base URL they are given', async () => {
      const catalog = await new CatalogCache(tdb.db).get({ user: null });
      const q = prepareQuery(catalog, 'SELECT a.access_url FROM ivoa.obscore AS a CROSS JOIN ivoa.obscore AS b', 100_000);
      // The text paths run on PostgreSQL 16+ only (result-stream.ts); BINARY2's on every version.
      const text16 = (await tdb.db.serverVersion()) >= 160000;
      for (const writer of text16 ? [votableWriter, votableBinary2Writer, csvWriter] : [votableBinary2Writer]) {
        // minRowsPlanned 0: every fast path is taken whatever the planner estimates of this small table.
        const body = await fastDocumentStream(tdb.db, q, writer, { timeoutMs: 60_000, requestDate: new Date(), viewer: null, baseUrl: 'https://fast.example' }, 0);
        expect(body, writer.name).to.not.equal(null);
        const chunks: Buffer[] = [];
        for await (const c of body!) chunks.push(c);
        let text = Buffer.concat(chunks).toString('latin1');
        if (writer === votableBinary2Writer) text = Buffer.from(/<STREAM encoding="base64">([\s\S]*?)<\/STREAM>/.exec(text)![1]!.replace(/\s+/g, ''), 'base64').toString('latin1');
        expect(text, writer.name).to.include(dl('https://fast.example', calexp.id).replace(/&/g, writer === votableWriter ? '&amp;' : '&'));
        expect(text, writer.name).not.to.include('registered.test');
      }
    });

    it('with PUBLIC_URL set, TAP answers it whatever the Host header', async () => {
      const res = await send(`${publicRoot}/db/v0/tap/sync`, { headers: { host: 'other.example' }, form: { LANG: 'ADQL', QUERY: adql(), RESPONSEFORMAT: 'csv' } });
      expect(res.text.trim().split(/\r?\n/)[1]).to.equal(`${did(calexp.id)},${dl('https://public.example/vodax', calexp.id)},application/x-votable+xml;content=datalink`);
    });

    it('TAP async: the result carries the base URL of the submission', async () => {
      const res = await send(`${root}/db/v0/tap/async`, { headers: { host: 'submit.example:7000' }, form: { LANG: 'ADQL', QUERY: adql(), RESPONSEFORMAT: 'csv', PHASE: 'RUN' } });
      expect(res.status, res.text).to.equal(303);
      const id = res.location!.slice(res.location!.lastIndexOf('/') + 1);
      expect(res.location).to.equal(`http://submit.example:7000/db/v0/tap/async/${id}`);
      expect(await untilPhase(engine, id, ['COMPLETED', 'ERROR', 'ABORTED'])).to.equal('COMPLETED');
      const result = await send(`${root}/db/v0/tap/async/${id}/results/result`, { headers: { host: 'later.example' } });
      expect(result.text.trim().split(/\r?\n/)[1]).to.equal(`${did(calexp.id)},${dl('http://submit.example:7000', calexp.id)},application/x-votable+xml;content=datalink`);
    });

    it('SIA results carry the same access_url and access_format', async () => {
      const q = `ID=${encodeURIComponent(did(calexp.id))}&RESPONSEFORMAT=csv`;
      const at = await send(`${root}/image/v0/sia/query?${q}`, { headers: { host: 'sia.example' } });
      expect(at.status, at.text).to.equal(200);
      expect(at.text).to.include(`,${dl('http://sia.example', calexp.id)},application/x-votable+xml;content=datalink,`);
      const pub = await send(`${publicRoot}/image/v0/sia/query?${q}`);
      expect(pub.text).to.include(`,${dl('https://public.example/vodax', calexp.id)},application/x-votable+xml;content=datalink,`);
      // Following it gives this image's links.
      const followed = rowsOf((await links(linksQuery(did(calexp.id)))).text);
      expect(followed[0]!.access_url).to.match(new RegExp(`/image/v0/L2/DR1/calexp/${calexp.id}$`));
    });

    it('a query that sets no base URL (psql, the command line) gets the one the image was registered with', async () => {
      const [row] = await tdb.db.query<{ access_url: string }>(`SELECT access_url FROM ivoa.obscore WHERE obs_publisher_did = $1`, [did(calexp.id)]);
      expect(row!.access_url).to.equal(dl('http://registered.test', calexp.id));
    });
  });
});
