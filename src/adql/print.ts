/**
 * AST → canonical ADQL text: keywords upper case, one space between tokens, parentheses only
 * where precedence needs them. Parsing the output gives back the same tree (positions aside).
 */

import type {
  AdqlQuery,
  BinaryExpr,
  Condition,
  Coordsys,
  Expr,
  Identifier,
  OrderItem,
  Position,
  QueryExpr,
  SelectItem,
  TableName,
  TableRef,
} from './ast.js';

/** Print a whole query as canonical ADQL. */
export function printAdql(q: AdqlQuery): string {
  const withPart =
    q.with.length === 0
      ? ''
      : `WITH ${q.with
          .map((w) => {
            const cols = w.columns === null ? '' : ` (${w.columns.map(printIdentifier).join(', ')})`;
            return `${printIdentifier(w.name)}${cols} AS (${printQueryExpr(w.query)})`;
          })
          .join(', ')} `;
  return withPart + printQueryExpr(q.body);
}

/** Print an identifier: regular as written, delimited in double quotes. */
export function printIdentifier(id: Identifier): string {
  return id.delimited ? `"${id.name.replace(/"/g, '""')}"` : id.name;
}

/** Print `[catalog.][schema.]table`. */
export function printTableName(t: TableName): string {
  return [t.catalog, t.schema, t.table]
    .filter((p): p is Identifier => p !== null)
    .map(printIdentifier)
    .join('.');
}

/** Print a string literal with quotes doubled. */
export function printString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function hasOrdering(q: QueryExpr): boolean {
  return q.orderBy.length > 0 || q.offset !== null;
}

function printOrdering(q: QueryExpr): string {
  let s = '';
  if (q.orderBy.length > 0) s += ` ORDER BY ${q.orderBy.map(printOrderItem).join(', ')}`;
  if (q.offset !== null) s += ` OFFSET ${q.offset}`;
  return s;
}

function printOrderItem(o: OrderItem): string {
  return printExpr(o.expr) + (o.direction === null ? '' : ` ${o.direction}`);
}

/** Print a query expression (SELECT or set operation) with its ORDER BY/OFFSET. */
export function printQueryExpr(q: QueryExpr): string {
  if (q.kind === 'select') {
    const parts = ['SELECT'];
    if (q.quantifier !== null) parts.push(q.quantifier);
    if (q.top !== null) parts.push(`TOP ${q.top}`);
    parts.push(q.items.map(printSelectItem).join(', '));
    parts.push(`FROM ${q.from.map((t) => printTableRef(t, false)).join(', ')}`);
    if (q.where !== null) parts.push(`WHERE ${printCondition(q.where)}`);
    if (q.groupBy.length > 0) parts.push(`GROUP BY ${q.groupBy.map((e) => printExpr(e)).join(', ')}`);
    if (q.having !== null) parts.push(`HAVING ${printCondition(q.having)}`);
    return parts.join(' ') + printOrdering(q);
  }
  const setOperand = (operand: QueryExpr, side: 'left' | 'right'): string => {
    let paren = hasOrdering(operand);
    if (operand.kind === 'setOperation') {
      if (side === 'right') paren = true;
      else if (q.op === 'INTERSECT' && operand.op !== 'INTERSECT') paren = true;
    }
    const s = printQueryExpr(operand);
    return paren ? `(${s})` : s;
  };
  // A right-hand INTERSECT under UNION/EXCEPT binds tighter anyway, but parentheses keep it obvious.
  return `${setOperand(q.left, 'left')} ${q.op}${q.all ? ' ALL' : ''} ${setOperand(q.right, 'right')}${printOrdering(q)}`;
}

function printSelectItem(item: SelectItem): string {
  switch (item.kind) {
    case 'star':
      return '*';
    case 'qualifiedStar':
      return `${printTableName(item.qualifier)}.*`;
    case 'derivedColumn':
      return printExpr(item.expr) + (item.alias === null ? '' : ` AS ${printIdentifier(item.alias)}`);
  }
}

function printTableRef(t: TableRef, asRightOperand: boolean): string {
  switch (t.kind) {
    case 'table':
      return printTableName(t.name) + (t.alias === null ? '' : ` AS ${printIdentifier(t.alias)}`);
    case 'derivedTable':
      return `(${printQueryExpr(t.query)}) AS ${printIdentifier(t.alias)}`;
    case 'join': {
      const kw = t.type === 'CROSS' ? 'CROSS JOIN' : t.type === 'INNER' ? 'JOIN' : `${t.type} OUTER JOIN`;
      let s = `${printTableRef(t.left, false)} ${t.natural ? 'NATURAL ' : ''}${kw} ${printTableRef(t.right, true)}`;
      if (t.on !== null) s += ` ON ${printCondition(t.on)}`;
      if (t.using !== null) s += ` USING (${t.using.map(printIdentifier).join(', ')})`;
      return asRightOperand ? `(${s})` : s;
    }
  }
}

const CONDITION_PREC: Record<string, number> = { or: 1, and: 2, not: 3 };

/** Print a search condition. */
export function printCondition(c: Condition, minPrec = 0): string {
  const prec = CONDITION_PREC[c.kind] ?? 4;
  let s: string;
  switch (c.kind) {
    case 'or':
    case 'and': {
      // Chains of thousands of terms are left-deep: walk the left spine with a loop, not recursion.
      const rights: Condition[] = [];
      let x: Condition = c;
      while (x.kind === c.kind) {
        rights.push((x as typeof c).right);
        x = (x as typeof c).left;
      }
      const word = c.kind === 'or' ? ' OR ' : ' AND ';
      s = printCondition(x, prec) + rights.reverse().map((r) => word + printCondition(r, prec + 1)).join('');
      break;
    }
    case 'not':
      // ADQL allows a single NOT before a predicate or a parenthesised condition.
      s = `NOT ${printCondition(c.operand, 4)}`;
      break;
    case 'comparison':
      s = `${printExpr(c.left)} ${c.op} ${printExpr(c.right)}`;
      break;
    case 'between':
      s = `${printExpr(c.value)}${c.not ? ' NOT' : ''} BETWEEN ${printExpr(c.low)} AND ${printExpr(c.high)}`;
      break;
    case 'inList':
      s = `${printExpr(c.value)}${c.not ? ' NOT' : ''} IN (${c.list.map((e) => printExpr(e)).join(', ')})`;
      break;
    case 'inSubquery':
      s = `${printExpr(c.value)}${c.not ? ' NOT' : ''} IN (${printQueryExpr(c.query)})`;
      break;
    case 'like':
      s = `${printExpr(c.value)}${c.not ? ' NOT' : ''} ${c.caseInsensitive ? 'ILIKE' : 'LIKE'} ${printExpr(c.pattern)}`;
      if (c.escape !== null) s += ` ESCAPE ${printExpr(c.escape)}`;
      break;
    case 'isNull':
      s = `${printExpr(c.value)} IS ${c.not ? 'NOT ' : ''}NULL`;
      break;
    case 'exists':
      s = `EXISTS (${printQueryExpr(c.query)})`;
      break;
  }
  return prec < minPrec ? `(${s})` : s;
}

const BINARY_PREC: Record<string, number> = { '||': 1, '|': 2, '^': 3, '&': 4, '+': 5, '-': 5, '*': 6, '/': 6 };
const UNARY_PREC = 7;

function printPosition(p: Position): string {
  return p.form === 'coords' ? `${printExpr(p.lon)}, ${printExpr(p.lat)}` : printExpr(p.point);
}

function withCoordsys(cs: Coordsys, rest: string): string {
  if (cs === null) return rest;
  return `${cs.kind === 'null' ? 'NULL' : printString(cs.value)}, ${rest}`;
}

/** Print a value expression, parenthesised when its precedence is below `minPrec`. */
export function printExpr(e: Expr, minPrec = 0): string {
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'string':
      return printString(e.value);
    case 'null':
      return 'NULL';
    case 'column':
      return (e.qualifier === null ? '' : `${printTableName(e.qualifier)}.`) + printIdentifier(e.name);
    case 'unary': {
      // "- -1" must not become the comment "--1": a unary operand that is itself unary gets parentheses.
      const operand = e.operand.kind === 'unary' ? `(${printExpr(e.operand)})` : printExpr(e.operand, UNARY_PREC);
      const s = `${e.op}${operand}`;
      return UNARY_PREC < minPrec ? `(${s})` : s;
    }
    case 'binary': {
      const p = BINARY_PREC[e.op]!;
      // The left spine of operators of this precedence, with a loop (chains may be long).
      const rights: BinaryExpr[] = [];
      let x: Expr = e;
      while (x.kind === 'binary' && BINARY_PREC[x.op] === p) {
        rights.push(x);
        x = x.left;
      }
      const s = printExpr(x, p) + rights.reverse().map((b) => ` ${b.op} ${printExpr(b.right, p + 1)}`).join('');
      return p < minPrec ? `(${s})` : s;
    }
    case 'aggregate':
      if (e.arg === null) return `${e.name}(*)`;
      return `${e.name}(${e.quantifier === null ? '' : `${e.quantifier} `}${printExpr(e.arg)})`;
    case 'function':
      return `${e.name}(${e.args.map((a) => printExpr(a)).join(', ')})`;
    case 'userFunction':
      return `${printIdentifier(e.name)}(${e.args.map((a) => printExpr(a)).join(', ')})`;
    case 'cast':
      return `CAST(${printExpr(e.expr)} AS ${e.type.name}${e.type.length === null ? '' : `(${e.type.length})`})`;
    case 'coalesce':
      return `COALESCE(${e.args.map((a) => printExpr(a)).join(', ')})`;
    case 'simpleCase':
      return `CASE ${printExpr(e.operand)} ${e.whens.map((w) => `WHEN ${printExpr(w.when)} THEN ${printExpr(w.then)}`).join(' ')}${
        e.else === null ? '' : ` ELSE ${printExpr(e.else)}`
      } END`;
    case 'searchedCase':
      return `CASE ${e.whens.map((w) => `WHEN ${printCondition(w.when)} THEN ${printExpr(w.then)}`).join(' ')}${
        e.else === null ? '' : ` ELSE ${printExpr(e.else)}`
      } END`;
    case 'scalarSubquery':
      return `(${printQueryExpr(e.query)})`;
    case 'point':
      return `POINT(${withCoordsys(e.coordsys, `${printExpr(e.lon)}, ${printExpr(e.lat)}`)})`;
    case 'circle':
      return `CIRCLE(${withCoordsys(e.coordsys, `${printPosition(e.center)}, ${printExpr(e.radius)}`)})`;
    case 'box':
      return `BOX(${withCoordsys(e.coordsys, `${printPosition(e.center)}, ${printExpr(e.width)}, ${printExpr(e.height)}`)})`;
    case 'polygon':
      return `POLYGON(${withCoordsys(e.coordsys, e.vertices.map(printPosition).join(', '))})`;
    case 'region':
      return `REGION(${printString(e.text.value)})`;
    case 'geometryPredicate':
      return `${e.name}(${printExpr(e.left)}, ${printExpr(e.right)})`;
    case 'distance':
      return `DISTANCE(${printPosition(e.from)}, ${printPosition(e.to)})`;
    case 'geometryFunction':
      return `${e.name}(${printExpr(e.arg)})`;
  }
}
