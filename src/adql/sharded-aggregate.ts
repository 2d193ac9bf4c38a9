/**
 * Aggregates over a sharded table, pushed down to the shards. postgres_fdw (PG 15-17) pushes an
 * aggregate down only when it covers one foreign table whole; over a table partitioned onto
 * shards it can only aggregate locally, every matching row crossing the network. So a SELECT
 * that only aggregates one sharded table (and groups by its columns) becomes one aggregate per
 * partition, each pushed down whole, combined by the coordinator: COUNT and SUM by summing,
 * MIN and MAX by themselves, AVG from per-partition sums and counts. This decides, from the
 * syntax tree alone, whether a SELECT can be split so; the translator writes the SQL.
 */
import type { AggregateCall, ColumnRef, SelectQuery } from './ast.js';
import type { BoundColumn, Source } from './scope.js';
import type { SelectInfo, ValidatedQuery } from './validator.js';
import { someNode } from './aggregates.js';

/** A result column of the split query: a grouping key, or an aggregate combined from partials. */
export type ShardedOutput = { kind: 'key'; key: number } | { kind: 'aggregate'; call: AggregateCall };

/** How one SELECT is split across the partitions of its one table. */
export interface ShardedAggregate {
  source: Source;
  partitions: ReadonlyArray<{ readonly pgSchema: string; readonly pgTable: string }>;
  /** The grouping keys, as columns of the table (each once). */
  keys: ColumnRef[];
  outputs: ShardedOutput[];
}

/** The split of `q`, or null when it does not aggregate one sharded table in a way that splits. */
export function shardedAggregate(q: SelectQuery, info: SelectInfo, v: ValidatedQuery): ShardedAggregate | null {
  if (q.from.length !== 1 || q.from[0]!.kind !== 'table') return null;
  const source = v.sources.get(q.from[0]!)!;
  const partitions = source.table?.partitions;
  if (!partitions || partitions.length === 0) return null;
  // DISTINCT and HAVING would need every partial group first; RAND(seed) hashes rows and groups.
  if (q.quantifier === 'DISTINCT' || q.having !== null || callsRand([q.items, q.where, q.groupBy, q.orderBy])) return null;
  if (info.order.some((p) => p === null)) return null;

  const keys: ColumnRef[] = [];
  const keyOf = (ref: ColumnRef): number => {
    const bound = v.columnRefs.get(ref)!;
    const at = keys.findIndex((k) => sameColumn(v.columnRefs.get(k)!, bound));
    if (at >= 0) return at;
    keys.push(ref);
    return keys.length - 1;
  };
  for (const [i, g] of q.groupBy.entries()) {
    const alias = info.group[i];
    if (alias != null) {
      const e = info.outputs[alias - 1]!.expr;
      if (e === null || e.kind !== 'column') return null;
      keyOf(e);
    } else if (g.kind === 'column') keyOf(g);
    else return null;
  }
  const outputs: ShardedOutput[] = [];
  let aggregates = 0;
  for (const o of info.outputs) {
    const e = o.expr;
    if (e === null) return null;
    if (e.kind === 'aggregate' && e.quantifier !== 'DISTINCT') {
      outputs.push({ kind: 'aggregate', call: e });
      aggregates++;
      continue;
    }
    if (e.kind !== 'column') return null;
    // A grouped column only: anything else is invalid SQL the database should report.
    const bound = v.columnRefs.get(e)!;
    const at = keys.findIndex((k) => sameColumn(v.columnRefs.get(k)!, bound));
    if (at < 0) return null;
    outputs.push({ kind: 'key', key: at });
  }
  return aggregates > 0 ? { source, partitions, keys, outputs } : null;
}

function sameColumn(a: BoundColumn, b: BoundColumn): boolean {
  return a.source === b.source && a.column.sqlName === b.column.sqlName;
}

/** True when RAND appears anywhere under `roots` (subqueries included). */
function callsRand(roots: readonly unknown[]): boolean {
  return someNode(roots, (n) => n.kind === 'function' && n.name === 'RAND', true);
}
