/**
 * The ADQL 2.1 grammar corners of issue 15, without a database: '*' among other select items,
 * joins without ON/USING, POINT(NULL, ...), RAND(seed), string continuation, numbers followed
 * by letters, long operator chains, the offline check, one ROUND rule.
 */
import { expect } from 'chai';
import { parseAdql } from '../../src/adql/parser.js';
import { validate } from '../../src/adql/validator.js';
import { translate } from '../../src/adql/translator.js';
import { printAdql } from '../../src/adql/print.js';
import { QuerySyntaxError } from '../../src/errors.js';
import { testCatalog } from './test-catalog.js';
import { withoutPositions } from './strip.js';

const O = 'DC_W13_Stripe82.Object';
const S = 'DC_W13_Stripe82.Source';

function check(q: string) {
  return validate(parseAdql(q), testCatalog());
}

function rejects(q: string, message: string): QuerySyntaxError {
  try {
    check(q);
  } catch (e) {
    expect(e).to.be.instanceOf(QuerySyntaxError);
    expect((e as QuerySyntaxError).detail).to.contain(message);
    return e as QuerySyntaxError;
  }
  throw new Error(`accepted: ${q}`);
}

describe('ADQL grammar corners: * among other select items', () => {
  const objectColumns = check(`SELECT * FROM ${O}`).columns.map((c) => c.name);

  it('expands * where it stands, before and after other items', () => {
    const v = check(`SELECT *, DISTANCE(POINT(ra, decl), POINT(0, 0)) AS d FROM ${O} ORDER BY d`);
    expect(v.columns.map((c) => c.name)).to.deep.equal([...objectColumns, 'd']);
    expect(translate(v).sql).to.match(/ORDER BY \d+$/);
    const w = check(`SELECT objectId, ra, * FROM ${O}`);
    expect(w.columns.map((c) => c.name)).to.deep.equal(['objectId', 'ra', ...objectColumns.map((n) => (n === 'objectId' || n === 'ra' ? `${n}_2` : n))]);
  });

  it('mixes t.* and * with expressions, and orders by a column * repeats', () => {
    const v = check(`SELECT o.*, s.sourceId, * FROM ${O} o JOIN ${S} s ON s.objectId = o.objectId ORDER BY sourceId`);
    expect(v.columns.length).to.equal(objectColumns.length * 2 + 1 + check(`SELECT * FROM ${S}`).columns.length);
    expect(() => check(`SELECT *, ra FROM ${O} ORDER BY ra`)).to.not.throw();
  });

  it('prints and reparses to the same tree', () => {
    for (const q of [`SELECT *, ra + 1 AS r FROM ${O}`, `SELECT ra, *, o.* FROM ${O} AS o`]) {
      const ast = parseAdql(q);
      expect(withoutPositions(parseAdql(printAdql(ast)))).to.deep.equal(withoutPositions(ast));
    }
  });

  it('still refuses * where a value belongs', () => {
    expect(() => parseAdql(`SELECT *, * + 1 FROM ${O}`)).to.throw(QuerySyntaxError, "expected ',' or FROM");
    expect(() => parseAdql(`SELECT * AS x FROM ${O}`)).to.throw(QuerySyntaxError, 'expected FROM');
    void rejects;
  });
});

describe('ADQL grammar corners: joins without ON or USING', () => {
  it('parses them as natural joins, nested and parenthesised too', () => {
    const q = parseAdql('SELECT * FROM (t1 JOIN t4) FULL OUTER JOIN (t2 LEFT JOIN t3)');
    const j = q.body.kind === 'select' ? q.body.from[0]! : null;
    expect(j).to.deep.include({ kind: 'join', type: 'FULL', natural: true, on: null, using: null });
    if (j?.kind !== 'join') throw new Error('not a join');
    expect(j.left).to.deep.include({ kind: 'join', type: 'INNER', natural: true });
    expect(j.right).to.deep.include({ kind: 'join', type: 'LEFT', natural: true });
    // Left-deep, as with ON: the first join is natural, the second has its condition.
    const k = parseAdql('SELECT * FROM a JOIN b JOIN c ON c.x = a.x');
    const top = k.body.kind === 'select' ? k.body.from[0]! : null;
    expect(top).to.deep.include({ kind: 'join', natural: false });
    expect(top?.kind === 'join' && top.left).to.deep.include({ kind: 'join', natural: true });
  });

  it('joins on the shared columns, and merges them as NATURAL JOIN does', () => {
    const v = check(`SELECT * FROM (SELECT objectId, ra FROM ${O}) AS a JOIN (SELECT objectId, filterName FROM ${S}) AS b`);
    expect(v.columns.map((c) => c.name)).to.deep.equal(['objectId', 'ra', 'filterName']);
    expect(translate(v).sql).to.contain('INNER JOIN');
    expect(translate(v).sql).to.match(/ON \("t\d+"\."objectId" = "t\d+"\."objectId"\)/);
    const none = check(`SELECT * FROM (SELECT ra FROM ${O}) AS a LEFT OUTER JOIN (SELECT filterName FROM ${S}) AS b`);
    expect(translate(none).sql).to.contain('LEFT OUTER JOIN').and.contain('ON TRUE');
  });
});

describe('ADQL grammar corners: NULL as the coordinate system', () => {
  it('takes a leading NULL as the coordinate system when the call fits only without it', () => {
    const e = (q: string) => {
      const b = parseAdql(`SELECT ${q} FROM t`).body;
      if (b.kind !== 'select' || b.items[0]!.kind !== 'derivedColumn') throw new Error('no item');
      return b.items[0]!.expr;
    };
    expect(e('POINT(NULL, ra, dec)')).to.deep.include({ kind: 'point' }).and.nested.include({ 'coordsys.kind': 'null', 'lon.kind': 'column' });
    expect(e('POINT(NULL, 1)')).to.nested.include({ coordsys: null, 'lon.kind': 'null' });
    expect(e('CIRCLE(NULL, POINT(1, 2), 3)')).to.nested.include({ 'coordsys.kind': 'null', 'center.form': 'point' });
    expect(e('CIRCLE(NULL, 1, 2)')).to.nested.include({ coordsys: null, 'center.form': 'coords' });
    expect(e('CIRCLE(NULL, 1, 2, 3)')).to.nested.include({ 'coordsys.kind': 'null', 'center.form': 'coords' });
    expect(e('BOX(NULL, 1, 2, 3, 4)')).to.nested.include({ 'coordsys.kind': 'null' });
    expect(e('POLYGON(NULL, 1, 2, 3, 4, 5, 6)')).to.nested.include({ 'coordsys.kind': 'null' });
    expect(e('POLYGON(NULL, 1, 2, 3, 4, 5)')).to.nested.include({ coordsys: null });
    for (const q of ['POINT(NULL, ra, dec)', 'CIRCLE(NULL, POINT(1, 2), 3)', 'POLYGON(NULL, a, b, c)']) {
      const ast = parseAdql(`SELECT ${q} FROM t`);
      expect(withoutPositions(parseAdql(printAdql(ast)))).to.deep.equal(withoutPositions(ast));
    }
  });

  it('validates and translates POINT(NULL, ra, decl) like POINT(ra, decl)', () => {
    const a = translate(check(`SELECT objectId FROM ${O} WHERE 1 = CONTAINS(POINT(NULL, ra, decl), CIRCLE(NULL, 0, 0, 1))`));
    const b = translate(check(`SELECT objectId FROM ${O} WHERE 1 = CONTAINS(POINT(ra, decl), CIRCLE(0, 0, 1))`));
    expect(a.sql).to.equal(b.sql);
    expect(a.spatial).to.have.length(1);
    rejects(`SELECT POINT(NULL, POINT(1, 2)) FROM ${O}`, 'POINT needs a number');
  });
});

describe('ADQL grammar corners: RAND(seed)', () => {
  it('hashes the seed with the row, or in a grouped select list with the group', () => {
    const t = translate(check(`SELECT RAND(42) FROM ${O} AS o, ${S} AS s WHERE RAND(42) < 0.5`)).sql;
    expect(t.match(/hashtextextended\(CAST\(ROW\("t\d+"\.\*, "t\d+"\.\*\) AS text\), 42\)/g)).to.have.length(2);
    expect(t).to.not.contain('setseed').and.not.contain('random()');
    const g = translate(check(`SELECT filterName, RAND(1), SUM(RAND(2)) FROM ${S} GROUP BY filterName`)).sql;
    expect(g).to.match(/hashtextextended\(CAST\(ROW\("t\d+"\."filterName", NULL\) AS text\), 1\)/);
    expect(g).to.match(/sum\(\(CAST\(\(hashtextextended\(CAST\(ROW\("t\d+"\.\*\) AS text\), 2\)/);
    expect(translate(check(`SELECT COUNT(*), RAND(5) FROM ${O}`)).sql).to.contain("hashtextextended('', 5)");
    expect(translate(check(`SELECT RAND() FROM ${O}`)).sql).to.contain('random()');
    rejects(`SELECT RAND(9223372036854775808) FROM ${O}`, 'below 2^63');
  });
});

describe('ADQL grammar corners: string literals continued after separators', () => {
  const firstString = (q: string) => {
    const b = parseAdql(q).body;
    if (b.kind !== 'select' || b.items[0]!.kind !== 'derivedColumn') throw new Error('no item');
    return b.items[0]!.expr;
  };

  it('joins the parts across spaces, newlines and comments, and keeps later positions right', () => {
    expect(firstString("SELECT 'ab'\n  'cd' FROM t")).to.deep.include({ kind: 'string', value: 'abcd' });
    expect(firstString("SELECT 'it''s' -- a comment\n -- another\n'' 'x''' FROM t")).to.deep.include({ value: "it'sx'" });
    expect(firstString("SELECT 'a'\r\n'b' FROM t")).to.deep.include({ value: 'ab' });
    try {
      parseAdql("SELECT 'a'\n'b'\n'c' FROM t WHERE ");
      expect.fail('accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(QuerySyntaxError);
      expect(e).to.deep.include({ line: 3, column: 18 });
    }
    // Delimited identifiers do not continue: "a" "b" is a column and its alias.
    expect(parseAdql('SELECT "a" "b" FROM t').body).to.nested.include({ 'items[0].alias.name': 'b' });
  });

  it('reports an unclosed continuation where it opens, and validates and binds the joined value', () => {
    try {
      parseAdql("SELECT a FROM t WHERE a = 'x'\n  'unclosed");
      expect.fail('accepted');
    } catch (e) {
      expect(e).to.deep.include({ line: 2, column: 3 });
    }
    const t = translate(check(`SELECT objectId FROM ${O} WHERE 'r' || 'Psf'\n 'Mag' = 'rPsfMag'`));
    expect(t.params).to.deep.equal(['r', 'PsfMag', 'rPsfMag']);
  });
});

describe('ADQL grammar corners: a number followed by letters', () => {
  it('ends the number token where the numeric literal ends', () => {
    const items = (q: string) => {
      const b = parseAdql(q).body;
      if (b.kind !== 'select') throw new Error('not a select');
      return b.items.map((i) => (i.kind === 'derivedColumn' ? [i.expr.kind === 'number' ? i.expr.text : i.expr.kind, i.alias?.name ?? null] : [i.kind, null]));
    };
    expect(items('SELECT 12abc, 1e, 0x, 1.5f, 2E3x, 0x1g, 1E+5E FROM t')).to.deep.equal([
      ['12', 'abc'],
      ['1', 'e'],
      ['0', 'x'],
      ['1.5', 'f'],
      ['2E3', 'x'],
      ['0x1', 'g'],
      ['1E+5', 'E'],
    ]);
    expect(items('SELECT 3FROM t')).to.deep.equal([['3', null]]);
    expect(() => parseAdql('SELECT 1.2.3 FROM t')).to.throw(QuerySyntaxError, "found '.3'");
  });

  it('validates and translates such a query like its spaced-out form', () => {
    const a = translate(check(`SELECT 2ra FROM ${O} WHERE ra > 1AND decl < 2`));
    expect(a.columns.map((c) => c.name)).to.deep.equal(['ra']);
    expect(a.sql).to.equal(translate(check(`SELECT 2 AS ra FROM ${O} WHERE ra > 1 AND decl < 2`)).sql);
  });
});

describe('ADQL grammar corners: chains of 10,000 operators', function () {
  this.timeout(60_000);
  const ors = `SELECT objectId FROM ${O} WHERE ${Array.from({ length: 10_001 }, (_, k) => `objectId = ${k}`).join(' OR ')}`;
  const concat = `SELECT ${Array.from({ length: 10_001 }, () => "'x'").join(' || ')} FROM ${O}`;
  const bits = `SELECT ${Array.from({ length: 10_001 }, (_, k) => `${k}`).join(' | ')} FROM ${O}`;

  it('parses, prints, validates and translates them in linear time', () => {
    for (const q of [ors, concat, bits]) {
      const t0 = performance.now();
      const ast = parseAdql(q);
      const parse = performance.now() - t0;
      expect(printAdql(parseAdql(printAdql(ast)))).to.equal(printAdql(ast));
      const t1 = performance.now();
      const t = translate(validate(ast, testCatalog()));
      const rest = performance.now() - t1;
      // Generous bounds for a loaded machine; measured about 40 ms and 160 ms.
      expect(parse).to.be.below(2000);
      expect(rest).to.be.below(4000);
      // Flat OR, balanced || and |: PostgreSQL's recursive analysis stays shallow.
      expect(t.sql.match(/\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(\(/)).to.equal(null);
    }
    expect(translate(check(ors)).sql).to.contain(' OR ("t1"."objectId" = 10000))');
  });

  it('needs no deep stack: parse, print, validate and translate run in a 200 KB stack', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `
      import { parseAdql } from './src/adql/parser.ts';
      import { validate } from './src/adql/validator.ts';
      import { translate } from './src/adql/translator.ts';
      import { printAdql } from './src/adql/print.ts';
      import { testCatalog } from './test/adql/test-catalog.ts';
      const terms = (n, f, op) => Array.from({ length: n + 1 }, (_, k) => f(k)).join(op);
      const O = '${O}';
      for (const q of [
        'SELECT objectId FROM ' + O + ' WHERE ' + terms(10000, (k) => 'objectId = ' + k, ' OR '),
        'SELECT objectId FROM ' + O + ' WHERE ' + terms(10000, (k) => 'ra > ' + k, ' AND '),
        'SELECT ' + terms(10000, () => "'x'", ' || ') + ' FROM ' + O,
        'SELECT ' + terms(10000, (k) => String(k), ' | ') + ' FROM ' + O,
        'SELECT ' + terms(2000, () => 'ra', ' - ') + ' FROM ' + O,
      ]) {
        const a = parseAdql(q); printAdql(a); translate(validate(a, testCatalog()));
      }
      console.log('ok');`;
    const out = execFileSync(process.execPath, ['--stack-size=200', '--import', 'tsx', '--input-type=module'], { input: script, encoding: 'utf8' });
    expect(out.trim()).to.equal('ok');
  });

  it('bounds the depth of + - * / that PostgreSQL would analyse, with the place', () => {
    const sum = (n: number) => Array.from({ length: n + 1 }, () => 'ra').join(' + ');
    expect(() => check(`SELECT ${sum(2000)} FROM ${O}`)).to.not.throw();
    const e = rejects(`SELECT ${sum(2001)} FROM ${O}`, 'nests more than 2000 arithmetic operators');
    expect(e).to.deep.include({ line: 1, column: 8 });
    // Depth adds up through parentheses and function calls; grouping halves it.
    rejects(`SELECT ABS(${sum(1000)}) + ${sum(1000)} FROM ${O}`, 'nests more than 2000');
    expect(() => check(`SELECT ${sum(1000)} + ABS(${sum(1000)}) FROM ${O}`)).to.not.throw();
    expect(() => check(`SELECT (${sum(1500)}) + (${sum(1500)}) FROM ${O}`)).to.not.throw();
  });
});

describe('ADQL grammar corners: the offline check type-checks without a catalog', () => {
  const offline = (q: string) => {
    try {
      validate(parseAdql(q), null);
      return 'VALID';
    } catch (e) {
      if (!(e instanceof QuerySyntaxError)) throw e;
      return e.message;
    }
  };
  const server = (q: string) => {
    try {
      check(q);
      return 'VALID';
    } catch (e) {
      if (!(e instanceof QuerySyntaxError)) throw e;
      return e.message;
    }
  };

  it('rejects what the server rejects without needing the catalog, with the same message', () => {
    for (const q of [
      `SELECT POINT(ra, decl) || 'x' FROM ${O}`,
      `SELECT 'x' || CIRCLE(0, 0, 1) FROM ${O}`,
      `SELECT nosuchfunc(ra) FROM ${O}`,
      `SELECT pg_sleep(1) FROM ${O}`,
      `SELECT ivo_hasword(ra) FROM ${O}`,
      `SELECT CONTAINS(POINT(ra, decl), 1) FROM ${O}`,
      `SELECT IN_UNIT(ra, 'parsec') FROM ${O}`,
      `SELECT o.ra FROM ${O} AS x`,
      `SELECT ra FROM ${O} WHERE COUNT(*) > 1`,
      `SELECT 1 FROM ${O} UNION SELECT 1, 2 FROM ${O}`,
      `WITH c (a, b) AS (SELECT ra FROM ${O}) SELECT a FROM c`,
      `SELECT ra FROM ${O} WHERE 'a' LIKE 1`,
      `SELECT REGION('CIRCLE ICRS 1 2 3') FROM ${O}`,
      `SELECT LOWER(1) FROM ${O}`,
    ]) {
      const s = server(q);
      expect(s, q).to.not.equal('VALID');
      expect(offline(q), q).to.equal(s);
    }
  });

  it('accepts what the server accepts, with stars and subqueries over tables it does not know', () => {
    for (const q of [
      `SELECT ivo_hasword(filterName, 'r') FROM ${S}`,
      `SELECT IN_UNIT(ra, 'arcsec'), ra || 'x' FROM ${O}`,
      `SELECT * FROM ${O} UNION SELECT * FROM ${O}`,
      `SELECT x.ra FROM (SELECT * FROM ${O}) AS x ORDER BY 1`,
      `WITH c (a, b) AS (SELECT objectId, ra FROM ${O}) SELECT a FROM c WHERE b > 1`,
      `WITH c AS (SELECT * FROM ${O}) SELECT c.decl FROM c`,
      `SELECT ra FROM ${O} WHERE objectId IN (SELECT objectId FROM ${S})`,
      `SELECT (SELECT MAX(ra) FROM ${S}) FROM ${O}`,
      `SELECT o.ra, s.ra FROM ${O} o JOIN ${S} s USING (objectId)`,
      `SELECT "DC_W13_Stripe82.Object".ra FROM "DC_W13_Stripe82.Object"`,
      `SELECT DC_W13_Stripe82.Object.ra, Object.decl FROM ${O}`,
    ]) {
      expect(server(q), q).to.equal('VALID');
      expect(offline(q), q).to.equal('VALID');
    }
  });
});

describe('ADQL grammar corners: the ROUND rule in the capabilities', () => {
  it('states the rounding and RAND(seed) rules in the language description', async () => {
    const { tapCapabilitiesXml } = await import('../../src/ivoa/vosi/capabilities-document.js');
    const { loadConfig } = await import('../../src/config.js');
    const { ROUNDING_NOTE, RAND_NOTE } = await import('../../src/adql/functions.js');
    const xml = tapCapabilitiesXml({ base: 'http://x/tap', limits: loadConfig({}).limits, udfs: [], securityMethods: [null] });
    const description = /<language>[\s\S]*?<description>([\s\S]*?)<\/description>/.exec(xml)![1]!;
    expect(description).to.contain('HEALPix').and.contain(ROUNDING_NOTE).and.contain(RAND_NOTE);
    expect(ROUNDING_NOTE).to.contain('half away from zero');
  });

  it('translates both ROUND forms through numeric', () => {
    const sql = translate(check(`SELECT ROUND(ra), ROUND(ra, 2), ROUND(nSources), ROUND(nSources, -1), TRUNCATE(ra) FROM ${O}`)).sql;
    expect(sql).to.contain('round(CAST("t1"."ra" AS numeric))').and.contain('round(CAST("t1"."ra" AS numeric), 2)');
    expect(sql).to.contain('trunc(CAST("t1"."ra" AS numeric))');
  });
});

describe('ADQL grammar corners: adql check FILE with multi-line queries', function () {
  this.timeout(60_000);
  const FORM = "expected a comparison (=, <>, <, >, <=, >=), BETWEEN, IN, LIKE, ILIKE or IS NULL, found 'FORM'";
  const file = [
    '-- two queries over several lines, a blank line between them',
    'SELECT a,',
    '       b',
    'FROM t',
    'WHERE a > 1',
    '',
    'SELECT a',
    '  FROM t -- a comment',
    '  WHERE a FORM 1;',
    'SELECT x FROM u; -- ends here',
    "SELECT 'a;",
    '',
    "b;' FROM t",
    '   ',
    '',
    'SELECT a FROM t; SELECT b FROM u',
  ].join('\n');

  it('splits at blank lines and at a ; ending a line, not inside strings, with input positions', async () => {
    const { checkAdql, splitQueries } = await import('../../src/cli/adql.js');
    expect(splitQueries(file).map((q) => q.line)).to.deep.equal([2, 7, 10, 11, 16]);
    expect(checkAdql(file).map((r) => [r.line, r.message])).to.deep.equal([
      [2, 'VALID'],
      [7, `line 9, column 11: ${FORM}`],
      [10, 'VALID'],
      [11, 'VALID'],
      [16, "line 16, column 16: ';' is not allowed: send a single query, without a terminating semicolon"],
    ]);
    expect(checkAdql('SELECT a FROM t;\r\nSELECT b FROM u\r\n').map((r) => r.message)).to.deep.equal(['VALID', 'VALID']);
    expect(checkAdql('-- nothing but a comment\n\n')).to.deep.equal([]);
  });

  it('prints nothing but the results under npm run -s, and exits 1 when one is invalid', async () => {
    const { spawnSync } = await import('node:child_process');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adql-check-'));
    try {
      const f = path.join(dir, 'q.adql');
      fs.writeFileSync(f, file);
      const r = spawnSync('npm', ['run', '-s', 'vodax', '--', 'adql', 'check', f], { encoding: 'utf8' });
      expect(r.stderr).to.equal('');
      expect(r.stdout.split('\n')).to.deep.equal(['VALID', `line 9, column 11: ${FORM}`, 'VALID', 'VALID', "line 16, column 16: ';' is not allowed: send a single query, without a terminating semicolon", '']);
      expect(r.status).to.equal(1);
      fs.writeFileSync(f, 'SELECT a\nFROM t;\nSELECT POINT(1, 2) || b\nFROM t\n');
      const r2 = spawnSync('npm', ['run', '-s', 'vodax', '--', 'adql', 'check', f], { encoding: 'utf8' });
      expect([r2.stdout, r2.stderr, r2.status]).to.deep.equal(['VALID\nline 3, column 8: || cannot concatenate a POINT\n', '', 1]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
