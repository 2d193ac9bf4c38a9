import { expect } from 'chai';
import { freshDatabase } from '../support/database.js';
import { createDatabase, loadTable, HPX_COLUMN } from '../../src/ingest/loader.js';
import { ang2pix, INDEX_ORDER } from '../../src/healpix/nested.js';
import type { CellValue, TableSource } from '../../src/registry/types.js';

/** A small table with every TAP datatype, NULLs and awkward text. */
function sampleSource(rows: CellValue[][]): TableSource {
  return {
    meta: {
      name: 'Things',
      description: 'every type',
      position: { ra: 'ra', dec: 'dec' },
      primaryKey: ['id'],
      columns: [
        { name: 'id', datatype: 'long', ucd: 'meta.id;meta.main', nullable: false },
        { name: 'ra', datatype: 'double', unit: 'deg', ucd: 'pos.eq.ra;meta.main', principal: true },
        { name: 'dec', datatype: 'double', unit: 'deg', ucd: 'pos.eq.dec;meta.main', principal: true },
        { name: 'flag', datatype: 'boolean' },
        { name: 'small', datatype: 'short' },
        { name: 'mag', datatype: 'float', unit: 'mag', description: 'a magnitude' },
        { name: 'label', datatype: 'unicodeChar', arraysize: '*' },
        { name: 'vec', datatype: 'double', arraysize: '3' },
        { name: 'seen', datatype: 'char', arraysize: '*', xtype: 'timestamp' },
      ],
    },
    rows,
  };
}

describe('ingest: loader', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeEach(async () => {
    fresh = await freshDatabase();
  });
  afterEach(() => fresh.drop());

  it('creates, fills and describes a table, with the HEALPix index of each position', async () => {
    const n = await fresh.db.transaction(async (c) => {
      await createDatabase(c, { name: 'MyDb', level: 'L2', owner: 'ann', description: 'test', annotations: { a: 'b' } });
      return loadTable(
        c,
        'MyDb',
        sampleSource([
          [1n, 359.999, -1.2, true, 7, 21.5, 'tab\there, "quotes", back\\slash, new\nline, ünïcode', [1, 2, 3], '2024-01-02T03:04:05'],
          [2n, 0.001, 89.9, false, null, Number.NaN, null, null, null],
          [3n, null, null, null, -32768, null, '', [0.5, -0.5, 1e-300], '2024-12-31T23:59:59.5'],
        ]),
      );
    });
    expect(n).to.equal(3);
    const rows = await fresh.db.query<Record<string, unknown>>(`SELECT * FROM "MyDb"."Things" ORDER BY id`);
    expect(rows[0]).to.include({ id: 1n, ra: 359.999, dec: -1.2, flag: true, small: 7, mag: 21.5 });
    expect(rows[0]!.label).to.equal('tab\there, "quotes", back\\slash, new\nline, ünïcode');
    expect(rows[0]!.vec).to.deep.equal([1, 2, 3]);
    expect(rows[0]![HPX_COLUMN]).to.equal(ang2pix(INDEX_ORDER, 359.999, -1.2));
    expect(rows[1]![HPX_COLUMN]).to.equal(ang2pix(INDEX_ORDER, 0.001, 89.9));
    expect(Number.isNaN(rows[1]!.mag)).to.equal(true);
    expect(rows[2]).to.include({ ra: null, label: '', [HPX_COLUMN]: null, small: -32768 });

    const cols = await fresh.db.query<Record<string, unknown>>(
      `SELECT column_name, datatype, arraysize, xtype, unit, ucd, description, principal, indexed, column_index
       FROM "TAP_SCHEMA".columns WHERE table_name = 'MyDb.Things' ORDER BY column_index`,
    );
    expect(cols.map((c) => c.column_name)).to.deep.equal(['id', 'ra', 'dec', 'flag', 'small', 'mag', 'label', 'vec', 'seen']);
    expect(cols[0]).to.include({ datatype: 'long', ucd: 'meta.id;meta.main', indexed: 1 });
    expect(cols[1]).to.include({ unit: 'deg', principal: 1 });
    expect(cols[5]).to.include({ description: 'a magnitude' });
    expect(cols[7]).to.include({ arraysize: '3' });
    expect(cols[8]).to.include({ xtype: 'timestamp' });
    const [table] = await fresh.db.query(`SELECT schema_name, table_type, description FROM "TAP_SCHEMA".tables WHERE table_name = 'MyDb.Things'`);
    expect(table).to.deep.equal({ schema_name: 'MyDb', table_type: 'table', description: 'every type' });
    const idx = await fresh.db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'MyDb' AND tablename = 'Things'`);
    expect(idx.map((i) => i.indexdef).join('\n')).to.include(HPX_COLUMN);
  });

  it('leaves nothing behind when a row is bad (one transaction)', async () => {
    let err: unknown;
    try {
      await fresh.db.transaction(async (c) => {
        await createDatabase(c, { name: 'Broken', level: 'L2', owner: 'ann', description: '', annotations: {} });
        await loadTable(c, 'Broken', sampleSource([[1n, 1, 1, true, 1, 1, 'x', [1, 2, 3], null], [2n, 1, 1]]));
      });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/row 2 has 3 values/);
    expect(await fresh.db.query(`SELECT 1 FROM vodax.databases WHERE name = 'Broken'`)).to.have.length(0);
    expect(await fresh.db.query(`SELECT 1 FROM "TAP_SCHEMA".schemas WHERE schema_name = 'Broken'`)).to.have.length(0);
    expect(await fresh.db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'Broken'`)).to.have.length(0);
  });

  it('rejects column names that differ only in case, and the reserved HEALPix column name', async () => {
    for (const names of [['a', 'A'], ['x', HPX_COLUMN]]) {
      let err: unknown;
      try {
        await fresh.db.transaction(async (c) => {
          await createDatabase(c, { name: 'N', level: 'L2', owner: 'ann', description: '', annotations: {} });
          await loadTable(c, 'N', { meta: { name: 'T', columns: names.map((name) => ({ name, datatype: 'int' as const })) }, rows: [] });
        });
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/case|reserved/);
    }
  });
});
