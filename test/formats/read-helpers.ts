/** Test helpers: open fixture files as streams, collect rows, expect located input errors. */
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { InputFileError } from '../../src/errors.js';
import type { CellValue, TableSource } from '../../src/formats/table-model.js';

/** Absolute path of a file in fixtures/ingest. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/ingest/${name}`, import.meta.url));
}

/** A fixture as a file stream. */
export function fixtureStream(name: string): Readable {
  return createReadStream(fixture(name));
}

/** A fixture as a stream of `size`-byte chunks, to exercise every chunk boundary. */
export function chunkedStream(name: string, size: number): Readable {
  const data = readFileSync(fixture(name));
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

/** All rows of a table source. */
export async function collect(src: TableSource): Promise<CellValue[][]> {
  const out: CellValue[][] = [];
  for await (const row of src.rows) out.push(row);
  return out;
}

/** Runs `open` then drains the rows; asserts that an InputFileError with this position results. */
export async function expectInputError(
  run: () => Promise<unknown>,
  where: { file: string; line?: number; column?: number; message: RegExp },
): Promise<InputFileError> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'an error').to.be.instanceOf(InputFileError);
  const err = caught as InputFileError;
  expect(err.file).to.equal(where.file);
  expect(err.line).to.equal(where.line);
  expect(err.column).to.equal(where.column);
  expect(err.message).to.match(where.message);
  return err;
}

/** One 80-character FITS header card. */
function fitsCard(key: string, value: string | number | boolean): string {
  const v = typeof value === 'string' ? `'${value.padEnd(8)}'` : typeof value === 'boolean' ? (value ? 'T' : 'F').padStart(20) : String(value).padStart(20);
  return `${key.padEnd(8)}= ${v}`.padEnd(80);
}

/** Header cards padded with blanks to whole 2880-byte blocks, END included. */
function fitsHeader(cards: string[]): Buffer {
  const text = [...cards, 'END'.padEnd(80)].join('');
  return Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880), 'latin1');
}

/**
 * A FITS file: an empty primary HDU, then a BINTABLE of `columns` ([TTYPE, TFORM, width]) over
 * `data` (padded to a block). NAXIS1, NAXIS2 and TFIELDS follow from the columns and data unless
 * `set` gives them; `set` also adds or (with null) removes any card, to build nonsense headers.
 */
export function fitsTable(
  columns: [string, string, number][],
  data: Buffer,
  set: Record<string, string | number | boolean | null> = {},
  primary: Record<string, string | number | boolean | null> = {},
): Buffer {
  const rowLength = columns.reduce((s, c) => s + c[2], 0);
  const cardsOf = (base: Record<string, string | number | boolean | null>, extra: Record<string, string | number | boolean | null>) =>
    Object.entries({ ...base, ...extra })
      .filter((e): e is [string, string | number | boolean] => e[1] !== null)
      .map(([k, v]) => fitsCard(k, v));
  const head = fitsHeader(cardsOf({ SIMPLE: true, BITPIX: 8, NAXIS: 0 }, primary));
  const ext: Record<string, string | number | boolean | null> = {
    XTENSION: 'BINTABLE',
    BITPIX: 8,
    NAXIS: 2,
    NAXIS1: rowLength,
    NAXIS2: rowLength === 0 ? 0 : Math.floor(data.length / rowLength),
    PCOUNT: 0,
    GCOUNT: 1,
    TFIELDS: columns.length,
  };
  columns.forEach(([name, form], i) => {
    ext[`TTYPE${i + 1}`] = name;
    ext[`TFORM${i + 1}`] = form;
  });
  const body = Buffer.alloc(Math.ceil(data.length / 2880) * 2880);
  data.copy(body);
  return Buffer.concat([head, fitsHeader(cardsOf(ext, set)), body]);
}

/** `n` bytes of deterministic junk (a linear congruential sequence): NULs, control and high bytes alike. */
export function junk(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
