/** Re-iterable lazy row streams: each iteration runs the generator afresh, holding no rows. */
import type { CellValue } from '../formats/table-model.js';

/** An Iterable whose every iteration calls `make` again (a plain generator object iterates once). */
export function lazyRows(make: () => Iterator<CellValue[]>): Iterable<CellValue[]> {
  return { [Symbol.iterator]: make };
}

/** Date of a TAI MJD (the millisecond count treats TAI like UTC; leap seconds are ignored). */
export function mjdToDate(mjd: number): Date {
  return new Date(Math.round((mjd - 40587) * 86_400_000));
}
