/** Whether an ADQL expression tree aggregates: one walk for the translator and the query plan. */
import { userFunction } from './functions.js';

/**
 * True when one of `roots` holds an aggregate (a standard one, or a user-defined function
 * declared as aggregate) outside any subquery, whose aggregates are its own. An explicit stack:
 * expressions may be chains of thousands of operators.
 */
export function containsAggregate(roots: readonly unknown[]): boolean {
  const stack: unknown[] = [...roots];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      // Element by element: spreading a list of 100,000 values would overflow the stack.
      for (const x of node) stack.push(x);
      continue;
    }
    const kind = (node as { kind?: unknown }).kind;
    if (kind === 'aggregate') return true;
    if (kind === 'userFunction' && userFunction((node as { name: { name: string } }).name.name)?.aggregate) return true;
    if (kind === 'select' || kind === 'setOperation') continue;
    for (const [k, x] of Object.entries(node)) if (k !== 'pos' && x !== null && typeof x === 'object') stack.push(x);
  }
  return false;
}
