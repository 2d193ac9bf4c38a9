/**
 * Plots of a result on a canvas: a sky plot of the positions (the columns with UCD pos.eq.ra and
 * pos.eq.dec), a histogram of a numeric column, a scatter of two. Points are written into one
 * ImageData buffer, so 100,000 of them draw in milliseconds; the time is shown under each plot.
 */
import type { Column, ResultTable } from './api.js';

const W = 560;
const H = 380;
const M = { left: 60, right: 16, top: 16, bottom: 40 };

const isNumeric = (c: Column) => ['double', 'float', 'int', 'long', 'short', 'unsignedByte', 'boolean'].includes(c.datatype) && !c.arraysize;
const ucdIs = (c: Column, word: string) => (c.ucd ?? '').split(';').some((u) => u.trim().toLowerCase() === word);

/** The columns holding RA and Dec, by UCD (the main ones first), or null. */
export function positionColumns(columns: Column[]): { ra: number; dec: number } | null {
  const pick = (word: string) => {
    const all = columns.map((c, i) => ({ c, i })).filter(({ c }) => ucdIs(c, word));
    return (all.find(({ c }) => ucdIs(c, 'meta.main')) ?? all[0])?.i ?? -1;
  };
  const ra = pick('pos.eq.ra');
  const dec = pick('pos.eq.dec');
  return ra >= 0 && dec >= 0 ? { ra, dec } : null;
}

/** A column's values as numbers (NaN for nulls and non-numbers). */
function valuesOf(rows: unknown[][], i: number): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const v = rows[k]![i];
    out[k] = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  }
  return out;
}

function range(v: Float64Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) if (Number.isFinite(x)) { if (x < lo) lo = x; if (x > hi) hi = x; }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.02;
  return [lo - pad, hi + pad];
}

/** Round tick values across [lo, hi]. */
function ticks(lo: number, hi: number, n = 6): number[] {
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= step0) ?? mag * 10;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

interface Frame {
  ctx: CanvasRenderingContext2D;
  x: (v: number) => number;
  y: (v: number) => number;
}

/** A canvas with axes over the given ranges; `label` formats x ticks (the sky plot's RA wraps). */
function axes(canvas: HTMLCanvasElement, xr: [number, number], yr: [number, number], xName: string, yName: string, xLabel = (t: number) => String(t), reverseX = false): Frame {
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const pw = W - M.left - M.right, ph = H - M.top - M.bottom;
  const x = (v: number) => M.left + (reverseX ? (xr[1] - v) : (v - xr[0])) / (xr[1] - xr[0]) * pw;
  const y = (v: number) => M.top + (yr[1] - v) / (yr[1] - yr[0]) * ph;
  ctx.strokeStyle = '#888';
  ctx.strokeRect(M.left, M.top, pw, ph);
  ctx.fillStyle = '#333';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (const t of ticks(xr[0], xr[1])) {
    const px = x(t);
    ctx.fillRect(px, M.top + ph, 1, 4);
    ctx.fillText(xLabel(t), px, M.top + ph + 15);
  }
  ctx.textAlign = 'right';
  for (const t of ticks(yr[0], yr[1])) {
    const py = y(t);
    ctx.fillRect(M.left - 4, py, 4, 1);
    ctx.fillText(String(t), M.left - 6, py + 4);
  }
  ctx.textAlign = 'center';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(xName, M.left + pw / 2, H - 6);
  ctx.save();
  ctx.translate(14, M.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yName, 0, 0);
  ctx.restore();
  return { ctx, x, y };
}

/** Plot points (xs[k], ys[k]) into the frame's plot area through one ImageData. */
function points(f: Frame, xs: Float64Array, ys: Float64Array): number {
  const img = f.ctx.getImageData(0, 0, W, H);
  const d = img.data;
  const dot = xs.length < 5000 ? 3 : 2;
  let n = 0;
  for (let k = 0; k < xs.length; k++) {
    const px = Math.round(f.x(xs[k]!)), py = Math.round(f.y(ys[k]!));
    if (!(px >= M.left && px < W - M.right - 2 && py >= M.top && py < H - M.bottom - 2)) continue;
    n++;
    // A dot (3x3 for few points, 2x2 for many), darkening where points pile up.
    for (let dy = 0; dy < dot; dy++) {
      for (let dx = 0; dx < dot; dx++) {
        const o = ((py + dy) * W + px + dx) * 4;
        d[o] = Math.max(0, d[o]! - 160);
        d[o + 1] = Math.max(0, d[o + 1]! - 110);
        d[o + 2] = Math.max(60, d[o + 2]! - 30);
      }
    }
  }
  f.ctx.putImageData(img, 0, 0);
  return n;
}

/** RA shifted to be continuous around the data's circular mean (the sample strip crosses RA 0). */
function unwrapRa(ra: Float64Array): { shifted: Float64Array; label: (t: number) => string } {
  let sx = 0, sy = 0;
  for (const a of ra) if (Number.isFinite(a)) { sx += Math.cos((a * Math.PI) / 180); sy += Math.sin((a * Math.PI) / 180); }
  const centre = (Math.atan2(sy, sx) * 180) / Math.PI;
  const shifted = ra.map((a) => centre + ((((a - centre) % 360) + 540) % 360) - 180);
  return { shifted, label: (t) => String(Number((((t % 360) + 360) % 360).toPrecision(12))) };
}

/** Draw the sky plot of the positions; the number of points drawn. */
export function drawSky(canvas: HTMLCanvasElement, table: ResultTable, pos: { ra: number; dec: number }): number {
  const { shifted, label } = unwrapRa(valuesOf(table.rows, pos.ra));
  const dec = valuesOf(table.rows, pos.dec);
  // East to the left, as on the sky.
  const f = axes(canvas, range(shifted), range(dec), `${table.columns[pos.ra]!.name} [deg]`, `${table.columns[pos.dec]!.name} [deg]`, label, true);
  return points(f, shifted, dec);
}

/** Draw a histogram of column `i` in `bins` bins; the number of values counted. */
export function drawHistogram(canvas: HTMLCanvasElement, table: ResultTable, i: number, bins = 50): number {
  const v = valuesOf(table.rows, i);
  const [lo, hi] = range(v);
  const counts = new Uint32Array(bins);
  let n = 0;
  for (const x of v) {
    if (!Number.isFinite(x)) continue;
    counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]!++;
    n++;
  }
  const max = Math.max(1, ...counts);
  const col = table.columns[i]!;
  const f = axes(canvas, [lo, hi], [0, max * 1.05], col.unit ? `${col.name} [${col.unit}]` : col.name, 'count');
  f.ctx.fillStyle = '#3a6ea5';
  for (let b = 0; b < bins; b++) {
    const x0 = f.x(lo + ((hi - lo) * b) / bins), x1 = f.x(lo + ((hi - lo) * (b + 1)) / bins);
    const y0 = f.y(counts[b]!);
    f.ctx.fillRect(x0, y0, Math.max(1, x1 - x0 - 1), f.y(0) - y0);
  }
  return n;
}

/** Draw column `yi` against column `xi`; the number of points drawn. */
export function drawScatter(canvas: HTMLCanvasElement, table: ResultTable, xi: number, yi: number): number {
  // An RA axis is unwrapped, as on the sky plot, so a field across RA 0 stays in one piece.
  const raAxis = (i: number) => (ucdIs(table.columns[i]!, 'pos.eq.ra') ? unwrapRa(valuesOf(table.rows, i)) : null);
  const xr = raAxis(xi), yr = raAxis(yi);
  const xs = xr?.shifted ?? valuesOf(table.rows, xi), ys = yr?.shifted ?? valuesOf(table.rows, yi);
  const name = (c: Column) => (c.unit ? `${c.name} [${c.unit}]` : c.name);
  return points(axes(canvas, range(xs), range(ys), name(table.columns[xi]!), name(table.columns[yi]!), xr?.label), xs, ys);
}

function select(label: string, columns: Column[], choices: number[], chosen: number): HTMLSelectElement {
  const s = document.createElement('select');
  s.setAttribute('aria-label', label);
  for (const i of choices) s.add(new Option(columns[i]!.name, String(i), i === chosen, i === chosen));
  return s;
}

/** A figure: title, controls, canvas and the time it took to draw. */
function figure(host: HTMLElement, id: string, title: string, controls: HTMLElement[], draw: (c: HTMLCanvasElement) => number): () => void {
  const fig = document.createElement('figure');
  fig.className = 'plot';
  fig.id = id;
  const canvas = document.createElement('canvas');
  const cap = document.createElement('figcaption');
  const timing = document.createElement('span');
  timing.className = 'timing muted';
  cap.append(title, ' ', ...controls, ' ', timing);
  fig.append(cap, canvas);
  host.append(fig);
  const redraw = () => {
    const t0 = performance.now();
    const n = draw(canvas);
    timing.textContent = `${n} points, drawn in ${(performance.now() - t0).toFixed(1)} ms`;
    canvas.dataset.points = String(n);
  };
  for (const c of controls) c.addEventListener('change', redraw);
  redraw();
  return redraw;
}

/** Show the plots that fit the result in `host` (none when it has no numeric column). */
export function showPlots(host: HTMLElement, table: ResultTable): void {
  host.replaceChildren();
  const cols = table.columns;
  const numeric = cols.map((c, i) => ({ c, i })).filter(({ c }) => isNumeric(c)).map(({ i }) => i);
  const pos = positionColumns(cols);
  if (pos) figure(host, 'sky-plot', 'Positions', [], (c) => drawSky(c, table, pos));
  if (numeric.length === 0) {
    if (!pos) host.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'No numeric column to plot.' }));
    return;
  }
  // Default to a column that is not an id or a position: the first photometric or other value.
  const value = numeric.find((i) => !/meta\.id|pos\.eq/.test(cols[i]!.ucd ?? '')) ?? numeric[0]!;
  const h = select('Histogram column', cols, numeric, value);
  figure(host, 'histogram', 'Histogram of', [h], (c) => drawHistogram(c, table, Number(h.value)));
  if (numeric.length >= 2) {
    const xs = select('Scatter x', cols, numeric, pos ? pos.ra : numeric[0]!);
    const ys = select('Scatter y', cols, numeric, value !== Number(xs.value) ? value : numeric[1]!);
    const against = Object.assign(document.createElement('span'), { textContent: ' against ' });
    figure(host, 'scatter', 'Scatter', [ys, against, xs], (c) => drawScatter(c, table, Number(xs.value), Number(ys.value)));
  }
}
