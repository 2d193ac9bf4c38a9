/** A seeded uniform [0, 1) generator for reproducible test data. */
import { mulberry32 } from '../../src/sample-data/random.js';

/** A function returning the next uniform number of the seeded stream. */
export function random(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r.next();
}
