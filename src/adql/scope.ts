/**
 * Name resolution state of the validator: the tables a query's FROM clause brings into view
 * (sources), nested scopes for subqueries, and "did you mean" suggestions.
 */
import type { Identifier, Pos, TableName } from './ast.js';
import { editDistance } from './keywords.js';
import type { CatalogTable } from '../catalog/query-catalog.js';
import { tapName } from '../catalog/query-catalog.js';
import type { ValueType } from './value-types.js';
import { QuerySyntaxError } from '../errors.js';

/** A column a source offers: its ADQL name, its PostgreSQL name and type. */
export interface SourceColumn {
  name: string;
  sqlName: string;
  type: ValueType;
}

/** A FROM item: a catalog table, a CTE, or a derived table, under a generated SQL alias. */
export interface Source {
  /** Unique SQL alias (`t1`, `t2`, ...). */
  sqlAlias: string;
  /** The alias the query gave it, if any. */
  alias: Identifier | null;
  /** The catalog table, for base tables. */
  table: CatalogTable | null;
  /** The CTE name, for references to a WITH query. */
  cteName: string | null;
  columns: SourceColumn[];
  /** True when the source is on the nullable side of an outer join (its rows may be NULL-extended). */
  outer: boolean;
  /** How errors name it. */
  label: string;
  /**
   * Set when the source's columns are not known: a table checked without a catalog (the
   * offline `adql check`), or a query over one. Any column name resolves on it, untyped.
   */
  open?: { written: TableName | null };
}

/** A resolved column reference. */
export interface BoundColumn {
  /** The source it comes from (the left one for merged USING/NATURAL columns). */
  source: Source;
  column: SourceColumn;
  /** SQL text of the reference. */
  sql: string;
  type: ValueType;
}

/** One query level's FROM scope, linked to the enclosing query for correlated references. */
export interface Scope {
  parent: Scope | null;
  sources: Source[];
  /** Columns merged by USING/NATURAL joins: unqualified references to them are not ambiguous. */
  merged: BoundColumn[];
}

/** An error at a node's position. */
export function errorAt(pos: Pos, detail: string): QuerySyntaxError {
  return new QuerySyntaxError(detail, pos.line, pos.column);
}

/** True when identifier `id` names `name` (regular: case-insensitive; delimited: exact). */
export function nameMatches(id: { name: string; delimited: boolean }, name: string): boolean {
  if (id.delimited || id.name === name) return id.name === name;
  // Lengths first: lower-casing both allocates, for every column of every table in FROM.
  return id.name.length === name.length && id.name.toLowerCase() === name.toLowerCase();
}

/** Does the qualifier of a column reference (or `t.*`) name this source? */
export function qualifierMatches(q: TableName, s: Source): boolean {
  if (q.catalog !== null) return false;
  if (s.alias !== null) return q.schema === null && nameMatches(q.table, s.alias.name);
  if (s.cteName !== null) return q.schema === null && nameMatches(q.table, s.cteName);
  const w = s.open?.written;
  if (w) {
    // Without a catalog only the name as written is known (its schema, if it was given).
    const full = [w.catalog, w.schema, w.table].filter((x) => x !== null).map((x) => x.name).join('.');
    if (q.schema === null && nameMatches(q.table, full)) return true;
    if (!nameMatches(q.table, w.table.name)) return false;
    return q.schema === null || w.schema === null || nameMatches(q.schema, w.schema.name);
  }
  if (s.table !== null) {
    if (q.schema !== null) return nameMatches(q.schema, s.table.schema) && nameMatches(q.table, s.table.name);
    return nameMatches(q.table, s.table.name) || nameMatches(q.table, tapName(s.table));
  }
  return false;
}

/** The SQL text of a bound column. */
export function columnSql(source: Source, column: SourceColumn): string {
  return `${quote(source.sqlAlias)}.${quote(column.sqlName)}`;
}

function quote(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** The candidate closest to `word` when it is a plausible slip (case differences included), else null. */
export function suggest(word: string, candidates: Iterable<string>): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDist || (d === bestDist && best !== null && c.length < best.length)) {
      best = c;
      bestDist = d;
    }
  }
  const allowed = w.length <= 3 ? 1 : w.length <= 8 ? 2 : 3;
  if (best === null || bestDist > allowed) return null;
  // Same letters in another case only helps when the word was delimited (exact).
  return best === word ? null : best;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(s: string | null): string {
  return s === null ? '' : `; did you mean "${s}"?`;
}
