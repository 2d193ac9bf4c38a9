import { expect } from 'chai';
import { SaxesParser } from 'saxes';
import { availabilityXml } from '../../../src/ivoa/vosi/availability-document.js';
import { tapCapabilitiesXml } from '../../../src/ivoa/vosi/capabilities-document.js';
import { tablesetXml } from '../../../src/ivoa/vosi/tableset-document.js';
import { loadConfig } from '../../../src/config.js';

/** Element names and their text, in document order; throws when the XML is not well formed. */
function elements(xml: string): Array<{ name: string; attributes: Record<string, string>; text: string }> {
  const out: Array<{ name: string; attributes: Record<string, string>; text: string }> = [];
  const open: number[] = [];
  const parser = new SaxesParser();
  parser.on('opentag', (t) => {
    open.push(out.length);
    out.push({ name: t.name, attributes: t.attributes as Record<string, string>, text: '' });
  });
  parser.on('text', (t) => {
    if (open.length) out[open[open.length - 1]!]!.text += t;
  });
  parser.on('closetag', () => void open.pop());
  parser.write(xml).close();
  return out;
}

describe('VOSI documents (pure)', () => {
  it('availability says whether the service is up, since when, and why', () => {
    const upSince = new Date('2026-12-03T10:00:00Z');
    const up = elements(availabilityXml({ available: true, note: 'accepting <queries> & jobs', upSince }));
    expect(up.find((e) => e.name === 'vosi:available')?.text).to.equal('true');
    expect(up.find((e) => e.name === 'vosi:upSince')?.text).to.match(/^2026-12-03T10:00:00/);
    expect(up.find((e) => e.name === 'vosi:note')?.text).to.equal('accepting <queries> & jobs');
    const down = elements(availabilityXml({ available: false, note: 'the database does not answer', upSince }));
    expect(down.find((e) => e.name === 'vosi:available')?.text).to.equal('false');
  });

  it('capabilities name TAP, its interfaces under the base URL, the declared functions and the limits', () => {
    const limits = loadConfig({ LOG_FORMAT: 'silent' }).limits;
    const xml = tapCapabilitiesXml({ base: 'https://example.org/db/v0/tap', limits, udfs: [{ form: 'ivo_hasword(a VARCHAR, b VARCHAR) -> INTEGER', description: 'a & b' }], securityMethods: [null, 'ivo://ivoa.net/sso#token'] });
    const els = elements(xml);
    const ids = els.filter((e) => e.name === 'capability').map((e) => e.attributes.standardID);
    expect(ids).to.include.members(['ivo://ivoa.net/std/TAP', 'ivo://ivoa.net/std/VOSI#capabilities', 'ivo://ivoa.net/std/VOSI#availability', 'ivo://ivoa.net/std/VOSI#tables-1.1', 'ivo://ivoa.net/std/DALI#examples']);
    expect(els.filter((e) => e.name === 'accessURL').map((e) => e.text.trim())).to.include('https://example.org/db/v0/tap');
    expect(els.find((e) => e.name === 'form' && e.text.startsWith('ivo_hasword'))).to.not.equal(undefined);
    expect(els.find((e) => e.name === 'description' && e.text === 'a & b')).to.not.equal(undefined);
    expect(els.filter((e) => e.name === 'securityMethod').map((e) => e.attributes.standardID ?? null)).to.include.members([null, 'ivo://ivoa.net/sso#token']);
    expect(els.find((e) => e.name === 'outputLimit')).to.not.equal(undefined);
  });

  it('capabilities name the companion services (SIA) with their own access URLs, each once', () => {
    const limits = loadConfig({ LOG_FORMAT: 'silent' }).limits;
    const xml = tapCapabilitiesXml({
      base: 'https://example.org/db/v0/tap',
      limits,
      udfs: [],
      securityMethods: [null],
      companions: [{ standardID: 'ivo://ivoa.net/std/SIA#query-2.0', accessUrl: 'https://example.org/image/v0/sia/query?a&b', version: '2.0' }],
    });
    const els = elements(xml);
    const sia = els.filter((e) => e.name === 'capability' && e.attributes.standardID === 'ivo://ivoa.net/std/SIA#query-2.0');
    expect(sia).to.have.length(1);
    expect(els.filter((e) => e.name === 'accessURL').map((e) => e.text.trim())).to.include('https://example.org/image/v0/sia/query?a&b');
    const without = tapCapabilitiesXml({ base: 'https://example.org/db/v0/tap', limits, udfs: [], securityMethods: [null] });
    expect(elements(without).some((e) => e.attributes.standardID === 'ivo://ivoa.net/std/SIA#query-2.0')).to.equal(false);
  });

  it('the tableset lists schemas, tables, columns and foreign keys, escaped', () => {
    const xml = tablesetXml([
      {
        name: 'dr1',
        description: 'release <1>',
        utype: null,
        tables: [
          {
            name: 'dr1.object',
            type: 'table',
            description: 'objects & more',
            utype: null,
            nrows: 42,
            columns: [{ name: 'ra', datatype: 'double', arraysize: null, unit: 'deg', ucd: 'pos.eq.ra;meta.main', description: 'right ascension', utype: null, xtype: null, principal: true, indexed: true, std: false }],
            primaryKey: [],
            foreignKeys: [{ targetTable: 'dr1.source', description: null, columns: [{ from: 'id', target: 'object_id' }] }],
          },
        ],
      },
    ]);
    const els = elements(xml);
    expect(els.filter((e) => e.name === 'name').map((e) => e.text)).to.include.members(['dr1', 'dr1.object', 'ra']);
    expect(els.find((e) => e.name === 'description' && e.text === 'objects & more')).to.not.equal(undefined);
    expect(els.find((e) => e.name === 'unit')?.text).to.equal('deg');
    expect(els.find((e) => e.name === 'targetTable')?.text).to.equal('dr1.source');
  });
});
