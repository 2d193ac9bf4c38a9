/**
 * ADQL validation: resolves every table and column of a parsed query against the caller's
 * catalog, checks functions and types, and derives the result columns' metadata. The output
 * annotates the syntax tree for the translator; nothing here touches a database.
 */
import type {
  AdqlQuery,
  Condition,
  DerivedTable,
  Expr,
  Identifier,
  Join,
  OrderItem,
  Position,
  QueryExpr,
  SelectQuery,
  SetOperation,
  TableRef,
  TableReference,
  WithQuery,
  ColumnRef,
  Coordsys,
} from './ast.js';
import type { Catalog, CatalogTable } from '../catalog/query-catalog.js';
import { tapName } from '../catalog/query-catalog.js';
import type { ColumnMeta } from '../formats/table-model.js';
import { KNOWN_UNITS, USER_FUNCTIONS, unitFactor, userFunction } from './functions.js';
import {
  type BoundColumn,
  type Scope,
  type Source,
  type SourceColumn,
  columnSql,
  didYouMean,
  errorAt,
  nameMatches,
  qualifierMatches,
  suggest,
} from './scope.js';
import {
  DOUBLE,
  INT,
  LONG,
  NULL_TYPE,
  TEXT,
  columnType,
  geometryType,
  isInteger,
  isRegion,
  plain,
  promote,
  shapeOf,
  typeName,
  unify,
  type ValueType,
} from './value-types.js';

/** One column of a query's result. */
export interface Output {
  /** Unique (case-insensitively) within its result. */
  name: string;
  type: ValueType;
  /** The select-list expression, or null for a column a `*` expanded to. */
  expr: Expr | null;
  /** The column a `*` expanded to (or a plain column reference). */
  bound: BoundColumn | null;
  /** Offline: stands for the unknown columns of a '*' over a table whose columns are not known. */
  open?: true;
}

/** What the validator learnt about one SELECT. */
export interface SelectInfo {
  scope: Scope;
  outputs: Output[];
  /** Per ORDER BY item: the 1-based result column it names, or null when it is an expression. */
  order: Array<number | null>;
  /** Per GROUP BY item: the 1-based result column it names (an alias), or null. */
  group: Array<number | null>;
}

/** A validated query: the syntax tree plus everything the translator needs. */
export interface ValidatedQuery {
  query: AdqlQuery;
  /** The result columns, with unique names and full metadata. */
  columns: ColumnMeta[];
  /** Every catalog table the query reads. */
  tables: CatalogTable[];
  sources: Map<TableReference | DerivedTable, Source>;
  /** Column pairs a USING or NATURAL join equates. */
  joins: Map<Join, Array<[BoundColumn, BoundColumn]>>;
  columnRefs: Map<ColumnRef, BoundColumn>;
  types: Map<Expr, ValueType>;
  selects: Map<SelectQuery, SelectInfo>;
  outputs: Map<QueryExpr, Output[]>;
  /** ORDER BY items of set operations, as result column positions. */
  setOrder: Map<SetOperation, number[]>;
  withs: Map<WithQuery, Output[]>;
}

/**
 * Validate a parsed query against a catalog; throws QuerySyntaxError (with line and column) on
 * any fault. Without a catalog (null: the offline `adql check`), tables are taken as written and
 * their columns as untyped, and everything else is checked as the server checks it: functions,
 * the types of literals and of what functions return, geometry, clause structure. A query
 * validated so cannot be translated.
 */
export function validate(query: AdqlQuery, catalog: Catalog | null): ValidatedQuery {
  return new Validator(catalog, query).run();
}

/** The type of a column whose declaration is unknown (offline): it passes every check. */
const UNKNOWN: ValueType = NULL_TYPE;

/** The place of the columns of an open source among a result's outputs ('*' over an unknown table). */
function openOutput(): Output {
  return { name: '*', type: UNKNOWN, expr: null, bound: null, open: true };
}

/** Does this result have columns nobody knows (a '*' over an unknown table)? */
function isOpen(outputs: readonly Output[]): boolean {
  return outputs.some((o) => o.open === true);
}

interface Cte {
  name: Identifier;
  outputs: Output[];
}

/** What a FROM item contributes: its sources, what `*` lists, and merged (USING) columns. */
interface FromResult {
  sources: Source[];
  /** The columns `*` lists, made when first asked (most queries name their columns). */
  star: () => BoundColumn[];
  merged: BoundColumn[];
  /** Offline: '*' also lists columns nobody knows. */
  open?: boolean;
}

const INT32 = 2 ** 31;
/**
 * How deep + - * / may nest in one query: PostgreSQL (2 MB max_stack_depth) analyses about
 * 4,500 levels; half of that leaves room for everything around the expression.
 */
const MAX_ARITHMETIC_DEPTH = 2000;

class Validator {
  private counter = 0;
  private readonly ctes: Cte[] = [];
  private readonly v: ValidatedQuery;
  /** Whether an aggregate may appear where the expression being checked is. */
  private aggAllowed = false;
  /** How many + - * / operators enclose the expression being checked, in PostgreSQL's tree. */
  private arithmeticDepth = 0;

  constructor(
    private readonly catalog: Catalog | null,
    query: AdqlQuery,
  ) {
    this.v = {
      query,
      columns: [],
      tables: [],
      sources: new Map(),
      joins: new Map(),
      columnRefs: new Map(),
      types: new Map(),
      selects: new Map(),
      outputs: new Map(),
      setOrder: new Map(),
      withs: new Map(),
    };
  }

  run(): ValidatedQuery {
    const q = this.v.query;
    for (const w of q.with) {
      if (this.ctes.some((c) => nameMatches(c.name, w.name.name) || nameMatches(w.name, c.name.name))) {
        throw errorAt(w.name.pos, `WITH query "${w.name.name}" is defined twice`);
      }
      let outputs = this.queryExpr(w.query, null);
      if (w.columns !== null) {
        if (isOpen(outputs)) {
          // Offline, a '*' over an unknown table: the column list names them all.
          outputs = uniqueNames(w.columns.map((c) => ({ name: c.name, type: UNKNOWN, expr: null, bound: null })));
        } else {
          if (w.columns.length !== outputs.length) {
            throw errorAt(w.pos, `WITH query "${w.name.name}" names ${w.columns.length} columns but its query returns ${outputs.length}`);
          }
          outputs = uniqueNames(outputs.map((o, i) => ({ ...o, name: w.columns![i]!.name })));
        }
      }
      this.v.withs.set(w, outputs);
      this.ctes.push({ name: w.name, outputs });
    }
    const outputs = this.queryExpr(q.body, null);
    this.v.columns = outputs.map((o) => toColumnMeta(o));
    return this.v;
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  private queryExpr(q: QueryExpr, parent: Scope | null): Output[] {
    const outputs = q.kind === 'select' ? this.select(q, parent) : this.setOperation(q, parent);
    this.v.outputs.set(q, outputs);
    return outputs;
  }

  private setOperation(q: SetOperation, parent: Scope | null): Output[] {
    const left = this.queryExpr(q.left, parent);
    const right = this.queryExpr(q.right, parent);
    if (isOpen(left) || isOpen(right)) {
      // Offline with an unknown table's '*' on a side: the columns cannot be lined up.
      const outputs = [...left.filter((o) => !o.open), openOutput()];
      this.v.setOrder.set(q, q.orderBy.map((o) => this.outputPosition(o, outputs) ?? 1));
      return outputs;
    }
    if (left.length !== right.length) {
      throw errorAt(q.pos, `each side of ${q.op} must have the same number of columns: ${left.length} on the left, ${right.length} on the right`);
    }
    const outputs = left.map((l, i) => {
      const r = right[i]!;
      const t = unify(l.type, r.type);
      if (t === null) throw errorAt(q.pos, `column ${i + 1} of ${q.op} is ${typeName(l.type)} on the left but ${typeName(r.type)} on the right`);
      // The left operand names the columns and gives their metadata; the type is the common one.
      return { name: l.name, type: { ...t, unit: l.type.unit, ucd: l.type.ucd, utype: l.type.utype, description: l.type.description }, expr: null, bound: null };
    });
    this.v.setOrder.set(
      q,
      q.orderBy.map((o) => {
        const p = this.outputPosition(o, outputs);
        if (p === null) throw errorAt(o.pos, `ORDER BY of ${q.op} must name a result column (by name or position)`);
        return p;
      }),
    );
    return outputs;
  }

  private select(q: SelectQuery, parent: Scope | null): Output[] {
    const scope: Scope = { parent, sources: [], merged: [] };
    const stars: Array<() => BoundColumn[]> = [];
    let openStar = false;
    for (const ref of q.from) {
      const r = this.fromItem(ref, scope, parent, false);
      for (const s of r.sources) this.addSource(scope, s, ref);
      scope.merged.push(...r.merged);
      stars.push(r.star);
      openStar ||= r.open === true;
    }
    if (q.where !== null) this.condition(q.where, scope, false);

    const outputs: Output[] = [];
    for (const item of q.items) {
      if (item.kind === 'star') {
        for (const star of stars) for (const b of star()) outputs.push({ name: b.column.name, type: b.type, expr: null, bound: b });
        if (openStar) outputs.push(openOutput());
      } else if (item.kind === 'qualifiedStar') {
        const matches = scope.sources.filter((s) => qualifierMatches(item.qualifier, s));
        if (matches.length === 0) throw this.noSuchTable(item.qualifier.table, scope);
        if (matches.length > 1) throw errorAt(item.pos, `"${item.qualifier.table.name}" names more than one table in FROM; use aliases`);
        const s = matches[0]!;
        for (const c of s.columns) {
          const b = { source: s, column: c, sql: columnSql(s, c), type: c.type };
          outputs.push({ name: c.name, type: c.type, expr: null, bound: b });
        }
        if (s.open) outputs.push(openOutput());
      } else {
        const type = this.expr(item.expr, scope, true);
        const bound = item.expr.kind === 'column' ? (this.v.columnRefs.get(item.expr) ?? null) : null;
        const name = item.alias?.name ?? defaultName(item.expr, bound);
        outputs.push({ name, type, expr: item.expr, bound });
      }
    }
    const unique = uniqueNames(outputs);

    const group = q.groupBy.map((g) => {
      // An unqualified name that is not a column of FROM may name a result column (alias).
      if (g.kind === 'column' && g.qualifier === null && !this.visible(g.name, scope)) {
        const p = unique.findIndex((o, i) => nameMatches(g.name, o.name) || (outputs[i]!.name !== o.name && nameMatches(g.name, outputs[i]!.name)));
        if (p >= 0) return p + 1;
      }
      this.expr(g, scope, false);
      return null;
    });
    if (q.having !== null) this.condition(q.having, scope, true);
    const order = q.orderBy.map((o) => {
      const p = this.outputPosition(o, unique, outputs);
      if (p !== null) return p;
      this.expr(o.expr, scope, true);
      return null;
    });
    this.v.selects.set(q, { scope, outputs: unique, order, group });
    return unique;
  }

  /** The result column an ORDER BY item names (position or name), or null for an expression. */
  private outputPosition(o: OrderItem, outputs: Output[], written: Output[] = outputs): number | null {
    if (o.position !== null) {
      if (isOpen(outputs) && o.position >= 1) return o.position;
      if (o.position < 1 || o.position > outputs.length) throw errorAt(o.pos, `ORDER BY ${o.position}: the result has ${outputs.length} column${outputs.length === 1 ? '' : 's'}`);
      return o.position;
    }
    if (o.expr.kind === 'column' && o.expr.qualifier === null) {
      const id = o.expr.name;
      const hits = outputs.map((x, i) => (nameMatches(id, written[i]!.name) || nameMatches(id, x.name) ? i + 1 : 0)).filter((i) => i > 0);
      if (hits.length === 1) return hits[0]!;
      // Several result columns of that name: only fine when it is one FROM column listed twice.
      if (hits.length > 1 && !hits.every((h) => outputs[h - 1]!.bound && outputs[h - 1]!.bound!.sql === outputs[hits[0]! - 1]!.bound?.sql)) {
        throw errorAt(o.pos, `ORDER BY "${id.name}" is ambiguous: the result has ${hits.length} columns of that name`);
      }
      if (hits.length > 1) return hits[0]!;
    }
    return null;
  }

  private visible(id: Identifier, scope: Scope): boolean {
    return scope.merged.some((m) => nameMatches(id, m.column.name)) || scope.sources.some((s) => s.columns.some((c) => nameMatches(id, c.name)));
  }

  private addSource(scope: Scope, s: Source, ref: TableRef): void {
    for (const other of scope.sources) {
      if (exposedName(other).toLowerCase() === exposedName(s).toLowerCase()) {
        throw errorAt(s.alias?.pos ?? ref.pos, `table "${exposedName(s)}" appears twice in FROM; give one of them an alias`);
      }
    }
    scope.sources.push(s);
  }

  // -------------------------------------------------------------------------------------------
  // FROM

  private nextAlias(): string {
    return `t${++this.counter}`;
  }

  /** A FROM item; `outerScope` is what derived tables may see (not their siblings). */
  private fromItem(ref: TableRef, scope: Scope, outerScope: Scope | null, outer: boolean): FromResult {
    if (ref.kind === 'table') {
      const source = this.tableSource(ref, outer);
      this.v.sources.set(ref, source);
      return { sources: [source], star: once(() => starOf(source)), merged: [], open: source.open !== undefined };
    }
    if (ref.kind === 'derivedTable') {
      const outputs = this.queryExpr(ref.query, outerScope);
      const source: Source = {
        sqlAlias: this.nextAlias(),
        alias: ref.alias,
        table: null,
        cteName: null,
        columns: outputs.filter((o) => !o.open).map((o) => ({ name: o.name, sqlName: o.name, type: o.type })),
        outer,
        label: ref.alias.name,
        ...(isOpen(outputs) ? { open: { written: null } } : {}),
      };
      this.v.sources.set(ref, source);
      return { sources: [source], star: once(() => starOf(source)), merged: [], open: source.open !== undefined };
    }
    return this.join(ref, scope, outerScope, outer);
  }

  private join(j: Join, scope: Scope, outerScope: Scope | null, outer: boolean): FromResult {
    const left = this.fromItem(j.left, scope, outerScope, outer || j.type === 'RIGHT' || j.type === 'FULL');
    const right = this.fromItem(j.right, scope, outerScope, outer || j.type === 'LEFT' || j.type === 'FULL');
    const sources = [...left.sources, ...right.sources];
    const local: Scope = { parent: outerScope, sources: [], merged: [...left.merged, ...right.merged] };
    for (const s of sources) this.addSource(local, s, j);
    let pairs: Array<[BoundColumn, BoundColumn]> = [];
    if (j.using !== null || j.natural) {
      const names: Identifier[] =
        j.using ??
        left
          .star()
          .filter((l) => right.star().some((r) => r.column.name.toLowerCase() === l.column.name.toLowerCase()))
          .map((l) => ({ kind: 'identifier', name: l.column.name, delimited: false, pos: j.pos }));
      pairs = names.map((id) => {
        const pick = (side: FromResult, what: string): BoundColumn => {
          const hits = side.star().filter((b) => nameMatches(id, b.column.name));
          if (hits.length === 0 && side.open) {
            // Offline: the column may be one nobody knows of an open source.
            const s = side.sources.find((x) => x.open)!;
            const column = { name: id.name, sqlName: id.name, type: UNKNOWN };
            return { source: s, column, sql: columnSql(s, column), type: UNKNOWN };
          }
          if (hits.length === 0) throw errorAt(id.pos, `no column "${id.name}" in the ${what} side of the join${didYouMean(suggest(id.name, side.star().map((b) => b.column.name)))}`);
          if (hits.length > 1) throw errorAt(id.pos, `column "${id.name}" is ambiguous in the ${what} side of the join`);
          return hits[0]!;
        };
        const l = pick(left, 'left');
        const r = pick(right, 'right');
        this.checkComparable(l.type, r.type, id.pos);
        return [l, r];
      });
    }
    this.v.joins.set(j, pairs);
    if (j.on !== null) this.condition(j.on, local, false);
    const mergedCols: BoundColumn[] = pairs.map(([l, r]) => {
      const sql = j.type === 'RIGHT' ? r.sql : j.type === 'FULL' ? `COALESCE(${l.sql}, ${r.sql})` : l.sql;
      return { ...(j.type === 'RIGHT' ? r : l), sql };
    });
    const isPaired = (b: BoundColumn) => pairs.some(([l, r]) => l === b || r === b);
    return {
      sources,
      star: once(() => [...mergedCols, ...left.star().filter((b) => !isPaired(b)), ...right.star().filter((b) => !isPaired(b))]),
      merged: [...left.merged, ...right.merged, ...mergedCols],
      open: left.open === true || right.open === true,
    };
  }

  private tableSource(ref: TableReference, outer: boolean): Source {
    const n = ref.name;
    if (n.catalog === null && n.schema === null) {
      const cte = [...this.ctes].reverse().find((c) => nameMatches(n.table, c.name.name));
      if (cte) {
        return {
          sqlAlias: this.nextAlias(),
          alias: ref.alias,
          table: null,
          cteName: cte.name.name,
          columns: cte.outputs.filter((o) => !o.open).map((o) => ({ name: o.name, sqlName: o.name, type: o.type })),
          outer,
          label: ref.alias?.name ?? cte.name.name,
          ...(isOpen(cte.outputs) ? { open: { written: null } } : {}),
        };
      }
    }
    const written = [n.catalog, n.schema, n.table].filter((x): x is Identifier => x !== null).map((x) => x.name).join('.');
    if (this.catalog === null) {
      // Offline: the table is taken as written, its columns unknown.
      return { sqlAlias: this.nextAlias(), alias: ref.alias, table: null, cteName: null, columns: [], outer, label: ref.alias?.name ?? written, open: { written: n } };
    }
    const found = n.catalog !== null ? [] : this.catalog.find(n.schema, n.table);
    if (found.length === 0) {
      const catalog = this.catalog;
      const candidates = [...catalog.tables.map(tapName), ...this.ctes.map((c) => c.name.name)];
      // Compare the bare name with bare names too, so "Objekt" finds DC_W13_Stripe82.Object.
      let hint = suggest(written, candidates);
      if (hint === null) {
        const bare = suggest(n.table.name, catalog.tables.map((t) => t.name));
        const t = bare === null ? undefined : catalog.tables.find((x) => x.name === bare);
        hint = t ? tapName(t) : null;
      }
      throw errorAt(n.pos, `no table "${written}"${didYouMean(hint)}`);
    }
    if (found.length > 1) {
      throw errorAt(n.pos, `table name "${written}" is ambiguous: ${found.map(tapName).join(' or ')}; qualify it with its schema`);
    }
    const table = found[0]!;
    if (!this.v.tables.includes(table)) this.v.tables.push(table);
    return {
      sqlAlias: this.nextAlias(),
      alias: ref.alias,
      table,
      cteName: null,
      columns: this.catalog.derived(table, tableColumns),
      outer,
      label: ref.alias?.name ?? tapName(table),
    };
  }

  private noSuchTable(id: Identifier, scope: Scope): Error {
    const labels: string[] = [];
    for (let s: Scope | null = scope; s; s = s.parent) labels.push(...s.sources.map(exposedName));
    return errorAt(id.pos, `no table "${id.name}" in FROM${didYouMean(suggest(id.name, labels))}`);
  }

  // -------------------------------------------------------------------------------------------
  // Columns

  private column(ref: ColumnRef, scope: Scope): BoundColumn {
    const id = ref.name;
    if (ref.qualifier !== null) {
      const q = ref.qualifier;
      for (let s: Scope | null = scope; s; s = s.parent) {
        const matches = s.sources.filter((x) => qualifierMatches(q, x));
        if (matches.length > 1) throw errorAt(q.pos, `"${q.table.name}" names more than one table in FROM; use aliases`);
        const src = matches[0];
        if (!src) continue;
        const cols = src.columns.filter((c) => nameMatches(id, c.name));
        if (cols.length === 0 && src.open) return this.openColumn(src, id);
        if (cols.length === 0) {
          throw errorAt(id.pos, `no column "${id.name}" in ${src.label}${didYouMean(suggest(id.name, src.columns.map((c) => c.name)))}`);
        }
        if (cols.length > 1) throw errorAt(id.pos, `column "${id.name}" is ambiguous in ${src.label}: ${cols.map((c) => `"${c.name}"`).join(' or ')}`);
        return { source: src, column: cols[0]!, sql: columnSql(src, cols[0]!), type: cols[0]!.type };
      }
      if (q.schema === null && q.catalog === null) throw this.noSuchTable(q.table, scope);
      throw errorAt(q.pos, `no table "${[q.catalog, q.schema, q.table].filter((x) => x).map((x) => x!.name).join('.')}" in FROM`);
    }
    for (let s: Scope | null = scope; s; s = s.parent) {
      const merged = s.merged.filter((m) => nameMatches(id, m.column.name));
      if (merged.length > 0) return merged[merged.length - 1]!;
      const hits: BoundColumn[] = [];
      for (const src of s.sources) {
        for (const c of src.columns) if (nameMatches(id, c.name)) hits.push({ source: src, column: c, sql: columnSql(src, c), type: c.type });
      }
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) {
        throw errorAt(id.pos, `column "${id.name}" is ambiguous: ${hits.map((h) => `${h.source.label}.${h.column.name}`).join(' or ')}`);
      }
      // Offline: a name no known column has may be a column of a table nobody described.
      const open = s.sources.find((x) => x.open);
      if (open) return this.openColumn(open, id);
    }
    const where = scope.sources.length === 1 ? scope.sources[0]!.label : 'the tables of FROM';
    const names = scope.sources.flatMap((s) => s.columns.map((c) => c.name));
    throw errorAt(id.pos, `no column "${id.name}" in ${where}${didYouMean(suggest(id.name, names))}`);
  }

  /** An untyped column of an open source (offline). */
  private openColumn(src: Source, id: Identifier): BoundColumn {
    const column = { name: id.name, sqlName: id.name, type: UNKNOWN };
    return { source: src, column, sql: columnSql(src, column), type: UNKNOWN };
  }

  // -------------------------------------------------------------------------------------------
  // Conditions

  private condition(c: Condition, scope: Scope, aggAllowed: boolean): void {
    const saved = this.aggAllowed;
    this.aggAllowed = aggAllowed;
    try {
      this.cond(c, scope);
    } finally {
      this.aggAllowed = saved;
    }
  }

  private cond(c: Condition, scope: Scope): void {
    switch (c.kind) {
      case 'and':
      case 'or': {
        // Long chains are left-deep trees: walk the spine with a loop, checking in text order.
        const rights: Condition[] = [];
        let x: Condition = c;
        while (x.kind === 'and' || x.kind === 'or') {
          rights.push(x.right);
          x = x.left;
        }
        this.cond(x, scope);
        for (let k = rights.length - 1; k >= 0; k--) this.cond(rights[k]!, scope);
        return;
      }
      case 'not':
        this.cond(c.operand, scope);
        return;
      case 'comparison': {
        const l = this.value(c.left, scope);
        const r = this.value(c.right, scope);
        this.checkComparable(l, r, c.pos, c.op === '=' || c.op === '<>');
        return;
      }
      case 'between': {
        const v = this.value(c.value, scope);
        this.checkComparable(v, this.value(c.low, scope), c.low.pos);
        this.checkComparable(v, this.value(c.high, scope), c.high.pos);
        return;
      }
      case 'inList': {
        const v = this.value(c.value, scope);
        for (const e of c.list) this.checkComparable(v, this.value(e, scope), e.pos, true);
        return;
      }
      case 'inSubquery': {
        const v = this.value(c.value, scope);
        const outs = this.queryExpr(c.query, scope);
        if (isOpen(outs)) return;
        if (outs.length !== 1) throw errorAt(c.query.pos, `the subquery of IN must return one column, not ${outs.length}`);
        this.checkComparable(v, outs[0]!.type, c.pos, true);
        return;
      }
      case 'like': {
        for (const e of [c.value, c.pattern, ...(c.escape ? [c.escape] : [])]) {
          const t = this.value(e, scope);
          if (t.kind !== 'string' && t.kind !== 'null') throw errorAt(e.pos, `${c.caseInsensitive ? 'ILIKE' : 'LIKE'} needs strings, not ${typeName(t)}`);
        }
        if (c.escape && c.escape.kind === 'string' && [...c.escape.value].length !== 1) {
          throw errorAt(c.escape.pos, 'the ESCAPE string must be one character');
        }
        return;
      }
      case 'isNull':
        this.value(c.value, scope);
        return;
      case 'exists':
        this.queryExpr(c.query, scope);
        return;
    }
  }

  private checkComparable(a: ValueType, b: ValueType, pos: { line: number; column: number; offset: number }, equality = false): void {
    if (a.kind === 'null' || b.kind === 'null') return;
    const ok =
      (a.kind === 'numeric' && b.kind === 'numeric') ||
      (a.kind === 'string' && b.kind === 'string') ||
      (a.kind === 'timestamp' && (b.kind === 'timestamp' || b.kind === 'string')) ||
      (b.kind === 'timestamp' && a.kind === 'string') ||
      (a.kind === 'boolean' && (b.kind === 'boolean' || b.kind === 'numeric' || b.kind === 'string')) ||
      (b.kind === 'boolean' && (a.kind === 'numeric' || a.kind === 'string'));
    if (ok) return;
    if (a.kind === 'geometry' || b.kind === 'geometry') {
      throw errorAt(pos, `cannot compare ${typeName(a)} with ${typeName(b)}; use CONTAINS, INTERSECTS or DISTANCE`);
    }
    if (equality && a.kind === 'array' && b.kind === 'array') return;
    throw errorAt(pos, `cannot compare ${typeName(a)} with ${typeName(b)}`);
  }

  // -------------------------------------------------------------------------------------------
  // Value expressions

  /** Type-check an expression at a place where aggregates are (or are not) allowed. */
  private expr(e: Expr, scope: Scope, aggAllowed: boolean): ValueType {
    const saved = this.aggAllowed;
    this.aggAllowed = aggAllowed;
    try {
      return this.value(e, scope);
    } finally {
      this.aggAllowed = saved;
    }
  }

  private value(e: Expr, scope: Scope): ValueType {
    const t = this.valueOf(e, scope);
    this.v.types.set(e, t);
    return t;
  }

  private numeric(e: Expr, scope: Scope, what: string): ValueType {
    const t = this.value(e, scope);
    if (t.kind !== 'numeric' && t.kind !== 'null') throw errorAt(e.pos, `${what} needs a number, not ${typeName(t)}`);
    return t;
  }

  private valueOf(e: Expr, scope: Scope): ValueType {
    switch (e.kind) {
      case 'number':
        return numberType(e.text, e.form, e.value, e.pos);
      case 'string':
        return TEXT;
      case 'null':
        return NULL_TYPE;
      case 'column': {
        const b = this.column(e, scope);
        this.v.columnRefs.set(e, b);
        return b.type;
      }
      case 'unary': {
        const t = this.numeric(e.operand, scope, e.op === '~' ? 'the ~ operator' : `unary ${e.op}`);
        if (e.op === '~' && t.kind !== 'null' && !isInteger(t)) throw errorAt(e.pos, `the ~ operator needs an integer, not ${typeName(t)}`);
        return { ...t, kind: 'numeric', description: null, datatype: t.kind === 'null' ? 'int' : t.datatype };
      }
      case 'binary':
        return this.binaryChain(e, scope);
      case 'aggregate':
        return this.aggregate(e, scope);
      case 'function':
        return this.builtin(e, scope);
      case 'userFunction': {
        const f = userFunction(e.name.name);
        if (!f) {
          throw errorAt(e.name.pos, `unknown function "${e.name.name}"${didYouMean(suggest(e.name.name, USER_FUNCTIONS.map((u) => u.name)))}`);
        }
        if (e.args.length !== f.args.length) {
          throw errorAt(e.pos, `${f.name} takes ${f.args.length} argument${f.args.length === 1 ? '' : 's'}, found ${e.args.length}`);
        }
        if (f.aggregate) this.checkAggregateAllowed(e.pos, f.name);
        const saved = this.aggAllowed;
        if (f.aggregate) this.aggAllowed = false;
        try {
          e.args.forEach((a, i) => {
            const want = f.args[i]!;
            const t = this.value(a, scope);
            if (want !== 'any' && t.kind !== want && t.kind !== 'null') {
              throw errorAt(a.pos, `argument ${i + 1} of ${f.name} must be ${want === 'numeric' ? 'a number' : `a ${want}`}, not ${typeName(t)}`);
            }
            if (want === 'any' && (t.kind === 'geometry' || t.kind === 'array')) throw errorAt(a.pos, `argument ${i + 1} of ${f.name} cannot be a ${typeName(t)}`);
          });
        } finally {
          this.aggAllowed = saved;
        }
        return f.result;
      }
      case 'cast':
        return this.cast(e, scope);
      case 'coalesce':
        return this.unifyAll(e.args, scope, 'COALESCE', e.pos);
      case 'simpleCase': {
        const op = this.value(e.operand, scope);
        for (const w of e.whens) this.checkComparable(op, this.value(w.when, scope), w.when.pos, true);
        return this.unifyAll([...e.whens.map((w) => w.then), ...(e.else ? [e.else] : [])], scope, 'CASE', e.pos);
      }
      case 'searchedCase': {
        for (const w of e.whens) this.cond(w.when, scope);
        return this.unifyAll([...e.whens.map((w) => w.then), ...(e.else ? [e.else] : [])], scope, 'CASE', e.pos);
      }
      case 'scalarSubquery': {
        const outs = this.queryExpr(e.query, scope);
        if (isOpen(outs)) return UNKNOWN;
        if (outs.length !== 1) throw errorAt(e.pos, `a subquery used as a value must return one column, not ${outs.length}`);
        return outs[0]!.type;
      }
      case 'point':
        this.coordsys(e.coordsys);
        this.numeric(e.lon, scope, 'POINT');
        this.numeric(e.lat, scope, 'POINT');
        return geometryType('point');
      case 'circle':
        this.coordsys(e.coordsys);
        this.position(e.center, scope, 'CIRCLE');
        this.numeric(e.radius, scope, 'the radius of CIRCLE');
        return geometryType('circle');
      case 'box':
        this.coordsys(e.coordsys);
        this.position(e.center, scope, 'BOX');
        this.numeric(e.width, scope, 'the width of BOX');
        this.numeric(e.height, scope, 'the height of BOX');
        return geometryType('polygon');
      case 'polygon':
        this.coordsys(e.coordsys);
        for (const p of e.vertices) this.position(p, scope, 'POLYGON');
        return geometryType('polygon');
      case 'region':
        throw errorAt(e.pos, 'REGION is not supported; write the region with POINT, CIRCLE, BOX or POLYGON');
      case 'geometryPredicate': {
        for (const side of [e.left, e.right]) {
          const t = this.value(side, scope);
          if (t.kind !== 'geometry' && t.kind !== 'null') throw errorAt(side.pos, `${e.name} needs geometries (POINT, CIRCLE, BOX, POLYGON), not ${typeName(t)}`);
        }
        return INT;
      }
      case 'distance':
        this.position(e.from, scope, 'DISTANCE');
        this.position(e.to, scope, 'DISTANCE');
        return { ...DOUBLE, unit: 'deg', ucd: 'pos.angDistance' };
      case 'geometryFunction': {
        const t = this.value(e.arg, scope);
        const shape = shapeOf(t);
        if (t.kind !== 'null' && shape === null) throw errorAt(e.arg.pos, `${e.name} needs a geometry, not ${typeName(t)}`);
        switch (e.name) {
          case 'AREA':
            return { ...DOUBLE, unit: 'deg**2', ucd: 'phys.angArea' };
          case 'CENTROID':
            return geometryType('point');
          case 'COORD1':
          case 'COORD2':
            if (shape !== null && shape !== 'point') throw errorAt(e.arg.pos, `${e.name} needs a POINT, not ${typeName(t)}`);
            return { ...DOUBLE, unit: 'deg', ucd: e.name === 'COORD1' ? 'pos.eq.ra' : 'pos.eq.dec' };
          case 'COORDSYS':
            return TEXT;
        }
      }
    }
  }

  /**
   * A chain of binary operators (a left-deep tree, possibly thousands of nodes long), typed
   * bottom-up with a loop rather than recursion. PostgreSQL evaluates + - * / as written, a
   * tree as deep as the chain: deeper than MAX_ARITHMETIC_DEPTH and it would run out of stack,
   * so that is refused here (the translator makes || and the bitwise operators shallow).
   */
  private binaryChain(top: Extract<Expr, { kind: 'binary' }>, scope: Scope): ValueType {
    const spine: Array<Extract<Expr, { kind: 'binary' }>> = [];
    for (let x: Expr = top; x.kind === 'binary'; x = x.left) spine.push(x);
    const arithmetic = (b: { op: string }) => b.op === '+' || b.op === '-' || b.op === '*' || b.op === '/';
    const base = this.arithmeticDepth;
    let depth = base + spine.filter(arithmetic).length;
    try {
      if (depth > MAX_ARITHMETIC_DEPTH) {
        throw errorAt(top.pos, `this expression nests more than ${MAX_ARITHMETIC_DEPTH} arithmetic operators (+ - * /), more than the database evaluates; group the terms in parentheses, e.g. (a + b) + (c + d)`);
      }
      this.arithmeticDepth = depth;
      let left = this.value(spine[spine.length - 1]!.left, scope);
      for (let k = spine.length - 1; k >= 0; k--) {
        const e = spine[k]!;
        // The right operand of node k sits as deep as node k itself.
        this.arithmeticDepth = depth;
        if (arithmetic(e)) depth--;
        const t = this.binaryType(e, left, scope);
        if (k > 0) this.v.types.set(e, t);
        left = t;
      }
      return left;
    } finally {
      this.arithmeticDepth = base;
    }
  }

  /** The type of binary node `e` whose left operand has type `l` (its right operand is checked here). */
  private binaryType(e: Extract<Expr, { kind: 'binary' }>, l: ValueType, scope: Scope): ValueType {
    if (e.op === '||') {
      if (l.kind === 'geometry' || l.kind === 'array') throw errorAt(e.left.pos, `|| cannot concatenate a ${typeName(l)}`);
      const r = this.value(e.right, scope);
      if (r.kind === 'geometry' || r.kind === 'array') throw errorAt(e.right.pos, `|| cannot concatenate a ${typeName(r)}`);
      return TEXT;
    }
    const what = `the ${e.op} operator`;
    if (l.kind !== 'numeric' && l.kind !== 'null') throw errorAt(e.left.pos, `${what} needs a number, not ${typeName(l)}`);
    const r = this.numeric(e.right, scope, what);
    if (e.op === '&' || e.op === '|' || e.op === '^') {
      for (const [side, t] of [[e.left, l], [e.right, r]] as const) {
        if (t.kind !== 'null' && !isInteger(t)) throw errorAt(side.pos, `${what} needs integers, not ${typeName(t)}`);
      }
      return promote(l, r);
    }
    const p = promote(l, r);
    if ((e.op === '+' || e.op === '-') && l.unit !== null && l.unit === r.unit) return { ...p, unit: l.unit };
    return p;
  }

  private coordsys(c: Coordsys): void {
    if (c === null || c.kind === 'null') return;
    const v = c.value.trim().toUpperCase();
    if (v === '' || v === 'ICRS' || v.startsWith('ICRS ') || v === 'J2000' || v === 'FK5') return;
    throw errorAt(c.pos, `coordinate system "${c.value}" is not supported; positions are ICRS (write '' or 'ICRS', or leave it out)`);
  }

  private position(p: Position, scope: Scope, fn: string): void {
    if (p.form === 'coords') {
      this.numeric(p.lon, scope, fn);
      this.numeric(p.lat, scope, fn);
      return;
    }
    const t = this.value(p.point, scope);
    if (t.kind !== 'null' && shapeOf(t) !== 'point') throw errorAt(p.point.pos, `${fn} needs a POINT here, not ${typeName(t)}`);
  }

  private unifyAll(es: Expr[], scope: Scope, what: string, pos: { line: number; column: number; offset: number }): ValueType {
    let acc: ValueType = NULL_TYPE;
    for (const x of es) {
      const t = this.value(x, scope);
      const u = unify(acc, t);
      if (u === null) throw errorAt(x.pos, `${what} mixes ${typeName(acc)} and ${typeName(t)}`);
      acc = u;
    }
    if (acc.kind === 'null') return NULL_TYPE;
    void pos;
    return acc;
  }

  private checkAggregateAllowed(pos: { line: number; column: number; offset: number }, name: string): void {
    if (!this.aggAllowed) throw errorAt(pos, `${name} is an aggregate; aggregates are allowed in the select list, HAVING and ORDER BY, and cannot be nested`);
  }

  private aggregate(e: Extract<Expr, { kind: 'aggregate' }>, scope: Scope): ValueType {
    this.checkAggregateAllowed(e.pos, e.name);
    const saved = this.aggAllowed;
    this.aggAllowed = false;
    try {
      if (e.arg === null) return { ...LONG, ucd: 'meta.number' };
      const t = this.value(e.arg, scope);
      if (e.name === 'COUNT') {
        if (t.kind === 'geometry' && e.quantifier === 'DISTINCT') throw errorAt(e.arg.pos, 'COUNT(DISTINCT ...) of a geometry is not supported');
        return { ...LONG, ucd: 'meta.number' };
      }
      if (e.name === 'MIN' || e.name === 'MAX') {
        if (t.kind === 'geometry' || t.kind === 'array') throw errorAt(e.arg.pos, `${e.name} cannot take a ${typeName(t)}`);
        return { ...t, description: null };
      }
      if (t.kind !== 'numeric' && t.kind !== 'null') throw errorAt(e.arg.pos, `${e.name} needs a number, not ${typeName(t)}`);
      if (e.name === 'AVG') return { ...DOUBLE, unit: t.unit };
      // SUM: integers sum to long, reals to real, doubles to double.
      const dt = isInteger(t) ? 'long' : t.datatype === 'float' ? 'float' : 'double';
      return { ...plain('numeric', dt), unit: t.unit };
    } finally {
      this.aggAllowed = saved;
    }
  }

  private builtin(e: Extract<Expr, { kind: 'function' }>, scope: Scope): ValueType {
    const n = e.name;
    if (n === 'LOWER' || n === 'UPPER') {
      const t = this.value(e.args[0]!, scope);
      if (t.kind !== 'string' && t.kind !== 'null') throw errorAt(e.args[0]!.pos, `${n} needs a string, not ${typeName(t)}`);
      return { ...TEXT, ucd: t.ucd };
    }
    if (n === 'IN_UNIT') {
      const t = this.numeric(e.args[0]!, scope, 'IN_UNIT');
      const target = e.args[1]!;
      if (target.kind !== 'string') throw errorAt(target.pos, 'the unit of IN_UNIT must be a string literal');
      // Offline, an untyped column's unit is unknown too: only the target can be checked.
      const unit = t.unit ?? (this.catalog === null && t.kind === 'null' ? target.value : null);
      if (unit === null) throw errorAt(e.args[0]!.pos, `IN_UNIT: the unit of this value is not known; known units: ${KNOWN_UNITS.join(', ')}`);
      const f = unitFactor(unit, target.value);
      if ('error' in f) throw errorAt(target.pos, f.error);
      return { ...DOUBLE, unit: target.value, ucd: t.ucd };
    }
    if (n === 'RAND' && e.args.length === 1) {
      const seed = e.args[0]!;
      // The seed becomes the bigint seed of a hash (see the translator).
      if (seed.kind !== 'number' || seed.form !== 'integer' || BigInt(seed.text) >= 2n ** 63n) {
        throw errorAt(seed.pos, 'the seed of RAND must be a whole number below 2^63');
      }
      this.value(seed, scope);
      return DOUBLE;
    }
    const types = e.args.map((a) => this.numeric(a, scope, n));
    const a = types[0];
    switch (n) {
      case 'ABS':
        return { ...a!, kind: 'numeric', datatype: a!.kind === 'null' ? 'double' : a!.datatype, description: null };
      case 'CEILING':
      case 'FLOOR':
      case 'ROUND':
      case 'TRUNCATE':
        if (isInteger(a!)) return { ...a!, description: null };
        return { ...DOUBLE, unit: a!.unit };
      case 'MOD':
        if (isInteger(a!) && isInteger(types[1]!)) return promote(a!, types[1]!);
        return DOUBLE;
      case 'DEGREES':
        return { ...DOUBLE, unit: 'deg' };
      case 'RADIANS':
        return { ...DOUBLE, unit: 'rad' };
      case 'ACOS':
      case 'ASIN':
      case 'ATAN':
      case 'ATAN2':
        return { ...DOUBLE, unit: 'rad' };
      default:
        return DOUBLE;
    }
  }

  private cast(e: Extract<Expr, { kind: 'cast' }>, scope: Scope): ValueType {
    const t = this.value(e.expr, scope);
    const target = e.type.name;
    if (target === 'POINT' || target === 'CIRCLE' || target === 'POLYGON') {
      const shape = target.toLowerCase();
      if (t.kind === 'null' || (t.kind === 'geometry' && t.xtype === shape)) return geometryType(shape as 'point');
      // A region is a polygon in STC-S text: CAST reads the polygon.
      if (shape === 'polygon' && isRegion(t)) return geometryType('polygon');
      throw errorAt(e.pos, `cannot CAST ${typeName(t)} to ${target}`);
    }
    const text = target === 'CHAR' || target === 'VARCHAR';
    if ((t.kind === 'geometry' && !(text && isRegion(t))) || t.kind === 'array') throw errorAt(e.pos, `cannot CAST ${typeName(t)} to ${target}`);
    switch (target) {
      case 'CHAR':
        return plain('string', 'char', e.type.length === null ? '1' : String(e.type.length));
      case 'VARCHAR':
        return plain('string', 'char', e.type.length === null ? '*' : `${e.type.length}*`);
      case 'TIMESTAMP':
        if (t.kind === 'numeric' || t.kind === 'boolean') throw errorAt(e.pos, `cannot CAST ${typeName(t)} to TIMESTAMP`);
        return plain('timestamp', 'char', '*', 'timestamp');
      default: {
        if (t.kind === 'timestamp') throw errorAt(e.pos, `cannot CAST timestamp to ${target}`);
        const dt = target === 'SMALLINT' ? 'short' : target === 'INTEGER' ? 'int' : target === 'BIGINT' ? 'long' : target === 'REAL' ? 'float' : 'double';
        return { ...plain('numeric', dt), unit: t.kind === 'numeric' ? t.unit : null };
      }
    }
  }
}

function numberType(text: string, form: string, value: number, pos: { line: number; column: number; offset: number }): ValueType {
  if (form === 'hex') {
    if (text.replace(/^0x/i, '').length > 16) throw errorAt(pos, `hexadecimal literal ${text} is wider than 64 bits`);
    return LONG;
  }
  if (form !== 'integer') return DOUBLE;
  if (value < INT32) return INT;
  if (BigInt(text) < 2n ** 63n) return LONG;
  return DOUBLE;
}

/** A catalog table's columns as a FROM source has them (made once per catalog: Catalog.derived). */
function tableColumns(table: CatalogTable): SourceColumn[] {
  return table.columns.map((c) => ({ name: c.name, sqlName: c.name, type: columnType(c) }));
}

/** `make()`, made on the first call and the same value after. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}

function starOf(s: Source): BoundColumn[] {
  return s.columns.map((c) => ({ source: s, column: c, sql: columnSql(s, c), type: c.type }));
}

function exposedName(s: Source): string {
  return s.alias?.name ?? s.cteName ?? (s.table ? tapName(s.table) : s.label);
}

/** The name a select item without an alias gets. */
function defaultName(e: Expr, bound: BoundColumn | null): string {
  if (bound) return bound.column.name;
  switch (e.kind) {
    case 'aggregate':
    case 'function':
      return e.name.toLowerCase();
    case 'userFunction':
      return e.name.name.toLowerCase();
    case 'geometryFunction':
    case 'geometryPredicate':
      return e.name.toLowerCase();
    case 'point':
    case 'circle':
    case 'box':
    case 'polygon':
    case 'distance':
    case 'coalesce':
    case 'cast':
      return e.kind.toLowerCase();
    default:
      return 'col';
  }
}

/** Make result names unique (case-insensitively, as ADQL compares them): `ra`, `ra_2`, ... */
function uniqueNames(outputs: Output[]): Output[] {
  const taken = new Set<string>();
  const wanted = new Set(outputs.map((o) => o.name.toLowerCase()));
  return outputs.map((o) => {
    let name = o.name;
    if (taken.has(name.toLowerCase())) {
      for (let k = 2; ; k++) {
        const cand = `${o.name}_${k}`;
        if (!taken.has(cand.toLowerCase()) && !wanted.has(cand.toLowerCase())) {
          name = cand;
          break;
        }
      }
    }
    taken.add(name.toLowerCase());
    return name === o.name ? o : { ...o, name };
  });
}

function toColumnMeta(o: Output): ColumnMeta {
  const t = o.type;
  const meta: ColumnMeta = {
    name: o.name,
    datatype: t.datatype,
    arraysize: t.arraysize,
    xtype: t.xtype,
    unit: t.unit,
    ucd: t.ucd,
    utype: t.utype,
    description: t.description,
  };
  // A column taken as it is keeps its flags.
  const c = o.bound?.source.table?.columns.find((x) => x.name === o.bound!.column.name);
  if (c && o.bound?.type === t) {
    if (c.principal !== undefined) meta.principal = c.principal;
    if (c.indexed !== undefined) meta.indexed = c.indexed;
    if (c.std !== undefined) meta.std = c.std;
  }
  return meta;
}
