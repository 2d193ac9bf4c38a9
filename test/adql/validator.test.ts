/**
 * Validator and translator without a database: a corpus of queries that must validate and
 * translate, a corpus that must be rejected at a given place with a given message (unknown
 * names with suggestions, ambiguity, types, functions, the injection corpus), result column
 * metadata and naming, and the shape of the SQL for each construct.
 */
import { expect } from 'chai';
import { parseAdql } from '../../src/adql/parser.js';
import { validate } from '../../src/adql/validator.js';
import { translate } from '../../src/adql/translator.js';
import { QuerySyntaxError } from '../../src/errors.js';
import { Catalog } from '../../src/catalog/query-catalog.js';
import { checkAdql } from '../../src/cli/adql.js';
import { testCatalog } from './test-catalog.js';
import { statusOf } from '../../src/http/error-table.js';

const O = 'DC_W13_Stripe82.Object';
const S = 'DC_W13_Stripe82.Source';
const W = 'joe_myDb."Weird Table"';

/** Queries that must validate and translate against the test catalog. */
const VALID: readonly string[] = [
  `SELECT * FROM ${O}`,
  `SELECT TOP 10 objectId, ra, decl FROM ${O}`,
  `SELECT o.* FROM ${O} AS o`,
  `SELECT Object.ra FROM ${O}`,
  `SELECT DC_W13_Stripe82.Object.ra FROM ${O}`,
  `SELECT "DC_W13_Stripe82.Object".ra FROM "DC_W13_Stripe82.Object"`,
  `SELECT RA, DECL, OBJECTID FROM ${O}`,
  `SELECT "ra" FROM ${O}`,
  `SELECT ra FROM dc_w13_stripe82.object`,
  `SELECT o.ra, s.ra FROM ${O} o JOIN ${S} s ON s.objectId = o.objectId`,
  `SELECT o.ra, s.ra FROM ${O} o JOIN ${S} s USING (objectId)`,
  `SELECT objectId, o.ra FROM ${O} o JOIN ${S} s USING (objectId)`,
  `SELECT * FROM ${O} o NATURAL JOIN ${S} s`,
  `SELECT * FROM ${O} o LEFT OUTER JOIN ${S} s ON s.objectId = o.objectId`,
  `SELECT * FROM ${O} o RIGHT JOIN ${S} s ON s.objectId = o.objectId`,
  `SELECT objectId FROM ${O} o FULL OUTER JOIN ${S} s USING (objectId)`,
  `SELECT o.objectId FROM ${O} o CROSS JOIN ${S} s`,
  `SELECT o.objectId FROM ${O} o, ${S} s WHERE o.objectId = s.objectId`,
  `SELECT a.ra, b.ra FROM ${O} a, ${O} b WHERE a.objectId = b.objectId`,
  `SELECT x.n FROM (SELECT COUNT(*) AS n FROM ${O}) AS x`,
  `SELECT x.ra FROM (SELECT TOP 5 ra FROM ${O} ORDER BY ra) x`,
  `SELECT * FROM (SELECT ra, ra FROM ${O}) AS x`,
  `WITH c AS (SELECT objectId, ra FROM ${O}) SELECT c.ra FROM c`,
  `WITH c (id, r) AS (SELECT objectId, ra FROM ${O}) SELECT id, r FROM c WHERE r > 1`,
  `WITH a AS (SELECT ra FROM ${O}), b AS (SELECT ra FROM a) SELECT * FROM b`,
  `SELECT ra FROM ${O} WHERE objectId IN (SELECT objectId FROM ${S})`,
  `SELECT ra FROM ${O} o WHERE EXISTS (SELECT 1 FROM ${S} s WHERE s.objectId = o.objectId)`,
  `SELECT ra, (SELECT COUNT(*) FROM ${S} s WHERE s.objectId = o.objectId) AS n FROM ${O} o`,
  `SELECT ra FROM ${O} o WHERE ra > (SELECT AVG(ra) FROM ${O})`,
  `SELECT ra FROM ${O} UNION SELECT ra FROM ${S}`,
  `SELECT ra FROM ${O} UNION ALL SELECT ra FROM ${S} ORDER BY 1`,
  `SELECT ra FROM ${O} EXCEPT SELECT ra FROM ${S} ORDER BY ra DESC`,
  `SELECT objectId FROM ${O} INTERSECT SELECT objectId FROM ${S}`,
  `(SELECT TOP 3 ra FROM ${O} ORDER BY ra) UNION (SELECT TOP 3 ra FROM ${S} ORDER BY ra DESC)`,
  `SELECT nSources FROM ${O} UNION SELECT 1.5 FROM ${S}`,
  `SELECT filterName, COUNT(*) FROM ${S} GROUP BY filterName`,
  `SELECT filterName AS f, COUNT(*) AS n FROM ${S} GROUP BY f HAVING COUNT(*) > 3 ORDER BY n DESC`,
  `SELECT FLOOR(ra), COUNT(*) FROM ${O} GROUP BY FLOOR(ra)`,
  `SELECT MIN(ra), MAX(decl), SUM(nSources), AVG(rPsfMag), COUNT(DISTINCT nSources) FROM ${O}`,
  `SELECT ra FROM ${O} ORDER BY ra DESC, decl ASC`,
  `SELECT ra AS r FROM ${O} ORDER BY r`,
  `SELECT ra FROM ${O} ORDER BY 1 OFFSET 10`,
  `SELECT ra FROM ${O} ORDER BY ABS(decl)`,
  `SELECT DISTINCT filterName FROM ${S}`,
  `SELECT ra + decl, ra - decl, ra * 2, ra / 2, -ra, +ra FROM ${O}`,
  `SELECT objectId & 255, objectId | 1, objectId ^ 3, ~objectId FROM ${O}`,
  `SELECT 'id ' || objectId, filterName || '!' FROM ${S}`,
  `SELECT ABS(ra), CEILING(ra), FLOOR(ra), DEGREES(ra), RADIANS(ra), EXP(0), LOG(2), LOG10(100), SQRT(4), PI(), RAND(), RAND(42) FROM ${O}`,
  `SELECT MOD(nSources, 3), MOD(ra, 7), POWER(ra, 2), ROUND(ra), ROUND(ra, 3), TRUNCATE(ra), TRUNCATE(ra, -1) FROM ${O}`,
  `SELECT ACOS(0.5), ASIN(0.5), ATAN(1), ATAN2(1, 2), COS(ra), COT(1), SIN(ra), TAN(ra) FROM ${O}`,
  `SELECT LOWER(filterName), UPPER(filterName) FROM ${S}`,
  `SELECT IN_UNIT(ra, 'arcmin'), IN_UNIT(raSigma, 'mas'), IN_UNIT(decl, 'rad') FROM ${O}`,
  `SELECT CAST(o.ra AS INTEGER), CAST(o.objectId AS VARCHAR(20)), CAST(nSources AS DOUBLE PRECISION), CAST(s.ra AS REAL), CAST(nSources AS SMALLINT), CAST(s.objectId AS BIGINT), CAST(filterName AS CHAR(1)) FROM ${S} s, ${O} o`,
  `SELECT CASE WHEN ra > 180 THEN ra - 360 ELSE ra END FROM ${O}`,
  `SELECT CASE filterName WHEN 'r' THEN 1 WHEN 'g' THEN 2 ELSE 0 END FROM ${S}`,
  `SELECT COALESCE(rPsfMag, 99) FROM ${O}`,
  `SELECT ra FROM ${O} WHERE ra BETWEEN 0 AND 10 AND decl NOT BETWEEN -1 AND 0`,
  `SELECT ra FROM ${O} WHERE objectId IN (1, 2, 3) OR objectId NOT IN (4)`,
  `SELECT ra FROM ${O} WHERE rPsfMag IS NULL OR uPsfMag IS NOT NULL`,
  `SELECT filterName FROM ${S} WHERE filterName LIKE 'r%' OR filterName NOT LIKE '_' OR filterName ILIKE 'R'`,
  `SELECT filterName FROM ${S} WHERE filterName LIKE 'a!%' ESCAPE '!'`,
  `SELECT ra FROM ${O} WHERE NOT (ra > 1 AND decl < 0) OR ra = 3`,
  `SELECT * FROM ${O} WHERE CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 10, 0, 0.1)) = 1`,
  `SELECT * FROM ${O} WHERE CONTAINS(POINT(ra, decl), CIRCLE(POINT(10, 0), 0.1)) = 1`,
  `SELECT * FROM ${O} WHERE 1 = CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 0.1))`,
  `SELECT * FROM ${O} WHERE CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 0.1)) <> 0`,
  `SELECT * FROM ${O} WHERE CONTAINS(POINT(ra, decl), BOX(10, 0, 1, 1)) = 1`,
  `SELECT * FROM ${O} WHERE CONTAINS(POINT(ra, decl), POLYGON(10, 0, 11, 0, 11, 1)) = 1`,
  `SELECT * FROM ${O} WHERE CONTAINS(POINT(ra, decl), POLYGON(POINT(10, 0), POINT(11, 0), POINT(11, 1))) = 1`,
  `SELECT * FROM ${O} WHERE INTERSECTS(POINT(ra, decl), CIRCLE(10, 0, 0.1)) = 1`,
  `SELECT * FROM ${O} WHERE INTERSECTS(CIRCLE(ra, decl, 0.01), CIRCLE(10, 0, 0.1)) = 1`,
  `SELECT * FROM ${O} WHERE DISTANCE(POINT(ra, decl), POINT(10, 0)) < 0.1`,
  `SELECT * FROM ${O} WHERE DISTANCE(ra, decl, 10, 0) <= 0.1`,
  `SELECT * FROM ${O} WHERE 0.1 > DISTANCE(POINT(10, 0), POINT(ra, decl))`,
  `SELECT * FROM ${O} o, ${S} s WHERE DISTANCE(POINT(o.ra, o.decl), POINT(s.ra, s.decl)) < 1.0/3600`,
  `SELECT * FROM ${O} o JOIN ${S} s ON CONTAINS(POINT(o.ra, o.decl), CIRCLE(s.ra, s.decl, 0.001)) = 1`,
  `SELECT POINT(ra, decl), CIRCLE(ra, decl, 1), BOX(ra, decl, 1, 2), POLYGON(ra, decl, ra + 1, decl, ra, decl + 1) FROM ${O}`,
  `SELECT DISTANCE(POINT(ra, decl), POINT(0, 0)) AS d FROM ${O} ORDER BY d`,
  `SELECT AREA(CIRCLE(0, 0, 1)), CENTROID(POLYGON(0, 0, 1, 0, 1, 1)), COORD1(POINT(1, 2)), COORD2(POINT(ra, decl)), COORDSYS(POINT(1, 2)) FROM ${O}`,
  `SELECT ivo_hasword(description, 'object') FROM TAP_SCHEMA.tables`,
  `SELECT table_name FROM TAP_SCHEMA.tables WHERE ivo_nocasematch(table_name, '%object%') = 1`,
  `SELECT ivo_hashlist_has('a#b#c', filterName), ivo_interval_overlaps(1, 2, ra, decl) FROM ${S}`,
  `SELECT filterName, ivo_string_agg(sourceId, ',') FROM ${S} GROUP BY filterName`,
  `SELECT table_name, table_index FROM TAP_SCHEMA.tables ORDER BY table_index`,
  `SELECT "select", "when", Mixed FROM ${W}`,
  `SELECT w."select" FROM ${W} AS w WHERE w."when" > '2020-01-01'`,
  `SELECT mixed_flag FROM ${W} WHERE mixed_flag = 1`,
  `SELECT CONTAINS(centre, footprint), AREA(footprint), COORD1(centre) FROM ${W}`,
  `SELECT * FROM ${W} WHERE CONTAINS(centre, CIRCLE(1, 2, 3)) = 1 AND INTERSECTS(footprint, BOX(1, 2, 3, 4)) = 1`,
  `SELECT IN_UNIT(flux, 'Jy'), IN_UNIT(Mixed, 'arcsec') FROM ${W}`,
  `SELECT mask & 0xFF, small + 1, 0x7FFFFFFFFFFFFFFF FROM ${W}`,
  `SELECT TOP 0 * FROM ${O}`,
  `SELECT r FROM (SELECT ra AS r, decl AS r FROM ${O}) x ORDER BY r`,
  `SELECT ra FROM Object`,
  `SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), POLYGON(0, -10, 120, -10, 240, -10)) = 1`,
];

/** Rejected queries: '§' marks where the error points; the text is a fragment of its message. */
const INVALID_MARKED: readonly [string, string][] = [
  // unknown names, suggestions
  [`SELECT §dec FROM ${O}`, `no column "dec" in DC_W13_Stripe82.Object; did you mean "decl"?`],
  [`SELECT ra FROM §Objekt`, `no table "Objekt"; did you mean "DC_W13_Stripe82.Object"?`],
  [`SELECT ra FROM §DC_W13_Stripe82.Objekt`, 'did you mean "DC_W13_Stripe82.Object"?'],
  [`SELECT ra FROM §DC_W13_Stripe8.Object`, 'no table "DC_W13_Stripe8.Object"'],
  [`SELECT ra FROM §nosuchtable`, 'no table "nosuchtable"'],
  [`SELECT o.§dec FROM ${O} o`, 'no column "dec" in o; did you mean "decl"?'],
  [`SELECT §"RA" FROM ${O}`, 'no column "RA" in DC_W13_Stripe82.Object; did you mean "ra"?'],
  [`SELECT §"Ra" FROM ${O}`, 'did you mean "ra"?'],
  [`SELECT ra FROM §"dc_w13_stripe82"."object"`, 'no table'],
  [`SELECT §x.ra FROM ${O} o`, 'no table "x" in FROM'],
  [`SELECT §Object.ra FROM ${O} AS o`, 'no table "Object" in FROM'],
  [`SELECT §vodax_hpx FROM ${O}`, 'no column "vodax_hpx"'],
  [`SELECT o.§vodax_hpx FROM ${O} o`, 'no column "vodax_hpx"'],
  [`SELECT ra FROM ${O} WHERE §magnitude > 3`, 'no column "magnitude"'],
  [`SELECT ra FROM ${O} ORDER BY §nosuch`, 'no column "nosuch"'],
  [`SELECT ra FROM ${O} GROUP BY §nosuch`, 'no column "nosuch"'],
  [`SELECT x.§dec FROM (SELECT ra, decl FROM ${O}) AS x`, 'no column "dec" in x; did you mean "decl"?'],
  [`WITH c AS (SELECT ra FROM ${O}) SELECT §decl FROM c`, 'no column "decl" in c'],
  [`SELECT ra FROM ${O} WHERE objectId IN (SELECT §objId FROM ${S})`, 'no column "objId"'],
  [`SELECT ra FROM ${O} o JOIN ${S} s USING (§objId)`, 'no column "objId" in the left side of the join'],
  [`SELECT x.ra FROM (SELECT ra FROM ${O}) AS x JOIN ${S} s ON §o.objectId = s.objectId`, 'no table "o" in FROM'],
  // ambiguity
  [`SELECT §ra FROM ${O}, ${S}`, 'column "ra" is ambiguous: DC_W13_Stripe82.Object.ra or DC_W13_Stripe82.Source.ra'],
  [`SELECT §objectId FROM ${O} o JOIN ${S} s ON o.objectId = s.objectId`, 'column "objectId" is ambiguous: o.objectId or s.objectId'],
  [`SELECT ra FROM ${O} o, ${S} s WHERE §decl > 0`, 'ambiguous'],
  [`SELECT ra FROM ${O} §JOIN ${O} ON ra > 0`, 'appears twice in FROM'],
  [`SELECT o.ra FROM ${O} o, ${S} §o`, 'appears twice in FROM'],
    [`SELECT ra AS x, decl AS x FROM ${O} ORDER BY §x`, 'ORDER BY "x" is ambiguous'],
    // functions
  [`SELECT §pg_sleep(10) FROM ${O}`, 'unknown function "pg_sleep"'],
  [`SELECT ra FROM ${O} WHERE §pg_sleep(10) = 1`, 'unknown function "pg_sleep"'],
  [`SELECT §pg_read_file('/etc/passwd') FROM ${O}`, 'unknown function "pg_read_file"'],
  [`SELECT §set_config('statement_timeout', '0', 'false') FROM ${O}`, 'unknown function "set_config"'],
  [`SELECT §current_setting('data_directory') FROM ${O}`, 'unknown function "current_setting"'],
  [`SELECT §version() FROM ${O}`, 'unknown function "version"'],
  [`SELECT §lo_import('/etc/passwd') FROM ${O}`, 'unknown function "lo_import"'],
  [`SELECT §dblink('x', 'y') FROM ${O}`, 'unknown function "dblink"'],
  [`SELECT §pg_terminate_backend(1) FROM ${O}`, 'unknown function "pg_terminate_backend"'],
  [`SELECT §query_to_xml('select 1', 1, 1, '') FROM ${O}`, 'unknown function "query_to_xml"'],
  [`SELECT "pg_sleep"(1) FROM ${O}`, ''],
  [`SELECT §ivo_haswrd(filterName, 'r') FROM ${S}`, 'unknown function "ivo_haswrd"; did you mean "ivo_hasword"?'],
  [`SELECT §ivo_hasword(filterName) FROM ${S}`, 'ivo_hasword takes 2 arguments, found 1'],
  [`SELECT ivo_hasword(§ra, 'x') FROM ${O}`, 'argument 1 of ivo_hasword must be a string'],
  [`SELECT ra FROM ${O} WHERE §ivo_string_agg(filterName, ',') = 'x'`, 'aggregate'],
  [`SELECT ra FROM ${O} WHERE §COUNT(*) > 1`, 'COUNT is an aggregate'],
  [`SELECT SUM(§MAX(ra)) FROM ${O}`, 'cannot be nested'],
  [`SELECT ra FROM ${O} GROUP BY §AVG(ra)`, 'aggregate'],
  [`SELECT ra FROM ${O} o JOIN ${S} s ON §COUNT(*) > 0`, 'aggregate'],
  [`SELECT RAND(§9223372036854775808) FROM ${O}`, 'the seed of RAND must be a whole number below 2^63'],
  [`SELECT IN_UNIT(ra, §'parsec') FROM ${O}`, 'IN_UNIT does not know the unit "parsec"'],
  [`SELECT IN_UNIT(ra, §'km') FROM ${O}`, 'IN_UNIT cannot convert angle ("deg") to length ("km")'],
  [`SELECT IN_UNIT(§nSources, 'deg') FROM ${O}`, 'the unit of this value is not known'],
  [`SELECT IN_UNIT(uPsfMag, §'deg') FROM ${O}`, 'IN_UNIT cannot convert from "mag"'],
  // types
  [`SELECT ra FROM ${O} WHERE §ra = 'abc'`, 'cannot compare double with string'],
  [`SELECT ra FROM ${O} WHERE §POINT(ra, decl) = POINT(1, 2)`, 'cannot compare POINT with POINT; use CONTAINS, INTERSECTS or DISTANCE'],
  [`SELECT §filterName + 1 FROM ${S}`, 'the + operator needs a number, not string'],
  [`SELECT §ra & 1 FROM ${O}`, 'the & operator needs integers, not double'],
  [`SELECT §~ra FROM ${O}`, 'the ~ operator needs an integer'],
  [`SELECT ra FROM ${O} WHERE §ra LIKE 'x%'`, 'LIKE needs strings, not double'],
  [`SELECT ra FROM ${S} WHERE filterName LIKE 'x' ESCAPE §'ab'`, 'the ESCAPE string must be one character'],
  [`SELECT LOWER(§ra) FROM ${O}`, 'LOWER needs a string, not double'],
  [`SELECT ABS(§filterName) FROM ${S}`, 'ABS needs a number, not string'],
  [`SELECT CASE WHEN ra > 0 THEN 'a' ELSE §1 END FROM ${O}`, 'CASE mixes string and int'],
  [`SELECT COALESCE(ra, §'x') FROM ${O}`, 'COALESCE mixes double and string'],
  [`SELECT POINT(§filterName, 1) FROM ${S}`, 'POINT needs a number, not string'],
  [`SELECT ra FROM ${O} WHERE CONTAINS(§ra, CIRCLE(1, 2, 3)) = 1`, 'CONTAINS needs geometries'],
  [`SELECT COORD1(§CIRCLE(1, 2, 3)) FROM ${O}`, 'COORD1 expects a point'],
  [`SELECT AREA(§ra) FROM ${O}`, 'AREA needs a geometry, not double'],
  [`SELECT §CAST(POINT(1, 2) AS INTEGER) FROM ${O}`, 'cannot CAST POINT to INTEGER'],
  [`SELECT §CAST(ra AS TIMESTAMP) FROM ${O}`, 'cannot CAST double to TIMESTAMP'],
  [`SELECT ra FROM ${O} WHERE ra > §(SELECT ra, decl FROM ${O})`, 'must return one column'],
  [`SELECT ra FROM ${O} WHERE ra IN (§SELECT ra, decl FROM ${O})`, 'the subquery of IN must return one column, not 2'],
  [`§SELECT ra FROM ${O} UNION SELECT ra, decl FROM ${S}`, 'each side of UNION must have the same number of columns'],
  [`§SELECT ra FROM ${O} UNION SELECT filterName FROM ${S}`, 'column 1 of UNION is double on the left but string on the right'],
  [`SELECT ra FROM ${O} UNION SELECT ra FROM ${S} ORDER BY §decl`, 'ORDER BY of UNION must name a result column'],
  [`SELECT ra FROM ${O} ORDER BY §3`, 'ORDER BY 3: the result has 1 column'],
  [`WITH §c (a, b) AS (SELECT ra FROM ${O}) SELECT a FROM c`, 'names 2 columns but its query returns 1'],
  [`WITH c AS (SELECT ra FROM ${O}), §c AS (SELECT ra FROM ${O}) SELECT ra FROM c`, 'defined twice'],
  [`SELECT ra FROM ${O} WHERE §REGION('CIRCLE ICRS 1 2 3') IS NULL`, 'REGION is not supported'],
  [`SELECT POINT(§'GALACTIC', 1, 2) FROM ${O}`, 'coordinate system "GALACTIC" is not supported'],
  [`SELECT §0x1FFFFFFFFFFFFFFFF FROM ${O}`, 'wider than 64 bits'],
  [`SELECT * FROM ${O} WHERE §CONTAINS(POINT(ra, decl), POLYGON(0, 0, 0, 0, 0, 0)) = 1`, 'invalid polygon'],
  [`SELECT * FROM ${O} WHERE §CONTAINS(POINT(ra, decl), CIRCLE(0, 95, 1)) = 1`, 'Dec must be a finite number of degrees in [-90, 90], got 95'],
  [`SELECT * FROM ${O} WHERE CONTAINS(POINT(ra, decl), §BOX(0, 89, 1, 4)) = 1`, 'BOX reaches beyond a pole'],
  [`SELECT * FROM ${O} WHERE §CONTAINS(POINT(ra, decl), POLYGON(0, 0, 90, 0, 180, 0, 270, 0)) = 1`, 'larger than a hemisphere'],
  // system catalogs and internal tables do not exist
  [`SELECT * FROM §pg_catalog.pg_user`, 'no table "pg_catalog.pg_user"'],
  [`SELECT * FROM §pg_shadow`, 'no table "pg_shadow"'],
  [`SELECT * FROM §pg_catalog.pg_authid`, 'no table'],
  [`SELECT * FROM §information_schema.tables`, 'no table "information_schema.tables"'],
  [`SELECT * FROM §information_schema.columns`, 'no table'],
  [`SELECT * FROM §vodax.users`, 'no table "vodax.users"'],
  [`SELECT * FROM §vodax.tokens`, 'no table "vodax.tokens"'],
  [`SELECT * FROM §vodax.jobs`, 'no table "vodax.jobs"'],
  [`SELECT * FROM §"TAP_SCHEMA".keys`, 'no table'],
  [`SELECT * FROM §pg_stat_activity`, 'no table "pg_stat_activity"'],
  [`SELECT * FROM ${O} WHERE objectId IN (SELECT usesysid FROM §pg_user)`, 'no table "pg_user"'],
  [`SELECT * FROM §"DC_W13_Stripe82"."Object""; DROP TABLE x; --"`, 'no table'],
  [`SELECT §"ra""; DROP TABLE x; --" FROM ${O}`, 'no column'],
  [`SELECT ra AS r FROM ${O} o, §joe_myDb.Secret s`, 'no table "joe_myDb.Secret"'],
];

function locate(marked: string): { query: string; line: number; column: number } {
  const at = marked.indexOf('§');
  const query = marked.replace('§', '');
  const before = query.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return { query, line, column };
}

function check(query: string) {
  return translate(validate(parseAdql(query), testCatalog()), { maxrec: 1000 });
}

function errorOf(query: string): QuerySyntaxError {
  try {
    check(query);
  } catch (e) {
    if (e instanceof QuerySyntaxError) return e;
    throw e;
  }
  throw new Error(`accepted: ${query}`);
}

describe('ADQL validator and translator: corpus', () => {
  it('has at least 90 valid and 90 invalid queries of its own', () => {
    expect(VALID.length).to.be.at.least(90);
    expect(INVALID_MARKED.length).to.be.at.least(90);
  });

  for (const q of VALID) {
    it(`accepts ${q}`, () => {
      const t = check(q);
      // One statement, no comments, every string bound as a parameter.
      expect(t.sql).to.not.match(/;|--|\/\*/);
      const literals = [...q.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));
      // The only quoted text in the SQL is fixed by the translator.
      for (const lit of t.sql.match(/'(?:[^']|'')*'/g) ?? []) expect(["''", "'ICRS'", "'simple'", "'#'"]).to.include(lit);
      for (const l of literals.filter((x) => !/^(ICRS|arcmin|mas|rad|Jy|arcsec)$/.test(x))) expect(t.params).to.include(l);
      expect(t.columns.length).to.be.above(0);
      expect(new Set(t.columns.map((c) => c.name.toLowerCase())).size).to.equal(t.columns.length);
    });
  }

  for (const [marked, message] of INVALID_MARKED) {
    const { query, line, column } = locate(marked);
    it(`rejects ${query}`, () => {
      const e = errorOf(query);
      if (marked.includes('§')) expect([e.line, e.column], e.message).to.deep.equal([line, column]);
      expect(e.detail).to.contain(message);
      expect(statusOf(e)).to.equal(400);
      expect(e.message).to.match(/^line \d+, column \d+: /);
    });
  }
});

describe('ADQL validator: result columns', () => {
  const cols = (q: string) => check(q).columns;

  it('keeps the declared metadata of plain columns, through aliases and subqueries', () => {
    const [ra, x] = cols(`SELECT ra, y.d AS x FROM ${O}, (SELECT decl AS d FROM ${O}) AS y`);
    expect(ra).to.include({ name: 'ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main' });
    expect(ra!.description).to.contain('right ascension');
    expect(x).to.include({ name: 'x', datatype: 'double', unit: 'deg', ucd: 'pos.eq.dec;meta.main' });
  });

  it('makes duplicate names unique, case-insensitively, and names unnamed expressions', () => {
    expect(cols(`SELECT a.ra, b.ra, a.RA FROM ${O} a, ${O} b`).map((c) => c.name)).to.deep.equal(['ra', 'ra_2', 'ra_3']);
    expect(cols(`SELECT COUNT(*), COUNT(ra), ra + 1, ra - 1, MAX(ra) FROM ${O}`).map((c) => c.name)).to.deep.equal(['count', 'count_2', 'col', 'col_2', 'max']);
    expect(cols(`SELECT ra AS x, decl AS x, 1 AS x_2 FROM ${O}`).map((c) => c.name)).to.deep.equal(['x', 'x_3', 'x_2']);
    expect(cols(`SELECT * FROM ${O} o JOIN ${S} s ON o.objectId = s.objectId`).filter((c) => c.name.toLowerCase().startsWith('objectid')).map((c) => c.name)).to.deep.equal(['objectId', 'objectId_2']);
  });

  it('derives types of expressions as PostgreSQL computes them', () => {
    const c = cols(
      `SELECT COUNT(*), AVG(nSources), SUM(nSources), SUM(raSigma), nSources + 1, nSources + objectId, ra * 2, 'a' || 'b', CAST(ra AS INTEGER), 1.5, 10000000000, ` +
        `POINT(ra, decl), CIRCLE(ra, decl, 1), BOX(ra, decl, 1, 1), POLYGON(1, 2, 3, 4, 5, 6), CONTAINS(POINT(ra, decl), CIRCLE(1, 2, 3)), DISTANCE(POINT(ra, decl), POINT(1, 2)), ` +
        `AREA(CIRCLE(1, 2, 3)), COORD1(POINT(ra, decl)), IN_UNIT(ra, 'arcsec'), CAST(objectId AS VARCHAR(8)), ivo_hasword('a', 'b'), raSigma * 2, ROUND(nSources) FROM ${O} GROUP BY nSources, objectId, ra, decl, raSigma`,
    );
    const brief = c.map((x) => [x.datatype, x.arraysize ?? null, x.xtype ?? null, x.unit ?? null]);
    expect(brief).to.deep.equal([
      ['long', null, null, null],
      ['double', null, null, null],
      ['long', null, null, null],
      ['float', null, null, 'arcsec'],
      ['int', null, null, null],
      ['long', null, null, null],
      ['double', null, null, null],
      ['char', '*', null, null],
      ['int', null, null, 'deg'],
      ['double', null, null, null],
      ['long', null, null, null],
      ['double', '2', 'point', null],
      ['double', '3', 'circle', null],
      ['double', '*', 'polygon', null],
      ['double', '*', 'polygon', null],
      ['int', null, null, null],
      ['double', null, null, 'deg'],
      ['double', null, null, 'deg**2'],
      ['double', null, null, 'deg'],
      ['double', null, null, 'arcsec'],
      ['char', '8*', null, null],
      ['int', null, null, null],
      ['double', null, null, null],
      ['int', null, null, null],
    ]);
  });

  it('takes names from the left of a set operation and the common type of both sides', () => {
    const [c] = cols(`SELECT nSources AS n FROM ${O} UNION SELECT ra FROM ${O}`);
    expect(c).to.include({ name: 'n', datatype: 'double' });
    const t = check(`SELECT nSources AS n FROM ${O} UNION SELECT ra FROM ${O}`);
    expect(t.sql).to.contain('CAST("t1"."nSources" AS double precision)');
  });

  it('lists * in declared order without the hidden HEALPix column, USING columns once', () => {
    const names = cols(`SELECT * FROM ${O}`).map((c) => c.name);
    expect(names.slice(0, 3)).to.deep.equal(['objectId', 'ra', 'decl']);
    expect(names).to.not.include('vodax_hpx');
    const joined = cols(`SELECT * FROM ${O} o JOIN ${S} s USING (objectId)`).map((c) => c.name);
    expect(joined.filter((n) => n === 'objectId')).to.have.length(1);
    expect(joined[0]).to.equal('objectId');
  });

  it('TAP_UPLOAD tables can be added per request', () => {
    const extra = testCatalog().withTables([
      { schema: 'TAP_UPLOAD', name: 'mine', pgSchema: 'pg_temp', pgTable: 'upload_1', description: null, columns: [{ name: 'id', datatype: 'int' }], position: null },
    ]);
    const t = translate(validate(parseAdql('SELECT id FROM TAP_UPLOAD.mine'), extra));
    expect(t.sql).to.contain('"pg_temp"."upload_1"');
    expect(() => validate(parseAdql('SELECT id FROM TAP_UPLOAD.mine'), testCatalog())).to.throw(QuerySyntaxError, 'no table');
  });

  it("makes a table's columns once per catalog, and every query of it gets the same answer", () => {
    const catalog = testCatalog();
    const q = `SELECT * FROM ${O} o NATURAL JOIN ${S} s WHERE o.ra > 1`;
    const first = translate(validate(parseAdql(q), catalog));
    const again = translate(validate(parseAdql(q), catalog));
    expect(again.sql).to.equal(first.sql);
    expect(validate(parseAdql(q), catalog).columns).to.deep.equal(validate(parseAdql(q), testCatalog()).columns);
    let made = 0;
    const view = (t: { name: string }) => {
      made++;
      return t.name.toUpperCase();
    };
    const [a, b] = catalog.tables;
    expect([catalog.derived(a!, view), catalog.derived(a!, view), catalog.derived(b!, view)]).to.deep.equal([a!.name.toUpperCase(), a!.name.toUpperCase(), b!.name.toUpperCase()]);
    expect(made).to.equal(2);
    expect(testCatalog().derived(a!, view)).to.equal(a!.name.toUpperCase());
    expect(made, 'another catalog makes its own').to.equal(3);
  });

  it('an empty catalog knows no table at all', () => {
    expect(() => validate(parseAdql('SELECT * FROM TAP_SCHEMA.tables'), new Catalog([]))).to.throw(QuerySyntaxError, 'no table "TAP_SCHEMA.tables"');
  });
});

describe('ADQL translator: SQL shape', () => {
  const sql = (q: string, maxrec?: number) => translate(validate(parseAdql(q), testCatalog()), { maxrec });

  it('quotes every identifier and maps names to PostgreSQL', () => {
    const t = sql(`SELECT "select", Mixed FROM ${W} AS w`);
    expect(t.sql).to.equal('SELECT "t1"."select" AS "select", "t1"."Mixed" AS "Mixed" FROM "joe_myDb"."Weird Table" AS "t1"');
  });

  it('TOP and MAXREC become one LIMIT; OFFSET stays', () => {
    expect(sql(`SELECT TOP 5 ra FROM ${O}`, 100).sql).to.match(/ LIMIT 5$/);
    expect(sql(`SELECT TOP 500 ra FROM ${O}`, 100).sql).to.match(/ LIMIT 101$/);
    expect(sql(`SELECT ra FROM ${O} ORDER BY ra OFFSET 20`, 100).sql).to.match(/ORDER BY 1 LIMIT 101 OFFSET 20$/);
    expect(sql(`SELECT ra FROM ${O}`).sql).to.not.contain('LIMIT');
    expect(sql(`SELECT ra FROM ${O} UNION SELECT ra FROM ${S}`, 9).sql).to.match(/\) LIMIT 10$/);
  });

  it('binds string literals as parameters, whatever they hold', () => {
    const t = sql(`SELECT ra FROM ${S} WHERE filterName = 'x''; DROP TABLE y; --' OR filterName LIKE '%\\_%'`);
    expect(t.params).to.deep.equal(["x'; DROP TABLE y; --", '%\\_%']);
    expect(t.sql).to.contain(`("t1"."filterName" = CAST($1 AS text))`);
    expect(t.sql).to.contain(`LIKE CAST($2 AS text) ESCAPE ''`);
  });

  it('maps operators and functions', () => {
    const t = sql(`SELECT objectId ^ 3, ~objectId, LOG(ra), LOG10(ra), TRUNCATE(ra), CEILING(ra), RAND(), ROUND(ra, 2), MOD(ra, 2), POWER(ra, 2) FROM ${O}`).sql;
    for (const part of ['"t1"."objectId" # 3', '(~"t1"."objectId")', 'ln(', 'log(', 'trunc(', 'ceil(', 'random()', 'round(CAST("t1"."ra" AS numeric), 2)', 'mod(CAST("t1"."ra" AS numeric)', 'power(']) {
      expect(t).to.contain(part);
    }
    expect(sql(`SELECT 0x10, 1e3, 2.5, -4 FROM ${O}`).sql).to.contain('CAST(16 AS bigint)').and.contain('CAST(1e3 AS double precision)').and.contain('(-4)');
    expect(sql(`SELECT IN_UNIT(ra, 'arcmin') FROM ${O}`).sql).to.contain('* 60)');
  });

  it('a cone search gets a HEALPix range predicate on the index column and an exact test', () => {
    const t = sql(`SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 0.1)) = 1`).sql;
    expect(t).to.match(/\("t1"\."vodax_hpx" BETWEEN \d+ AND \d+( OR "t1"\."vodax_hpx" BETWEEN \d+ AND \d+)*\) AND \(\(power\(sin/);
    const ranges = t.match(/BETWEEN/g)!.length;
    expect(ranges).to.be.within(1, 40);
    // Columns that are not the table's position get no index condition.
    expect(sql(`SELECT ra FROM ${O} WHERE CONTAINS(POINT(decl, ra), CIRCLE(10, 0, 0.1)) = 1`).sql).to.not.contain('vodax_hpx');
    // A negated predicate cannot use the index.
    expect(sql(`SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 0.1)) = 0`).sql).to.not.contain('vodax_hpx');
    // A 100 degree circle still gets (coarse) ranges; a 180 degree one needs none.
    expect(sql(`SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 100)) = 1`).sql).to.contain('vodax_hpx');
    expect(sql(`SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), CIRCLE(10, 0, 180)) = 1`).sql).to.not.contain('vodax_hpx');
  });

  it('polygons and boxes get ranges and the exact polygon function; DISTANCE < r is a cone', () => {
    expect(sql(`SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), POLYGON(359, -1, 1, -1, 0, 1)) = 1`).sql).to.match(/vodax_hpx" BETWEEN .* AND vodax\.frame_contains\(/);
    expect(sql(`SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), BOX(0, 0, 2, 2)) = 1`).sql).to.contain('vodax.frame_contains(');
    expect(sql(`SELECT ra FROM ${O} WHERE DISTANCE(POINT(ra, decl), POINT(0, 0)) < 0.5`).sql).to.match(/vodax_hpx" BETWEEN .* < [\d.e-]+\)\)$/);
    expect(sql(`SELECT ra FROM ${O} WHERE DISTANCE(POINT(ra, decl), POINT(0, 0)) > 0.5`).sql).to.not.contain('vodax_hpx');
  });

  it('a crossmatch probes the larger table from a lateral neighbourhood of the smaller', () => {
    const t = sql(`SELECT o.objectId FROM ${O} o, ${S} s WHERE DISTANCE(POINT(o.ra, o.decl), POINT(s.ra, s.decl)) < 0.001`).sql;
    expect(t).to.contain('CROSS JOIN LATERAL vodax.hpx_neighbours("t1"."vodax_hpx"');
    expect(t).to.match(/"t2"\."vodax_hpx" BETWEEN \("t1_nb"\."p" << \d+\)/);
    // Not under an outer join: the neighbourhood would duplicate NULL-extended rows.
    expect(sql(`SELECT o.objectId FROM ${O} o LEFT JOIN ${S} s ON DISTANCE(POINT(o.ra, o.decl), POINT(s.ra, s.decl)) < 0.001`).sql).to.not.contain('LATERAL');
  });

  it('geometry in the select list is a DALI double array', () => {
    expect(sql(`SELECT POINT(ra, decl) FROM ${O}`).sql).to.contain('CAST(ARRAY["t1"."ra", "t1"."decl"] AS double precision[])');
  });
});

describe('vodax adql check', () => {
  it('reports VALID or the error with the input line and column, one query per line', () => {
    const out = checkAdql('SELECT a FROM t\n\n-- a comment\nSELECT a FORM t\nSELECT TOP 5 * FROM x WHERE ra > 1\n', 'lines');
    expect(out.map((r) => [r.line, r.message])).to.deep.equal([
      [1, 'VALID'],
      [4, "line 4, column 10: expected FROM, found 'FORM'"],
      [5, 'VALID'],
    ]);
    expect(checkAdql('SELECT a\nFROM t\nWHERE a >', 'whole')[0]!.message).to.match(/^line 3, column \d+: /);
  });
});
