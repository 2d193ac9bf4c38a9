/**
 * The ADQL 2.1 syntax tree. Every node has a `kind` (discriminant) and a `pos` (where it starts
 * in the query text) so the validator and translator can point errors at the user's text.
 *
 * Value expressions (`Expr`) and search conditions (`Condition`) are separate unions: ADQL has
 * no boolean values, so a condition can only appear where the grammar has a search condition
 * (WHERE, HAVING, ON, searched CASE WHEN).
 */

/** A place in the query text: 1-based line and column, 0-based character offset. */
export interface Pos {
  line: number;
  column: number;
  offset: number;
}

/**
 * A name. Regular identifiers (`ra`, `Ra`) match case-insensitively; delimited ones (`"Ra"`)
 * match exactly. `name` is the text without quotes, `""` unescaped to `"`.
 */
export interface Identifier {
  kind: 'identifier';
  name: string;
  delimited: boolean;
  pos: Pos;
}

/** `[catalog.][schema.]table`. */
export interface TableName {
  kind: 'tableName';
  catalog: Identifier | null;
  schema: Identifier | null;
  table: Identifier;
  pos: Pos;
}

// ---------------------------------------------------------------------------------------------
// Queries

/** A whole query: optional WITH list, then a query expression. */
export interface AdqlQuery {
  kind: 'query';
  with: WithQuery[];
  body: QueryExpr;
  pos: Pos;
}

/** `name [(col, ...)] AS (query)` in a WITH clause. */
export interface WithQuery {
  kind: 'withQuery';
  name: Identifier;
  columns: Identifier[] | null;
  query: QueryExpr;
  pos: Pos;
}

/** A single SELECT or a set operation; both may carry ORDER BY and OFFSET. */
export type QueryExpr = SelectQuery | SetOperation;

/** ORDER BY and OFFSET, which apply to the (set) result they are attached to. */
export interface Ordering {
  orderBy: OrderItem[];
  /** OFFSET n, or null when absent. */
  offset: number | null;
}

/** `SELECT [ALL|DISTINCT] [TOP n] items FROM ... [WHERE] [GROUP BY] [HAVING] [ORDER BY] [OFFSET]`. */
export interface SelectQuery extends Ordering {
  kind: 'select';
  quantifier: 'ALL' | 'DISTINCT' | null;
  /** TOP n, or null when absent. */
  top: number | null;
  items: SelectItem[];
  from: TableRef[];
  where: Condition | null;
  groupBy: Expr[];
  having: Condition | null;
  pos: Pos;
}

/**
 * `left UNION|EXCEPT|INTERSECT [ALL] right`. INTERSECT binds tighter than UNION and EXCEPT;
 * all are left-associative. Operands never carry ORDER BY/OFFSET unless they were written in
 * parentheses; the printer parenthesises every operand that does.
 */
export interface SetOperation extends Ordering {
  kind: 'setOperation';
  op: 'UNION' | 'EXCEPT' | 'INTERSECT';
  all: boolean;
  left: QueryExpr;
  right: QueryExpr;
  pos: Pos;
}

/** One entry of the select list. */
export type SelectItem = StarItem | QualifiedStarItem | DerivedColumn;

/** `*`: every column of FROM (it may stand among other items). */
export interface StarItem {
  kind: 'star';
  pos: Pos;
}

/** `t.*` or `schema.t.*`. */
export interface QualifiedStarItem {
  kind: 'qualifiedStar';
  qualifier: TableName;
  pos: Pos;
}

/** `expr [[AS] alias]`. */
export interface DerivedColumn {
  kind: 'derivedColumn';
  expr: Expr;
  alias: Identifier | null;
  pos: Pos;
}

/** ORDER BY term. `position` is set (1-based) when the term is an unsigned integer literal. */
export interface OrderItem {
  kind: 'orderItem';
  expr: Expr;
  position: number | null;
  direction: 'ASC' | 'DESC' | null;
  pos: Pos;
}

// ---------------------------------------------------------------------------------------------
// FROM

/** Something in a FROM list. */
export type TableRef = TableReference | DerivedTable | Join;

/** `[catalog.][schema.]table [[AS] alias]`. */
export interface TableReference {
  kind: 'table';
  name: TableName;
  alias: Identifier | null;
  pos: Pos;
}

/** `(query) [AS] alias` — the alias is mandatory in ADQL. */
export interface DerivedTable {
  kind: 'derivedTable';
  query: QueryExpr;
  alias: Identifier;
  pos: Pos;
}

/**
 * `left [NATURAL] [INNER|LEFT|RIGHT|FULL [OUTER]] JOIN right [ON cond | USING (cols)]`, or
 * `left CROSS JOIN right`. A NATURAL or CROSS join has neither `on` nor `using`; any other has
 * exactly one of them. A join written without ON or USING is NATURAL (ADQL 2.1 <qualified_join>).
 */
export interface Join {
  kind: 'join';
  type: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';
  natural: boolean;
  left: TableRef;
  right: TableRef;
  on: Condition | null;
  using: Identifier[] | null;
  pos: Pos;
}

// ---------------------------------------------------------------------------------------------
// Search conditions

/** A search condition (WHERE, HAVING, ON, CASE WHEN). */
export type Condition =
  | AndCondition
  | OrCondition
  | NotCondition
  | Comparison
  | BetweenPredicate
  | InListPredicate
  | InSubqueryPredicate
  | LikePredicate
  | NullPredicate
  | ExistsPredicate;

export interface AndCondition {
  kind: 'and';
  left: Condition;
  right: Condition;
  pos: Pos;
}

export interface OrCondition {
  kind: 'or';
  left: Condition;
  right: Condition;
  pos: Pos;
}

export interface NotCondition {
  kind: 'not';
  operand: Condition;
  pos: Pos;
}

/** Comparison operators; `!=` is normalised to `<>`. */
export type ComparisonOp = '=' | '<>' | '<' | '>' | '<=' | '>=';

export interface Comparison {
  kind: 'comparison';
  op: ComparisonOp;
  left: Expr;
  right: Expr;
  pos: Pos;
}

export interface BetweenPredicate {
  kind: 'between';
  not: boolean;
  value: Expr;
  low: Expr;
  high: Expr;
  pos: Pos;
}

export interface InListPredicate {
  kind: 'inList';
  not: boolean;
  value: Expr;
  list: Expr[];
  pos: Pos;
}

export interface InSubqueryPredicate {
  kind: 'inSubquery';
  not: boolean;
  value: Expr;
  query: QueryExpr;
  pos: Pos;
}

/** LIKE (case-sensitive) or ILIKE (`caseInsensitive`), with an optional ESCAPE character. */
export interface LikePredicate {
  kind: 'like';
  not: boolean;
  caseInsensitive: boolean;
  value: Expr;
  pattern: Expr;
  escape: Expr | null;
  pos: Pos;
}

export interface NullPredicate {
  kind: 'isNull';
  not: boolean;
  value: Expr;
  pos: Pos;
}

export interface ExistsPredicate {
  kind: 'exists';
  query: QueryExpr;
  pos: Pos;
}

// ---------------------------------------------------------------------------------------------
// Value expressions

/** A value expression (numeric, string or geometry). */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | NullLiteral
  | ColumnRef
  | UnaryExpr
  | BinaryExpr
  | AggregateCall
  | FunctionCall
  | UserFunctionCall
  | CastExpr
  | CoalesceExpr
  | SimpleCase
  | SearchedCase
  | ScalarSubquery
  | PointExpr
  | CircleExpr
  | BoxExpr
  | PolygonExpr
  | RegionExpr
  | GeometryPredicate
  | DistanceExpr
  | GeometryFunction;

/**
 * A numeric literal, kept as written (`text`) so no precision is lost; `value` is its JS number.
 * `form`: 'integer' (`42`), 'decimal' (`4.2`, `.5`, `4.`), 'approximate' (`4.2E-3`), 'hex' (`0x2F`).
 */
export interface NumberLiteral {
  kind: 'number';
  text: string;
  value: number;
  form: 'integer' | 'decimal' | 'approximate' | 'hex';
  pos: Pos;
}

/** A string literal; `value` is unescaped (`''` becomes `'`). */
export interface StringLiteral {
  kind: 'string';
  value: string;
  pos: Pos;
}

export interface NullLiteral {
  kind: 'null';
  pos: Pos;
}

/**
 * `[qualifier.]column`, where the qualifier is a table name (possibly schema- or
 * catalog-qualified) or a correlation name (alias), which the grammar cannot tell apart.
 */
export interface ColumnRef {
  kind: 'column';
  qualifier: TableName | null;
  name: Identifier;
  pos: Pos;
}

/** `-x`, `+x`, or bitwise NOT `~x`. */
export interface UnaryExpr {
  kind: 'unary';
  op: '-' | '+' | '~';
  operand: Expr;
  pos: Pos;
}

/**
 * Binary operators. `^` is bitwise XOR (ADQL), not exponentiation; `||` is string
 * concatenation. Precedence, loosest first: `||`, `|`, `^`, `&`, `+ -`, `* /`.
 */
export type BinaryOp = '+' | '-' | '*' | '/' | '||' | '&' | '|' | '^';

export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  pos: Pos;
}

/** COUNT(*) (`arg` null), or AVG/MAX/MIN/SUM/COUNT([DISTINCT|ALL] expr). */
export interface AggregateCall {
  kind: 'aggregate';
  name: 'COUNT' | 'AVG' | 'MAX' | 'MIN' | 'SUM';
  quantifier: 'DISTINCT' | 'ALL' | null;
  arg: Expr | null;
  pos: Pos;
}

/** ADQL's built-in mathematical, trigonometric, string and unit functions. */
export type BuiltinFunctionName =
  | 'ABS'
  | 'CEILING'
  | 'DEGREES'
  | 'EXP'
  | 'FLOOR'
  | 'LOG'
  | 'LOG10'
  | 'MOD'
  | 'PI'
  | 'POWER'
  | 'RADIANS'
  | 'RAND'
  | 'ROUND'
  | 'SQRT'
  | 'TRUNCATE'
  | 'ACOS'
  | 'ASIN'
  | 'ATAN'
  | 'ATAN2'
  | 'COS'
  | 'COT'
  | 'SIN'
  | 'TAN'
  | 'LOWER'
  | 'UPPER'
  | 'IN_UNIT';

/**
 * A call of an ADQL built-in function; arity was checked by the parser. ROUND/TRUNCATE's
 * second argument is a (signed) integer literal, RAND's optional one an unsigned integer,
 * IN_UNIT's second a string literal.
 */
export interface FunctionCall {
  kind: 'function';
  name: BuiltinFunctionName;
  args: Expr[];
  pos: Pos;
}

/**
 * A call of any other function (`ivo_hasword(...)`, `pg_sleep(1)`): syntactically a user
 * defined function. `name` is as written; whether it exists is the validator's business.
 */
export interface UserFunctionCall {
  kind: 'userFunction';
  name: Identifier;
  args: Expr[];
  pos: Pos;
}

/** CAST target types. */
export type CastTypeName =
  | 'CHAR'
  | 'VARCHAR'
  | 'SMALLINT'
  | 'INTEGER'
  | 'BIGINT'
  | 'REAL'
  | 'DOUBLE PRECISION'
  | 'TIMESTAMP'
  | 'POINT'
  | 'CIRCLE'
  | 'POLYGON';

export interface CastType {
  name: CastTypeName;
  /** CHAR(n) / VARCHAR(n) length, or null. */
  length: number | null;
}

export interface CastExpr {
  kind: 'cast';
  expr: Expr;
  type: CastType;
  pos: Pos;
}

export interface CoalesceExpr {
  kind: 'coalesce';
  args: Expr[];
  pos: Pos;
}

/** `CASE operand WHEN value THEN result ... [ELSE result] END`. */
export interface SimpleCase {
  kind: 'simpleCase';
  operand: Expr;
  whens: { when: Expr; then: Expr }[];
  else: Expr | null;
  pos: Pos;
}

/** `CASE WHEN condition THEN result ... [ELSE result] END`. */
export interface SearchedCase {
  kind: 'searchedCase';
  whens: { when: Condition; then: Expr }[];
  else: Expr | null;
  pos: Pos;
}

/** `(SELECT ...)` used as a value. */
export interface ScalarSubquery {
  kind: 'scalarSubquery';
  query: QueryExpr;
  pos: Pos;
}

// ---------------------------------------------------------------------------------------------
// Geometry

/**
 * A position argument of a geometry function: either two numeric expressions (`lon, lat`)
 * or one expression whose value is a POINT (a POINT(...) call, CENTROID(...), a column, a UDF).
 */
export type Position =
  | { form: 'coords'; lon: Expr; lat: Expr }
  | { form: 'point'; point: Expr };

/** The deprecated leading coordinate system: a string, NULL, or null when it was omitted. */
export type Coordsys = StringLiteral | NullLiteral | null;

/** POINT([coordsys,] lon, lat). */
export interface PointExpr {
  kind: 'point';
  coordsys: Coordsys;
  lon: Expr;
  lat: Expr;
  pos: Pos;
}

/** CIRCLE([coordsys,] center, radius). */
export interface CircleExpr {
  kind: 'circle';
  coordsys: Coordsys;
  center: Position;
  radius: Expr;
  pos: Pos;
}

/** BOX([coordsys,] center, width, height). */
export interface BoxExpr {
  kind: 'box';
  coordsys: Coordsys;
  center: Position;
  width: Expr;
  height: Expr;
  pos: Pos;
}

/** POLYGON([coordsys,] v1, v2, v3, ...): at least three vertices, all of the same form. */
export interface PolygonExpr {
  kind: 'polygon';
  coordsys: Coordsys;
  vertices: Position[];
  pos: Pos;
}

/** REGION('STC-S text') — deprecated, literal argument only. */
export interface RegionExpr {
  kind: 'region';
  text: StringLiteral;
  pos: Pos;
}

/** CONTAINS(a, b) / INTERSECTS(a, b): numeric 1 or 0. */
export interface GeometryPredicate {
  kind: 'geometryPredicate';
  name: 'CONTAINS' | 'INTERSECTS';
  left: Expr;
  right: Expr;
  pos: Pos;
}

/** DISTANCE(p1, p2) (both `form: 'point'`) or DISTANCE(lon1, lat1, lon2, lat2) (both 'coords'). */
export interface DistanceExpr {
  kind: 'distance';
  from: Position;
  to: Position;
  pos: Pos;
}

/** AREA, CENTROID, COORD1, COORD2, COORDSYS of one geometry argument. */
export interface GeometryFunction {
  kind: 'geometryFunction';
  name: 'AREA' | 'CENTROID' | 'COORD1' | 'COORD2' | 'COORDSYS';
  arg: Expr;
  pos: Pos;
}

/** Any node of the tree. */
export type AdqlNode =
  | AdqlQuery
  | WithQuery
  | QueryExpr
  | SelectItem
  | OrderItem
  | TableRef
  | TableName
  | Identifier
  | Condition
  | Expr;

/** True when identifier `id` names `name` under ADQL rules (regular: case-insensitive; delimited: exact). */
export function identifierMatches(id: Identifier, name: string): boolean {
  return id.delimited ? id.name === name : id.name.toLowerCase() === name.toLowerCase();
}
