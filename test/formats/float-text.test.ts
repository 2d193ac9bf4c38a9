import { expect } from 'chai';
import { csvWriter } from '../../src/formats/csv-writer.js';
import { tsvWriter } from '../../src/formats/tsv-writer.js';
import { jsonWriter } from '../../src/formats/json-writer.js';
import { votableWriter } from '../../src/formats/votable-writer.js';
import { isJsFloatText } from '../../src/formats/cell-values.js';
import type { CellValue, ColumnMeta } from '../../src/formats/table-model.js';
import type { TableDocument, TableWriter } from '../../src/formats/table-writer.js';
import { collect } from './sample-table.js';

// What float8out and float4out print (extra_float_digits 1, PostgreSQL 12 and later): fixed
// notation from 1e-4 to below 1e15 (1e6 for real), exponents beyond, NaN, infinities, -0.
const DOUBLES = ['310.4567891234567', '-0.0001', '0.0001', '1e-05', '123456789012345', '1e+15', '-1.25', '5', '-0', '0', 'NaN', 'Infinity', '-Infinity', '0.30000000000000004', '4.9e-324', '1.7976931348623157e+308'];
const REALS = ['18.5234', '-3.4028235e+38', '1.234567e+06', '123456', '1e-45', '0.1', '-0', 'NaN'];

// A double and a real column, a char column fed by a double expression, and a double column fed
// by a numeric one (the driver gives numeric as text: never taken as it is).
const columns: ColumnMeta[] = [
  { name: 'd', datatype: 'double' },
  { name: 'f', datatype: 'float' },
  { name: 's', datatype: 'char', arraysize: '*' },
  { name: 'n', datatype: 'double' },
];
const rowsOf = (parse: (t: string) => CellValue): CellValue[][] =>
  DOUBLES.map((d, i) => [parse(d), parse(REALS[i % REALS.length]!), parse(DOUBLES[(i + 3) % DOUBLES.length]!), '1.50']).concat([[null, null, null, null]]);

/** The same cells as PostgreSQL's text (flagged) and as the numbers pg's parser makes of them. */
const asText = (): TableDocument => ({ columns, rows: [rowsOf((t) => t)], overflowed: () => false, floatsAsText: [true, true, true, false] });
const asNumbers = (): TableDocument => ({ columns, rows: [rowsOf((t) => parseFloat(t))], overflowed: () => false });

describe('float cells as PostgreSQL text (the small-result path, no parse and no format)', () => {
  for (const writer of [votableWriter, csvWriter, tsvWriter, jsonWriter] as TableWriter[]) {
    it(`${writer.name}: the same bytes as from the numbers, exponents, NaN, infinities and -0 included`, async () => {
      const fromText = (await collect(writer.write(asText()))).toString('latin1');
      const fromNumbers = (await collect(writer.write(asNumbers()))).toString('latin1');
      expect(fromText).to.equal(fromNumbers);
    });
  }

  it('takes a text as it is only in the form String() gives its value', () => {
    for (const t of ['310.4567891234567', '-0.0001', '5', '0', '-1.25', '123456789012345']) expect(isJsFloatText(t), t).to.equal(true);
    for (const t of ['-0', '1e-05', '1e+15', 'NaN', 'Infinity', '-Infinity', '', '-', '.5', '1.', '1.2.3', '+1', ' 1']) expect(isJsFloatText(t), t).to.equal(false);
    for (const t of ['310.4567891234567', '-0.0001', '5', '0', '-1.25', '123456789012345']) expect(String(parseFloat(t))).to.equal(t);
  });

  it('leaves a string in a float column of an unflagged document to the usual formatting', async () => {
    const doc: TableDocument = { columns: [{ name: 'd', datatype: 'double' }], rows: [[['1.50'], ['2']]], overflowed: () => false };
    expect((await collect(csvWriter.write(doc))).toString()).to.equal('d\r\n1.5\r\n2\r\n');
  });
});
