import { expect } from 'chai';
import { QuerySyntaxError } from '../../src/errors.js';
import type { AdqlQuery, Comparison, DerivedColumn, Expr, SelectQuery } from '../../src/adql/ast.js';
import { identifierMatches } from '../../src/adql/ast.js';
import { parseAdql } from '../../src/adql/parser.js';
import { printAdql } from '../../src/adql/print.js';
import { INVALID, VALID } from './corpus.js';
import { withoutPositions } from './strip.js';

/** Parse, expecting success; returns the query. */
function parse(q: string): AdqlQuery {
  return parseAdql(q);
}

/** The select body of a parsed query. */
function select(q: string): SelectQuery {
  const body = parse(q).body;
  if (body.kind !== 'select') throw new Error(`not a plain SELECT: ${q}`);
  return body;
}

/** The first select-list expression. */
function firstExpr(q: string): Expr {
  return (select(q).items[0] as DerivedColumn).expr;
}

/** The WHERE condition of a plain SELECT. */
function where(q: string) {
  const w = select(q).where;
  if (w === null) throw new Error('no WHERE');
  return w;
}

function syntaxError(q: string): QuerySyntaxError {
  try {
    parseAdql(q);
  } catch (e) {
    if (e instanceof QuerySyntaxError) return e;
    throw e;
  }
  throw new Error(`accepted: ${q}`);
}

describe('ADQL parser: corpus', () => {
  it('has at least 150 valid and 100 invalid queries', () => {
    expect(VALID.length).to.be.at.least(150);
    expect(INVALID.length).to.be.at.least(100);
  });

  describe('accepts every valid query and round-trips it through the printer', () => {
    for (const q of VALID) {
      it(q.replace(/\s+/g, ' '), () => {
        const ast = parse(q);
        const printed = printAdql(ast);
        const again = parse(printed);
        expect(withoutPositions(again), printed).to.deep.equal(withoutPositions(ast));
        expect(printAdql(again)).to.equal(printed);
      });
    }
  });

  describe('rejects every invalid query at the right place with a useful message', () => {
    for (const c of INVALID) {
      it(`${c.query.replace(/\s+/g, ' ').slice(0, 100)} → ${c.message}`, () => {
        const e = syntaxError(c.query);
        expect(e.detail).to.contain(c.message);
        if (c.line > 0) expect([e.line, e.column], e.message).to.deep.equal([c.line, c.column]);
        expect(e.message).to.equal(`line ${e.line}, column ${e.column}: ${e.detail}`);
      });
    }
  });
});

describe('ADQL parser: tree shape', () => {
  it('reports the FORM typo as the issue example does', () => {
    const e = syntaxError('SELECT ra, dec, mag FORM photometry');
    expect(e.message).to.equal("line 1, column 21: expected FROM, found 'FORM'");
  });

  it('keeps regular identifiers as written and marks delimited ones', () => {
    const s = select('SELECT Ra, "Dec" FROM "Cat"."Obj" AS o');
    const ra = (s.items[0] as DerivedColumn).expr;
    const dec = (s.items[1] as DerivedColumn).expr;
    expect(ra).to.include({ kind: 'column' });
    if (ra.kind !== 'column' || dec.kind !== 'column') throw new Error('columns expected');
    expect(ra.name).to.include({ name: 'Ra', delimited: false });
    expect(dec.name).to.include({ name: 'Dec', delimited: true });
    expect(identifierMatches(ra.name, 'RA')).to.equal(true);
    expect(identifierMatches(dec.name, 'dec')).to.equal(false);
    const from = s.from[0]!;
    if (from.kind !== 'table') throw new Error('table expected');
    expect(from.name.schema).to.include({ name: 'Cat', delimited: true });
    expect(from.name.table).to.include({ name: 'Obj', delimited: true });
    expect(from.alias).to.include({ name: 'o', delimited: false });
  });

  it('unescapes doubled quotes in identifiers and strings', () => {
    const s = select(`SELECT "a""b" FROM t WHERE x = 'it''s'`);
    const col = (s.items[0] as DerivedColumn).expr;
    if (col.kind !== 'column') throw new Error('column expected');
    expect(col.name.name).to.equal('a"b');
    expect(((s.where as Comparison).right as { value: string }).value).to.equal("it's");
  });

  it('splits catalog.schema.table.column', () => {
    const e = firstExpr('SELECT c.s.t.col FROM c.s.t');
    if (e.kind !== 'column' || e.qualifier === null) throw new Error('qualified column expected');
    expect(e.name.name).to.equal('col');
    expect(e.qualifier.catalog?.name).to.equal('c');
    expect(e.qualifier.schema?.name).to.equal('s');
    expect(e.qualifier.table.name).to.equal('t');
  });

  it('types numeric literals and keeps their text', () => {
    const items = select('SELECT 42, 4.50, 1.5E-3, 0x2F FROM t').items.map((i) => (i as DerivedColumn).expr);
    expect(items.map((e) => (e.kind === 'number' ? [e.form, e.text, e.value] : null))).to.deep.equal([
      ['integer', '42', 42],
      ['decimal', '4.50', 4.5],
      ['approximate', '1.5E-3', 0.0015],
      ['hex', '0x2F', 47],
    ]);
  });

  it('records line, column and offset of nodes in a multi-line query', () => {
    const q = 'SELECT a,\n  b + 1 AS c\nFROM t\nWHERE  x = 1';
    const s = select(q);
    const b = (s.items[1] as DerivedColumn).expr;
    expect(b.pos).to.deep.equal({ line: 2, column: 3, offset: 12 });
    expect(s.where!.pos).to.deep.equal({ line: 4, column: 8, offset: q.indexOf('x = 1') });
    expect(s.from[0]!.pos.line).to.equal(3);
  });

  it('gives ADQL operator precedence: || loosest, then | ^ &, then + -, then * /', () => {
    const e = firstExpr("SELECT 'a' || b | c ^ d & e + f * g FROM t");
    const shape = (x: Expr): unknown => (x.kind === 'binary' ? [x.op, shape(x.left), shape(x.right)] : x.kind);
    expect(shape(e)).to.deep.equal([
      '||',
      'string',
      ['|', 'column', ['^', 'column', ['&', 'column', ['+', 'column', ['*', 'column', 'column']]]]],
    ]);
    const minus = firstExpr('SELECT a - b - c FROM t');
    expect(shape(minus)).to.deep.equal(['-', ['-', 'column', 'column'], 'column']);
  });

  it('binds AND tighter than OR and keeps NOT on its predicate', () => {
    const w = where('SELECT a FROM t WHERE NOT a = 1 OR b = 2 AND c = 3');
    expect(w.kind).to.equal('or');
    if (w.kind !== 'or') return;
    expect(w.left.kind).to.equal('not');
    expect(w.right.kind).to.equal('and');
  });

  it('normalises != to <>', () => {
    expect((where('SELECT a FROM t WHERE a != 1') as Comparison).op).to.equal('<>');
  });

  it('marks ORDER BY positions and directions', () => {
    const s = select('SELECT a, b FROM t ORDER BY 2 DESC, a');
    expect(s.orderBy.map((o) => [o.position, o.direction])).to.deep.equal([
      [2, 'DESC'],
      [null, null],
    ]);
  });

  it('attaches TOP, OFFSET and ORDER BY to the query they belong to', () => {
    const s = select('SELECT DISTINCT TOP 10 a FROM t ORDER BY a OFFSET 5');
    expect([s.quantifier, s.top, s.offset, s.orderBy.length]).to.deep.equal(['DISTINCT', 10, 5, 1]);
    const u = parse('SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY 1 OFFSET 3').body;
    expect(u).to.include({ kind: 'setOperation', op: 'UNION', all: true, offset: 3 });
    if (u.kind !== 'setOperation') return;
    expect(u.left.orderBy).to.have.length(0);
    expect(u.right.offset).to.equal(null);
  });

  it('binds INTERSECT tighter than UNION', () => {
    const u = parse('SELECT a FROM t UNION SELECT a FROM u INTERSECT SELECT a FROM v').body;
    expect(u).to.include({ kind: 'setOperation', op: 'UNION' });
    if (u.kind !== 'setOperation') return;
    expect(u.right).to.include({ kind: 'setOperation', op: 'INTERSECT' });
  });

  it('builds left-deep joins with their type, NATURAL flag and condition', () => {
    const s = select('SELECT * FROM a NATURAL JOIN b LEFT OUTER JOIN c ON c.x = b.x CROSS JOIN d FULL JOIN e USING (k)');
    const j = s.from[0]!;
    expect(j).to.include({ kind: 'join', type: 'FULL', natural: false });
    if (j.kind !== 'join') return;
    expect(j.using?.map((i) => i.name)).to.deep.equal(['k']);
    const cross = j.left;
    expect(cross).to.include({ kind: 'join', type: 'CROSS' });
    if (cross.kind !== 'join') return;
    const left = cross.left;
    expect(left).to.include({ kind: 'join', type: 'LEFT' });
    if (left.kind !== 'join') return;
    expect(left.on?.kind).to.equal('comparison');
    expect(left.left).to.include({ kind: 'join', type: 'INNER', natural: true, on: null, using: null });
  });

  it('keeps WITH queries with their names and column lists', () => {
    const q = parse('WITH x (p, q) AS (SELECT a, b FROM t) SELECT p FROM x');
    expect(q.with).to.have.length(1);
    expect(q.with[0]!.name.name).to.equal('x');
    expect(q.with[0]!.columns?.map((c) => c.name)).to.deep.equal(['p', 'q']);
  });

  it('distinguishes subqueries in FROM, WHERE and the select list', () => {
    const s = select(
      'SELECT (SELECT MAX(b) FROM u) AS m FROM (SELECT a FROM t) AS s WHERE a IN (SELECT b FROM v) AND EXISTS (SELECT 1 FROM w)',
    );
    expect((s.items[0] as DerivedColumn).expr.kind).to.equal('scalarSubquery');
    expect(s.from[0]!.kind).to.equal('derivedTable');
    const w = s.where!;
    if (w.kind !== 'and') throw new Error('and expected');
    expect([w.left.kind, w.right.kind]).to.deep.equal(['inSubquery', 'exists']);
  });

  it('parses geometry constructors with and without the coordinate system', () => {
    const withCs = firstExpr("SELECT CIRCLE('ICRS', 10, 20, 1) FROM t");
    expect(withCs).to.include({ kind: 'circle' });
    if (withCs.kind !== 'circle') return;
    expect(withCs.coordsys).to.deep.include({ kind: 'string', value: 'ICRS' });
    expect(withCs.center.form).to.equal('coords');
    const noCs = firstExpr('SELECT CIRCLE(POINT(10, 20), 1) FROM t');
    if (noCs.kind !== 'circle') throw new Error('circle expected');
    expect(noCs.coordsys).to.equal(null);
    expect(noCs.center.form).to.equal('point');
    const poly = firstExpr("SELECT POLYGON('', 1, 2, 3, 4, 5, 6) FROM t");
    if (poly.kind !== 'polygon') throw new Error('polygon expected');
    expect(poly.vertices).to.have.length(3);
    expect(poly.coordsys).to.deep.include({ kind: 'string', value: '' });
    const polyPoints = firstExpr('SELECT POLYGON(a, b, c, d) FROM t');
    if (polyPoints.kind !== 'polygon') throw new Error('polygon expected');
    expect(polyPoints.vertices.map((v) => v.form)).to.deep.equal(['point', 'point', 'point', 'point']);
  });

  it('parses both forms of DISTANCE', () => {
    const two = firstExpr('SELECT DISTANCE(POINT(ra, dec), p) FROM t');
    const four = firstExpr('SELECT DISTANCE(ra, dec, 10, 20) FROM t');
    if (two.kind !== 'distance' || four.kind !== 'distance') throw new Error('distance expected');
    expect([two.from.form, two.to.form]).to.deep.equal(['point', 'point']);
    expect([four.from.form, four.to.form]).to.deep.equal(['coords', 'coords']);
  });

  it('tells ADQL functions, geometry predicates and user functions apart', () => {
    const s = select("SELECT ABS(a), CONTAINS(p, c), AREA(c), ivo_hasword(d, 'x'), COUNT(*), LOWER(n) FROM t");
    expect(s.items.map((i) => (i as DerivedColumn).expr.kind)).to.deep.equal([
      'function',
      'geometryPredicate',
      'geometryFunction',
      'userFunction',
      'aggregate',
      'function',
    ]);
    const udf = (s.items[3] as DerivedColumn).expr;
    if (udf.kind !== 'userFunction') return;
    expect(udf.name.name).to.equal('ivo_hasword');
    expect(udf.args).to.have.length(2);
  });

  it('parses CAST targets, CASE forms and COALESCE', () => {
    const s = select(
      'SELECT CAST(a AS VARCHAR(12)), CAST(b AS DOUBLE PRECISION), CASE a WHEN 1 THEN 2 END, CASE WHEN a > 1 THEN 2 ELSE 3 END, COALESCE(a, 0) FROM t',
    );
    const es = s.items.map((i) => (i as DerivedColumn).expr);
    expect(es.map((e) => e.kind)).to.deep.equal(['cast', 'cast', 'simpleCase', 'searchedCase', 'coalesce']);
    if (es[0]!.kind === 'cast') expect(es[0]!.type).to.deep.equal({ name: 'VARCHAR', length: 12 });
    if (es[1]!.kind === 'cast') expect(es[1]!.type).to.deep.equal({ name: 'DOUBLE PRECISION', length: null });
  });

  it('keeps LIKE/ILIKE, ESCAPE and negations', () => {
    const w = where("SELECT a FROM t WHERE a NOT ILIKE 'x!%' ESCAPE '!'");
    expect(w).to.include({ kind: 'like', not: true, caseInsensitive: true });
    if (w.kind === 'like') expect(w.escape).to.include({ kind: 'string', value: '!' });
  });

  it('takes the last error-free reading: a parenthesised expression can start a comparison', () => {
    const w = where('SELECT a FROM t WHERE (a + 1) * 2 > 3');
    expect(w.kind).to.equal('comparison');
    const c = where('SELECT a FROM t WHERE (a = 1 OR b = 2)');
    expect(c.kind).to.equal('or');
  });

  it('prints canonical ADQL', () => {
    expect(printAdql(parse('select top 3 a as "X", b from s.t where a between 1 and 2 order by 1 desc'))).to.equal(
      'SELECT TOP 3 a AS "X", b FROM s.t WHERE a BETWEEN 1 AND 2 ORDER BY 1 DESC',
    );
    expect(printAdql(parse('SELECT (a + b) * c, a - (b - c), - -a FROM t'))).to.equal(
      'SELECT (a + b) * c, a - (b - c), -(-a) FROM t',
    );
    expect(printAdql(parse('SELECT a FROM t WHERE NOT (a = 1 AND b = 2) OR (c = 3 OR d = 4) AND e = 5'))).to.equal(
      'SELECT a FROM t WHERE NOT (a = 1 AND b = 2) OR (c = 3 OR d = 4) AND e = 5',
    );
  });
});
