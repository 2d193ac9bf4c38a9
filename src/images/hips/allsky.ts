/**
 * Norder{K}/Allsky: every tile of an order side by side in one picture (HiPS 1.0, section
 * 4.2.3): tile N at column N mod W and row floor(N / W) from the top, W = floor(sqrt(12 * 4^K)),
 * each tile shrunk to a power-of-two width. Held in FITS storage order (rows bottom up), as the
 * tiles are, so one flip at the end serves PNG and JPEG as for tiles. Pure.
 */
import { tileCount } from './geometry.js';
import { shrinkTile } from './resample.js';

/** Columns and rows of tiles of an order's Allsky. */
export function allskyLayout(order: number): { tiles: number; columns: number; rows: number } {
  const tiles = tileCount(order);
  const columns = Math.floor(Math.sqrt(tiles));
  return { tiles, columns, rows: Math.ceil(tiles / columns) };
}

/** An Allsky being filled tile by tile. */
export class AllskyCanvas {
  readonly columns: number;
  readonly rows: number;
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;

  /** `cell` is the width each tile gets in the Allsky. */
  constructor(
    readonly order: number,
    readonly cell: number,
  ) {
    const l = allskyLayout(order);
    this.columns = l.columns;
    this.rows = l.rows;
    this.width = l.columns * cell;
    this.height = l.rows * cell;
    this.data = new Float32Array(this.width * this.height).fill(NaN);
  }

  /** Places tile `npix` (FITS storage order, `tileWidth` a side). */
  place(npix: number, tile: Float32Array, tileWidth: number): void {
    const small = shrinkTile(tile, tileWidth, this.cell);
    const col = npix % this.columns;
    const rowFromTop = Math.floor(npix / this.columns);
    // Picture row (from the top) t*cell + (cell-1-r) of storage row r: storage row H - 1 - that.
    const base = this.height - this.cell - rowFromTop * this.cell;
    for (let r = 0; r < this.cell; r++) {
      const dst = (base + r) * this.width + col * this.cell;
      this.data.set(small.subarray(r * this.cell, (r + 1) * this.cell), dst);
    }
  }
}
