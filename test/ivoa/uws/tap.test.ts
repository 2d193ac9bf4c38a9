/** TAP async end to end: ADQL jobs through the engine, results through the shared serializers. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config.js';
import { JobEngine } from '../../../src/jobs/job-engine.js';
import { tapJobKind } from '../../../src/query/tap-job-kind.js';
import { CatalogCache } from '../../../src/catalog/query-catalog.js';
import { testDatabase } from '../../support/database.js';
import { engineOptions, postForm, tapAsyncServer, untilPhase, uwsSchemaProblems } from './support.js';

describe('TAP async jobs', function () {
  this.timeout(30_000);
  let dataDir: string;
  let engine: JobEngine;
  let server: http.Server;
  let base: string;

  before(async () => {
    const { db } = await testDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-uws-tap-'));
    const config = loadConfig({ LOG_FORMAT: 'silent', DATA_DIR: dataDir });
    engine = new JobEngine(engineOptions(db, dataDir, { kinds: [tapJobKind({ config, db, catalogs: new CatalogCache(db) })] }));
    await engine.start();
    ({ server, base } = await tapAsyncServer(engine));
  });
  after(async () => {
    if (server) await new Promise((r) => server.close(r));
    await engine?.stop(1000);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Submit a query with PHASE=RUN and wait for it to finish; answers the job URL and its final phase. */
  const runQuery = async (form: Record<string, string>) => {
    const res = await postForm(base, { LANG: 'ADQL', PHASE: 'RUN', ...form });
    expect(res.status).to.equal(303);
    const url = res.headers.get('location')!;
    const phase = await untilPhase(engine, url.slice(url.lastIndexOf('/') + 1), ['COMPLETED', 'ERROR', 'ABORTED']);
    return { url, phase };
  };

  it('runs an ADQL query to a VOTable result file, with MAXREC overflow marked', async () => {
    const { url, phase } = await runQuery({ QUERY: 'SELECT table_name FROM TAP_SCHEMA.tables ORDER BY table_name', MAXREC: '2' });
    expect(phase).to.equal('COMPLETED');
    const xml = await (await fetch(url)).text();
    expect(await uwsSchemaProblems(xml)).to.equal('');
    expect(xml).to.match(/<uws:result id="result" [^>]*mime-type="application\/x-votable\+xml[^"]*" size="\d+"\/>/);
    const res = await fetch(`${url}/results/result`);
    expect(res.headers.get('content-type')).to.match(/^application\/x-votable\+xml/);
    const votable = await res.text();
    expect(votable.match(/<TR>/g)?.length).to.equal(2);
    expect(votable).to.match(/<INFO name="QUERY_STATUS" value="OVERFLOW"/);
  });

  it('writes the RESPONSEFORMAT asked for', async () => {
    const { url, phase } = await runQuery({ QUERY: "SELECT schema_name FROM TAP_SCHEMA.schemas WHERE schema_name = 'TAP_SCHEMA'", RESPONSEFORMAT: 'csv' });
    expect(phase).to.equal('COMPLETED');
    const res = await fetch(`${url}/results/result`);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    expect((await res.text()).trim().split(/\r?\n/)).to.deep.equal(['schema_name', 'TAP_SCHEMA']);
  });

  it('a bad query ends in ERROR; /error is a DALI error document', async () => {
    const { url, phase } = await runQuery({ QUERY: 'SELECT nothing FROM no_such_table' });
    expect(phase).to.equal('ERROR');
    const xml = await (await fetch(url)).text();
    expect(xml).to.match(/<uws:errorSummary type="fatal" hasDetail="true"><uws:message>[^<]*no_such_table[^<]*<\/uws:message>/);
    const err = await fetch(`${url}/error`);
    expect(err.headers.get('content-type')).to.match(/^application\/x-votable\+xml/);
    expect(await err.text()).to.match(/<INFO name="QUERY_STATUS" value="ERROR">[^<]*no_such_table/);
  });

  it('accepts a job with bad parameters (TAP: 303), then ends it in ERROR saying what is wrong', async () => {
    for (const [form, pattern] of [
      [{ QUERY: 'SELECT 1 AS one FROM TAP_SCHEMA.schemas', MAXREC: 'many' }, /MAXREC/],
      [{ QUERY: 'SELECT 1 AS one FROM TAP_SCHEMA.schemas', LANG: 'PQL' }, /LANG/],
    ] as const) {
      const { url, phase } = await runQuery(form);
      expect(phase).to.equal('ERROR');
      expect(await (await fetch(`${url}/error`)).text()).to.match(pattern);
    }
  });
});
