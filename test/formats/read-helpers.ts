/** Test helpers: open fixture files as streams, collect rows, expect located input errors. */
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { InputFileError } from '../../src/errors.js';
import type { CellValue, TableSource } from '../../src/registry/types.js';

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
