import { expect } from 'chai';
import { CellSyntaxError, inferColumnType, isIsoTimestamp, textCellParser } from '../../src/formats/infer-types.js';

describe('text cell types', () => {
  it('infers the narrowest type that fits every sample, ignoring NULLs', () => {
    expect(inferColumnType(['1', null, '-2147483648', '2147483647']).datatype).to.equal('int');
    expect(inferColumnType(['1', '2147483648']).datatype).to.equal('long');
    expect(inferColumnType(['1', '2.5']).datatype).to.equal('double');
    expect(inferColumnType(['1e5', 'nan', '-Infinity']).datatype).to.equal('double');
    expect(inferColumnType(['99999999999999999999']).datatype).to.equal('double');
    expect(inferColumnType(['true', 'FALSE', null]).datatype).to.equal('boolean');
    expect(inferColumnType(['1', '0', 'true'])).to.deep.equal({ datatype: 'char', arraysize: '*', xtype: null });
    expect(inferColumnType(['2020-01-01', '2020-01-01T10:00:00.5Z'])).to.deep.equal({ datatype: 'char', arraysize: '*', xtype: 'timestamp' });
    expect(inferColumnType(['2020-01-01', 'soon']).xtype).to.equal(null);
    expect(inferColumnType([null, null])).to.deep.equal({ datatype: 'char', arraysize: '*', xtype: null });
    expect(inferColumnType(['0x10']).datatype).to.equal('char');
  });

  it('parses integers strictly, with their ranges', () => {
    const short = textCellParser({ datatype: 'short' });
    expect(short(' -32768 ')).to.equal(-32768);
    expect(() => short('32768')).to.throw(CellSyntaxError, /out of range for short/);
    expect(() => short('1.0')).to.throw(CellSyntaxError, /not an integer/);
    expect(() => short('12a')).to.throw(CellSyntaxError);
    expect(() => textCellParser({ datatype: 'unsignedByte' })('-1')).to.throw(CellSyntaxError, /out of range/);
    const long = textCellParser({ datatype: 'long' });
    expect(long('-9223372036854775808')).to.equal(-9223372036854775808n);
    expect(long('+7')).to.equal(7n);
    expect(() => long('9223372036854775808')).to.throw(CellSyntaxError, /out of range for long/);
  });

  it('parses floats strictly; NaN is NULL, infinities stay', () => {
    const dbl = textCellParser({ datatype: 'double' });
    expect(dbl('1.5e-3')).to.equal(0.0015);
    expect(dbl('.5')).to.equal(0.5);
    expect(dbl('5.')).to.equal(5);
    expect(dbl('-inf')).to.equal(-Infinity);
    expect(dbl('NaN')).to.equal(null);
    expect(dbl('  ')).to.equal(null);
    for (const bad of ['1e', 'e5', '1.2.3', '0x1F', '1,5', '--1']) expect(() => dbl(bad), bad).to.throw(CellSyntaxError);
  });

  it('reads every decimal literal as the same double as Number does (signs, zeros, exponents, 15 to 17 digits)', () => {
    const dbl = textCellParser({ datatype: 'double' });
    let seed = 7;
    const u = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(u() * 10))).join('');
    const literals = ['0', '-0', '-0.0', '+.5', '0.1', '0.3', '1e22', '1e23', '9007199254740993', '123456789012345', '1234567890123456', '4.9e-324', '2.2250738585072014e-308', '1.7976931348623157e308', '1e-22', '1e-23', '000000000000000001.5', '0.000000000000000000001'];
    for (let k = 0; k < 20000; k++) {
      const sign = ['', '-', '+'][Math.floor(u() * 3)];
      const int = digits(Math.floor(u() * 10));
      const frac = u() < 0.8 ? '.' + digits(Math.floor(u() * 12)) : '';
      const exp = u() < 0.3 ? 'eE'[Math.floor(u() * 2)] + ['', '-', '+'][Math.floor(u() * 3)] + String(Math.floor(u() * 40)) : '';
      const text = sign + (int || '0') + frac + exp;
      if (text !== '.') literals.push(text);
    }
    for (const text of literals) expect(Object.is(dbl(text), Number(text)), text).to.equal(true);
  });

  it('parses booleans, numeric arrays and timestamps', () => {
    const bool = textCellParser({ datatype: 'boolean' });
    expect(['T', 'true', '1', 'yes', 'F', 'False', '0', 'no', '?'].map(bool)).to.deep.equal([true, true, true, true, false, false, false, false, null]);
    expect(() => bool('maybe')).to.throw(CellSyntaxError, /not a boolean/);
    const arr = textCellParser({ datatype: 'float', arraysize: '*' });
    expect(arr(' 1 2.5\n-3e2 ')).to.deep.equal([1, 2.5, -300]);
    expect(textCellParser({ datatype: 'int', arraysize: '3' })('1, 2, 3')).to.deep.equal([1, 2, 3]);
    expect(() => arr('1 x')).to.throw(CellSyntaxError);
    const ts = textCellParser({ datatype: 'char', arraysize: '*', xtype: 'timestamp' });
    expect(ts('2024-01-02T03:04:05.123+01:00')).to.equal('2024-01-02T03:04:05.123+01:00');
    expect(() => ts('2024-1-2')).to.throw(CellSyntaxError, /not an ISO 8601 timestamp/);
    expect(isIsoTimestamp('2024-01-02 03:04')).to.equal(true);
    expect(isIsoTimestamp('2024-01-02T03:04:5')).to.equal(false);
    expect(textCellParser({ datatype: 'char', arraysize: '*' })('  kept  ')).to.equal('  kept  ');
  });
});
