/** Simple Cone Search parameters as a pure reading: RA/DEC/SR/VERB/MAXREC/RESPONSEFORMAT into ADQL. */
import { expect } from 'chai';
import { RequestParams } from '../../../src/params/request-params.js';
import { BadRequestError } from '../../../src/errors.js';
import { coneColumns, hasPosition, idColumn, MAX_SR_DEG, scsQuery, type ConeTable } from '../../../src/ivoa/scs/scs-parameters.js';
import { OBJECT_COLUMNS } from '../../../src/sample-data/stripe82Tables.js';
import type { CatalogTable } from '../../../src/catalog/query-catalog.js';

const OBJECT: ConeTable = Object.freeze({
  schema: 'DC_W13_Stripe82',
  name: 'Object',
  pgSchema: 'DC_W13_Stripe82',
  pgTable: 'Object',
  description: null,
  columns: OBJECT_COLUMNS,
  position: { ra: 'ra', dec: 'decl', hpx: 'hpx29' },
});
const LIMITS = { limits: { defaultMaxrec: 1000, hardMaxrec: 5000 } };

const params = (q: string) => RequestParams.fromEntries(new URLSearchParams(q));
const read = (q: string, table: ConeTable = OBJECT) => scsQuery(params(q), table, LIMITS);

function badRequest(q: string): string {
  try {
    read(q);
  } catch (e) {
    expect(e).to.be.instanceOf(BadRequestError);
    return (e as Error).message;
  }
  throw new Error(`'${q}' was accepted`);
}

describe('SCS parameters (scs-parameters.ts)', () => {
  it('builds the ADQL cone on the declared position columns, names delimited', () => {
    const q = read('RA=10.5&DEC=-0.25&SR=0.1');
    expect(q.adql).to.match(/^SELECT "objectId", "ra", "decl", /);
    expect(q.adql).to.contain(' FROM "DC_W13_Stripe82"."Object" WHERE ');
    expect(q.adql).to.contain(`WHERE 1 = CONTAINS(POINT('ICRS', "ra", "decl"), CIRCLE('ICRS', 10.5, -0.25, 0.1))`);
    expect(q.cone).to.deep.equal({ ra: 10.5, dec: -0.25, sr: 0.1 });
    expect(q.maxrec).to.equal(1000);
    expect(q.format.format.name).to.equal('votable');
  });

  it('reads names case-insensitively (DALI) and exact numbers (exponents too)', () => {
    const q = read('ra=359.99&dec=1e-3&sr=2.5E-4');
    expect(q.adql).to.contain(`CIRCLE('ICRS', 359.99, 0.001, 0.00025)`);
  });

  it('VERB picks the columns: 1 id and position, 2 (default) principal ones, 3 all', () => {
    const principal = OBJECT_COLUMNS.filter((c) => c.principal).map((c) => c.name);
    expect(coneColumns(OBJECT, 1)).to.deep.equal(['objectId', 'ra', 'decl']);
    expect(coneColumns(OBJECT, 2)).to.deep.equal(principal);
    expect(coneColumns(OBJECT, 3)).to.deep.equal(OBJECT_COLUMNS.map((c) => c.name));
    expect(principal.length).to.be.greaterThan(3).and.lessThan(OBJECT_COLUMNS.length);
    expect(read('RA=1&DEC=0&SR=1').verb).to.equal(2);
    expect(read('RA=1&DEC=0&SR=1&VERB=1').adql).to.match(/^SELECT "objectId", "ra", "decl" FROM /);
    expect(read('RA=1&DEC=0&SR=1&VERB=3').adql).to.contain('"nSources"');
    expect(read('RA=1&DEC=0&SR=1&VERB=2').adql).to.not.contain('"nSources"');
  });

  it('VERB 2 keeps the id and the position even when they are not principal', () => {
    const columns = OBJECT_COLUMNS.map((c) => ({ ...c, principal: c.name === 'rPsfFlux' }));
    const t: ConeTable = { ...OBJECT, columns };
    expect(coneColumns(t, 2)).to.deep.equal(['objectId', 'ra', 'decl', 'rPsfFlux']);
  });

  it('the ID of VERB 1 is the meta.id;meta.main column; without one, the position alone', () => {
    expect(idColumn(OBJECT)?.name).to.equal('objectId');
    const t: ConeTable = { ...OBJECT, columns: OBJECT_COLUMNS.filter((c) => c.name !== 'objectId') };
    expect(idColumn(t)).to.equal(undefined);
    expect(coneColumns(t, 1)).to.deep.equal(['ra', 'decl']);
  });

  it('a table without a position has no cone search', () => {
    const t: CatalogTable = { ...OBJECT, position: null };
    expect(hasPosition(t)).to.equal(false);
    expect(hasPosition(OBJECT)).to.equal(true);
  });

  it('SR=0 is the metadata query (MAXREC=0), as SCS 1.1 says', () => {
    const q = read('RA=0&DEC=0&SR=0');
    expect(q.maxrec).to.equal(0);
    expect(read('RA=0&DEC=0&SR=0&MAXREC=50').maxrec).to.equal(0);
  });

  it('MAXREC: default, given, lowered to the hard limit; RESPONSEFORMAT through the shared formats', () => {
    expect(read('RA=1&DEC=1&SR=1&MAXREC=7').maxrec).to.equal(7);
    expect(read('RA=1&DEC=1&SR=1&MAXREC=0').maxrec).to.equal(0);
    expect(read('RA=1&DEC=1&SR=1&MAXREC=999999').maxrec).to.equal(5000);
    expect(read('RA=1&DEC=1&SR=1&RESPONSEFORMAT=csv').format.contentType).to.match(/^text\/csv/);
    expect(read('RA=1&DEC=1&SR=1&RESPONSEFORMAT=application/x-votable%2Bxml').format.format.name).to.equal('votable');
  });

  it('the edges of the ranges are accepted', () => {
    for (const q of ['RA=0&DEC=-90&SR=0', 'RA=360&DEC=90&SR=' + MAX_SR_DEG, 'RA=180&DEC=0&SR=1e-9']) expect(() => read(q), q).to.not.throw();
  });

  it('every bad parameter is a 400 naming it', () => {
    const cases: Array<[string, RegExp]> = [
      ['DEC=0&SR=1', /parameter RA is required/],
      ['RA=0&SR=1', /parameter DEC is required/],
      ['RA=0&DEC=0', /parameter SR is required/],
      ['RA=&DEC=0&SR=1', /parameter RA is required/],
      ['RA=abc&DEC=0&SR=1', /parameter RA must be a number, got 'abc'/],
      ['RA=NaN&DEC=0&SR=1', /parameter RA must be a number/],
      ['RA=Infinity&DEC=0&SR=1', /parameter RA must be a number/],
      ['RA=1&DEC=x&SR=1', /parameter DEC must be a number/],
      ['RA=1&DEC=0&SR=1deg', /parameter SR must be a number/],
      ['RA=-0.5&DEC=0&SR=1', /parameter RA must lie in 0..360/],
      ['RA=360.1&DEC=0&SR=1', /parameter RA must lie in 0..360/],
      ['RA=0&DEC=91&SR=1', /parameter DEC must lie in -90..90/],
      ['RA=0&DEC=-90.5&SR=1', /parameter DEC must lie in -90..90/],
      ['RA=0&DEC=0&SR=-0.1', /parameter SR must not be negative/],
      ['RA=0&DEC=0&SR=10.5', /parameter SR must be at most 10 degrees/],
      ['RA=0&DEC=0&SR=1&RA=2', /parameter RA given more than once/],
      ['RA=0&DEC=0&SR=1&VERB=4', /parameter VERB must be one of 1, 2, 3/],
      ['RA=0&DEC=0&SR=1&VERB=two', /parameter VERB must be one of/],
      ['RA=0&DEC=0&SR=1&MAXREC=-1', /parameter MAXREC must be at least 0/],
      ['RA=0&DEC=0&SR=1&MAXREC=1.5', /parameter MAXREC must be an integer/],
      ['RA=0&DEC=0&SR=1&RESPONSEFORMAT=pdf', /parameter RESPONSEFORMAT: 'pdf' is not a supported format/],
    ];
    for (const [q, message] of cases) expect(badRequest(q), q).to.match(message);
  });

  it('parameters it does not know are ignored, as SCS requires', () => {
    expect(read('RA=1&DEC=1&SR=1&CAT=x&FOO=bar').adql).to.equal(read('RA=1&DEC=1&SR=1').adql);
  });

  it('a table or column name with quotes stays one delimited identifier', () => {
    const columns = [
      { ...OBJECT_COLUMNS[0]!, name: 'we"ird' },
      { ...OBJECT_COLUMNS[1]! },
      { ...OBJECT_COLUMNS[2]! },
    ];
    const t: ConeTable = { ...OBJECT, name: 'a"b', columns };
    expect(read('RA=1&DEC=1&SR=1&VERB=1', t).adql).to.equal(
      `SELECT "we""ird", "ra", "decl" FROM "DC_W13_Stripe82"."a""b" WHERE 1 = CONTAINS(POINT('ICRS', "ra", "decl"), CIRCLE('ICRS', 1, 1, 1))`,
    );
  });
});
