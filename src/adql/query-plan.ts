/**
 * How a query will run (the v0 DB3 answer): its kind, the tables it reads, its spatial
 * conditions with the HEALPix coverage the translator chose, and PostgreSQL's estimate from
 * `EXPLAIN (FORMAT JSON)` of the translated SQL. Pure: the EXPLAIN document is an input.
 * Endpoint ids (M1-M13, DB1-DB3, I1-I12): docs/endpoints.md.
 */
import type { Comparison, Condition, Expr, QueryExpr, SelectQuery, TableRef } from './ast.js';
import type { SpatialCondition, Translation } from './translator.js';
import type { ValidatedQuery } from './validator.js';
import type { Source } from './scope.js';
import { tapName } from '../catalog/query-catalog.js';
import { containsAggregate } from './aggregates.js';

/** Kinds of query, most telling first: a query's kind is the first that applies. */
export const QUERY_KINDS = ['crossmatch', 'join', 'cone search', 'region search', 'point lookup', 'aggregate', 'full scan'] as const;

/** What a query (or one of its SELECTs) does. */
export type QueryKind = (typeof QUERY_KINDS)[number];

/** A spatial condition as reported. */
export interface SpatialReport {
  /** The table whose position is constrained (for a crossmatch, the one probed through its index). */
  table: string;
  shape: 'circle' | 'polygon' | 'box' | 'crossmatch';
  /** Circle centre (ra, dec), degrees. */
  centre?: [number, number];
  /** Circle or crossmatch radius, degrees. */
  radius?: number;
  /** Polygon or box corners (ra, dec), degrees. */
  vertices?: Array<[number, number]>;
  /** For a crossmatch: the table whose every row probes `table`'s index. */
  probedFrom?: string;
  /**
   * The HEALPix condition written on the index column (its order, and how many index ranges it
   * reads), or null when none narrows the scan. For a crossmatch: the order of the neighbourhood
   * pixels, and the ranges each probing row reads (its pixel and the neighbours, at most 9).
   */
  healpix: { order: number; ranges: number } | null;
  /** Whether PostgreSQL's plan reads `table` through the HEALPix index (null: no plan). */
  indexUsed: boolean | null;
}

/** One table read in the plan. */
export interface ScanReport {
  /** TAP name of the table, or null for anything else (CTEs, functions, subqueries). */
  table: string | null;
  /** The plan node, e.g. `Index Scan`, `Bitmap Heap Scan`, `Seq Scan`. */
  method: string;
  /** Indexes it reads. */
  indexes: string[];
  /** Whether the index conditions are on the table's HEALPix column. */
  healpix: boolean;
  /** Rows PostgreSQL expects from this scan. */
  rows: number;
}

/** PostgreSQL's estimate for the whole query. */
export interface PlanEstimate {
  /** Rows the query is expected to return (after the MAXREC limit). */
  rows: number;
  /** Total cost in PostgreSQL's units (sequential page reads). */
  cost: number;
  startupCost: number;
  scans: ScanReport[];
}

/** The DB3 answer. */
export interface QueryPlanReport {
  kind: QueryKind;
  /** Every kind that applies to some part of the query (subqueries included), in QUERY_KINDS order. */
  features: QueryKind[];
  /** TAP names of the catalog tables read. */
  tables: string[];
  spatial: SpatialReport[];
  /** Indexed columns compared with a constant, which let PostgreSQL fetch rows by key. */
  lookups: Array<{ table: string; column: string }>;
  estimate: PlanEstimate | null;
  /** The PostgreSQL text that will run (string literals as $n parameters). */
  sql: string;
}

/** Classify a validated, translated query; `explain` is the JSON of EXPLAIN (FORMAT JSON), if run. */
export function queryPlan(v: ValidatedQuery, t: Translation, explain: unknown = null): QueryPlanReport {
  const lookups: QueryPlanReport['lookups'] = [];
  const kindsOf = new Map<SelectQuery, Set<QueryKind>>();
  for (const [select, info] of v.selects) {
    const kinds = new Set<QueryKind>();
    const own = new Set(info.scope.sources);
    if (t.spatial.some((s) => s.shape === 'crossmatch' && own.has(s.outer) && own.has(s.inner))) kinds.add('crossmatch');
    if (select.from.reduce((n, f) => n + fromCount(f), 0) > 1) kinds.add('join');
    for (const s of t.spatial) {
      if (s.shape === 'crossmatch' || !own.has(s.source) || s.index === null) continue;
      kinds.add(s.shape === 'circle' ? 'cone search' : 'region search');
    }
    const found = keyLookups(select, v, own);
    lookups.push(...found);
    if (found.length > 0) kinds.add('point lookup');
    if (select.groupBy.length > 0 || hasAggregate(select)) kinds.add('aggregate');
    if (!['crossmatch', 'join', 'cone search', 'region search', 'point lookup'].some((k) => kinds.has(k as QueryKind))) kinds.add('full scan');
    kindsOf.set(select, kinds);
  }
  const top = new Set<QueryKind>(topSelects(v.query.body).flatMap((s) => [...(kindsOf.get(s) ?? [])]));
  const all = new Set<QueryKind>([...kindsOf.values()].flatMap((k) => [...k]));
  const estimate = explain === null ? null : summarizeExplain(explain, v);
  return {
    kind: QUERY_KINDS.find((k) => top.has(k)) ?? 'full scan',
    features: QUERY_KINDS.filter((k) => all.has(k)),
    tables: [...new Set(v.tables.map(tapName))],
    spatial: t.spatial.map((s) => spatialReport(s, estimate)),
    lookups,
    estimate,
    sql: t.sql,
  };
}

/** The SELECTs that make up a query expression's result (set operation operands, not subqueries). */
function topSelects(q: QueryExpr): SelectQuery[] {
  return q.kind === 'select' ? [q] : [...topSelects(q.left), ...topSelects(q.right)];
}

/** How many tables a FROM item brings in. */
function fromCount(f: TableRef): number {
  return f.kind === 'join' ? fromCount(f.left) + fromCount(f.right) : 1;
}

/** Does the SELECT's own list or HAVING hold an aggregate (not counting subqueries)? */
function hasAggregate(select: SelectQuery): boolean {
  return select.having !== null || select.items.some((i) => i.kind === 'derivedColumn' && containsAggregate([i.expr]));
}


/** Conjuncts of WHERE: `indexed column = value` (or IN a list of values) on one of the SELECT's tables. */
function keyLookups(select: SelectQuery, v: ValidatedQuery, own: Set<Source>): Array<{ table: string; column: string }> {
  const out: Array<{ table: string; column: string }> = [];
  const visit = (c: Condition) => {
    let column: Expr | null = null;
    if (c.kind === 'comparison' && c.op === '=') column = keyColumn(c);
    else if (c.kind === 'inList' && !c.not && c.list.every(isValue)) column = c.value;
    if (column === null || column.kind !== 'column') return;
    const bound = v.columnRefs.get(column);
    const table = bound?.source.table;
    if (!bound || !table || !own.has(bound.source)) return;
    const meta = table.columns.find((m) => m.name === bound.column.name);
    if (meta?.indexed) out.push({ table: tapName(table), column: meta.name });
  };
  // An explicit stack, in text order: AND chains may be thousands of terms long.
  const stack = select.where === null ? [] : [select.where];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (c.kind === 'and') stack.push(c.right, c.left);
    else visit(c);
  }
  return out;
}

/** The column side of `column = value` or `value = column`. */
function keyColumn(c: Comparison): Expr | null {
  if (c.left.kind === 'column' && isValue(c.right)) return c.left;
  if (c.right.kind === 'column' && isValue(c.left)) return c.right;
  return null;
}

/** A value known before the scan: a literal, or an uncorrelated-looking scalar subquery. */
function isValue(e: Expr): boolean {
  if (e.kind === 'number' || e.kind === 'string') return true;
  if (e.kind === 'unary') return isValue(e.operand);
  return e.kind === 'scalarSubquery';
}

function spatialReport(s: SpatialCondition, estimate: PlanEstimate | null): SpatialReport {
  const probed = s.shape === 'crossmatch' ? s.inner : s.source;
  const table = tapName(probed.table!);
  // Scans are per table: with one table read twice, any healpix scan of it counts.
  const scans = estimate?.scans.filter((x) => x.table === table) ?? [];
  const indexUsed = estimate === null ? null : scans.some((x) => x.healpix);
  if (s.shape === 'crossmatch') {
    return { table, shape: 'crossmatch', radius: s.radius, probedFrom: tapName(s.outer.table!), healpix: { order: s.order, ranges: 9 }, indexUsed };
  }
  const healpix = s.index === null ? null : { order: s.index.order, ranges: s.index.ranges };
  if (s.shape === 'circle') return { table, shape: 'circle', centre: [s.centre[0], s.centre[1]], radius: s.radius, healpix, indexUsed };
  return { table, shape: s.shape, vertices: s.vertices.map(([a, d]) => [a, d]), healpix, indexUsed };
}

/** One node of EXPLAIN (FORMAT JSON). */
interface PlanNode {
  'Node Type'?: string;
  'Startup Cost'?: number;
  'Total Cost'?: number;
  'Plan Rows'?: number;
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Plans?: PlanNode[];
}

/**
 * The estimate of an EXPLAIN (FORMAT JSON) document, with each table scan named by its TAP
 * name (the translator's aliases are unique, so they identify the table).
 */
export function summarizeExplain(explain: unknown, v: ValidatedQuery): PlanEstimate {
  const doc = (Array.isArray(explain) ? explain[0] : explain) as { Plan?: PlanNode } | undefined;
  const root = doc?.Plan;
  if (!root) throw new TypeError('not an EXPLAIN (FORMAT JSON) document');
  const byAlias = new Map<string, Source>();
  for (const s of v.sources.values()) byAlias.set(s.sqlAlias, s);
  const scans: ScanReport[] = [];
  const walk = (n: PlanNode) => {
    if (n['Relation Name'] !== undefined) {
      const source = n.Alias === undefined ? undefined : byAlias.get(n.Alias);
      const table = source?.table ?? null;
      // A bitmap heap scan reads the indexes of the bitmap index scans below it.
      const below = n['Node Type'] === 'Bitmap Heap Scan' ? bitmapIndexScans(n) : [n];
      const indexes = [...new Set(below.flatMap((b) => (b['Index Name'] ? [b['Index Name']] : [])))];
      const hpx = table?.position?.hpx;
      const conds = below.map((b) => b['Index Cond'] ?? '').concat(n['Recheck Cond'] ?? '');
      scans.push({
        table: table ? tapName(table) : null,
        method: n['Node Type'] ?? 'unknown',
        indexes,
        healpix: hpx !== undefined && conds.some((c) => c.includes(hpx)),
        rows: n['Plan Rows'] ?? 0,
      });
    }
    n.Plans?.forEach(walk);
  };
  walk(root);
  return { rows: root['Plan Rows'] ?? 0, cost: root['Total Cost'] ?? 0, startupCost: root['Startup Cost'] ?? 0, scans };
}

function bitmapIndexScans(n: PlanNode): PlanNode[] {
  return (n.Plans ?? []).flatMap((c) => (c['Node Type'] === 'Bitmap Index Scan' ? [c] : c['Node Type']?.startsWith('Bitmap') ? bitmapIndexScans(c) : []));
}
