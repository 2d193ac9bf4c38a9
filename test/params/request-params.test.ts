/** RequestParams: case-insensitive names, repeated values in order, typed getters with clear 400s. */
import { expect } from 'chai';
import { BadRequestError } from '../../src/errors.js';
import { RequestParams } from '../../src/params/request-params.js';

const of = (query: string) => RequestParams.fromEntries(new URLSearchParams(query));

/** The BadRequestError `f` throws. */
function badRequest(f: () => unknown): BadRequestError {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(BadRequestError);
    return e as BadRequestError;
  }
  throw new Error('no error thrown');
}

describe('RequestParams', () => {
  it('keeps names lower-cased and values in the order given, whatever the case', () => {
    const p = of('QUERY=a&Query=b&maxrec=3&Lang=ADQL');
    expect(p.names()).to.deep.equal(['query', 'maxrec', 'lang']);
    expect(p.all('query')).to.deep.equal(['a', 'b']);
    expect(p.first('QUERY')).to.equal('a');
    expect(p.has('LANG')).to.equal(true);
    expect(p.has('upload')).to.equal(false);
    expect(p.first('upload')).to.equal(undefined);
    expect(p.all('upload')).to.deep.equal([]);
    expect(p.size).to.equal(4);
    p.add('UPLOAD', 't,param:t');
    expect(p.all('upload')).to.deep.equal(['t,param:t']);
    expect(p.size).to.equal(5);
  });

  it('round-trips through the record UWS stores, and all() hands out copies', () => {
    const p = RequestParams.fromRecord({ Phase: ['RUN'], query: ['x', 'y'] });
    expect(p.toRecord()).to.deep.equal({ phase: ['RUN'], query: ['x', 'y'] });
    p.all('query').push('z');
    p.toRecord().query!.push('z');
    expect(p.all('query')).to.deep.equal(['x', 'y']);
  });

  it('without() leaves out the names given, in any case, and keeps the rest apart', () => {
    const p = of('PHASE=RUN&RunId=r&query=q&x=1');
    const job = p.without(['phase', 'RUNID']);
    expect(job.toRecord()).to.deep.equal({ query: ['q'], x: ['1'] });
    job.add('query', 'q2');
    expect(p.all('query')).to.deep.equal(['q']);
  });

  it('single(): the value as sent; repeated values must agree; absent or empty is undefined', () => {
    expect(of('a=%20x%20').single('a')).to.equal(' x ');
    expect(of('a=x&A=x').single('a')).to.equal('x');
    expect(of('b=1').single('a')).to.equal(undefined);
    expect(of('a=').single('a')).to.equal(undefined);
    expect(of('a=%20').single('a')).to.equal(undefined);
    expect(badRequest(() => of('RUNID=x&runid=y').single('RUNID')).message).to.equal('parameter RUNID given more than once with different values');
  });

  it('int(): an integer within its bounds, naming the parameter and the value when not', () => {
    expect(of('n=42').int('n')).to.equal(42);
    expect(of('n=%2B7').int('n', { min: 0 })).to.equal(7);
    expect(of('n=-3').int('n')).to.equal(-3);
    expect(of('n=').int('n')).to.equal(undefined);
    expect(of('').int('n')).to.equal(undefined);
    expect(badRequest(() => of('maxSize=1.5').int('maxSize')).message).to.equal("parameter maxSize must be an integer, got '1.5'");
    expect(badRequest(() => of('n=abc').int('n')).message).to.match(/n must be an integer, got 'abc'/);
    expect(badRequest(() => of('n=5').int('n', { min: 16, max: 4096 })).message).to.equal('parameter n must be between 16 and 4096, got 5');
    expect(badRequest(() => of('n=0').int('n', { min: 1 })).message).to.equal('parameter n must be at least 1, got 0');
    expect(badRequest(() => of('n=9').int('n', { max: 8 })).message).to.equal('parameter n must be at most 8, got 9');
  });

  it('number(): a finite number, never NaN or Infinity', () => {
    expect(of('x=1.5e2').number('x')).to.equal(150);
    expect(of('x=-.5').number('x')).to.equal(-0.5);
    expect(of('x=%203%20').number('x')).to.equal(3);
    for (const bad of ['NaN', 'Infinity', 'abc', '1,5', '0x10']) {
      expect(badRequest(() => of(`x=${bad}`).number('x')).message).to.equal(`parameter x must be a number, got '${bad}'`);
    }
  });

  it('isoTime(): DALI times; without a zone, UTC', () => {
    expect(of('t=2024-03-01').isoTime('t')!.toISOString()).to.equal('2024-03-01T00:00:00.000Z');
    expect(of('t=2024-03-01T12:30').isoTime('t')!.toISOString()).to.equal('2024-03-01T12:30:00.000Z');
    expect(of('t=2024-03-01T12:30:15.5').isoTime('t')!.toISOString()).to.equal('2024-03-01T12:30:15.500Z');
    expect(of('t=2024-03-01T12:30:15Z').isoTime('t')!.toISOString()).to.equal('2024-03-01T12:30:15.000Z');
    expect(of('t=2024-03-01T12:30:15%2B02:00').isoTime('t')!.toISOString()).to.equal('2024-03-01T10:30:15.000Z');
    for (const bad of ['tomorrow', 'March 1, 2024', '2024-3-1', '1709294400', '2024-13-01']) {
      expect(badRequest(() => of(`DESTRUCTION=${encodeURIComponent(bad)}`).isoTime('DESTRUCTION')).message).to.equal(
        `parameter DESTRUCTION must be an ISO 8601 time, got '${bad}'`,
      );
    }
  });

  it('seconds(): a whole number of seconds', () => {
    expect(of('WAIT=30').seconds('WAIT')).to.equal(30);
    expect(of('WAIT=-1').seconds('WAIT')).to.equal(-1);
    expect(badRequest(() => of('WAIT=soon').seconds('WAIT')).message).to.equal("parameter WAIT must be an integer number of seconds, got 'soon'");
    expect(badRequest(() => of('WAIT=1.5').seconds('WAIT')).message).to.match(/WAIT must be an integer number of seconds/);
  });

  it('oneOf(): one of the values listed, returned as listed, case-insensitively if asked', () => {
    const phases = ['RUN', 'ABORT'] as const;
    expect(of('PHASE=RUN').oneOf('PHASE', phases)).to.equal('RUN');
    expect(of('PHASE=%20run').oneOf('PHASE', phases, { caseInsensitive: true })).to.equal('RUN');
    expect(of('').oneOf('PHASE', phases)).to.equal(undefined);
    expect(badRequest(() => of('PHASE=run').oneOf('PHASE', phases)).message).to.equal("parameter PHASE must be one of RUN, ABORT, got 'run'");
  });

  it('typed getters refuse repeated values that disagree', () => {
    expect(of('n=1&n=1').int('n')).to.equal(1);
    expect(badRequest(() => of('n=1&n=2').int('n')).message).to.match(/n given more than once/);
  });
});
