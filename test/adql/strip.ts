/** Test helper: a copy of an AST without source positions, for structural comparison. */
export function withoutPositions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutPositions);
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (k !== 'pos') out[k] = withoutPositions(v);
    return out;
  }
  return node;
}
