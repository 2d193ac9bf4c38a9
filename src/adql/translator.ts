/**
 * ADQL → PostgreSQL. Works on a validated query, so every name is known: identifiers are
 * always quoted and mapped to PostgreSQL's names, string literals are bound as parameters,
 * every sub-expression is bracketed (ADQL and PostgreSQL precedences differ), and computed
 * result columns are cast to the type the validator declared, so values match metadata.
 *
 * Semantics chosen where ADQL leaves them open: `/` on two integers is PostgreSQL's integer
 * division (truncating); ROUND follows ROUNDING_NOTE (functions.ts); LIKE has no escape
 * character unless ESCAPE names one; TOP and the MAXREC limit become one LIMIT; RAND(seed) is a
 * hash of the seed and the row (of a grouped SELECT's select list: the group), so the same seed
 * gives each row the same value in every run, whatever order the rows are read in (identical rows
 * get identical values), while RAND() stays PostgreSQL's random().
 */
import type {
  AdqlQuery,
  Comparison,
  ComparisonOp,
  Condition,
  Expr,
  GeometryPredicate,
  Join,
  Position,
  QueryExpr,
  SelectQuery,
  TableRef,
} from './ast.js';
import type { ColumnMeta } from '../formats/table-model.js';
import { quoteIdent } from '../catalog/pg-types.js';
import { unitFactor, userFunction } from './functions.js';
import { containsAggregate } from './aggregates.js';
import { shardedAggregate, type ShardedAggregate } from './sharded-aggregate.js';
// ROUNDING_NOTE in functions.ts states the ROUND rule implemented in builtin().
import type { BoundColumn, Source } from './scope.js';
import { errorAt } from './scope.js';
import type { Output, SelectInfo, ValidatedQuery } from './validator.js';
import { isInteger, isRegion, pgTypeOfValue, shapeOf, type ValueType } from './value-types.js';
import {
  boxVertices,
  checkPosition,
  circleRanges,
  constCircleTest,
  constPolygonTest,
  crossmatchOrder,
  geomArray,
  type At,
  type Geom,
  type IndexCondition,
  num,
  polygonFrame,
  polygonRanges,
} from './geometry-sql.js';
import { INDEX_ORDER } from '../healpix/nested.js';

/** Options of a translation. */
export interface TranslateOptions {
  /** The service's row limit: the query reads at most maxrec + 1 rows, to detect overflow. */
  maxrec?: number;
}

/** PostgreSQL text, its parameters, and the result columns it returns (in order). */
export interface Translation {
  sql: string;
  params: unknown[];
  columns: ColumnMeta[];
  /** The spatial conditions on catalog tables, in the order written, and how each uses the index. */
  spatial: SpatialCondition[];
}

/**
 * A spatial condition on a table's declared position: a constant region (with the HEALPix
 * condition it became, or null when none narrows the scan: whole sky, or under NOT), or a
 * crossmatch probing `inner`'s index from each row of `outer` at a coarser HEALPix order.
 */
export type SpatialCondition =
  | { shape: 'circle'; source: Source; centre: readonly [number, number]; radius: number; index: IndexCondition | null; sql: string }
  | { shape: 'polygon' | 'box'; source: Source; vertices: ReadonlyArray<readonly [number, number]>; index: IndexCondition | null }
  | { shape: 'crossmatch'; outer: Source; inner: Source; radius: number; order: number };

/** Translate a validated query to PostgreSQL. */
export function translate(v: ValidatedQuery, options: TranslateOptions = {}): Translation {
  const t = new Translator(v);
  const limit = options.maxrec === undefined ? null : Math.max(0, Math.floor(options.maxrec)) + 1;
  return { sql: t.query(v.query, limit), params: t.params, columns: v.columns, spatial: t.spatial };
}

/** A crossmatch condition served by the index: `inner.hpx` in the neighbourhood of `outer`. */
interface Crossmatch {
  outer: Source;
  inner: Source;
  order: number;
  alias: string;
}

const FLIP: Record<ComparisonOp, ComparisonOp> = { '=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

class Translator {
  readonly params: unknown[] = [];
  readonly spatial: SpatialCondition[] = [];
  private readonly crossmatches = new Map<Comparison, Crossmatch>();
  private readonly laterals = new Map<Source, Crossmatch>();
  private indexAllowed = true;
  /**
   * What RAND(seed) hashes where the expression being translated stands: the row of the
   * SELECT's FROM sources, or (in the select list, HAVING and ORDER BY of a grouped SELECT)
   * the group. A thunk, so queries without RAND(seed) never build it.
   */
  private randKey: () => string = () => "''";
  /** The row key of the SELECT being translated, for RAND(seed) inside aggregate arguments. */
  private randRowKey: () => string = () => "''";

  constructor(private readonly v: ValidatedQuery) {}

  query(q: AdqlQuery, limit: number | null): string {
    let sql = '';
    if (q.with.length > 0) {
      sql += `WITH ${q.with
        .map((w) => {
          const outs = this.v.withs.get(w)!;
          return `${quoteIdent(w.name.name)} (${outs.map((o) => quoteIdent(o.name)).join(', ')}) AS (${this.queryExpr(w.query, null, null)})`;
        })
        .join(', ')} `;
    }
    return sql + this.queryExpr(q.body, null, limit);
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  private queryExpr(q: QueryExpr, types: ValueType[] | null, limit: number | null): string {
    if (q.kind === 'select') return this.select(q, types, limit);
    const outs = this.v.outputs.get(q)!;
    const target = types ?? outs.map((o) => o.type);
    const left = this.queryExpr(q.left, target, null);
    const right = this.queryExpr(q.right, target, null);
    let sql = `(${left}) ${q.op}${q.all ? ' ALL' : ''} (${right})`;
    const order = this.v.setOrder.get(q)!;
    if (order.length > 0) sql += ` ORDER BY ${order.map((p, i) => `${p}${direction(q.orderBy[i]!.direction)}`).join(', ')}`;
    if (limit !== null) sql += ` LIMIT ${limit}`;
    if (q.offset !== null) sql += ` OFFSET ${q.offset}`;
    return sql;
  }

  private select(q: SelectQuery, types: ValueType[] | null, outerLimit: number | null): string {
    const info = this.v.selects.get(q)!;
    this.planCrossmatches(q);
    const split = shardedAggregate(q, info, this.v);
    if (split) return this.shardedAggregateSql(q, info, split, types, outerLimit);
    const savedKey = this.randKey;
    const savedRow = this.randRowKey;
    const rowKey = once(() => `CAST(ROW(${info.scope.sources.map((s) => `${quoteIdent(s.sqlAlias)}.*`).join(', ')}) AS text)`);
    const groupKey = once(() => (isGrouped(q) ? this.groupKey(q, info.outputs, info.group) : rowKey()));
    try {
      this.randRowKey = rowKey;
      this.randKey = groupKey;
      const items = info.outputs.map((o, i) => `${this.outputSql(o, types?.[i] ?? null)} AS ${quoteIdent(o.name)}`);
      let sql = `SELECT ${q.quantifier === 'DISTINCT' ? 'DISTINCT ' : ''}${items.join(', ')}`;
      this.randKey = rowKey;
      sql += ` FROM ${q.from.map((f) => this.fromSql(f)).join(', ')}`;
      if (q.where !== null) sql += ` WHERE ${this.cond(q.where)}`;
      if (q.groupBy.length > 0) sql += ` GROUP BY ${q.groupBy.map((g, i) => (info.group[i] != null ? String(info.group[i]) : this.expr(g))).join(', ')}`;
      this.randKey = groupKey;
      if (q.having !== null) sql += ` HAVING ${this.cond(q.having)}`;
      if (q.orderBy.length > 0) {
        sql += ` ORDER BY ${q.orderBy.map((o, i) => `${info.order[i] != null ? String(info.order[i]) : this.expr(o.expr)}${direction(o.direction)}`).join(', ')}`;
      }
      const limits = [q.top, outerLimit].filter((x): x is number => x !== null);
      if (limits.length > 0) sql += ` LIMIT ${Math.min(...limits)}`;
      if (q.offset !== null) sql += ` OFFSET ${q.offset}`;
      return sql;
    } finally {
      this.randKey = savedKey;
      this.randRowKey = savedRow;
    }
  }

  /**
   * An aggregate over a sharded table as one aggregate per partition (each pushed down whole
   * to its shard), combined here: see sharded-aggregate.ts.
   */
  private shardedAggregateSql(q: SelectQuery, info: SelectInfo, split: ShardedAggregate, types: ValueType[] | null, outerLimit: number | null): string {
    const where = q.where === null ? '' : ` WHERE ${this.cond(q.where)}`;
    const partials: string[] = split.keys.map((k, i) => `${this.expr(k)} AS "k${i}"`);
    const finals = split.outputs.map((out, i) => {
      const o = info.outputs[i]!;
      const type = pgTypeOfValue(types?.[i] ?? o.type);
      if (out.kind === 'key') return `CAST("k${out.key}" AS ${type}) AS ${quoteIdent(o.name)}`;
      const p = `"p${i}"`;
      const call = out.call;
      const arg = call.arg === null ? '*' : this.expr(call.arg);
      let combined: string;
      if (call.name === 'AVG') {
        partials.push(`sum(CAST(${arg} AS double precision)) AS ${p}`, `count(${arg}) AS "c${i}"`);
        combined = `sum(${p}) / nullif(sum("c${i}"), 0)`;
      } else {
        partials.push(`${call.name.toLowerCase()}(${arg}) AS ${p}`);
        combined = call.name === 'COUNT' ? `coalesce(sum(${p}), 0)` : call.name === 'SUM' ? `sum(${p})` : `${call.name.toLowerCase()}(${p})`;
      }
      return `CAST(${combined} AS ${type}) AS ${quoteIdent(o.name)}`;
    });
    const alias = quoteIdent(split.source.sqlAlias);
    const groupKeys = split.keys.map((_, i) => i + 1).join(', ');
    const branches = split.partitions.map(
      (p) => `SELECT ${partials.join(', ')} FROM ${quoteIdent(p.pgSchema)}.${quoteIdent(p.pgTable)} AS ${alias}${where}${groupKeys ? ` GROUP BY ${groupKeys}` : ''}`,
    );
    let sql = `SELECT ${finals.join(', ')} FROM (${branches.join(' UNION ALL ')}) AS "vodax_partials"`;
    if (split.keys.length > 0) sql += ` GROUP BY ${split.keys.map((_, i) => `"k${i}"`).join(', ')}`;
    if (q.orderBy.length > 0) sql += ` ORDER BY ${q.orderBy.map((o, i) => `${info.order[i]}${direction(o.direction)}`).join(', ')}`;
    const limits = [q.top, outerLimit].filter((x): x is number => x !== null);
    if (limits.length > 0) sql += ` LIMIT ${Math.min(...limits)}`;
    if (q.offset !== null) sql += ` OFFSET ${q.offset}`;
    return sql;
  }

  /** The text RAND(seed) hashes in a grouped SELECT: its GROUP BY values (none: one group). */
  private groupKey(q: SelectQuery, outputs: Output[], group: Array<number | null>): string {
    const saved = this.randKey;
    this.randKey = this.randRowKey;
    try {
      const parts = q.groupBy.map((g, i) => (group[i] != null ? this.outputSql(outputs[group[i]! - 1]!, null) : this.expr(g)));
      return parts.length === 0 ? "''" : `CAST(ROW(${parts.join(', ')}, NULL) AS text)`;
    } finally {
      this.randKey = saved;
    }
  }

  /** Translate an aggregate's argument: it is evaluated per row, so RAND(seed) hashes the row. */
  private aggregateArg<T>(f: () => T): T {
    const saved = this.randKey;
    this.randKey = this.randRowKey;
    try {
      return f();
    } finally {
      this.randKey = saved;
    }
  }

  /** A result column: a column as it is, anything computed cast to its declared type. */
  private outputSql(o: Output, target: ValueType | null): string {
    const type = target ?? o.type;
    const plainColumn = o.bound !== null && (o.expr === null || o.expr.kind === 'column');
    const sql = o.expr === null ? o.bound!.sql : this.expr(o.expr, type);
    if (plainColumn && pgTypeOfValue(o.bound!.type) === pgTypeOfValue(type) && o.bound!.type.kind !== 'null') return sql;
    return `CAST(${sql} AS ${pgTypeOfValue(type)})`;
  }

  // -------------------------------------------------------------------------------------------
  // FROM

  private fromSql(ref: TableRef): string {
    if (ref.kind === 'table') {
      const s = this.v.sources.get(ref)!;
      const target = s.table ? `${quoteIdent(s.table.pgSchema)}.${quoteIdent(s.table.pgTable)}` : quoteIdent(s.cteName!);
      const base = `${target} AS ${quoteIdent(s.sqlAlias)}`;
      const x = this.laterals.get(s);
      if (!x) return base;
      const hpx = `${quoteIdent(s.sqlAlias)}.${quoteIdent(s.table!.position!.hpx)}`;
      return `(${base} CROSS JOIN LATERAL vodax.hpx_neighbours(${hpx}, ${x.order}) AS ${quoteIdent(x.alias)} ("p"))`;
    }
    if (ref.kind === 'derivedTable') {
      const s = this.v.sources.get(ref)!;
      return `(${this.queryExpr(ref.query, null, null)}) AS ${quoteIdent(s.sqlAlias)}`;
    }
    return this.joinSql(ref);
  }

  private joinSql(j: Join): string {
    const left = this.fromSql(j.left);
    const right = this.fromSql(j.right);
    if (j.type === 'CROSS') return `(${left} CROSS JOIN ${right})`;
    const kind = j.type === 'INNER' ? 'INNER JOIN' : `${j.type} OUTER JOIN`;
    const conds = (this.v.joins.get(j) ?? []).map(([l, r]) => `(${l.sql} = ${r.sql})`);
    if (j.on !== null) conds.push(this.cond(j.on));
    return `(${left} ${kind} ${right} ON ${conds.length ? conds.join(' AND ') : 'TRUE'})`;
  }

  // -------------------------------------------------------------------------------------------
  // Crossmatch planning: which DISTANCE/CONTAINS conditions between two tables use the index

  /** Conjuncts of WHERE and of inner-join ON clauses that relate two positional tables. */
  private planCrossmatches(q: SelectQuery): void {
    const conjuncts: Condition[] = [];
    const split = (c: Condition | null) => {
      // An explicit stack, in text order: AND chains may be thousands of terms long.
      const stack = c === null ? [] : [c];
      while (stack.length > 0) {
        const x = stack.pop()!;
        if (x.kind === 'and') stack.push(x.right, x.left);
        else conjuncts.push(x);
      }
    };
    split(q.where);
    const walk = (r: TableRef) => {
      if (r.kind !== 'join' || r.type !== 'INNER') return;
      split(r.on);
      walk(r.left);
      walk(r.right);
    };
    q.from.forEach(walk);
    for (const c of conjuncts) {
      if (c.kind !== 'comparison') continue;
      const m = this.crossmatchOf(c);
      if (!m) continue;
      const [a, b, r] = m;
      if (a === b || a.outer || b.outer || !a.table || !b.table) continue;
      const order = crossmatchOrder(r);
      if (order === null) continue;
      // Probe the index of the larger table from each row of the smaller one.
      const [outer, inner] = (a.table.rows ?? 0) <= (b.table.rows ?? 0) ? [a, b] : [b, a];
      if (this.laterals.has(outer)) continue;
      const x: Crossmatch = { outer, inner, order, alias: `${outer.sqlAlias}_nb` };
      this.laterals.set(outer, x);
      this.crossmatches.set(c, x);
      this.spatial.push({ shape: 'crossmatch', outer, inner, radius: r, order });
    }
  }

  /** [a, b, r] when `c` says "a's position within r of b's" (DISTANCE < r, or CONTAINS in a CIRCLE). */
  private crossmatchOf(c: Comparison): [Source, Source, number] | null {
    const pred = this.predicateForm(c);
    if (pred && pred.positive && pred.pred.name === 'CONTAINS' && pred.pred.left.kind === 'point' && pred.pred.right.kind === 'circle') {
      const a = this.tablePointOfExpr(pred.pred.left);
      const circle = pred.pred.right;
      const b = this.tablePointOfPosition(circle.center);
      const r = this.constNum(circle.radius);
      if (a && b && r !== null) return [a, b, r];
    }
    const d = this.distanceForm(c);
    if (d) {
      const a = this.tablePointOfPosition(d.dist.from);
      const b = this.tablePointOfPosition(d.dist.to);
      if (a && b) return [a, b, d.r];
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Conditions

  private cond(c: Condition): string {
    switch (c.kind) {
      case 'and':
      case 'or': {
        // One flat AND/OR for the whole chain (PostgreSQL flattens it to one n-ary node too).
        const parts: Condition[] = [];
        let x: Condition = c;
        while (x.kind === c.kind) {
          parts.push((x as typeof c).right);
          x = (x as typeof c).left;
        }
        parts.push(x);
        return `(${parts.reverse().map((p) => this.cond(p)).join(c.kind === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not':
        return `(NOT ${this.cond(c.operand)})`;
      case 'comparison':
        return this.comparison(c);
      case 'between': {
        const t = this.comparisonContext(c.value, c.low, c.high);
        return `(${this.expr(c.value, t)} ${c.not ? 'NOT ' : ''}BETWEEN ${this.expr(c.low, t)} AND ${this.expr(c.high, t)})`;
      }
      case 'inList': {
        const t = this.comparisonContext(c.value, ...c.list);
        return `(${this.expr(c.value, t)} ${c.not ? 'NOT ' : ''}IN (${c.list.map((e) => this.expr(e, t)).join(', ')}))`;
      }
      case 'inSubquery':
        return `(${this.expr(c.value)} ${c.not ? 'NOT ' : ''}IN (${this.queryExpr(c.query, null, null)}))`;
      case 'like': {
        const op = `${c.not ? 'NOT ' : ''}${c.caseInsensitive ? 'ILIKE' : 'LIKE'}`;
        // PostgreSQL's default escape is a backslash; ADQL has none unless ESCAPE says so.
        const esc = c.escape ? this.expr(c.escape) : `''`;
        return `(${this.expr(c.value)} ${op} ${this.expr(c.pattern)} ESCAPE ${esc})`;
      }
      case 'isNull':
        return `(${this.expr(c.value)} IS ${c.not ? 'NOT ' : ''}NULL)`;
      case 'exists':
        return `(EXISTS (${this.queryExpr(c.query, null, null)}))`;
    }
  }

  /** The type string literals compared with these operands must take (timestamp, boolean), if any. */
  private comparisonContext(...es: Expr[]): ValueType | undefined {
    for (const e of es) {
      const t = this.v.types.get(e);
      if (t && (t.kind === 'timestamp' || t.kind === 'boolean')) return t;
    }
    return undefined;
  }

  private comparison(c: Comparison): string {
    const geo = this.geometryComparison(c);
    if (geo !== null) return geo;
    const lt = this.v.types.get(c.left)!;
    const rt = this.v.types.get(c.right)!;
    // Booleans compare with numbers as 0/1.
    if (lt.kind === 'boolean' && rt.kind === 'numeric') return `(CAST(${this.expr(c.left)} AS integer) ${c.op} ${this.expr(c.right)})`;
    if (rt.kind === 'boolean' && lt.kind === 'numeric') return `(${this.expr(c.left)} ${c.op} CAST(${this.expr(c.right)} AS integer))`;
    const t = this.comparisonContext(c.left, c.right);
    return `(${this.expr(c.left, t)} ${c.op} ${this.expr(c.right, t)})`;
  }

  /** `CONTAINS(...) = 1` and the like: which predicate, and whether it must hold or fail. */
  private predicateForm(c: Comparison): { pred: GeometryPredicate; positive: boolean } | null {
    let pred: GeometryPredicate;
    let lit: Expr;
    let op: ComparisonOp;
    if (c.left.kind === 'geometryPredicate') [pred, lit, op] = [c.left, c.right, c.op];
    else if (c.right.kind === 'geometryPredicate') [pred, lit, op] = [c.right, c.left, FLIP[c.op]];
    else return null;
    const v = this.constNum(lit);
    if (v === null) return null;
    const holds = (x: number) => compare(x, op, v);
    if (holds(1) && !holds(0)) return { pred, positive: true };
    if (holds(0) && !holds(1)) return { pred, positive: false };
    return null;
  }

  /** `DISTANCE(p, q) < r` (or <=, or mirrored) with a constant r. */
  private distanceForm(c: Comparison): { dist: Extract<Expr, { kind: 'distance' }>; r: number; strict: boolean } | null {
    let dist: Expr;
    let other: Expr;
    let op: ComparisonOp;
    if (c.left.kind === 'distance') [dist, other, op] = [c.left, c.right, c.op];
    else if (c.right.kind === 'distance') [dist, other, op] = [c.right, c.left, FLIP[c.op]];
    else return null;
    if (dist.kind !== 'distance' || (op !== '<' && op !== '<=')) return null;
    const r = this.constNum(other);
    if (r === null) return null;
    return { dist, r, strict: op === '<' };
  }

  private geometryComparison(c: Comparison): string | null {
    const p = this.predicateForm(c);
    if (p) return p.positive ? this.predicate(p.pred, c) : `(NOT ${this.withoutIndex(() => this.predicate(p.pred, null))})`;
    const d = this.distanceForm(c);
    if (d) {
      const a = this.position(d.dist.from);
      const b = this.position(d.dist.to);
      if (a.shape !== 'point' || b.shape !== 'point') return null;
      // A constant centre on either side makes it a cone search.
      const [pt, centre] = a.value !== null && b.value === null ? [b, a] : [a, b];
      const circle: Extract<Geom, { shape: 'circle' }> = { shape: 'circle', ra: centre.ra, dec: centre.dec, r: num(d.r), centre: centre.source, value: centre.value ? [centre.value[0], centre.value[1], d.r] : null };
      return this.pointInCircle(pt, circle, d.strict, c, c);
    }
    return null;
  }

  /** Translate without HEALPix conditions (a negated predicate cannot use the index). */
  private withoutIndex(f: () => string): string {
    const saved = this.indexAllowed;
    this.indexAllowed = false;
    try {
      return f();
    } finally {
      this.indexAllowed = saved;
    }
  }

  /** A geometry predicate as a boolean; `at` is its comparison when it may use a crossmatch plan. */
  private predicate(p: GeometryPredicate, at: Comparison | null): string {
    const a = this.geom(p.left);
    const b = this.geom(p.right);
    if (p.name === 'INTERSECTS') {
      if (a.shape === 'point') return this.contains(a, b, at, p);
      if (b.shape === 'point') return this.contains(b, a, at, p);
      if (a.shape === 'circle' && b.shape === 'circle') return `(vodax.sphdist(${a.ra}, ${a.dec}, ${b.ra}, ${b.dec}) <= (${a.r} + ${b.r}))`;
      if (a.shape === 'circle' && b.shape === 'polygon') return circleMeetsPolygon(a, b);
      if (a.shape === 'polygon' && b.shape === 'circle') return circleMeetsPolygon(b, a);
      return `vodax.polygons_intersect(${geomArray(a)}, ${geomArray(b)})`;
    }
    return this.contains(a, b, at, p);
  }

  /** CONTAINS(a, b): a lies within b. */
  private contains(a: Geom, b: Geom, at: Comparison | null, node: At): string {
    if (a.shape === 'point') {
      if (b.shape === 'circle') return this.pointInCircle(a, b, false, at, node);
      if (b.shape === 'polygon') return this.pointInPolygon(a, b, node);
      return `(vodax.sphdist(${a.ra}, ${a.dec}, ${b.ra}, ${b.dec}) = 0)`;
    }
    if (a.shape === 'circle') {
      if (b.shape === 'circle') return `((vodax.sphdist(${a.ra}, ${a.dec}, ${b.ra}, ${b.dec}) + ${a.r}) <= ${b.r})`;
      if (b.shape === 'polygon') {
        return `(vodax.polygon_contains(${b.arr}, ${a.ra}, ${a.dec}) AND vodax.polygon_boundary_distance(${b.arr}, ${a.ra}, ${a.dec}) >= ${a.r})`;
      }
      return `((${a.r}) = 0 AND vodax.sphdist(${a.ra}, ${a.dec}, ${b.ra}, ${b.dec}) = 0)`;
    }
    if (b.shape === 'circle') return `vodax.polygon_in_circle(${a.arr}, ${b.ra}, ${b.dec}, ${b.r})`;
    if (b.shape === 'polygon') return `vodax.polygon_in_polygon(${a.arr}, ${b.arr})`;
    return 'FALSE';
  }

  private pointInCircle(p: Extract<Geom, { shape: 'point' }>, c: Extract<Geom, { shape: 'circle' }>, strict: boolean, at: Comparison | null, node: At): string {
    const op = strict ? '<' : '<=';
    if (c.value !== null) {
      checkPosition(node, c.value[0], c.value[1]);
      const exact = constCircleTest(p.ra, p.dec, c.value, strict);
      if (p.source === null) return exact;
      const ranges = this.indexAllowed ? circleRanges(node, p.source, c.value) : null;
      const sql = ranges === null ? exact : `(${ranges.sql} AND ${exact})`;
      this.spatial.push({ shape: 'circle', source: p.source, centre: [c.value[0], c.value[1]], radius: c.value[2], index: ranges, sql });
      return sql;
    }
    const exact = `(vodax.sphdist(${p.ra}, ${p.dec}, ${c.ra}, ${c.dec}) ${op} ${c.r})`;
    const x = at ? this.crossmatches.get(at) : undefined;
    if (!x) return exact;
    const s = 2 * (INDEX_ORDER - x.order);
    const nb = `${quoteIdent(x.alias)}."p"`;
    const hpx = `${quoteIdent(x.inner.sqlAlias)}.${quoteIdent(x.inner.table!.position!.hpx)}`;
    return `((${hpx} BETWEEN (${nb} << ${s}) AND (((${nb} + 1) << ${s}) - 1)) AND ${exact})`;
  }

  private pointInPolygon(p: Extract<Geom, { shape: 'point' }>, poly: Extract<Geom, { shape: 'polygon' }>, node: At): string {
    if (poly.vertices === null) return `vodax.polygon_contains(${poly.arr}, ${p.ra}, ${p.dec})`;
    const { frame, order } = polygonFrame(node, poly.vertices);
    const exact = constPolygonTest(p.ra, p.dec, frame);
    if (p.source === null) return exact;
    const ranges = this.indexAllowed ? polygonRanges(p.source, poly.vertices, order) : null;
    this.spatial.push({ shape: poly.box ? 'box' : 'polygon', source: p.source, vertices: poly.vertices, index: ranges });
    return ranges === null ? exact : `(${ranges.sql} AND ${exact})`;
  }

  // -------------------------------------------------------------------------------------------
  // Geometry operands

  /** The catalog source whose declared (ra, dec) columns these two expressions are, if so. */
  private tablePoint(lon: Expr, lat: Expr): Source | null {
    if (lon.kind !== 'column' || lat.kind !== 'column') return null;
    const a = this.v.columnRefs.get(lon);
    const b = this.v.columnRefs.get(lat);
    if (!a || !b || a.source !== b.source) return null;
    const pos = a.source.table?.position;
    if (!pos || a.column.sqlName !== pos.ra || b.column.sqlName !== pos.dec || isMerged(a) || isMerged(b)) return null;
    return a.source;
  }

  private tablePointOfExpr(e: Expr): Source | null {
    return e.kind === 'point' ? this.tablePoint(e.lon, e.lat) : null;
  }

  private tablePointOfPosition(p: Position): Source | null {
    return p.form === 'coords' ? this.tablePoint(p.lon, p.lat) : this.tablePointOfExpr(p.point);
  }

  private position(p: Position): Geom {
    if (p.form === 'point') return this.geom(p.point);
    const lon = this.constNum(p.lon);
    const lat = this.constNum(p.lat);
    return {
      shape: 'point',
      ra: this.expr(p.lon),
      dec: this.expr(p.lat),
      source: this.tablePoint(p.lon, p.lat),
      value: lon !== null && lat !== null ? [lon, lat] : null,
    };
  }

  /** A geometry expression as its parts. */
  private geom(e: Expr): Geom {
    switch (e.kind) {
      case 'point':
        return this.position({ form: 'coords', lon: e.lon, lat: e.lat });
      case 'circle': {
        const c = this.position(e.center);
        if (c.shape !== 'point') break;
        const r = this.constNum(e.radius);
        return { shape: 'circle', ra: c.ra, dec: c.dec, r: this.expr(e.radius), centre: c.source, value: c.value && r !== null ? [c.value[0], c.value[1], r] : null };
      }
      case 'box': {
        const c = this.position(e.center);
        if (c.shape !== 'point') break;
        const w = this.constNum(e.width);
        const h = this.constNum(e.height);
        if (c.value && w !== null && h !== null) {
          const vertices = boxVertices(e, c.value[0], c.value[1], w, h);
          return { shape: 'polygon', arr: polygonArray(vertices.flat().map(num)), vertices, box: true };
        }
        return { shape: 'polygon', arr: `vodax.box_polygon(${c.ra}, ${c.dec}, ${this.expr(e.width)}, ${this.expr(e.height)})`, vertices: null };
      }
      case 'polygon': {
        const vs = e.vertices.map((p) => this.position(p));
        const parts = vs.flatMap((g) => (g.shape === 'point' ? [g.ra, g.dec] : []));
        const constant = vs.every((g) => g.shape === 'point' && g.value !== null);
        return {
          shape: 'polygon',
          arr: polygonArray(parts),
          vertices: constant ? vs.map((g) => (g as Extract<Geom, { shape: 'point' }>).value!) : null,
        };
      }
      default:
        break;
    }
    // Any other geometry value (a column, CENTROID, CASE, a subquery): a DALI array.
    const sql = this.expr(e);
    const type = this.v.types.get(e)!;
    // A region (STC-S text) is read as the polygon it describes.
    if (isRegion(type)) return { shape: 'polygon', arr: `vodax.stcs_polygon(${sql})`, vertices: null };
    const shape = shapeOf(type) ?? 'point';
    if (shape === 'point') return { shape, ra: `(${sql})[1]`, dec: `(${sql})[2]`, source: null, value: null };
    if (shape === 'circle') return { shape, ra: `(${sql})[1]`, dec: `(${sql})[2]`, r: `(${sql})[3]`, centre: null, value: null };
    return { shape, arr: sql, vertices: null };
  }

  /** The value of a constant numeric expression (literals, arithmetic, PI), or null. */
  private constNum(e: Expr): number | null {
    switch (e.kind) {
      case 'number':
        return e.form === 'hex' ? null : e.value;
      case 'unary': {
        const x = this.constNum(e.operand);
        return x === null || e.op === '~' ? null : e.op === '-' ? -x : x;
      }
      case 'binary': {
        // Fold the left spine with a loop: chains may be thousands of operators long.
        const spine: Array<Extract<Expr, { kind: 'binary' }>> = [];
        for (let x: Expr = e; x.kind === 'binary'; x = x.left) {
          if (x.op !== '+' && x.op !== '-' && x.op !== '*' && x.op !== '/') return null;
          spine.push(x);
        }
        let a = this.constNum(spine[spine.length - 1]!.left);
        for (let k = spine.length - 1; k >= 0 && a !== null; k--) {
          const node = spine[k]!;
          const b = this.constNum(node.right);
          if (b === null) return null;
          if (node.op === '+') a += b;
          else if (node.op === '-') a -= b;
          else if (node.op === '*') a *= b;
          else {
            if (b === 0) return null;
            const ints = isInteger(this.v.types.get(node.left)!) && isInteger(this.v.types.get(node.right)!);
            a = ints ? Math.trunc(a / b) : a / b;
          }
        }
        return a;
      }
      case 'function':
        if (e.name === 'PI') return Math.PI;
        if (e.name === 'RADIANS' || e.name === 'DEGREES') {
          const x = this.constNum(e.args[0]!);
          return x === null ? null : e.name === 'RADIANS' ? (x * Math.PI) / 180 : (x * 180) / Math.PI;
        }
        if (e.name === 'IN_UNIT') {
          const x = this.constNum(e.args[0]!);
          const t = this.v.types.get(e.args[0]!)!;
          const u = e.args[1]!;
          if (x === null || t.unit === null || u.kind !== 'string') return null;
          const f = unitFactor(t.unit, u.value);
          return 'factor' in f ? x * f.factor : null;
        }
        return null;
      default:
        return null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Value expressions

  /** SQL of an expression; `context` types a string literal compared with a timestamp or boolean. */
  private expr(e: Expr, context?: ValueType): string {
    switch (e.kind) {
      case 'number':
        return numberSql(e.text, e.form, this.v.types.get(e)!);
      case 'string': {
        this.params.push(e.value);
        const type = context?.kind === 'timestamp' ? 'timestamp' : context?.kind === 'boolean' ? 'boolean' : 'text';
        return `CAST($${this.params.length} AS ${type})`;
      }
      case 'null':
        return 'NULL';
      case 'column':
        return this.v.columnRefs.get(e)!.sql;
      case 'unary':
        return e.op === '+' ? `(${this.expr(e.operand)})` : `(${e.op}${this.expr(e.operand)})`;
      case 'binary':
        return this.binaryChain(e);
      case 'aggregate': {
        if (e.arg === null) return 'count(*)';
        const q = e.quantifier === 'DISTINCT' ? 'DISTINCT ' : '';
        const arg = this.aggregateArg(() => this.expr(e.arg!));
        if (e.name === 'AVG') return `avg(${q}CAST(${arg} AS double precision))`;
        return `${e.name.toLowerCase()}(${q}${arg})`;
      }
      case 'function':
        return this.builtin(e);
      case 'userFunction': {
        const f = userFunction(e.name.name)!;
        const args = () => e.args.map((a) => this.expr(a));
        return f.sql(f.aggregate ? this.aggregateArg(args) : args());
      }
      case 'cast': {
        const inner = this.expr(e.expr, e.type.name === 'TIMESTAMP' ? undefined : context);
        switch (e.type.name) {
          case 'CHAR':
            return `CAST(${inner} AS char(${e.type.length ?? 1}))`;
          case 'VARCHAR':
            return e.type.length === null ? `CAST(${inner} AS text)` : `CAST(${inner} AS varchar(${e.type.length}))`;
          case 'POINT':
          case 'CIRCLE':
          case 'POLYGON':
            if (isRegion(this.v.types.get(e.expr)!)) return `vodax.stcs_polygon(${inner})`;
            return `CAST(${inner} AS double precision[])`;
          default:
            return `CAST(${inner} AS ${e.type.name.toLowerCase()})`;
        }
      }
      case 'coalesce': {
        const t = this.v.types.get(e);
        return `COALESCE(${e.args.map((a) => this.expr(a, t)).join(', ')})`;
      }
      case 'simpleCase': {
        const t = this.v.types.get(e);
        const ot = this.comparisonContext(e.operand, ...e.whens.map((w) => w.when));
        const whens = e.whens.map((w) => ` WHEN ${this.expr(w.when, ot)} THEN ${this.expr(w.then, t)}`).join('');
        return `(CASE ${this.expr(e.operand, ot)}${whens}${e.else ? ` ELSE ${this.expr(e.else, t)}` : ''} END)`;
      }
      case 'searchedCase': {
        const t = this.v.types.get(e);
        const whens = e.whens.map((w) => ` WHEN ${this.cond(w.when)} THEN ${this.expr(w.then, t)}`).join('');
        return `(CASE${whens}${e.else ? ` ELSE ${this.expr(e.else, t)}` : ''} END)`;
      }
      case 'scalarSubquery':
        return `(${this.queryExpr(e.query, null, null)})`;
      case 'point':
      case 'circle':
      case 'box':
      case 'polygon':
        return geomArray(this.geom(e));
      case 'region':
        throw errorAt(e.pos, 'REGION is not supported');
      case 'geometryPredicate':
        return `CAST(${this.predicate(e, null)} AS integer)`;
      case 'distance': {
        const a = this.position(e.from);
        const b = this.position(e.to);
        if (a.shape !== 'point' || b.shape !== 'point') throw errorAt(e.pos, 'DISTANCE needs two points');
        return `vodax.sphdist(${a.ra}, ${a.dec}, ${b.ra}, ${b.dec})`;
      }
      case 'geometryFunction':
        return this.geometryFunction(e);
    }
  }

  /**
   * A chain of binary operators, walked with a loop. PostgreSQL analyses expressions
   * recursively, so its depth matters: + - * / stay as written (left to right, without inner
   * parentheses: PostgreSQL gives them ADQL's precedence and associativity; the validator
   * bounds their depth), while || and the bitwise operators, which are associative, become
   * balanced trees (depth log n), so chains of thousands of terms run.
   */
  private binaryChain(top: Extract<Expr, { kind: 'binary' }>): string {
    const group = (op: string) => (op === '+' || op === '-' ? 1 : op === '*' || op === '/' ? 2 : 0);
    const spine: Array<Extract<Expr, { kind: 'binary' }>> = [];
    // Only operators of one precedence level share a spine ('a * b + c' is + over a * chain).
    for (let x: Expr = top; x.kind === 'binary' && (x.op === top.op || (group(x.op) !== 0 && group(x.op) === group(top.op))); x = x.left) spine.push(x);
    spine.reverse();
    const first = this.expr(spine[0]!.left);
    if (group(top.op) !== 0) return `(${first}${spine.map((b) => ` ${b.op} ${this.expr(b.right)}`).join('')})`;
    const operand = top.op === '||' ? (sql: string) => `CAST(${sql} AS text)` : (sql: string) => sql;
    const operands = [operand(first), ...spine.map((b) => operand(this.expr(b.right)))];
    return balanced(operands, top.op === '^' ? '#' : top.op);
  }

  private geometryFunction(e: Extract<Expr, { kind: 'geometryFunction' }>): string {
    if (e.name === 'COORDSYS') return `CAST('ICRS' AS text)`;
    const g = this.geom(e.arg);
    switch (e.name) {
      case 'COORD1':
      case 'COORD2':
        if (g.shape !== 'point') throw errorAt(e.arg.pos, `${e.name} needs a POINT`);
        return e.name === 'COORD1' ? `(${g.ra})` : `(${g.dec})`;
      case 'AREA':
        if (g.shape === 'point') return 'CAST(0 AS double precision)';
        if (g.shape === 'circle') return `(2 * pi() * (1 - cos(radians(${g.r}))) * power(180 / pi(), 2))`;
        return `vodax.polygon_area(${g.arr})`;
      case 'CENTROID':
        if (g.shape === 'polygon') return `vodax.polygon_centroid(${g.arr})`;
        return `CAST(ARRAY[${g.ra}, ${g.dec}] AS double precision[])`;
    }
  }

  private builtin(e: Extract<Expr, { kind: 'function' }>): string {
    // IN_UNIT's unit is folded into a factor, never sent as a parameter.
    const a = (e.name === 'IN_UNIT' ? e.args.slice(0, 1) : e.args).map((x) => this.expr(x));
    const t0 = e.args[0] ? this.v.types.get(e.args[0])! : null;
    const int0 = t0 !== null && isInteger(t0);
    const dbl = (s: string) => `CAST(${s} AS double precision)`;
    switch (e.name) {
      case 'ABS':
        return `abs(${a[0]})`;
      case 'CEILING':
        return int0 ? `(${a[0]})` : `ceil(${a[0]})`;
      case 'FLOOR':
        return int0 ? `(${a[0]})` : `floor(${a[0]})`;
      case 'ROUND':
      case 'TRUNCATE': {
        const fn = e.name === 'ROUND' ? 'round' : 'trunc';
        if (a.length === 1 && int0) return `(${a[0]})`;
        // One rule for both forms (see ROUNDING_NOTE): numeric arithmetic on the decimal value,
        // half away from zero; round(double precision) alone would round half to even.
        const places = a.length === 1 ? '' : `, ${a[1]}`;
        return `CAST(${fn}(CAST(${a[0]} AS numeric)${places}) AS ${int0 ? pgTypeOfValue(t0!) : 'double precision'})`;
      }
      case 'MOD': {
        const t1 = this.v.types.get(e.args[1]!)!;
        if (int0 && isInteger(t1)) return `mod(${a[0]}, ${a[1]})`;
        return dbl(`mod(CAST(${a[0]} AS numeric), CAST(${a[1]} AS numeric))`);
      }
      case 'LOG':
        return `ln(${dbl(a[0]!)})`;
      case 'LOG10':
        return `log(${dbl(a[0]!)})`;
      case 'PI':
        return 'pi()';
      case 'POWER':
        return `power(${dbl(a[0]!)}, ${dbl(a[1]!)})`;
      case 'RAND': {
        if (e.args.length === 0) return 'random()';
        // A reproducible value in [0, 1): the top 53 bits of a hash of the row (or group) and
        // the seed. Unlike setseed(), it touches no session state, and it does not depend on
        // the order PostgreSQL happens to read rows in (parallel scans, synchronized scans).
        const seed = e.args[0]!;
        if (seed.kind !== 'number') throw errorAt(seed.pos, 'the seed of RAND must be a whole number');
        return `(CAST((hashtextextended(${this.randKey()}, ${seed.text}) >> 11) + 4503599627370496 AS double precision) / 9007199254740992)`;
      }
      case 'IN_UNIT': {
        const target = e.args[1]!;
        const f = unitFactor(t0!.unit ?? '', target.kind === 'string' ? target.value : '');
        if ('error' in f) throw errorAt(target.pos, f.error);
        return `(${dbl(a[0]!)} * ${num(f.factor)})`;
      }
      case 'LOWER':
      case 'UPPER':
        return `${e.name.toLowerCase()}(${a[0]})`;
      default:
        // DEGREES, EXP, RADIANS, SQRT and the trigonometric functions share their names.
        return `${e.name.toLowerCase()}(${a.map(dbl).join(', ')})`;
    }
  }
}

/** `a op b op c ...` as a balanced tree of parentheses: depth log2(n), for associative operators. */
function balanced(parts: string[], op: string): string {
  if (parts.length === 1) return parts[0]!;
  const mid = parts.length >> 1;
  return `(${balanced(parts.slice(0, mid), op)} ${op} ${balanced(parts.slice(mid), op)})`;
}

/** A memoised thunk. */
function once(f: () => string): () => string {
  let v: string | null = null;
  return () => (v ??= f());
}

/** Does the SELECT aggregate (GROUP BY, HAVING, or an aggregate of its own in the select list or ORDER BY)? */
function isGrouped(q: SelectQuery): boolean {
  return q.groupBy.length > 0 || q.having !== null || containsAggregate([q.items, q.orderBy]);
}

function polygonArray(parts: string[]): string {
  return `CAST(ARRAY[${parts.join(', ')}] AS double precision[])`;
}

function circleMeetsPolygon(c: Extract<Geom, { shape: 'circle' }>, p: Extract<Geom, { shape: 'polygon' }>): string {
  return `(vodax.polygon_contains(${p.arr}, ${c.ra}, ${c.dec}) OR vodax.polygon_boundary_distance(${p.arr}, ${c.ra}, ${c.dec}) <= ${c.r})`;
}

function isMerged(b: BoundColumn): boolean {
  return b.sql.startsWith('COALESCE');
}

function direction(d: 'ASC' | 'DESC' | null): string {
  return d === null ? '' : ` ${d}`;
}

function compare(x: number, op: ComparisonOp, v: number): boolean {
  switch (op) {
    case '=':
      return x === v;
    case '<>':
      return x !== v;
    case '<':
      return x < v;
    case '>':
      return x > v;
    case '<=':
      return x <= v;
    case '>=':
      return x >= v;
  }
}

/** A numeric literal as PostgreSQL text of the validator's type (digits only, never a comment). */
function numberSql(text: string, form: string, type: ValueType): string {
  if (form === 'hex') {
    if (!/^0x[0-9a-f]+$/i.test(text)) throw new Error(`bad hex literal ${text}`);
    const v = BigInt.asIntN(64, BigInt(text));
    return `CAST(${v < 0n ? `(${v})` : v} AS bigint)`;
  }
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad numeric literal ${text}`);
  if (form === 'integer' && type.datatype !== 'double') return text;
  return `CAST(${text} AS double precision)`;
}
