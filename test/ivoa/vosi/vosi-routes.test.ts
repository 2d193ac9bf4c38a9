import { expect } from 'chai';
import { testServer, type TestServer } from '../../support/server.js';

describe('TAP VOSI: tables, availability, capabilities', () => {
  let srv: TestServer;
  before(async () => {
    srv = await testServer();
  });
  after(() => srv.close());

  it('lists every visible schema and table with columns, flags and foreign keys', async () => {
    const res = await fetch(`${srv.url}/db/v0/tap/tables`);
    expect(res.headers.get('content-type')).to.match(/xml/);
    const xml = await res.text();
    expect(xml).to.match(/<vosi:tableset /);
    expect(xml).to.include('<name>DC_W13_Stripe82.Object</name>');
    expect(xml).to.include('<name>TAP_SCHEMA.columns</name>');
    expect(xml).to.match(/<column[^>]*><name>ra<\/name>.*?<unit>deg<\/unit><ucd>pos\.eq\.ra;meta\.main<\/ucd>/s);
    expect(xml).to.match(/<foreignKey><targetTable>DC_W13_Stripe82\.Object<\/targetTable><fkColumn><fromColumn>objectId<\/fromColumn>/);
    expect(xml).not.to.include('joe_myDb');
    expect(xml).not.to.include('vodax_hpx');
  });

  it('answers detail=min without columns, one table by name, and 404 for an unknown one', async () => {
    const min = await (await fetch(`${srv.url}/db/v0/tap/tables?detail=min`)).text();
    expect(min).to.include('<name>DC_W13_Stripe82.Source</name>');
    expect(min).not.to.include('<column');
    const one = await (await fetch(`${srv.url}/db/v0/tap/tables/DC_W13_Stripe82.Source`)).text();
    expect(one).to.match(/^<\?xml[^>]*>\s*<vosi:table /);
    expect(one).to.include('<name>scienceCcdExposureId</name>');
    expect((await fetch(`${srv.url}/db/v0/tap/tables/No.Such`)).status).to.equal(404);
    expect((await fetch(`${srv.url}/db/v0/tap/tables/joe_myDb.MyObjects`)).status).to.equal(404);
  });

  it('tells the truth about availability', async () => {
    const xml = await (await fetch(`${srv.url}/db/v0/tap/availability`)).text();
    expect(xml).to.include('<vosi:available>true</vosi:available>');
  });

  it('declares TAP 1.1 with ADQL 2.0 and 2.1, the output formats, limits and the VOSI endpoints', async () => {
    const xml = await (await fetch(`${srv.url}/db/v0/tap/capabilities`)).text();
    expect(xml).to.match(/standardID="ivo:\/\/ivoa\.net\/std\/TAP" xsi:type="tr:TableAccess"/);
    expect(xml).to.include(`<accessURL use="base">${srv.url}/db/v0/tap</accessURL>`);
    expect(xml).to.include('ivo://ivoa.net/std/ADQL#v2.1');
    expect(xml).to.include('<mime>text/csv;header=present</mime>');
    expect(xml).to.include('ivo://ivoa.net/std/TAPRegExt#output-votable-binary2');
    expect(xml).to.include('<form>CONTAINS</form>');
    expect(xml).to.match(/<hard unit="row">\d+<\/hard>/);
    for (const id of ['VOSI#capabilities', 'VOSI#availability', 'VOSI#tables-1.1', 'DALI#examples']) expect(xml).to.include(`ivo://ivoa.net/std/${id}`);
  });

  it('names the SIA 2.0 service of the same server, at an address that answers an SIA query', async () => {
    const xml = await (await fetch(`${srv.url}/db/v0/tap/capabilities`)).text();
    const m = /<capability standardID="ivo:\/\/ivoa\.net\/std\/SIA#query-2\.0">[\s\S]*?<accessURL use="base">([^<]+)<\/accessURL>/.exec(xml);
    expect(m?.[1]).to.equal(`${srv.url}/image/v0/sia/query`);
    const res = await fetch(`${m![1]}?MAXREC=1`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.include('obs_publisher_did');
  });

  it('names DataLink and SODA (sync and async) of the same server, each answering at its address', async () => {
    const xml = await (await fetch(`${srv.url}/db/v0/tap/capabilities`)).text();
    const urlOf = (id: string) => new RegExp(`<capability standardID="${id.replace(/[.#/?]/g, '\\$&')}">[\\s\\S]*?<accessURL use="base">([^<]+)</accessURL>`).exec(xml)?.[1];
    expect(urlOf('ivo://ivoa.net/std/DataLink#links-1.1')).to.equal(`${srv.url}/image/v0/datalink/links`);
    expect(urlOf('ivo://ivoa.net/std/SODA#sync-1.0')).to.equal(`${srv.url}/image/v0/soda/sync`);
    expect(urlOf('ivo://ivoa.net/std/SODA#async-1.0')).to.equal(`${srv.url}/image/v0/soda/async`);
    // Without ID both answer a DALI usage error, not a 404: the services are there.
    expect((await fetch(`${srv.url}/image/v0/datalink/links`)).status).to.equal(400);
    expect((await fetch(`${srv.url}/image/v0/soda/sync`)).status).to.equal(400);
  });
});
