/**
 * The shards a query will touch: the foreign partitions left in its EXPLAIN plan after
 * pruning, mapped to their shards (for querytype, DB3).
 */
import type { Database } from '../storage/database.js';

/** Every string in a JSON plan (relation names, pushed-down "Relations" text, ...). */
function stringsOf(node: unknown, out: Set<string>): void {
  if (typeof node === 'string') out.add(node);
  else if (Array.isArray(node)) for (const x of node) stringsOf(x, out);
  else if (node && typeof node === 'object') for (const v of Object.values(node)) stringsOf(v, out);
}

/** Names of the shards whose partitions a plan reads, sorted; [] when it reads no sharded table. */
export async function shardsInPlan(db: Database, explain: unknown): Promise<string[]> {
  const parts = await db.query<{ partition: string; shard: string }>('SELECT partition, shard FROM vodax.shard_partitions');
  if (parts.length === 0) return [];
  const strings = new Set<string>();
  stringsOf(explain, strings);
  const text = [...strings].join('\n');
  const touched = new Set<string>();
  // A pushed-down aggregate names its relation inside "Relations" text, so match inside strings too.
  for (const p of parts) if (strings.has(p.partition) || text.includes(p.partition)) touched.add(p.shard);
  return [...touched].sort();
}
