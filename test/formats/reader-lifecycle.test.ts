import { once } from 'node:events';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { readCsv } from '../../src/formats/csv-reader.js';
import { readFitsTable } from '../../src/formats/fits-table-reader.js';
import { readVotable } from '../../src/formats/votable-reader.js';
import type { TableSource } from '../../src/formats/table-model.js';
import { expectInputError, fixtureStream } from './read-helpers.js';

type Reader = (input: NodeJS.ReadableStream, options: { file: string }) => Promise<TableSource>;

const CASES: [string, Reader, string][] = [
  ['CSV', readCsv, 'types.csv'],
  ['VOTable', readVotable, 'types_binary2.vot'],
  ['FITS', readFitsTable, 'types.fits'],
];

describe('table readers and their input stream', () => {
  for (const [label, read, name] of CASES) {
    it(`${label}: a consumer that stops after one row ends the input`, async () => {
      const input = fixtureStream(name);
      const src = await read(input, { file: name });
      for await (const row of src.rows) {
        expect(row.length).to.equal(src.meta.columns.length);
        break;
      }
      expect(input.destroyed).to.equal(true);
    });

    it(`${label}: reading every row reads the input to its end`, async () => {
      const input = fixtureStream(name);
      const ended = once(input, 'end');
      const src = await read(input, { file: name });
      let n = 0;
      for await (const row of src.rows) n += row.length > 0 ? 1 : 0;
      expect(n).to.equal(label === 'CSV' ? 5 : 3);
      await ended;
      expect(input.readableEnded).to.equal(true);
    });
  }

  it('CSV: a consumer that stops within the rows sampled for types ends an endless input (it was left open)', async () => {
    let n = 0;
    const input = new Readable({
      read() {
        this.push(n++ === 0 ? 'id,mag\n' : `${n},${(n % 300) / 10}\n`.repeat(100));
      },
    });
    const src = await readCsv(input, { file: 'endless.csv' });
    for await (const row of src.rows) {
      expect(row).to.deep.equal([2, 0.2]);
      break;
    }
    expect(input.destroyed).to.equal(true);
  });

  it('an endless input rejected while opening is ended', async () => {
    const endless = (head: string, line: string): Readable => {
      let first = true;
      return new Readable({
        read() {
          this.push(first ? head : line.repeat(100));
          first = false;
        },
      });
    };
    const csv = endless('a,b,a\n', '1,2,3\n');
    await expectInputError(() => readCsv(csv, { file: 'd.csv' }), { file: 'd.csv', line: 1, column: 5, message: /duplicate/ });
    expect(csv.destroyed).to.equal(true);
    const vot = endless('<VOTABLE><RESOURCE><TABLE><FIELD name="c" datatype="doubleComplex"/><DATA><TABLEDATA>', '<TR><TD>1</TD></TR>');
    await expectInputError(() => readVotable(vot, { file: 'c.vot' }), { file: 'c.vot', line: 1, column: 27, message: /doubleComplex/ });
    expect(vot.destroyed).to.equal(true);
  });
});
