/** SODA 1.0 parameters as units: every form of region and interval, multiplicity, and bad input naming its parameter. */
import { expect } from 'chai';
import { RequestParams } from '../../../src/params/request-params.js';
import { MAX_POLYGON_VERTICES, MAX_SODA_RESULTS, parseInterval, parsePos, sodaJobOf, sodaRequestOf, sodaSyncRequestOf } from '../../../src/ivoa/soda/soda-parameters.js';

const ID = 'ivo://vodax/image?7';
const params = (pairs: Array<[string, string]>) => RequestParams.fromEntries(pairs);
const fails = (fn: () => unknown, pattern: RegExp) => expect(fn).to.throw(pattern);

describe('SODA parameters (soda-parameters.ts)', () => {
  it('reads ID, CIRCLE, POLYGON, POS (CIRCLE, RANGE, POLYGON), BAND, TIME, case-insensitively', () => {
    const r = sodaRequestOf(
      params([
        ['id', ID],
        ['Circle', '10 20 0.5'],
        ['POLYGON', '10 20 11 20 11 21'],
        ['pos', 'circle 1 2 3'],
        ['POS', 'RANGE 350 10 -Inf 5'],
        ['POS', 'POLYGON 0 0 1 0 1 1 0 1'],
        ['BAND', '4e-7 5.5e-7'],
        ['BAND', '-Inf 3e-7'],
        ['TIME', '55000 +Inf'],
      ]),
    );
    expect(r.ids).to.deep.equal([ID]);
    expect(r.regions).to.deep.equal([
      { shape: 'circle', ra: 10, dec: 20, radius: 0.5 },
      { shape: 'polygon', vertices: [[10, 20], [11, 20], [11, 21]] },
      { shape: 'circle', ra: 1, dec: 2, radius: 3 },
      { shape: 'range', ra1: 350, ra2: 10, dec1: -Infinity, dec2: 5 },
      { shape: 'polygon', vertices: [[0, 0], [1, 0], [1, 1], [0, 1]] },
    ]);
    expect(r.bands).to.deep.equal([{ lo: 4e-7, hi: 5.5e-7 }, { lo: -Infinity, hi: 3e-7 }]);
    expect(r.times).to.deep.equal([{ lo: 55000, hi: Infinity }]);
    expect(r.format).to.equal('fits');
  });

  it('takes RESPONSEFORMAT by MIME type or short name, FITS by default', () => {
    const f = (v: string) => sodaRequestOf(params([['ID', ID], ['RESPONSEFORMAT', v]])).format;
    expect(f('image/fits')).to.equal('fits');
    expect(f('image/png')).to.equal('png');
    expect(f('jpeg')).to.equal('jpeg');
    expect(f('application/x-hdf5')).to.equal('hdf5');
    expect(sodaRequestOf(params([['ID', ID], ['RESPONSEFORMAT', '']])).format).to.equal('fits');
    fails(() => f('text/csv'), /^UsageError: parameter RESPONSEFORMAT 'text\/csv': not a format/);
  });

  it('refuses bad values with a UsageError naming the parameter', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['CIRCLE', '10 20', /^UsageError: parameter CIRCLE '10 20': a circle is three numbers/],
      ['CIRCLE', '10 20 0', /parameter CIRCLE .*radius must be above 0/],
      ['CIRCLE', '10 95 1', /parameter CIRCLE .*Dec 95 is outside/],
      ['CIRCLE', '400 0 1', /parameter CIRCLE .*RA 400 is outside/],
      ['CIRCLE', '10 20 +Inf', /parameter CIRCLE .*'\+Inf' is not a number/],
      ['CIRCLE', '10 x 1', /parameter CIRCLE .*'x' is not a number/],
      ['POLYGON', '1 2 3 4', /parameter POLYGON .*at least three vertices/],
      ['POLYGON', '1 2 3 4 5', /parameter POLYGON .*at least three vertices/],
      ['POLYGON', '1 2 1 2 3 4', /parameter POLYGON .*three distinct vertices/],
      ['POS', 'BOX 1 2 3 4', /parameter POS 'BOX 1 2 3 4': expected CIRCLE/],
      ['POS', 'RANGE 1 2 3', /parameter POS .*RANGE is four numbers/],
      ['POS', 'RANGE 1 2 5 3', /parameter POS .*dec1 <= dec2/],
      ['POS', 'RANGE +Inf 2 3 5', /parameter POS .*open RA end/],
      ['POS', 'CIRCLE 1 2', /parameter POS .*three numbers/],
      ['POS', '', /./],
      ['BAND', '5e-7', /^UsageError: parameter BAND '5e-7': an interval is two numbers/],
      ['BAND', '6e-7 5e-7', /parameter BAND .*wrong order/],
      ['BAND', 'a b', /parameter BAND .*'a' is not a number/],
      ['TIME', '1 2 3', /parameter TIME .*two numbers/],
      ['POL', 'I', /^UsageError: parameter POL: these images have no polarization axis/],
    ];
    for (const [name, value, pattern] of bad) {
      if (value === '') continue;
      fails(() => sodaRequestOf(params([['ID', ID], [name, value]])), pattern);
    }
    fails(() => parsePos(''), /parameter POS/);
    const many = Array.from({ length: MAX_POLYGON_VERTICES + 1 }, (_, k) => `${(k * 0.001).toFixed(3)} ${(Math.sin(k) * 0.01).toFixed(5)}`).join(' ');
    fails(() => sodaRequestOf(params([['ID', ID], ['POLYGON', many]])), /parameter POLYGON .*at most 500 vertices, not 501/);
    fails(() => sodaRequestOf(params([['CIRCLE', '1 2 3']])), /^UsageError: parameter ID: is required/);
    fails(() => sodaRequestOf(params([['ID', '  ']])), /parameter ID: is required/);
  });

  it('reads open DALI intervals with either end infinite', () => {
    expect(parseInterval('BAND', '-Inf +Inf')).to.deep.equal({ lo: -Infinity, hi: Infinity });
    expect(parseInterval('BAND', '5e-7 5e-7')).to.deep.equal({ lo: 5e-7, hi: 5e-7 });
    expect(parseInterval('BAND', '7.5e-7 inf')).to.deep.equal({ lo: 7.5e-7, hi: Infinity });
  });

  it('sync takes one value of each and refuses more with MultiValuedParamNotSupported, pointing to async', () => {
    const one = sodaSyncRequestOf(params([['ID', ID], ['CIRCLE', '1 2 0.1'], ['BAND', '1e-7 2e-7']]), '/image/v0/soda/async');
    expect(one).to.deep.equal({ id: ID, cut: { region: { shape: 'circle', ra: 1, dec: 2, radius: 0.1 }, band: { lo: 1e-7, hi: 2e-7 }, time: null }, format: 'fits' });
    expect(sodaSyncRequestOf(params([['ID', ID]]), '/a').cut).to.deep.equal({ region: null, band: null, time: null });
    const multi: Array<Array<[string, string]>> = [
      [['ID', ID], ['ID', 'ivo://vodax/image?8']],
      [['ID', ID], ['CIRCLE', '1 2 0.1'], ['CIRCLE', '1 2 0.2']],
      [['ID', ID], ['CIRCLE', '1 2 0.1'], ['POLYGON', '1 2 2 2 2 3']],
      [['ID', ID], ['BAND', '1 2'], ['BAND', '3 4']],
      [['ID', ID], ['TIME', '1 2'], ['TIME', '3 4']],
    ];
    for (const m of multi) fails(() => sodaSyncRequestOf(params(m), '/image/v0/soda/async'), /^MultiValuedParamNotSupported: .* given 2 times; .*\/image\/v0\/soda\/async/);
    // Without a job engine there is no async to point to.
    fails(() => sodaSyncRequestOf(params(multi[0]!), null), /^MultiValuedParamNotSupported: ID given 2 times; .* Make one request each$/);
  });

  it('async makes one cut per region x band x time combination, for each ID', () => {
    const job = sodaJobOf(params([['ID', ID], ['ID', 'ivo://vodax/image?8'], ['CIRCLE', '1 2 0.1'], ['POS', 'CIRCLE 3 4 0.2'], ['BAND', '1 2'], ['BAND', '3 4']]));
    expect(job.ids).to.have.length(2);
    expect(job.cuts).to.have.length(4);
    expect(job.cuts.map((c) => [(c.region as { ra: number }).ra, c.band!.lo])).to.deep.equal([[1, 1], [1, 3], [3, 1], [3, 3]]);
    expect(sodaJobOf(params([['ID', ID]])).cuts).to.deep.equal([{ region: null, band: null, time: null }]);
    const many: Array<[string, string]> = [['ID', ID]];
    for (let i = 0; i <= MAX_SODA_RESULTS; i++) many.push(['CIRCLE', `1 2 ${0.001 * (i + 1)}`]);
    fails(() => sodaJobOf(params(many)), /UsageError: parameter ID: the job would make 1001 results/);
  });
});
