/** SIA 2.0 parameters into ADQL over ivoa.obscore: each parameter, open intervals, repeats, errors. */
import { expect } from 'chai';
import { RequestParams } from '../../../src/params/request-params.js';
import { BadRequestError } from '../../../src/errors.js';
import { boundingCircle, parseInterval, siaQuery } from '../../../src/ivoa/sia/sia-parameters.js';

const limits = { defaultMaxrec: 1000, hardMaxrec: 5000 };
const MARGIN = 0.5;

function sia(...pairs: Array<[string, string]>) {
  return siaQuery(RequestParams.fromEntries(pairs), { limits, footprintMargin: MARGIN });
}
function where(...pairs: Array<[string, string]>): string {
  const { adql } = sia(...pairs);
  const at = adql.indexOf(' WHERE ');
  return at < 0 ? '' : adql.slice(at + 7);
}
function failsNaming(name: string, ...pairs: Array<[string, string]>): void {
  expect(() => sia(...pairs)).to.throw(BadRequestError, new RegExp(`parameter ${name}\\b`));
}

describe('SIA 2.0 parameters (sia-parameters)', () => {
  it('with no constraint selects every ObsCore column of ivoa.obscore, VOTable, default MAXREC', () => {
    const q = sia();
    expect(q.adql).to.match(/^SELECT dataproduct_type, .*instrument_name FROM ivoa\.obscore$/);
    expect(q.adql).not.to.contain('vodax_');
    expect(q.maxrec).to.equal(1000);
    expect(q.format.format.name).to.equal('votable');
  });

  it('POS CIRCLE: exact footprint test plus an index cone widened by the margin', () => {
    expect(where(['POS', 'CIRCLE 10 -1 0.25'])).to.equal(
      "(CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 10, -1, 0.75)) = 1 AND INTERSECTS(s_region, CIRCLE('ICRS', 10, -1, 0.25)) = 1)",
    );
  });

  it('POS POLYGON: exact test and a cone around the bounding circle', () => {
    const w = where(['POS', 'POLYGON 10 0 11 0 11 1 10 1']);
    expect(w).to.contain("INTERSECTS(s_region, POLYGON('ICRS', 10, 0, 11, 0, 11, 1, 10, 1)) = 1");
    const m = /CIRCLE\('ICRS', ([\d.e-]+), ([\d.e-]+), ([\d.e-]+)\)\) = 1/.exec(w)!;
    expect(Number(m[1])).to.be.closeTo(10.5, 1e-6);
    expect(Number(m[2])).to.be.closeTo(0.5, 1e-3);
    expect(Number(m[3])).to.be.greaterThan(0.7).and.lessThan(0.5 + 0.75);
  });

  it('POS RANGE: polygons with Dec edges drawn in steps, wrapping through RA 0', () => {
    const w = where(['POS', 'RANGE 359 1 -1 1']);
    expect(w).to.contain('INTERSECTS(s_region, POLYGON(');
    expect(w).to.contain("POLYGON('ICRS', 359, -1, 0, -1, 1, -1, 1, 1, 0, 1, 359, 1)");
    // Wide ranges are cut into pieces, ORed.
    const wide = where(['POS', 'RANGE 0 180 0 10']);
    expect(wide.match(/POLYGON\(/g)).to.have.length(3);
    expect(wide).to.contain(' OR ');
  });

  it('POS RANGE with open ends: the whole sky is no constraint, an RA all round is a Dec band', () => {
    expect(where(['POS', 'RANGE -Inf +Inf -Inf +Inf'])).to.equal('');
    expect(where(['POS', 'RANGE 0 360 -90 90'])).to.equal('');
    const band = where(['POS', 'RANGE -Inf +Inf -1 2']);
    expect(band).to.contain("INTERSECTS(s_region, CIRCLE('ICRS', 0, 90, 91)) = 1");
    expect(band).to.contain("INTERSECTS(s_region, CIRCLE('ICRS', 0, -90, 92)) = 1");
    expect(where(['POS', 'RANGE 0 360 10 +Inf'])).to.contain("CIRCLE('ICRS', 0, 90, 80)");
  });

  it('BAND and TIME: the interval overlaps [min, max]; open ends leave a side out', () => {
    expect(where(['BAND', '4e-7 5e-7'])).to.equal('(em_min <= 5e-7 AND em_max >= 4e-7)');
    expect(where(['BAND', '-Inf 5e-7'])).to.equal('em_min <= 5e-7');
    expect(where(['BAND', '4e-7 +Inf'])).to.equal('em_max >= 4e-7');
    expect(where(['BAND', '-Inf +Inf'])).to.equal('');
    expect(where(['BAND', '4.5e-7'])).to.equal('(em_min <= 4.5e-7 AND em_max >= 4.5e-7)');
    expect(where(['TIME', '55000 55001.5'])).to.equal('(t_min <= 55001.5 AND t_max >= 55000)');
  });

  it('FOV, SPATRES, EXPTIME, TIMERES, SPECRP: the value lies in the interval', () => {
    expect(where(['FOV', '0.1 0.2'])).to.equal('(s_fov >= 0.1 AND s_fov <= 0.2)');
    expect(where(['SPATRES', '-Inf 1.5'])).to.equal('s_resolution <= 1.5');
    expect(where(['EXPTIME', '30 +Inf'])).to.equal('t_exptime >= 30');
    expect(where(['TIMERES', '1 2'])).to.equal('(t_resolution >= 1 AND t_resolution <= 2)');
    expect(where(['SPECRP', '3 4'])).to.equal('(em_res_power >= 3 AND em_res_power <= 4)');
  });

  it('ID, COLLECTION, FACILITY, INSTRUMENT, DPTYPE, TARGET, FORMAT: exact strings, quotes escaped', () => {
    expect(where(['ID', 'ivo://vodax/image?12'])).to.equal("obs_publisher_did = 'ivo://vodax/image?12'");
    expect(where(['COLLECTION', 'DR1'])).to.equal("obs_collection = 'DR1'");
    expect(where(['FACILITY', 'LSST'])).to.equal("facility_name = 'LSST'");
    expect(where(['INSTRUMENT', 'cam'])).to.equal("instrument_name = 'cam'");
    expect(where(['DPTYPE', 'image'])).to.equal("dataproduct_type = 'image'");
    expect(where(['TARGET', "M31' OR 1=1 --"])).to.equal("target_name = 'M31'' OR 1=1 --'");
  });

  it('FORMAT holds for every image in a format its DataLink offers (FITS, HDF5, the document itself), for none in another', () => {
    for (const f of ['image/fits', 'application/fits', 'application/x-hdf5', 'application/x-votable+xml;content=datalink', 'Image/FITS']) expect(where(['FORMAT', f])).to.equal('');
    expect(where(['FORMAT', 'text/plain'])).to.equal("access_format = 'text/plain'");
    expect(where(['FORMAT', 'text/plain'], ['FORMAT', 'image/fits'])).to.equal('');
  });

  it('POL and CALIB', () => {
    expect(where(['POL', 'I'])).to.equal("pol_states LIKE '%/I/%'");
    expect(where(['CALIB', '2'])).to.equal('calib_level = 2');
  });

  it('repeated values are ORed, parameters ANDed; an everywhere-true value makes its parameter vanish', () => {
    expect(where(['CALIB', '2'], ['CALIB', '3'], ['COLLECTION', 'DR1'])).to.equal("(calib_level = 2 OR calib_level = 3) AND obs_collection = 'DR1'");
    const two = where(['POS', 'CIRCLE 10 0 0.1'], ['POS', 'CIRCLE 20 0 0.1']);
    expect(two.startsWith('((CONTAINS')).to.equal(true);
    expect(two).to.contain(' OR ');
    expect(where(['BAND', '-Inf +Inf'], ['BAND', '4e-7 5e-7'])).to.equal('');
    // Names are case-insensitive (DALI).
    expect(where(['collection', 'DR1'])).to.equal("obs_collection = 'DR1'");
  });

  it('MAXREC and RESPONSEFORMAT', () => {
    expect(sia(['MAXREC', '0']).maxrec).to.equal(0);
    expect(sia(['MAXREC', '999999']).maxrec).to.equal(5000);
    expect(sia(['RESPONSEFORMAT', 'csv']).format.format.name).to.equal('csv');
    expect(sia(['RESPONSEFORMAT', 'application/x-votable+xml;serialization=binary2']).format.format.name).to.equal('votable-b2');
  });

  it('bad values are 400s naming the parameter', () => {
    failsNaming('POS', ['POS', 'CIRCLE 10 0']);
    failsNaming('POS', ['POS', 'CIRCLE 10 0 -1']);
    failsNaming('POS', ['POS', 'CIRCLE 400 0 1']);
    failsNaming('POS', ['POS', 'CIRCLE 10 95 1']);
    failsNaming('POS', ['POS', 'CIRCLE 10 0 Inf']);
    failsNaming('POS', ['POS', 'BOX 10 0 1 1']);
    failsNaming('POS', ['POS', 'POLYGON 10 0 11 0']);
    failsNaming('POS', ['POS', 'RANGE 10 20 5 1']);
    failsNaming('POS', ['POS', "CIRCLE 10 0 1') = 1 OR 1=1 --"]);
    failsNaming('BAND', ['BAND', '5e-7 4e-7']);
    failsNaming('BAND', ['BAND', 'red']);
    failsNaming('TIME', ['TIME', '1 2 3']);
    failsNaming('FOV', ['FOV', 'NaN 1']);
    failsNaming('EXPTIME', ['EXPTIME', '1e']);
    failsNaming('POL', ['POL', 'Z']);
    failsNaming('CALIB', ['CALIB', 'two']);
    failsNaming('CALIB', ['CALIB', '9']);
    failsNaming('MAXREC', ['MAXREC', '-1']);
    failsNaming('RESPONSEFORMAT', ['RESPONSEFORMAT', 'word']);
  });

  it('intervals read as DALI writes them', () => {
    expect(parseInterval('X', ' 1  2 ')).to.deep.equal({ lo: 1, hi: 2 });
    expect(parseInterval('X', '-Inf +Inf')).to.deep.equal({ lo: -Infinity, hi: Infinity });
    expect(parseInterval('X', '-inf inf')).to.deep.equal({ lo: -Infinity, hi: Infinity });
    expect(() => parseInterval('X', 'Inf')).to.throw(BadRequestError, /parameter X/);
  });

  it('a bounding circle holds every vertex', () => {
    const vs: Array<[number, number]> = [[359, -1], [1, -1], [1, 1], [359, 1]];
    const { centre, radius } = boundingCircle(vs);
    expect(centre[0] < 1e-6 || centre[0] > 360 - 1e-6).to.equal(true);
    expect(radius).to.be.closeTo(Math.SQRT2, 1e-3);
  });
});
