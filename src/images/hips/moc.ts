/**
 * Multi-Order Coverage maps (IVOA MOC 2.0, space MOC) as HiPS's Moc.fits: the cells of a
 * coverage in NUNIQ packaging (uniq = 4 * 4^order + index), well formed (no four siblings where
 * their parent would do, ascending), in a one-column BINTABLE. Pure.
 */
import { fitsCards, fitsDataPadding, fitsHeaderBytes } from '../../fits/header-writer.js';
import { emptyPrimaryBytes } from '../../fits/image-writer.js';
import type { RangeSet } from '../../healpix/ranges.js';

/**
 * The NUNIQ values of a range set, ascending: each range cut into the largest aligned blocks,
 * which is the one well-formed hierarchy of that set.
 */
export function nuniqOf(set: RangeSet): bigint[] {
  const out: bigint[] = [];
  const N = BigInt(set.order);
  for (const [start, end] of set.ranges) {
    let a = start;
    while (a < end) {
      // Largest level d (cells of 4^d pixels) aligned at a and inside [a, end).
      let d = 0n;
      while (d < N && a % (1n << (2n * (d + 1n))) === 0n && a + (1n << (2n * (d + 1n))) <= end) d++;
      const order = N - d;
      out.push(4n * (1n << (2n * order)) + (a >> (2n * d)));
      a += 1n << (2n * d);
    }
  }
  return out.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Order and index of a NUNIQ value. */
export function fromNuniq(uniq: bigint): { order: number; index: bigint } {
  let order = 0;
  while (4n * (1n << (2n * BigInt(order + 1))) <= uniq) order++;
  return { order, index: uniq - 4n * (1n << (2n * BigInt(order))) };
}

/** Sky fraction covered by a range set. */
export function skyFraction(set: RangeSet): number {
  let n = 0n;
  for (const [a, b] of set.ranges) n += b - a;
  return Number(n) / (12 * 4 ** set.order);
}

/** Options of a Moc.fits. */
export interface MocOptions {
  /** MOCID: the identifier of what is covered. */
  id?: string;
  type?: 'IMAGE' | 'CATALOG';
  name?: string;
  date?: Date;
}

/** The bytes of a Moc.fits (MOC 2.0 keywords, with MOCORDER for MOC 1.1 readers). */
export function mocFitsBytes(set: RangeSet, options: MocOptions = {}): Buffer {
  const uniq = nuniqOf(set);
  const data = Buffer.alloc(8 * uniq.length);
  uniq.forEach((u, i) => data.writeBigInt64BE(u, 8 * i));
  const cards = [
    ...fitsCards('XTENSION', 'BINTABLE', 'HEALPix Multi Order Coverage map'),
    ...fitsCards('BITPIX', 8, '8-bit bytes'),
    ...fitsCards('NAXIS', 2, '2-dimensional binary table'),
    ...fitsCards('NAXIS1', 8, 'width of table in bytes'),
    ...fitsCards('NAXIS2', uniq.length, 'number of cells'),
    ...fitsCards('PCOUNT', 0, 'no heap'),
    ...fitsCards('GCOUNT', 1, 'one data group'),
    ...fitsCards('TFIELDS', 1, 'one column'),
    ...fitsCards('TTYPE1', 'UNIQ', 'HEALPix UNIQ pixel number'),
    ...fitsCards('TFORM1', '1K', '64-bit integer'),
    ...fitsCards('MOCVERS', '2.0', 'MOC standard version'),
    ...fitsCards('MOCDIM', 'SPACE', 'physical dimension'),
    ...fitsCards('ORDERING', 'NUNIQ', 'NUNIQ coding method'),
    ...fitsCards('COORDSYS', 'C', 'ICRS reference frame'),
    ...fitsCards('MOCORD_S', set.order, 'MOC resolution (best order)'),
    ...fitsCards('MOCORDER', set.order, 'MOC resolution (MOC 1.1 readers)'),
    ...fitsCards('MOCTOOL', 'vodax', 'name of the MOC generator'),
    ...fitsCards('MOCTYPE', options.type ?? 'IMAGE', 'source type'),
    ...(options.id ? fitsCards('MOCID', options.id, 'identifier of the collection') : []),
    ...fitsCards('DATE', (options.date ?? new Date()).toISOString().slice(0, 19), 'MOC creation date'),
    ...fitsCards('EXTNAME', options.name ?? 'MOC', 'MOC name'),
  ];
  return Buffer.concat([emptyPrimaryBytes(), fitsHeaderBytes(cards), data, fitsDataPadding(data.length)]);
}
