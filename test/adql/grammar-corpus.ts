/**
 * A corpus of ADQL 2.1 queries over the sample catalog, written production by production from
 * the standard's BNF (ivoa-std/ADQL adql.bnf), valid and invalid. Invalid queries are wrong for
 * reasons that need no catalog (syntax, functions, literal and function types, geometry), so
 * the offline `adql check` and the server must agree on every one.
 */

const O = 'DC_W13_Stripe82.Object';
const S = 'DC_W13_Stripe82.Source';
const E = 'DC_W13_Stripe82.Science_Ccd_Exposure';
const T = 'TAP_SCHEMA.tables';

/** One corpus entry: the production it exercises, the query, and whether ADQL (and vodax) accept it. */
export interface CorpusQuery {
  production: string;
  query: string;
  valid: boolean;
}

const v = (production: string, ...queries: string[]): CorpusQuery[] => queries.map((query) => ({ production, query, valid: true }));
const x = (production: string, ...queries: string[]): CorpusQuery[] => queries.map((query) => ({ production, query, valid: false }));

/** <value_expression> forms, each in a select list. */
const VALUES = [
  'ra', 'o.ra', 'o.decl', '"ra"', 'objectId', '1', '-1', '+1', '1.5', '.5', '5.', '1e3', '2.5E-2', '0x1F', "'text'", "'it''s'", 'NULL',
  'ra + decl', 'ra - decl', 'ra * 2', 'ra / 2', 'nSources / 2', '(ra + decl) * 2', '-ra', '- -ra', '~nSources', 'nSources & 3', 'nSources | 4', 'nSources ^ 1',
  "'a' || 'b'", "ra || ''", "'x' || objectId || 'y'", 'ra + decl * 2 - 1', '2 * (3 + 4)',
  'ABS(decl)', 'CEILING(ra)', 'FLOOR(ra)', 'DEGREES(1)', 'RADIANS(ra)', 'EXP(1)', 'LOG(ra + 1)', 'LOG10(ra + 1)', 'MOD(nSources, 3)', 'MOD(ra, 2.5)', 'PI()',
  'POWER(ra, 2)', 'SQRT(ra)', 'RAND()', 'RAND(1)', 'RAND(123456789)', 'ROUND(ra)', 'ROUND(ra, 2)', 'ROUND(ra, -1)', 'TRUNCATE(ra)', 'TRUNCATE(ra, 1)', 'TRUNCATE(ra, -2)',
  'ACOS(0.5)', 'ASIN(0.5)', 'ATAN(1)', 'ATAN2(decl, ra)', 'COS(RADIANS(decl))', 'COT(1)', 'SIN(1)', 'TAN(1)',
  "IN_UNIT(ra, 'arcsec')", "IN_UNIT(decl, 'rad')", "IN_UNIT(raSigma, 'mas')",
  "LOWER('ABC')", "UPPER('abc')",
  'CAST(ra AS INTEGER)', 'CAST(ra AS SMALLINT)', 'CAST(ra AS BIGINT)', 'CAST(ra AS REAL)', 'CAST(nSources AS DOUBLE PRECISION)', 'CAST(ra AS CHAR(10))',
  'CAST(ra AS VARCHAR)', 'CAST(ra AS VARCHAR(20))', "CAST('2020-01-01' AS TIMESTAMP)", 'CAST(POINT(1, 2) AS POINT)',
  'COALESCE(rPsfMag, 0)', 'COALESCE(rPsfMag, gPsfMag, 99)', 'COALESCE(NULL, 1)',
  'CASE WHEN ra > 180 THEN 1 ELSE 0 END', "CASE nSources WHEN 0 THEN 'none' WHEN 1 THEN 'one' ELSE 'many' END", 'CASE WHEN ra > 1 THEN ra END',
  'CASE WHEN ra > 1 AND decl < 0 THEN 1 WHEN ra > 2 OR decl > 0 THEN 2 END',
  `(SELECT COUNT(*) FROM ${S})`, `(SELECT MAX(s.ra) FROM ${S} AS s WHERE s.objectId = o.objectId)`,
  'POINT(ra, decl)', "POINT('ICRS', ra, decl)", "POINT('', ra, decl)", 'POINT(NULL, ra, decl)', 'CIRCLE(ra, decl, 1)', 'CIRCLE(POINT(ra, decl), 1)',
  "CIRCLE('ICRS', 1, 2, 3)", 'CIRCLE(NULL, POINT(1, 2), 3)', 'BOX(ra, decl, 1, 2)', 'BOX(POINT(ra, decl), 1, 2)', 'POLYGON(1, 2, 3, 4, 5, 6)',
  'POLYGON(POINT(1, 2), POINT(3, 4), POINT(5, 6))', 'POLYGON(NULL, 1, 2, 3, 4, 5, 6)',
  'DISTANCE(POINT(ra, decl), POINT(0, 0))', 'DISTANCE(ra, decl, 0, 0)', 'AREA(CIRCLE(0, 0, 1))', 'AREA(BOX(0, 0, 1, 1))', 'CENTROID(POLYGON(1, 2, 3, 4, 5, 6))',
  'COORD1(POINT(ra, decl))', 'COORD2(CENTROID(CIRCLE(1, 2, 3)))', 'COORDSYS(POINT(1, 2))', 'CONTAINS(POINT(ra, decl), CIRCLE(0, 0, 1))',
  'INTERSECTS(CIRCLE(ra, decl, 1), BOX(0, 0, 2, 2))',
  "ivo_hasword('a b c', 'b')", "ivo_nocasematch('Abc', 'a%')", "ivo_hashlist_has('a#b', 'b')", 'ivo_interval_overlaps(1, 2, 1.5, 3)',
];

/** <search_condition> forms, each in a WHERE clause. */
const CONDITIONS = [
  'ra > 1', 'ra >= 1', 'ra < 1', 'ra <= 1', 'ra = 1', 'ra <> 1', 'ra != 1', '1 < ra', 'ra + 1 > decl * 2', "'a' < 'b'",
  'ra BETWEEN 1 AND 2', 'ra NOT BETWEEN 1 AND 2', 'ra BETWEEN decl AND decl + 1',
  'nSources IN (1, 2, 3)', 'nSources NOT IN (0)', `objectId IN (SELECT objectId FROM ${S})`, `objectId NOT IN (SELECT objectId FROM ${S} WHERE filterName = 'r')`,
  "'abc' LIKE 'a%'", "'abc' NOT LIKE '_b_'", "'abc' ILIKE 'A%'", "'abc' NOT ILIKE 'x%'", "'a%c' LIKE 'a!%%' ESCAPE '!'",
  'rPsfMag IS NULL', 'rPsfMag IS NOT NULL', 'NULL IS NULL',
  `EXISTS (SELECT 1 FROM ${S} AS s WHERE s.objectId = o.objectId)`, `NOT EXISTS (SELECT 1 FROM ${S} AS s WHERE s.objectId = o.objectId)`,
  'ra > 1 AND decl < 0', 'ra > 1 OR decl < 0', 'NOT ra > 1', 'NOT (ra > 1 OR decl < 0)', '(ra > 1)', '((ra > 1) AND (decl < 0))', 'ra > 1 AND decl < 0 OR nSources = 0',
  '1 = CONTAINS(POINT(ra, decl), CIRCLE(0, 0, 1))', 'CONTAINS(POINT(ra, decl), CIRCLE(0, 0, 1)) = 1', '0 = CONTAINS(POINT(ra, decl), BOX(0, 0, 1, 1))',
  "1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 359.9, 0, 0.5))", '1 = CONTAINS(POINT(ra, decl), POLYGON(359, -1, 1, -1, 1, 1, 359, 1))',
  '1 = INTERSECTS(CIRCLE(ra, decl, 0.01), CIRCLE(0, 0, 1))', 'DISTANCE(POINT(ra, decl), POINT(0, 0)) < 0.5', 'DISTANCE(ra, decl, 0, 0) <= 0.5',
  "ivo_hasword('quasar survey', 'quasar') = 1", 'ra > (SELECT AVG(ra) FROM ' + O + ')', 'ROUND(ra) = 1', 'MOD(nSources, 2) = 0',
  'nSources & 1 = 1', 'CASE WHEN ra > 1 THEN 1 ELSE 0 END = 1', 'COALESCE(rPsfMag, 0) > 20', "CAST(ra AS VARCHAR) LIKE '1%'",
];

/** <table_reference> and <joined_table> forms. */
const FROMS = [
  `${O}`, `${O} AS o`, `${O} o`, `dc_w13_stripe82.object`, `"DC_W13_Stripe82"."Object"`, `${T}`,
  `${O} AS o, ${S} AS s`, `${O} AS o JOIN ${S} AS s ON s.objectId = o.objectId`, `${O} AS o INNER JOIN ${S} AS s ON s.objectId = o.objectId`,
  `${O} AS o LEFT JOIN ${S} AS s ON s.objectId = o.objectId`, `${O} AS o LEFT OUTER JOIN ${S} AS s ON s.objectId = o.objectId`,
  `${O} AS o RIGHT OUTER JOIN ${S} AS s ON s.objectId = o.objectId`, `${O} AS o FULL OUTER JOIN ${S} AS s ON s.objectId = o.objectId`,
  `${O} AS o JOIN ${S} AS s USING (objectId)`, `${O} AS o FULL JOIN ${S} AS s USING (objectId)`, `${O} AS o NATURAL JOIN ${S} AS s`,
  `${O} AS o NATURAL LEFT OUTER JOIN ${S} AS s`, `${O} AS o CROSS JOIN ${T}`, `${O} AS o JOIN ${S} AS s`, `${O} AS o LEFT OUTER JOIN ${S} AS s`,
  `(${O} AS o JOIN ${S} AS s ON s.objectId = o.objectId)`, `(${O} AS o JOIN ${S} AS s USING (objectId)) JOIN ${E} AS e USING (scienceCcdExposureId)`,
  `(SELECT objectId, ra FROM ${O}) AS a JOIN (SELECT objectId, filterName FROM ${S}) AS b`,
  `((SELECT objectId FROM ${O}) AS a JOIN (SELECT objectId FROM ${S}) AS b) FULL OUTER JOIN ((SELECT objectId FROM ${O}) AS c JOIN (SELECT objectId FROM ${S}) AS d)`,
  `(SELECT * FROM ${O}) AS sub`, `(SELECT TOP 10 ra FROM ${O} ORDER BY ra) AS t10`, `(SELECT ra FROM ${O} UNION SELECT ra FROM ${S}) AS u`,
];

const CORPUS_VALID: CorpusQuery[] = [
  ...VALUES.map((e) => ({ production: '<value_expression>', query: `SELECT ${e} FROM ${O} AS o`, valid: true })),
  ...VALUES.slice(0, 40).map((e) => ({ production: '<derived_column> <as_clause>', query: `SELECT ${e} AS v1 FROM ${O} AS o`, valid: true })),
  ...CONDITIONS.map((c) => ({ production: '<search_condition>', query: `SELECT objectId FROM ${O} AS o WHERE ${c}`, valid: true })),
  ...FROMS.map((f) => ({ production: '<from_clause>', query: `SELECT * FROM ${f}`, valid: true })),
  ...v(
    '<select_list>',
    `SELECT * FROM ${O}`, `SELECT *, ra AS r FROM ${O}`, `SELECT ra, *, decl FROM ${O}`, `SELECT o.*, s.sourceId FROM ${O} AS o JOIN ${S} AS s USING (objectId)`,
    `SELECT *, DISTANCE(POINT(ra, decl), POINT(0, 0)) AS d FROM ${O} ORDER BY d`, `SELECT ${O}.* FROM ${O}`, `SELECT Object.*, * FROM ${O}`,
  ),
  ...v(
    '<set_quantifier> <set_limit>',
    `SELECT DISTINCT filterName FROM ${S}`, `SELECT ALL filterName FROM ${S}`, `SELECT TOP 5 * FROM ${O}`, `SELECT DISTINCT TOP 3 filterName FROM ${S}`,
    `SELECT TOP 0 ra FROM ${O}`,
  ),
  ...v(
    '<group_by_clause> <having_clause>',
    `SELECT filterName, COUNT(*) FROM ${S} GROUP BY filterName`, `SELECT filterName AS f, COUNT(*) AS n FROM ${S} GROUP BY f HAVING COUNT(*) > 1`,
    `SELECT FLOOR(ra) AS bin, AVG(rPsfMag) FROM ${O} GROUP BY FLOOR(ra)`, `SELECT nSources, MIN(ra), MAX(ra), SUM(ra), AVG(decl) FROM ${O} GROUP BY nSources`,
    `SELECT COUNT(DISTINCT filterName), COUNT(ALL objectId), COUNT(objectId) FROM ${S}`, `SELECT ivo_string_agg(filterName, ',') FROM ${S}`,
    `SELECT filterName, RAND(1) FROM ${S} GROUP BY filterName`, `SELECT COUNT(*) FROM ${O} HAVING COUNT(*) > 0`,
  ),
  ...v(
    '<order_by_clause> <offset_clause>',
    `SELECT ra FROM ${O} ORDER BY ra`, `SELECT ra FROM ${O} ORDER BY ra DESC`, `SELECT ra, decl FROM ${O} ORDER BY 2, 1 ASC`, `SELECT ra AS r FROM ${O} ORDER BY r`,
    `SELECT ra FROM ${O} ORDER BY ra + decl`, `SELECT TOP 5 ra FROM ${O} ORDER BY ra OFFSET 10`, `SELECT ra FROM ${O} OFFSET 5`, `SELECT ra FROM ${O} ORDER BY RAND(42)`,
  ),
  ...v(
    '<query_set_expression>',
    `SELECT ra FROM ${O} UNION SELECT ra FROM ${S}`, `SELECT ra FROM ${O} UNION ALL SELECT ra FROM ${S}`, `SELECT objectId FROM ${O} EXCEPT SELECT objectId FROM ${S}`,
    `SELECT objectId FROM ${O} INTERSECT SELECT objectId FROM ${S}`, `SELECT ra FROM ${O} UNION SELECT ra FROM ${S} INTERSECT SELECT ra FROM ${O}`,
    `(SELECT TOP 3 ra FROM ${O} ORDER BY ra) UNION (SELECT TOP 3 ra FROM ${S} ORDER BY ra DESC)`, `SELECT ra FROM ${O} UNION SELECT ra FROM ${S} ORDER BY 1 OFFSET 2`,
    `SELECT * FROM ${O} UNION SELECT * FROM ${O}`, `SELECT objectId FROM ${O} EXCEPT ALL SELECT objectId FROM ${S}`,
  ),
  ...v(
    '<with_clause>',
    `WITH c AS (SELECT objectId, ra FROM ${O}) SELECT ra FROM c`, `WITH c (id, r) AS (SELECT objectId, ra FROM ${O}) SELECT id FROM c WHERE r > 1`,
    `WITH a AS (SELECT ra FROM ${O}), b AS (SELECT ra FROM a) SELECT * FROM b`, `WITH c AS (SELECT * FROM ${O}) SELECT c.decl FROM c`,
    `WITH s AS (SELECT objectId FROM ${S}) SELECT o.ra FROM ${O} AS o JOIN s USING (objectId)`,
  ),
  ...v(
    '<character_string_literal> <separator>',
    `SELECT 'ab'\n'cd' FROM ${O}`, `SELECT 'ab' -- a comment\n  'cd' FROM ${O}`, `SELECT objectId FROM ${S} WHERE filterName = ''\n'r'`, `SELECT 'a' 'b' FROM ${O}`,
  ),
  ...v(
    '<token> <comment> <separator>',
    `SELECT 2ra FROM ${O}`, `SELECT ra FROM ${O} WHERE ra > 1AND decl < 0`, `SELECT COUNT(*)n FROM ${O}`, `-- a comment\nSELECT ra FROM ${O}`,
    `SELECT ra -- the column\nFROM ${O} -- the table`, `SELECT\n  ra,\n  decl\nFROM\n  ${O}`, `select RA from dc_w13_stripe82.OBJECT`, `\tSELECT\tra\tFROM\t${O}\n`,
  ),
  ...v(
    '<delimited_identifier>',
    `SELECT "objectId", "ra" FROM "DC_W13_Stripe82"."Object"`, `SELECT ${O}.ra, Object.decl FROM ${O}`, `SELECT o."decl" AS "Dec ""quoted""" FROM ${O} AS "o"`, `SELECT "DC_W13_Stripe82.Object".ra FROM "DC_W13_Stripe82.Object"`,
  ),
];

const CORPUS_INVALID: CorpusQuery[] = [
  ...x(
    '<select_query> structure',
    `SELECT FROM ${O}`, `SELECT ra ${O}`, `SELECT ra FORM ${O}`, `SELET ra FROM ${O}`, `SELECT ra FROM ${O} WHER ra > 1`, `SELECT ra FROM ${O} WHERE`,
    `SELECT ra FROM ${O} ORDER ra`, `SELECT ra FROM ${O} GROUP ra`, `SELECT ra FROM`, `SELECT`, ``, `FROM ${O} SELECT ra`, `SELECT ra, FROM ${O}`,
    `SELECT ra FROM ${O} WHERE ra > 1 WHERE decl > 1`, `SELECT ra FROM ${O} OFFSET 1 ORDER BY ra`, `SELECT ra FROM ${O} HAVING COUNT(*) > 1 GROUP BY ra`,
    `SELECT TOP 5 DISTINCT ra FROM ${O}`, `SELECT TOP -5 ra FROM ${O}`, `SELECT TOP 1.5 ra FROM ${O}`, `SELECT ra FROM ${O} OFFSET -1`,
    `SELECT ra FROM ${O} ORDER BY ra UNION SELECT ra FROM ${S}`, `SELECT ra FROM ${O} UNION`, `SELECT ra FROM ${O})`, `SELECT (ra FROM ${O}`,
    `(SELECT TOP 3 ra FROM ${O}) ORDER BY ra`, `SELECT * AS x FROM ${O}`, `SELECT *, * + 1 FROM ${O}`, `SELECT ra + ${O}.* FROM ${O}`,
  ),
  ...x(
    'not ADQL (PostgreSQL and SQL dialects)',
    `SELECT ra FROM ${O} LIMIT 10`, `SELECT ra::int FROM ${O}`, `SELECT ra FROM ${O};`, `SELECT ra FROM ${O}; DROP TABLE x`, `SELECT $1 FROM ${O}`,
    `SELECT ra /* c */ FROM ${O}`, `SELECT ra % 2 FROM ${O}`, `SELECT ra FROM ${O} WHERE ra = ?`, `SELECT ra[1] FROM ${O}`, 'SELECT `ra` FROM ' + O,
    `SELECT ra FROM ${O} FETCH FIRST 5 ROWS ONLY`, `SELECT ra FROM ${O} ORDER BY ra NULLS LAST`, `SELECT SUBSTRING('abc' FROM 1 FOR 2) FROM ${O}`,
    `SELECT TRIM(' a ') FROM ${O}`, `SELECT NULLIF(ra, 0) FROM ${O}`, `SELECT CURRENT_TIMESTAMP FROM ${O}`, `SELECT ra FROM ${O} WHERE TRUE`,
    `SELECT ra FROM ${O} WHERE ra SIMILAR TO 'x'`, `SELECT ra FROM ${O} WHERE ra !~ 'x'`, `SELECT BIT_AND(nSources, 1) FROM ${O}`, `SELECT CAST(ra AS INT) FROM ${O}`,
    `SELECT CAST(ra AS TEXT) FROM ${O}`, `SELECT CAST(ra AS BOOLEAN) FROM ${O}`, `SELECT CAST(ra, INTEGER) FROM ${O}`, `SELECT * FROM (WITH c AS (SELECT ra FROM ${O}) SELECT ra FROM c) AS s`,
  ),
  ...x(
    'reserved words and lexical errors',
    `SELECT size FROM ${O}`, `SELECT ra AS value FROM ${O}`, `SELECT ra FROM ${O} AS user`, `SELECT date FROM ${O}`, `SELECT count FROM ${O}`,
    `SELECT offset FROM ${O}`, `SELECT ra FROM ${O} WHERE ra = 'unclosed`, `SELECT "unclosed FROM ${O}`, `SELECT "" FROM ${O}`, `SELECT 1.2.3 FROM ${O}`,
    `SELECT été FROM ${O}`, `SELECT ra # decl FROM ${O}`, `SELECT _ra FROM ${O}`, `SELECT 'ab'\n  'unclosed FROM ${O}`,
  ),
  ...x(
    '<joined_table>',
    `SELECT * FROM ${O} AS o NATURAL JOIN ${S} AS s ON s.objectId = o.objectId`, `SELECT * FROM ${O} AS o NATURAL JOIN ${S} AS s USING (objectId)`,
    `SELECT * FROM ${O} AS o CROSS JOIN ${S} AS s ON s.objectId = o.objectId`, `SELECT * FROM ${O} AS o NATURAL CROSS JOIN ${S}`, `SELECT * FROM ${O} AS o LEFT ${S} AS s ON 1 = 1`,
    `SELECT * FROM ${O} AS o OUTER JOIN ${S} AS s ON 1 = 1`, `SELECT * FROM ${O} AS o JOIN ${S} AS s USING objectId`, `SELECT * FROM ${O} AS o JOIN ${S} AS s USING ()`,
    `SELECT * FROM ${O} AS o JOIN ${S} AS s ON`, `SELECT * FROM (SELECT ra FROM ${O})`, `SELECT * FROM (SELECT ra FROM ${O}) WHERE ra > 1`, `SELECT * FROM (${O})`,
    `SELECT * FROM ${O} AS o JOIN ${S} AS s ON COUNT(*) > 0`,
  ),
  ...x(
    '<predicate>',
    `SELECT ra FROM ${O} WHERE ra BETWEEN 1 OR 2`, `SELECT ra FROM ${O} WHERE ra IN 1`, `SELECT ra FROM ${O} WHERE ra IN ()`, `SELECT ra FROM ${O} WHERE ra IS EMPTY`,
    `SELECT ra FROM ${O} WHERE ra IS NOT TRUE`, `SELECT ra FROM ${O} WHERE EXISTS ra`, `SELECT ra FROM ${O} WHERE NOT NOT ra = 1`, `SELECT ra FROM ${O} WHERE ra = 1 = 2`,
    `SELECT ra FROM ${O} WHERE CONTAINS(POINT(ra, decl), CIRCLE(1, 2, 3))`, `SELECT ra FROM ${O} WHERE ivo_hasword('a', 'b')`, `SELECT ra FROM ${O} WHERE ra`,
    `SELECT ra FROM ${O} WHERE ra > 1 AND`, `SELECT ra FROM ${O} WHERE 'a' LIKE 1`, `SELECT ra FROM ${O} WHERE 1 LIKE 'a'`, `SELECT ra FROM ${O} WHERE 'a' LIKE 'b' ESCAPE 'xy'`,
    `SELECT ra FROM ${O} WHERE POINT(1, 2) = POINT(1, 2)`, `SELECT ra FROM ${O} WHERE CIRCLE(1, 2, 3) > 1`, `SELECT ra FROM ${O} WHERE 'a' = 1`, `SELECT ra FROM ${O} WHERE 1 IN ('a', 'b')`,
    `SELECT ra FROM ${O} WHERE COUNT(*) > 1`, `SELECT ra FROM ${O} WHERE 1 IN (SELECT 1, 2 FROM ${S})`, `SELECT ra FROM ${O} WHERE 'x' BETWEEN 1 AND 2`,
  ),
  ...x(
    'functions: arity, argument types, unknown functions',
    `SELECT ABS(ra, decl) FROM ${O}`, `SELECT PI(1) FROM ${O}`, `SELECT MOD(ra) FROM ${O}`, `SELECT ROUND(ra, 1, 2) FROM ${O}`, `SELECT ROUND(ra, decl) FROM ${O}`,
    `SELECT TRUNCATE(ra, 1.5) FROM ${O}`, `SELECT RAND(ra) FROM ${O}`, `SELECT RAND(9223372036854775808) FROM ${O}`, `SELECT IN_UNIT(ra, decl) FROM ${O}`,
    `SELECT IN_UNIT(ra, 'parsec') FROM ${O}`, `SELECT IN_UNIT(1, 'deg') FROM ${O}`, `SELECT LOWER() FROM ${O}`, `SELECT LOWER(1) FROM ${O}`, `SELECT UPPER(POINT(1, 2)) FROM ${O}`,
    `SELECT ABS(ra FROM ${O}`, `SELECT COALESCE() FROM ${O}`, `SELECT COALESCE(1, 'a') FROM ${O}`, `SELECT COUNT() FROM ${O}`, `SELECT COUNT(DISTINCT *) FROM ${O}`,
    `SELECT SUM(MAX(ra)) FROM ${O}`, `SELECT SUM('a') FROM ${O}`, `SELECT AVG(POINT(1, 2)) FROM ${O}`, `SELECT MAX(CIRCLE(1, 2, 3)) FROM ${O}`,
    `SELECT nosuchfunc(ra) FROM ${O}`, `SELECT pg_sleep(1) FROM ${O}`, `SELECT set_config('a', 'b', false) FROM ${O}`, `SELECT ivo_hasword(ra) FROM ${O}`,
    `SELECT ivo_hasword(1, 'a') FROM ${O}`, `SELECT ivo_string_agg(POINT(1, 2), ',') FROM ${O}`, `SELECT SQRT('a') FROM ${O}`, `SELECT 'a' + 1 FROM ${O}`,
    `SELECT -'a' FROM ${O}`, `SELECT ~1.5 FROM ${O}`, `SELECT 1.5 & 1 FROM ${O}`, `SELECT 1 | 'a' FROM ${O}`, `SELECT POWER(POINT(1, 2), 2) FROM ${O}`,
    `SELECT myfunc(a,) FROM ${O}`, `SELECT 0x12345678901234567 FROM ${O}`, `SELECT CASE WHEN 1 = 1 THEN 1 ELSE 'a' END FROM ${O}`,
    `SELECT CASE 1 WHEN 'a' THEN 1 END FROM ${O}`, `SELECT CAST(POINT(1, 2) AS INTEGER) FROM ${O}`, `SELECT CAST(1 AS POINT) FROM ${O}`,
    `SELECT CAST(1 AS TIMESTAMP) FROM ${O}`, `SELECT CAST(CAST('2020-01-01' AS TIMESTAMP) AS INTEGER) FROM ${O}`,
  ),
  ...x(
    'CASE',
    `SELECT CASE END FROM ${O}`, `SELECT CASE ra THEN 1 END FROM ${O}`, `SELECT CASE WHEN ra = 1 1 END FROM ${O}`, `SELECT CASE WHEN ra = 1 THEN 1 FROM ${O}`,
    `SELECT CASE WHEN ra THEN 1 END FROM ${O}`,
  ),
  ...x(
    'geometry',
    `SELECT POINT(1) FROM ${O}`, `SELECT POINT(1, 2, 3) FROM ${O}`, `SELECT POINT(NULL, 1, 2, 3) FROM ${O}`, `SELECT POINT(NULL, POINT(1, 2)) FROM ${O}`,
    `SELECT CIRCLE(1) FROM ${O}`, `SELECT CIRCLE(1, 2) FROM ${O}`, `SELECT BOX(1, 2) FROM ${O}`, `SELECT POLYGON(1, 2, 3, 4) FROM ${O}`, `SELECT POLYGON(1, 2, 3, 4, 5, 6, 7) FROM ${O}`,
    `SELECT POLYGON(POINT(1, 2), 3, POINT(4, 5)) FROM ${O}`, `SELECT DISTANCE(1, 2, 3) FROM ${O}`, `SELECT DISTANCE(1, 2) FROM ${O}`, `SELECT CONTAINS(POINT(1, 2)) FROM ${O}`,
    `SELECT AREA() FROM ${O}`, `SELECT COORD1(1) FROM ${O}`, `SELECT REGION(ra) FROM ${O}`, `SELECT REGION('CIRCLE ICRS 1 2 3') FROM ${O}`,
    `SELECT POINT('GALACTIC', 1, 2) FROM ${O}`, `SELECT CIRCLE('FK4', 1, 2, 3) FROM ${O}`, `SELECT POINT('a', 'b') FROM ${O}`, `SELECT CIRCLE(1, 2, 'r') FROM ${O}`,
    `SELECT CONTAINS(POINT(ra, decl), 1) FROM ${O}`, `SELECT INTERSECTS('a', CIRCLE(1, 2, 3)) FROM ${O}`, `SELECT AREA(1) FROM ${O}`, `SELECT COORD1(CIRCLE(1, 2, 3)) FROM ${O}`,
    `SELECT CENTROID('x') FROM ${O}`, `SELECT DISTANCE(CIRCLE(1, 2, 3), POINT(1, 2)) FROM ${O}`, `SELECT CIRCLE(CIRCLE(1, 2, 3), 1) FROM ${O}`,
    `SELECT POINT(ra, decl) || 'x' FROM ${O}`, `SELECT 'x' || CIRCLE(0, 0, 1) FROM ${O}`, `SELECT BOX(0, 0, 1, 1) || POLYGON(1, 2, 3, 4, 5, 6) FROM ${O}`,
    `SELECT ra FROM ${O} WHERE 1 = CONTAINS(POINT(ra, decl), CIRCLE('ICRS', 1, 2))`, `SELECT POINT(ra, decl) + 1 FROM ${O}`,
  ),
  ...x(
    'set operations, WITH, subqueries, ordering',
    `SELECT ra FROM ${O} UNION SELECT ra, decl FROM ${S}`, `SELECT 1.5 FROM ${O} UNION SELECT CIRCLE(1, 2, 3) FROM ${S} WHERE 1 = 0`,
    `SELECT 1 FROM ${O} UNION SELECT 'a' FROM ${O}`, `WITH c (a, b) AS (SELECT ra FROM ${O}) SELECT a FROM c`, `WITH c AS (SELECT ra FROM ${O}), c AS (SELECT ra FROM ${O}) SELECT ra FROM c`,
    `SELECT (SELECT ra, decl FROM ${O}) FROM ${O}`, `SELECT ra FROM ${O} ORDER BY 3`, `SELECT ra FROM ${O} ORDER BY 0`, `SELECT ra FROM ${O} UNION SELECT ra FROM ${S} ORDER BY ra + 1`,
    `SELECT ra FROM ${O} GROUP BY AVG(ra)`, `SELECT ra FROM ${O} WHERE ra > (SELECT ra, decl FROM ${S})`, `SELECT o.ra FROM ${O} AS x`, `SELECT x.* FROM ${O} AS o`,
    `SELECT COUNT(*) FROM ${O} GROUP BY COUNT(*)`, `SELECT 1 FROM ${O} UNION SELECT 1, 2 FROM ${O}`,
  ),
];

/** The whole corpus: valid queries first. */
export const GRAMMAR_CORPUS: readonly CorpusQuery[] = [...CORPUS_VALID, ...CORPUS_INVALID];
