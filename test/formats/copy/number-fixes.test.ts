import { expect } from 'chai';
import fc from 'fast-check';
import { editedLength, genericNumberText, numberEdits, writeEdited, type SpecialNumbers } from '../../../src/formats/copy/number-fixes.js';

/** `text` with its numbers made the generic writer's. */
function fixed(text: string, specials: SpecialNumbers): string {
  const buf = Buffer.from(text, 'latin1');
  const edits = numberEdits(buf, specials);
  if (edits === null) return text;
  const out = Buffer.alloc(editedLength(buf, edits));
  expect(writeEdited(buf, edits, out, 0)).to.equal(out.length);
  return out.toString('latin1');
}

describe('numbers PostgreSQL prints otherwise than the generic writers, rewritten in lines of numbers', () => {
  it('rewrites exponents and -0 in CSV and TSV lines and keeps every other byte', () => {
    expect(fixed('1,1e-05,-0,-0.5,0,1e+21,2.5e-08,1e+15,Infinity,-Infinity,NaN\r\n', 'as-printed')).to.equal('1,0.00001,0,-0.5,0,1e+21,2.5e-8,1000000000000000,Infinity,-Infinity,NaN\r\n');
    expect(fixed('-0\t-0\n-0.25\t-1e-05\n', 'as-printed')).to.equal('0\t0\n-0.25\t-0.00001\n');
    expect(fixed('12,-3.25,0.001\r\n', 'as-printed')).to.equal('12,-3.25,0.001\r\n');
    expect(numberEdits(Buffer.from('12,-3.25,-0.001,9007199254740993\r\n'), 'as-printed')).to.equal(null);
  });

  it('writes TABLEDATA infinities as +Inf and -Inf, JSON NaN and infinities as null', () => {
    expect(fixed('<TR><TD>Infinity</TD><TD>-Infinity</TD><TD>NaN</TD><TD>-0</TD><TD>1e-07</TD></TR>\n', 'tabledata')).to.equal('<TR><TD>+Inf</TD><TD>-Inf</TD><TD>NaN</TD><TD>0</TD><TD>1e-7</TD></TR>\n');
    expect(fixed(',\n[NaN,Infinity,-Infinity,-0,3e-05]', 'json')).to.equal(',\n[null,null,null,0,0.00003]');
  });

  it('keeps lines already in the generic form (rows with a NULL, formatted value by value)', () => {
    for (const [line, specials] of [
      ['1,,1e-7,1.5e+21,Infinity\r\n', 'as-printed'],
      ['<TR><TD>1</TD><TD/><TD>+Inf</TD><TD>-Inf</TD><TD>1e-7</TD></TR>\n', 'tabledata'],
      [',\n[1,null,null,1e+21]', 'json'],
    ] as const) {
      expect(fixed(line, specials), line).to.equal(line);
    }
  });

  it('rewrites only inside the ranges that hold numbers, never in a string beside them', () => {
    // A CSV line: numbers, a string holding every mark, numbers.
    const line = '1e-05,-0,"1e-05,-0,Infinity",-0,2e-07\r\n';
    const text = Buffer.from(line, 'latin1');
    const ranges = [0, 8, 28, 37];
    const edits = numberEdits(text, 'json', ranges)!;
    const out = Buffer.alloc(editedLength(text, edits));
    writeEdited(text, edits, out, 0);
    expect(out.toString('latin1')).to.equal('0.00001,0,"1e-05,-0,Infinity",0,2e-7\r\n');
    expect(numberEdits(text, 'json', [])).to.equal(null);
  });

  it('gives any double the text the generic writer gives the value the driver parses', () => {
    // PostgreSQL's text of x, built from its shortest digits: an exponent (signed, at least two
    // digits) below 1e-4 and from 1e15, fixed-point between; -0 as such.
    const postgresText = (x: number): string => {
      if (Object.is(x, -0)) return '-0';
      if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
      const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
      const e = Number(exponent);
      if (e < -4 || e >= 15) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
      return x.toFixed(Math.max(0, mantissa.replace(/^-?\d\.?/, '').length - e));
    };
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.tuple(fc.integer({ min: -320, max: 300 }), fc.double({ min: 1, max: 10 })).map(([e, m]) => m * 10 ** e)), (x) => {
        expect(genericNumberText(postgresText(x), 'as-printed'), postgresText(x)).to.equal(String(x === 0 ? 0 : x));
      }),
    );
  });
});
