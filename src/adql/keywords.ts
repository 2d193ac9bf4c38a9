/**
 * ADQL 2.1's reserved words and built-in function signatures. A reserved word is never a
 * valid regular identifier; it must be written as a delimited identifier ("size") to name
 * a table or column.
 */

import type { BuiltinFunctionName } from './ast.js';

/** SQL-92 reserved words, as ADQL 2.1 lists them. */
const SQL_RESERVED = `
ABSOLUTE ACTION ADD ALL ALLOCATE ALTER AND ANY ARE AS ASC ASSERTION AT AUTHORIZATION AVG
BEGIN BETWEEN BIT BIT_LENGTH BOTH BY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER
CHAR_LENGTH CHARACTER_LENGTH CHECK CLOSE COALESCE COLLATE COLLATION COLUMN COMMIT CONNECT
CONNECTION CONSTRAINT CONSTRAINTS CONTINUE CONVERT CORRESPONDING COUNT CREATE CROSS CURRENT
CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATE DAY DEALLOCATE DECIMAL
DECLARE DEFAULT DEFERRABLE DEFERRED DELETE DESC DESCRIBE DESCRIPTOR DIAGNOSTICS DISCONNECT
DISTINCT DOMAIN DOUBLE DROP ELSE END END-EXEC ESCAPE EXCEPT EXCEPTION EXEC EXECUTE EXISTS
EXTERNAL EXTRACT FALSE FETCH FIRST FLOAT FOR FOREIGN FOUND FROM FULL GET GLOBAL GO GOTO GRANT
GROUP HAVING HOUR IDENTITY ILIKE IMMEDIATE IN INDICATOR INITIALLY INNER INPUT INSENSITIVE
INSERT INT INTEGER INTERSECT INTERVAL INTO IS ISOLATION JOIN KEY LANGUAGE LAST LEADING LEFT
LEVEL LIKE LOCAL LOWER MATCH MAX MIN MINUTE MODULE MONTH NAMES NATIONAL NATURAL NCHAR NEXT NO
NOT NULL NULLIF NUMERIC OCTET_LENGTH OF ON ONLY OPEN OPTION OR ORDER OUTER OUTPUT OVERLAPS PAD
PARTIAL POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVILEGES PROCEDURE PUBLIC READ
REAL REFERENCES RELATIVE RESTRICT REVOKE RIGHT ROLLBACK ROWS SCHEMA SCROLL SECOND SECTION
SELECT SESSION SESSION_USER SET SIZE SMALLINT SOME SPACE SQL SQLCODE SQLERROR SQLSTATE
SUBSTRING SUM SYSTEM_USER TABLE TEMPORARY THEN TIME TIMESTAMP TIMEZONE_HOUR TIMEZONE_MINUTE
TO TRAILING TRANSACTION TRANSLATE TRANSLATION TRIM TRUE UNION UNIQUE UNKNOWN UPDATE UPPER
USAGE USER USING VALUE VALUES VARCHAR VARYING VIEW WHEN WHENEVER WHERE WITH WORK WRITE YEAR
ZONE`;

/** Words ADQL reserves beyond SQL-92: its functions, TOP, OFFSET, the geometry vocabulary. */
const ADQL_RESERVED = `
ABS ACOS AREA ASIN ATAN ATAN2 BIT_AND BIT_NOT BIT_OR BIT_XOR BOX CEILING CENTROID CIRCLE
CONTAINS COORD1 COORD2 COORDSYS COS COT DEGREES DISTANCE EXP FLOOR ILIKE INTERSECTS IN_UNIT
LOG LOG10 MOD OFFSET PI POINT POLYGON POWER RADIANS REGION RAND ROUND SIN SQRT TOP TAN
TRUNCATE`;

/** Every reserved word, upper case. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(
  `${SQL_RESERVED} ${ADQL_RESERVED}`.split(/\s+/).filter((w) => w !== ''),
);

/** True when `word` (any case) is reserved in ADQL 2.1. */
export function isReserved(word: string): boolean {
  return RESERVED_WORDS.has(word.toUpperCase());
}

/** Arity of a built-in function: [min, max] arguments. */
export const BUILTIN_FUNCTIONS: ReadonlyMap<BuiltinFunctionName, readonly [number, number]> = new Map<
  BuiltinFunctionName,
  readonly [number, number]
>([
  ['ABS', [1, 1]],
  ['CEILING', [1, 1]],
  ['DEGREES', [1, 1]],
  ['EXP', [1, 1]],
  ['FLOOR', [1, 1]],
  ['LOG', [1, 1]],
  ['LOG10', [1, 1]],
  ['MOD', [2, 2]],
  ['PI', [0, 0]],
  ['POWER', [2, 2]],
  ['RADIANS', [1, 1]],
  ['RAND', [0, 1]],
  ['ROUND', [1, 2]],
  ['SQRT', [1, 1]],
  ['TRUNCATE', [1, 2]],
  ['ACOS', [1, 1]],
  ['ASIN', [1, 1]],
  ['ATAN', [1, 1]],
  ['ATAN2', [2, 2]],
  ['COS', [1, 1]],
  ['COT', [1, 1]],
  ['SIN', [1, 1]],
  ['TAN', [1, 1]],
  ['LOWER', [1, 1]],
  ['UPPER', [1, 1]],
  ['IN_UNIT', [2, 2]],
]);

/**
 * Reserved words that PostgreSQL (or SQL) users call as functions but ADQL does not have;
 * naming them gives a clearer error than "reserved word".
 */
export const NOT_ADQL_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['SUBSTRING', 'SUBSTRING is not an ADQL function'],
  ['TRIM', 'TRIM is not an ADQL function'],
  ['POSITION', 'POSITION is not an ADQL function'],
  ['EXTRACT', 'EXTRACT is not an ADQL function'],
  ['CONVERT', 'CONVERT is not an ADQL function'],
  ['TRANSLATE', 'TRANSLATE is not an ADQL function'],
  ['NULLIF', 'NULLIF is not an ADQL function; use CASE WHEN ... THEN NULL ELSE ... END'],
  ['CHAR_LENGTH', 'CHAR_LENGTH is not an ADQL function'],
  ['CHARACTER_LENGTH', 'CHARACTER_LENGTH is not an ADQL function'],
  ['OCTET_LENGTH', 'OCTET_LENGTH is not an ADQL function'],
  ['BIT_LENGTH', 'BIT_LENGTH is not an ADQL function'],
  ['CURRENT_DATE', 'CURRENT_DATE is not available in ADQL'],
  ['CURRENT_TIME', 'CURRENT_TIME is not available in ADQL'],
  ['CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP is not available in ADQL'],
  ['CURRENT_USER', 'CURRENT_USER is not available in ADQL'],
  ['SESSION_USER', 'SESSION_USER is not available in ADQL'],
  ['SYSTEM_USER', 'SYSTEM_USER is not available in ADQL'],
  ['USER', 'USER is not available in ADQL'],
  ['BIT_AND', "BIT_AND is reserved but not a function in ADQL 2.1; use the '&' operator"],
  ['BIT_OR', "BIT_OR is reserved but not a function in ADQL 2.1; use the '|' operator"],
  ['BIT_XOR', "BIT_XOR is reserved but not a function in ADQL 2.1; use the '^' operator"],
  ['BIT_NOT', "BIT_NOT is reserved but not a function in ADQL 2.1; use the '~' operator"],
]);

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The candidate nearest to `word` (case-insensitive) when it is a plausible misspelling, else null. */
export function nearestWord(word: string, candidates: readonly string[]): string | null {
  const w = word.toUpperCase();
  let best: string | null = null;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = transposition(w, c) ? 1 : editDistance(w, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  // Short words have many one-letter neighbours; only longer ones may be two slips away.
  const allowed = w.length <= 5 ? 1 : 2;
  return best !== null && bestDist > 0 && bestDist <= allowed ? best : null;
}

/** True when `a` is `b` with two adjacent letters swapped. */
function transposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}
