/**
 * The {links} document builder as a pure unit: the rows of an image, the SODA descriptor with its
 * ranges, error rows, MAXREC overflow, escaping; read back by astropy and pyvo as clients read it.
 */
import { expect } from 'chai';
import { coveringCircle, errorLink, imageLinks, linksVotable, type LinkedImage, type LinksDocument } from '../../../src/ivoa/datalink/links-document.js';
import { pyvoMissing, readLinks } from './read-links.js';

const BASE = 'https://dl.example/vodax';
const SODA = `${BASE}/image/v0/soda/sync`;

/** A calexp near RA 0 (its footprint crosses it), with three planes. */
const calexp: LinkedImage = {
  did: 'ivo://vodax/image?7',
  id: 7,
  level: 'L2',
  collection: 'DR1',
  kind: 'calexp',
  planes: ['data', 'mask', 'variance'],
  fitsBytes: 9169920,
  planeBytes: { mask: 3058560, variance: 3058560 },
  ra: 0.01,
  dec: -0.02,
  footprint: [359.95, -0.07, 359.95, 0.03, 0.07, 0.03, 0.07, -0.07],
  emMin: 5.5e-7,
  emMax: 6.9e-7,
};

/** A coadd with its data plane only and no band: no #auxiliary rows, BAND without VALUES. */
const bare: LinkedImage = { ...calexp, did: 'ivo://vodax/image?41', id: 41, kind: 'deepCoadd', planes: ['data'], planeBytes: {}, emMin: null, emMax: null };

const RAD = Math.PI / 180;
function separation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const c = Math.sin(dec1 * RAD) * Math.sin(dec2 * RAD) + Math.cos(dec1 * RAD) * Math.cos(dec2 * RAD) * Math.cos((ra1 - ra2) * RAD);
  return Math.acos(Math.min(1, c)) / RAD;
}

describe('DataLink {links} document', () => {
  it('an image gives #this (FITS, HDF5), #preview, #cutout and one #auxiliary per extra plane', () => {
    const { rows, descriptor } = imageLinks(BASE, SODA, calexp);
    const url = `${BASE}/image/v0/L2/DR1/calexp/7`;
    expect(rows.map((r) => [r.semantics, r.access_url, r.service_def, r.content_type, r.content_length, r.local_semantics])).to.deep.equal([
      ['#this', url, null, 'image/fits', 9169920, 'fits'],
      ['#this', `${url}?format=hdf5`, null, 'application/x-hdf5', null, 'hdf5'],
      ['#preview', `${url}?format=png`, null, 'image/png', null, 'png'],
      ['#cutout', null, 'soda-7', 'image/fits', null, 'soda'],
      ['#auxiliary', `${url}?plane=mask`, null, 'image/fits', 3058560, 'mask'],
      ['#auxiliary', `${url}?plane=variance`, null, 'image/fits', 3058560, 'variance'],
    ]);
    expect(rows.every((r) => r.ID === calexp.did && r.error_message === null && r.description)).to.equal(true);
    expect(descriptor).to.include({ xmlId: 'soda-7', accessUrl: SODA, did: calexp.did });
    expect(descriptor.polygon).to.deep.equal(calexp.footprint);
    expect(descriptor.band).to.deep.equal([5.5e-7, 6.9e-7]);
    expect(imageLinks(BASE, SODA, bare).rows.map((r) => r.semantics)).to.deep.equal(['#this', '#this', '#preview', '#cutout']);
  });

  it('the covering circle is centred on the image and reaches exactly its farthest corner', () => {
    const [ra, dec, r] = coveringCircle(calexp);
    expect([ra, dec]).to.deep.equal([0.01, -0.02]);
    const corners = [0, 2, 4, 6].map((k) => separation(ra, dec, calexp.footprint[k]!, calexp.footprint[k + 1]!));
    expect(r).to.be.closeTo(Math.max(...corners), 1e-9);
    // Across RA 0 the corners at 359.95 are 0.06 degrees away in RA, not 359.94.
    expect(r).to.be.below(0.1);
  });

  describe('read by astropy (warnings as errors) and pyvo', function () {
    before(function () {
      const why = pyvoMissing();
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
    });

    const doc = (over: Partial<LinksDocument> = {}): LinksDocument => {
      const a = imageLinks(BASE, SODA, calexp);
      const b = imageLinks(BASE, SODA, bare);
      return { rows: [...a.rows, errorLink('ivo://vodax/image?<&">', 'NotFoundFault: no dataset ivo://vodax/image?<&">'), ...b.rows], descriptors: [a.descriptor, b.descriptor], overflow: false, ...over };
    };

    it('the DataLink 1.1 columns, names, types and UCDs; the standardID INFO', () => {
      const out = readLinks(linksVotable(doc()));
      expect(out.resourceType).to.equal('results');
      expect(out.infos).to.deep.equal([['QUERY_STATUS', 'OK'], ['standardID', 'ivo://ivoa.net/std/DataLink#links-1.1']]);
      expect(out.fields.map((f) => [f.name, f.datatype, f.ucd])).to.deep.equal([
        ['ID', 'char', 'meta.id;meta.main'],
        ['access_url', 'char', 'meta.ref.url'],
        ['service_def', 'char', 'meta.ref'],
        ['error_message', 'char', 'meta.code.error'],
        ['semantics', 'char', 'meta.code'],
        ['description', 'char', 'meta.note'],
        ['content_type', 'char', 'meta.code.mime'],
        ['content_length', 'long', 'phys.size;meta.file'],
        ['content_qualifier', 'char', 'meta.code.class'],
        ['local_semantics', 'char', 'meta.id.assoc'],
      ]);
      expect(out.fields.find((f) => f.name === 'content_length')!.unit).to.equal('byte');
    });

    it('every row has exactly one of access_url, service_def, error_message; the error row escaped and otherwise empty', () => {
      const out = readLinks(linksVotable(doc()));
      expect(out.rows).to.have.length(11);
      for (const r of out.rows) expect([r.access_url, r.service_def, r.error_message].filter((v) => v !== null), JSON.stringify(r)).to.have.length(1);
      const err = out.rows[6]!;
      expect(err).to.deep.equal({
        ID: 'ivo://vodax/image?<&">', access_url: null, service_def: null, error_message: 'NotFoundFault: no dataset ivo://vodax/image?<&">',
        semantics: '#this', description: null, content_type: null, content_length: null, content_qualifier: null, local_semantics: null,
      });
      expect(out.rows[0]!.content_length).to.equal(9169920);
    });

    it('one SODA sync descriptor per image, with the CIRCLE, POLYGON and BAND ranges of SODA 1.0 section 4.2', () => {
      const out = readLinks(linksVotable(doc()));
      expect(out.descriptors.map((d) => [d.type, d.utype, d.ID, d.params.standardID, d.params.accessURL])).to.deep.equal([
        ['meta', 'adhoc:service', 'soda-7', 'ivo://ivoa.net/std/SODA#sync-1.0', SODA],
        ['meta', 'adhoc:service', 'soda-41', 'ivo://ivoa.net/std/SODA#sync-1.0', SODA],
      ]);
      const inputs = out.descriptors[0]!.inputs;
      expect(Object.keys(inputs)).to.deep.equal(['ID', 'CIRCLE', 'POLYGON', 'POS', 'BAND', 'RESPONSEFORMAT']);
      expect(inputs.ID).to.include({ ref: 'ID', ucd: 'meta.ref.url;meta.curation' });
      expect(out.fields[0]!.ID).to.equal('ID');
      expect(inputs.CIRCLE).to.include({ xtype: 'circle', unit: 'deg', ucd: 'pos.outline;obs', datatype: 'double', arraysize: '3' });
      expect(inputs.CIRCLE!.max).to.deep.equal(coveringCircle(calexp));
      expect(inputs.POLYGON).to.include({ xtype: 'polygon', unit: 'deg', arraysize: '*' });
      expect(inputs.POLYGON!.max).to.deep.equal(calexp.footprint);
      expect(inputs.POS).to.include({ ucd: 'pos.outline;obs', datatype: 'char' });
      expect(inputs.BAND).to.include({ xtype: 'interval', unit: 'm', ucd: 'em.wl;stat.interval', arraysize: '2' });
      expect([inputs.BAND!.min, inputs.BAND!.max]).to.deep.equal([[5.5e-7], [6.9e-7]]);
      expect(inputs.RESPONSEFORMAT!.options).to.deep.equal(['image/fits', 'image/png', 'image/jpeg', 'application/x-hdf5']);
      // No band known: BAND is still offered, without a range.
      expect(out.descriptors[1]!.inputs.BAND!.max ?? null).to.equal(null);
    });

    it('pyvo calls SODA with the #cutout row\'s own ID and the circle it is given', () => {
      const out = readLinks(linksVotable(doc()));
      expect(out.sodaCalls.map((c) => [c.ID, c.url, c.params.ID])).to.deep.equal([
        [calexp.did, SODA, calexp.did],
        [bare.did, SODA, bare.did],
      ]);
      expect(out.sodaCalls[0]!.params.CIRCLE!.split(' ').map(Number)[2]).to.be.closeTo(coveringCircle(calexp)[2] / 2, 1e-12);
    });

    it('an overflow (MAXREC) is flagged after the table, as DALI says', () => {
      const xml = linksVotable(doc({ overflow: true }));
      expect(xml).to.match(/<\/TABLE>\n<INFO name="QUERY_STATUS" value="OVERFLOW"\/>\n<\/RESOURCE>/);
      expect(readLinks(xml).rows).to.have.length(11);
    });
  });
});
