import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fitsTableWriter } from '../../src/formats/fits-table-writer.js';
import { readFitsTable } from '../../src/formats/fits-table-reader.js';
import { fitsCards, fitsHeaderBytes } from '../../src/fits/header-writer.js';
import { FitsHeader, parseHeaderBlock, type FitsCard } from '../../src/fits/header.js';
import type { CellValue, ColumnMeta } from '../../src/formats/table-model.js';
import { collect, failingDocument, sampleDocument } from './sample-table.js';
import { astropyMissing, checkWithAstropy, fitsverify, fitsverifyMissing } from './python.js';

interface ParsedFits {
  primary: number;
  header: Record<string, string | boolean>;
  comments: string[];
  rows: unknown[][];
}

/** Headers of the FITS bytes, parsed with the project's own reader. */
function headers(bytes: Buffer): FitsHeader[] {
  const out: FitsHeader[] = [];
  let at = 0;
  for (let h = 0; h < 2; h++) {
    const cards: FitsCard[] = [];
    while (!parseHeaderBlock(bytes.subarray(at, at + 2880), cards)) at += 2880;
    at += 2880;
    out.push(new FitsHeader(cards));
    if (h === 1) break;
  }
  return out;
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-fits-test-'));
}

describe('FITS table writer', () => {
  it('writes an empty primary HDU and a BINTABLE whose header states rows, forms and NULL values', async () => {
    const bytes = await collect(fitsTableWriter.write(sampleDocument({ overflow: true })));
    expect(bytes.length % 2880).to.equal(0);
    const [primary, table] = headers(bytes);
    expect([primary.get('SIMPLE'), primary.get('NAXIS'), primary.get('EXTEND')]).to.deep.equal([true, 0, true]);
    expect(table.get('XTENSION')).to.equal('BINTABLE');
    expect(table.get('NAXIS2')).to.equal(3);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((n) => table.get(`TFORM${n}`))).to.deep.equal(
      ['1K', '1D', '1E', '1J', '1I', '1B', '1L', '23A', '10A', '23A', '2D', '3D', '1PD(6)', '1PJ(3)'],
    );
    expect([table.get('TNULL1'), table.get('TNULL4'), table.get('TNULL5'), table.get('TNULL6')]).to.deep.equal([-9223372036854775808n, -2147483648, -32768, 255]);
    expect(table.get('TNULL14')).to.equal(undefined);
    expect([table.get('TUNIT2'), table.get('TUCD2'), table.get('TCOMM2')]).to.deep.equal(['deg', 'pos.eq.ra;meta.main', 'Right ascension <ICRS> & "J2000"']);
    expect(table.get('OVERFLOW')).to.equal(true);
    expect(table.get('QUERY')).to.equal('SELECT * FROM "t" WHERE a < 1 & b > 2');
    expect(table.get('PCOUNT')).to.equal((6 + 0) * 8 + 3 * 4);
  });

  it('picks a TNULL absent from the data', async () => {
    const columns: ColumnMeta[] = [
      { name: 'b', datatype: 'unsignedByte' },
      { name: 's', datatype: 'short' },
    ];
    const rows: CellValue[][] = [[255, -32768], [254, 5], [null, null]];
    const [, table] = headers(await collect(fitsTableWriter.write({ columns, rows: [rows], overflowed: () => false })));
    expect([table.get('TNULL1'), table.get('TNULL2')]).to.deep.equal([253, 32767]);
  });

  it('splits long strings over CONTINUE cards that the FITS reader joins back', () => {
    const long = `x = 'it''s' ${'abc '.repeat(40)}`;
    const cards = fitsCards('QUERY', long, 'query text');
    expect(cards.length).to.be.greaterThan(2);
    for (const c of cards) expect(c).to.have.length(80);
    expect(cards[1].startsWith("CONTINUE  '")).to.equal(true);
    const parsed: FitsCard[] = [];
    parseHeaderBlock(fitsHeaderBytes(cards), parsed);
    expect(new FitsHeader(parsed).get('QUERY')).to.equal(long.trimEnd());
    expect(fitsCards('A', 'é\ttab')[0].slice(10, 20)).to.equal("'? tab   '");
  });

  it('deletes its spool when the rows fail, and rethrows', async () => {
    const dir = tmpDir();
    try {
      let caught: unknown;
      try {
        await collect(fitsTableWriter.write(failingDocument(), { tmpDir: dir }));
      } catch (e) {
        caught = e;
      }
      expect(String(caught)).to.contain('statement timeout');
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes its spool when the consumer stops after the first chunk', async () => {
    const dir = tmpDir();
    try {
      // More rows than one spool frame (1 MB) holds: they go to a file.
      const columns: ColumnMeta[] = [{ name: 'id', datatype: 'long' }, { name: 'text', datatype: 'char', arraysize: '*' }];
      const rows: CellValue[][] = Array.from({ length: 20_000 }, (_, i) => [BigInt(i), `row ${i} `.repeat(10)]);
      const it = fitsTableWriter.write({ columns, rows: [rows], overflowed: () => false }, { tmpDir: dir })[Symbol.asyncIterator]();
      await it.next();
      expect(fs.readdirSync(dir)).to.have.length(1);
      await it.return?.();
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps rows that fit in one spool frame off the disk', async () => {
    const dir = tmpDir();
    try {
      const it = fitsTableWriter.write(sampleDocument(), { tmpDir: dir })[Symbol.asyncIterator]();
      const parts: Buffer[] = [];
      for (let next = await it.next(); !next.done; next = await it.next()) {
        parts.push(next.value);
        expect(fs.readdirSync(dir), 'no spool folder').to.deep.equal([]);
      }
      expect(Buffer.concat(parts).equals(await collect(fitsTableWriter.write(sampleDocument())))).to.equal(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes every row of an answer bigger than an output chunk and a spool frame', async () => {
    // 40,000 rows of 53 bytes (2 MB of data) in about 4 MB of spool: two chunks, several frames.
    const columns: ColumnMeta[] = [
      { name: 'id', datatype: 'long' },
      { name: 'flux', datatype: 'double' },
      { name: 'name', datatype: 'char', arraysize: '*' },
      { name: 'ok', datatype: 'boolean' },
    ];
    const rows: CellValue[][] = Array.from({ length: 40_000 }, (_, i) => [
      i % 7 === 0 ? null : BigInt(i),
      i % 5 === 0 ? null : i / 8,
      i % 3 === 0 ? null : `obj ${i} ${'x'.repeat(i % 30)}`,
      i % 11 === 0 ? null : i % 2 === 0,
    ]);
    const bytes = await collect(fitsTableWriter.write({ columns, rows: [rows], overflowed: () => false }));
    const src = await readFitsTable(Readable.from([bytes]), { file: 'big.fits' });
    const back: CellValue[][] = [];
    for await (const row of src.rows) back.push(row);
    expect(back).to.have.length(rows.length);
    for (let i = 0; i < rows.length; i += 1) {
      const [id, flux, name, ok] = rows[i]!;
      expect(back[i], `row ${i}`).to.deep.equal([id, flux, name ?? '', ok]); // FITS has no NULL string: an empty one
    }
  });

  describe('checked by fitsverify and astropy', function () {
    it('passes fitsverify with 0 errors and 0 warnings', async function () {
      const why = fitsverifyMissing();
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
      for (const doc of [sampleDocument({ overflow: true }), { columns: sampleDocument().columns, rows: [], overflowed: () => false }]) {
        const r = fitsverify(await collect(fitsTableWriter.write(doc)));
        expect(r.ok, r.output).to.equal(true);
      }
    });

    it('reads back the same values in astropy (warnings as errors)', async function () {
      const why = astropyMissing();
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
      const out = checkWithAstropy<ParsedFits>('check_fits.py', await collect(fitsTableWriter.write(sampleDocument({ overflow: true }))), 'fits');
      expect(out.primary).to.equal(2);
      expect(out.header).to.include({ EXTNAME: 'sample', TTYPE1: 'id', TFORM13: '1PD(6)', OVERFLOW: true });
      expect(out.rows).to.deep.equal([
        ['1', '10.5', '1.25', '42', '-7', '200', true, 'plain', '?ngstr?m ?', '2024-01-02T03:04:05.678', ['10.0', '20.0'], ['10.0', '20.0', '0.5'], ['1.0', '2.0', '3.0', '4.0', '5.0', '6.0'], ['1', '2', '3']],
        // FITS has no NULL for logicals read as bool, strings or variable arrays: false, '' and [].
        [null, null, null, null, null, null, false, null, null, null, [null, null], [null, null, null], [], []],
        ['9007199254740993', '0.30000000000000004', null, '-2147483647', '32767', '0', false, 'a,b "q" <x>&y line2 tab', '??', '1999-12-31T23:59:59', ['359.999', '-89.5'], ['0.0', '0.0', '1e-10'], [], []],
      ]);
    });
  });
});
