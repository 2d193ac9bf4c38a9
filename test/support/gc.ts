/**
 * A full garbage collection, also without --expose-gc: memory tests measure what a process
 * still holds, not the garbage a collection has not reached yet (which depends on what ran
 * before in the same process).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
