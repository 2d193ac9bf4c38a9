import { expect } from 'chai';
import fc from 'fast-check';
import { QuerySyntaxError } from '../../src/errors.js';
import { parseAdql } from '../../src/adql/parser.js';
import { printAdql } from '../../src/adql/print.js';
import { VALID } from './corpus.js';
import { withoutPositions } from './strip.js';

/**
 * Parse arbitrary text: it must either succeed (and then round-trip through the printer) or
 * fail with a QuerySyntaxError whose line and column lie inside the text. Anything else
 * (TypeError, RangeError from deep recursion, ...) fails the property.
 */
function parsesCleanly(text: string): void {
  let ast;
  try {
    ast = parseAdql(text);
  } catch (e) {
    if (!(e instanceof QuerySyntaxError)) throw e;
    const lines = text.split(/\r\n|\r|\n/);
    expect(e.line, e.message).to.be.within(1, lines.length);
    expect(e.column, e.message).to.be.within(1, lines[e.line - 1]!.length + 1);
    expect(e.detail.length).to.be.greaterThan(0);
    return;
  }
  const printed = printAdql(ast);
  expect(withoutPositions(parseAdql(printed)), printed).to.deep.equal(withoutPositions(ast));
}

/** ADQL-ish vocabulary, so random sequences reach deep into the grammar. */
const VOCABULARY = [
  'SELECT', 'TOP', '5', 'DISTINCT', 'ALL', '*', 'a', 't.b', '"Q"', 'FROM', 't', 'u', 'AS', 'x', ',', '(', ')',
  'WHERE', 'AND', 'OR', 'NOT', '=', '<>', '<', '>=', '+', '-', '/', '||', '&', '|', '^', '~', '1', '2.5', '1e3',
  '0xFF', "'s'", 'NULL', 'IS', 'IN', 'BETWEEN', 'LIKE', 'ILIKE', 'ESCAPE', 'EXISTS', 'JOIN', 'LEFT', 'OUTER',
  'NATURAL', 'CROSS', 'ON', 'USING', 'GROUP', 'BY', 'HAVING', 'ORDER', 'ASC', 'DESC', 'OFFSET', 'UNION',
  'INTERSECT', 'EXCEPT', 'WITH', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'INTEGER', 'COALESCE', 'COUNT',
  'ABS', 'ROUND', 'POINT', 'CIRCLE', 'BOX', 'POLYGON', 'CONTAINS', 'INTERSECTS', 'DISTANCE', 'AREA', 'CENTROID',
  'COORD1', 'IN_UNIT', 'LOWER', 'ivo_f', 'LIMIT', ';', '::', '--', '\n', '/*', '$', '.',
];

/** Edits that turn a valid query into a nearly valid one. */
const mutation = (q: string) =>
  fc.oneof(
    fc.record({ at: fc.nat(q.length), len: fc.integer({ min: 1, max: 6 }) }).map(({ at, len }) => q.slice(0, at) + q.slice(at + len)),
    fc.record({ at: fc.nat(q.length), word: fc.constantFrom(...VOCABULARY) }).map(
      ({ at, word }) => `${q.slice(0, at)} ${word} ${q.slice(at)}`,
    ),
    fc.record({ at: fc.nat(q.length), ch: fc.string({ minLength: 1, maxLength: 2 }) }).map(
      ({ at, ch }) => q.slice(0, at) + ch + q.slice(at),
    ),
    fc.record({ a: fc.nat(q.length), b: fc.nat(q.length) }).map(({ a, b }) => {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      return q.slice(0, lo) + q.slice(lo, hi) + q.slice(lo);
    }),
  );

describe('ADQL parser: properties', function () {
  // The guard against hangs: every property here finishes in well under a second when healthy.
  this.timeout(30000);

  it('random text never crashes the parser', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), parsesCleanly), { numRuns: 2000 });
  });

  it('random sequences of ADQL words never crash the parser', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 40 }), (words) => parsesCleanly(words.join(' '))),
      { numRuns: 3000 },
    );
  });

  it('mutations of valid queries never crash the parser', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID).chain((q) => fc.array(fc.constant(null), { minLength: 1, maxLength: 3 }).chain((n) => {
          let arb: fc.Arbitrary<string> = fc.constant(q);
          for (let k = 0; k < n.length; k++) arb = arb.chain((s) => mutation(s));
          return arb;
        })),
        parsesCleanly,
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses absurd nesting with a syntax error instead of overflowing the stack', () => {
    for (const text of [
      `SELECT ${'('.repeat(20000)}a${')'.repeat(20000)} FROM t`,
      `SELECT ${'- '.repeat(20000)}a FROM t`,
      `SELECT a FROM t WHERE ${'('.repeat(20000)}a = 1${')'.repeat(20000)}`,
      `SELECT a FROM ${'(SELECT a FROM '.repeat(5000)}t${') AS s'.repeat(5000)}`,
      `SELECT ${'CASE WHEN a = 1 THEN '.repeat(5000)}1${' END'.repeat(5000)} FROM t`,
      `SELECT ${'ABS('.repeat(20000)}a${')'.repeat(20000)} FROM t`,
    ]) {
      expect(() => parseAdql(text)).to.throw(QuerySyntaxError, 'nested too deeply');
    }
  });

  it('parses long flat queries (many columns, long AND chains) and prints them back', () => {
    const cols = Array.from({ length: 2000 }, (_, k) => `c${k}`).join(', ');
    const conds = Array.from({ length: 999 }, (_, k) => `c${k} + ${k} * 2 > ${k}`).join(' AND ');
    const ast = parseAdql(`SELECT ${cols} FROM t WHERE ${conds}`);
    expect(ast.body.kind === 'select' && ast.body.items.length).to.equal(2000);
    expect(printAdql(ast)).to.contain('c998 + 998 * 2 > 998');
  });

  it('takes chains of 10,000 operators and refuses longer ones with the place', () => {
    const sum = (n: number) => Array.from({ length: n + 1 }, (_, k) => `${k}`).join(' + ');
    expect(() => parseAdql(`SELECT ${sum(10_000)} FROM t`)).to.not.throw();
    expect(() => parseAdql(`SELECT ${sum(10_001)} FROM t`)).to.throw(QuerySyntaxError, 'too many operators in one expression (more than 10000)');
    const ors = (n: number) => Array.from({ length: n + 1 }, () => 'a = 1').join(' OR ');
    expect(() => parseAdql(`SELECT a FROM t WHERE ${ors(10_000)}`)).to.not.throw();
    try {
      parseAdql(`SELECT a FROM t WHERE ${ors(10_001)}`);
      expect.fail('accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(QuerySyntaxError);
      expect(e).to.deep.include({ line: 1, column: 23 + 10_001 * 'a = 1 OR '.length - 3 });
    }
  });
});
