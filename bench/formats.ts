/**
 * Serializer micro-benchmark: rows per second of every output format on 1,000,000 generated rows
 * of a typical catalog shape (id long, ra/dec double, five float magnitudes, a short string),
 * output discarded. Run: node --import tsx bench/formats.ts [rows]
 */
import type { CellValue, ColumnMeta } from '../src/formats/table-model.js';
import type { TableDocument } from '../src/formats/table-writer.js';
import { OUTPUT_FORMATS } from '../src/formats/output-formats.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;

const COLUMNS: ColumnMeta[] = [
  { name: 'id', datatype: 'long' },
  { name: 'ra', datatype: 'double', unit: 'deg' },
  { name: 'dec', datatype: 'double', unit: 'deg' },
  ...['u', 'g', 'r', 'i', 'z'].map((b): ColumnMeta => ({ name: `${b}_mag`, datatype: 'float', unit: 'mag' })),
  { name: 'name', datatype: 'char', arraysize: '*' },
];

/** Pre-built batches, so the benchmark measures the writers and not the generator. */
function makeBatches(): CellValue[][][] {
  const batches: CellValue[][][] = [];
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < ROWS; i += BATCH) {
    const batch: CellValue[][] = [];
    for (let k = i; k < Math.min(ROWS, i + BATCH); k++) {
      // As the pg driver hands over float4: the shortest decimal, here three decimals like most catalogs.
      const mags = [0, 1, 2, 3, 4].map(() => Math.round((16 + rnd() * 8) * 1000) / 1000);
      batch.push([BigInt(1_000_000_000 + k), rnd() * 360, rnd() * 180 - 90, ...mags, `SDSS J${k.toString(36)}`]);
    }
    batches.push(batch);
  }
  return batches;
}

async function main(): Promise<void> {
  const batches = makeBatches();
  const results: { format: string; seconds: number; rowsPerSecond: number; megabytes: number; heapMB: number }[] = [];
  for (const f of OUTPUT_FORMATS) {
    const doc: TableDocument = { columns: COLUMNS, rows: batches, overflowed: () => false };
    const heap0 = process.memoryUsage().heapUsed;
    let peak = 0;
    let bytes = 0;
    let n = 0;
    const t0 = process.hrtime.bigint();
    for await (const chunk of f.writer.write(doc)) {
      bytes += chunk.length;
      if (++n % 64 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - heap0);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    results.push({ format: f.name, seconds, rowsPerSecond: ROWS / seconds, megabytes: bytes / 1e6, heapMB: peak / 1e6 });
  }
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(12) : c.padStart(12))).join(' ');
  console.log(`${ROWS.toLocaleString('en')} rows, ${COLUMNS.length} columns (id long, ra/dec double, 5 float, 1 char)`);
  console.log(line(['format', 'seconds', 'rows/s', 'output MB', 'heap +MB']));
  for (const r of results) {
    console.log(line([r.format, r.seconds.toFixed(2), Math.round(r.rowsPerSecond).toLocaleString('en'), r.megabytes.toFixed(1), r.heapMB.toFixed(0)]));
  }
}

await main();
