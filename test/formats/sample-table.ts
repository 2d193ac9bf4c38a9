/** A small table with every datatype, NULLs, NaN, unicode, special characters, arrays and geometry. */
import type { CellValue, ColumnMeta } from '../../src/formats/table-model.js';
import type { TableDocument } from '../../src/formats/table-writer.js';

/** One column of every kind the serializers must handle. */
export const SAMPLE_COLUMNS: ColumnMeta[] = [
  { name: 'id', datatype: 'long', ucd: 'meta.id;meta.main', description: 'Object id' },
  { name: 'ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main', description: 'Right ascension <ICRS> & "J2000"' },
  { name: 'flux', datatype: 'float', unit: 'mag', ucd: 'phot.mag' },
  { name: 'n', datatype: 'int' },
  { name: 's', datatype: 'short' },
  { name: 'b', datatype: 'unsignedByte' },
  { name: 'ok', datatype: 'boolean' },
  { name: 'label', datatype: 'char', arraysize: '*', description: 'A free text' },
  { name: 'uname', datatype: 'unicodeChar', arraysize: '*' },
  { name: 't', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
  { name: 'pos', datatype: 'double', arraysize: '2', xtype: 'point', unit: 'deg' },
  { name: 'circ', datatype: 'double', arraysize: '3', xtype: 'circle', unit: 'deg' },
  { name: 'poly', datatype: 'double', arraysize: '*', xtype: 'polygon', unit: 'deg' },
  { name: 'vals', datatype: 'int', arraysize: '*' },
];

/** Three rows: ordinary values, NULL everywhere, and edge values (NaN, extremes, quotes, newlines). */
export const SAMPLE_ROWS: CellValue[][] = [
  [1n, 10.5, 1.25, 42, -7, 200, true, 'plain', 'Ångström 星', '2024-01-02T03:04:05.678', [10, 20], [10, 20, 0.5], [1, 2, 3, 4, 5, 6], [1, 2, 3]],
  [null, null, null, null, null, null, null, null, null, null, null, null, null, null],
  [
    9007199254740993n,
    0.1 + 0.2,
    NaN,
    -2147483647,
    32767,
    0,
    false,
    'a,b "q" <x>&y\nline2\ttab',
    'ü\u0001',
    '1999-12-31T23:59:59',
    [359.999, -89.5],
    [0, 0, 1e-10],
    [],
    [],
  ],
];

/** The sample as a document whose rows arrive in two batches. */
export function sampleDocument(opts: { overflow?: boolean; info?: TableDocument['info'] } = {}): TableDocument {
  return {
    columns: SAMPLE_COLUMNS,
    rows: (async function* () {
      yield SAMPLE_ROWS.slice(0, 2);
      yield SAMPLE_ROWS.slice(2);
    })(),
    overflowed: () => opts.overflow ?? false,
    info: opts.info ?? { query: 'SELECT *\nFROM "t" WHERE a < 1 & b > 2', lang: 'ADQL', requestDate: '2024-05-06T07:08:09Z', tableName: 'sample' },
  };
}

/** A document whose rows throw after the first batch. */
export function failingDocument(onError?: (e: unknown) => void): TableDocument {
  return {
    columns: SAMPLE_COLUMNS,
    rows: (async function* () {
      yield SAMPLE_ROWS.slice(0, 1);
      throw new Error('canceling statement due to statement timeout <db>');
    })(),
    overflowed: () => false,
    ...(onError ? { onError } : {}),
  };
}

/** Collects a writer's output into one Buffer. */
export async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}
