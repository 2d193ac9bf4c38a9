/** Walks of ADQL expression trees: whether one aggregates (for the translator and the query plan), or holds a node. */
import { userFunction } from './functions.js';

/**
 * True when `test` holds for a node under `roots`, searched into subqueries only when `subqueries`
 * is set. An explicit stack: expressions may be chains of thousands of operators.
 */
export function someNode(roots: readonly unknown[], test: (node: { kind?: unknown; name?: unknown }) => boolean, subqueries: boolean): boolean {
  const stack: unknown[] = [...roots];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      // Element by element: spreading a list of 100,000 values would overflow the stack.
      for (const x of node) stack.push(x);
      continue;
    }
    const n = node as { kind?: unknown; name?: unknown };
    if (test(n)) return true;
    if (!subqueries && (n.kind === 'select' || n.kind === 'setOperation')) continue;
    // for...in, not Object.entries: no array per node (AST nodes are plain objects without inherited keys).
    for (const k in node) {
      const x = (node as Record<string, unknown>)[k];
      if (k !== 'pos' && x !== null && typeof x === 'object') stack.push(x);
    }
  }
  return false;
}

/**
 * True when one of `roots` holds an aggregate (a standard one, or a user-defined function
 * declared as aggregate) outside any subquery, whose aggregates are its own.
 */
export function containsAggregate(roots: readonly unknown[]): boolean {
  return someNode(
    roots,
    (n) => n.kind === 'aggregate' || (n.kind === 'userFunction' && userFunction((n.name as { name: string }).name)?.aggregate === true),
    false,
  );
}
