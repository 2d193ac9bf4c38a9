import { Readable } from 'node:stream';
import { expect } from 'chai';
import { readCsv } from '../../src/formats/csv-reader.js';
import { gcFunction } from '../support/gc.js';

/** A CSV of `total` rows made on demand, counting how many rows it has handed to the reader. */
function generatedCsv(total: number): { stream: Readable; produced: () => number } {
  let produced = 0;
  let headerSent = false;
  const stream = new Readable({
    read() {
      if (!headerSent) {
        headerSent = true;
        this.push('id,ra,dec,name,flag\n');
        return;
      }
      if (produced >= total) {
        this.push(null);
        return;
      }
      const lines: string[] = [];
      const end = Math.min(total, produced + 500);
      for (let i = produced; i < end; i++) {
        lines.push(`${i},${(i % 36000) / 100},${((i % 18000) - 9000) / 100},"obj ${i}, n",${i % 2 === 0}\n`);
      }
      produced = end;
      this.push(lines.join(''));
    },
  });
  return { stream, produced: () => produced };
}

/** A function that runs a full garbage collection. */
describe('CSV reader streaming', () => {
  it('reads 1.5 million generated rows holding a bounded number of rows, with flat heap', async function () {
    this.timeout(120000);
    const total = 1_500_000;
    const gc = gcFunction();
    const { stream, produced } = generatedCsv(total);
    const src = await readCsv(stream, { file: 'generated.csv' });
    expect(src.meta.columns.map((c) => c.datatype)).to.deep.equal(['int', 'double', 'double', 'char', 'boolean']);
    let consumed = 0;
    let maxAhead = 0;
    let idSum = 0;
    let heapAfterWarmup = 0;
    let heapMax = 0;
    for await (const row of src.rows) {
      idSum += row[0] as number;
      consumed++;
      const ahead = produced() - consumed;
      if (ahead > maxAhead) maxAhead = ahead;
      if (consumed === 100_000) {
        gc();
        heapAfterWarmup = process.memoryUsage().heapUsed;
      } else if (consumed % 250_000 === 0) {
        gc();
        heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
      }
    }
    expect(consumed).to.equal(total);
    expect(idSum).to.equal((total * (total - 1)) / 2);
    // The 1000-row inference sample plus a few 500-row chunks in the stream's buffer.
    expect(maxAhead).to.be.below(5000);
    // Kept rows would cost hundreds of MB; a streaming reader stays within noise.
    expect(heapMax - heapAfterWarmup).to.be.below(32 * 1024 * 1024);
  });
});
