import { expect } from 'chai';
import { gcFunction } from '../support/gc.js';
import type { CellValue, ColumnMeta } from '../../src/formats/table-model.js';
import type { TableDocument, TableWriter } from '../../src/formats/table-writer.js';
import { votableWriter } from '../../src/formats/votable-writer.js';
import { votableBinary2Writer } from '../../src/formats/votable-binary2-writer.js';
import { csvWriter } from '../../src/formats/csv-writer.js';
import { tsvWriter } from '../../src/formats/tsv-writer.js';
import { jsonWriter } from '../../src/formats/json-writer.js';
import { htmlWriter } from '../../src/formats/html-writer.js';
import { fitsTableWriter } from '../../src/formats/fits-table-writer.js';

const COLUMNS: ColumnMeta[] = [
  { name: 'id', datatype: 'long' },
  { name: 'ra', datatype: 'double' },
  { name: 'dec', datatype: 'double' },
  { name: 'mag', datatype: 'float' },
  { name: 'name', datatype: 'char' },
];
const ROWS = 1_000_000;
const BATCH = 1000;

/** A generated catalog of `total` rows that counts what was pulled and whether it was closed. */
function generated(total: number): TableDocument & { produced: () => number; closed: () => boolean } {
  let produced = 0;
  let closed = false;
  async function* rows(): AsyncGenerator<CellValue[][]> {
    try {
      while (produced < total) {
        const batch: CellValue[][] = [];
        for (let k = 0; k < BATCH && produced < total; k++, produced++) {
          batch.push([BigInt(produced), (produced % 36000) / 100, -((produced % 18000) / 200), 15 + (produced % 1000) / 100, `obj${produced}`]);
        }
        yield batch;
      }
    } finally {
      closed = true;
    }
  }
  return { columns: COLUMNS, rows: rows(), overflowed: () => false, produced: () => produced, closed: () => closed };
}

const STREAMING: TableWriter[] = [votableWriter, votableBinary2Writer, csvWriter, tsvWriter, jsonWriter, htmlWriter];

describe('writers stream', function () {
  this.timeout(120_000);

  for (const w of STREAMING) {
    it(`${w.name}: emits output all along 1,000,000 rows, never more than a few batches ahead`, async () => {
      const doc = generated(ROWS);
      let last = 0;
      let maxGap = 0;
      let bytes = 0;
      for await (const chunk of w.write(doc)) {
        bytes += chunk.length;
        maxGap = Math.max(maxGap, doc.produced() - last);
        last = doc.produced();
      }
      expect(doc.produced()).to.equal(ROWS);
      expect(bytes).to.be.greaterThan(ROWS * 20);
      // A writer that held the table would emit its chunks only after all rows were pulled.
      expect(maxGap).to.be.at.most(5 * BATCH);
    });

    it(`${w.name}: stopping the consumer stops pulling rows and closes the row source`, async () => {
      const doc = generated(ROWS);
      // Stop at the first chunk written after rows started flowing (VOTable's head comes before).
      for await (const chunk of w.write(doc)) {
        expect(chunk.length).to.be.greaterThan(0);
        if (doc.produced() > 0) break;
      }
      expect(doc.produced()).to.be.at.most(5 * BATCH);
      expect(doc.closed()).to.equal(true);
    });
  }

  it('fits: spools 1,000,000 rows to disk with the heap staying bounded', async () => {
    const doc = generated(ROWS);
    // What the heap holds after a full collection (uncollected garbage reached 228 MB once, in the whole suite).
    const gc = gcFunction();
    const retained = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = retained();
    let peak = 0;
    let bytes = 0;
    let n = 0;
    for await (const chunk of fitsTableWriter.write(doc)) {
      bytes += chunk.length;
      if (++n % 16 === 0) peak = Math.max(peak, retained() - before);
    }
    expect(doc.closed()).to.equal(true);
    const rowBytes = 8 + 8 + 8 + 4 + 'obj999999'.length;
    expect(bytes).to.equal(2880 * 2 + Math.ceil((rowBytes * ROWS) / 2880) * 2880);
    // Holding the rows as JS values would take several hundred MB.
    expect(peak).to.be.lessThan(150 * 1024 * 1024);
  });
});
