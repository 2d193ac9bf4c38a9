import { expect } from 'chai';
import { Readable } from 'node:stream';
import { readCsv } from '../../src/formats/csv-reader.js';
import { readVotable } from '../../src/formats/votable-reader.js';
import { freshDatabase } from '../support/database.js';
import { createDatabase, loadTable, HPX_COLUMN } from '../../src/ingest/loader.js';
import { ang2pix, INDEX_ORDER } from '../../src/healpix/nested.js';
import type { CellValue, ColumnMeta, TableSource } from '../../src/formats/table-model.js';
import { ConflictError, InputFileError, isVodaxError, type VodaxError } from '../../src/errors.js';
import { statusOf } from '../../src/http/error-table.js';

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
    // Written anew in HEALPix order: the key and NOT NULL still hold.
    expect(idx.map((i) => i.indexdef).join('\n')).to.include('UNIQUE INDEX "Things_pkey"');
    const [id] = await fresh.db.query(`SELECT attnotnull FROM pg_attribute WHERE attrelid = '"MyDb"."Things"'::regclass AND attname = 'id'`);
    expect(id).to.deep.equal({ attnotnull: true });
  });

  it('stores inferred columns of a table without a position in the narrowest types too', async () => {
    const csv = 'n,mag,x\n1,18.25,1.123456789\n300,19.5,2\n,-0.001,\n';
    const source = await readCsv(Readable.from([csv]), { file: 'small.csv', tableName: 'Small' });
    await fresh.db.transaction(async (c) => {
      await createDatabase(c, { name: 'MyDb', level: 'L2', owner: 'ann', description: 'test', annotations: {} });
      await loadTable(c, 'MyDb', source);
    });
    const types = await fresh.db.query(
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = '"MyDb"."Small"'::regclass AND attnum > 0 ORDER BY attnum`,
    );
    expect(types).to.deep.equal([
      { attname: 'n', type: 'smallint' },
      { attname: 'mag', type: 'real' },
      { attname: 'x', type: 'double precision' },
    ]);
    const described = await fresh.db.query(`SELECT column_name, datatype FROM "TAP_SCHEMA".columns WHERE table_name = 'MyDb.Small' ORDER BY column_index`);
    expect(described.map((d) => d.datatype)).to.deep.equal(['short', 'float', 'double']);
    const rows = await fresh.db.query(`SELECT n, mag::text AS mag, x FROM "MyDb"."Small" ORDER BY n NULLS LAST`);
    expect(rows).to.deep.equal([
      { n: 1, mag: '18.25', x: 1.123456789 },
      { n: 300, mag: '19.5', x: 2 },
      { n: null, mag: '-0.001', x: null },
    ]);
  });

  it('writes a loaded table once: its rows, sort and index do not also go to the WAL of the embedded server', async function () {
    // Another server's WAL settings (replication, archiving) are its administrator's.
    if (process.env.TEST_DATABASE_URL) this.skip();
    const rows: CellValue[][] = Array.from({ length: 60_000 }, (_, i) => [BigInt(i), (i * 0.006) % 360, ((i * 7919) % 1700) / 10 - 85]);
    const source: TableSource = {
      meta: {
        name: 'Many',
        position: { ra: 'ra', dec: 'dec' },
        columns: [
          { name: 'id', datatype: 'long', nullable: false },
          { name: 'ra', datatype: 'double' },
          { name: 'dec', datatype: 'double' },
        ],
      },
      rows,
    };
    const lsn = async (): Promise<string> => (await fresh.db.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l'))[0]!.l;
    const before = await lsn();
    await fresh.db.transaction(async (c) => {
      await createDatabase(c, { name: 'MyDb', level: 'L2', owner: 'ann', description: 'test', annotations: {} });
      await loadTable(c, 'MyDb', source);
    });
    const [sizes] = await fresh.db.query<{ wal: number; table: number }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::float8 AS wal, pg_total_relation_size('"MyDb"."Many"')::float8 AS "table"`,
      [before],
    );
    expect(sizes!.table, 'the table and its index').to.be.greaterThan(4e6);
    // With wal_level=replica the sorted copy and its index are WAL-logged whole: more than the
    // table. Here an index under wal_skip_threshold (2 MB) is, at commit; the table's rows are not.
    expect(sizes!.wal).to.be.below(sizes!.table / 2);
  });

  it('stores every value alike in binary COPY (no timestamp column) and in text COPY (one forces it)', async () => {
    const rows: CellValue[][] = [
      [1n, 359.999, -1.2, true, 32767, 21.5, 'tab\there, "quotes", back\\slash, new\nline, ünïcode, 🔭, lone \ud800', [1, 2, 3], '2024-01-02T03:04:05'],
      [2n, 0.001, 89.9, false, null, Number.NaN, null, null, null],
      [3n, null, null, null, -32768, 0.1, '', [0.5, -0.5, 1e-300], null],
      [9007199254740993n, -0, 90, true, 0, Infinity, '\\N', [Number.NaN, -Infinity, 5e-324], null],
      [-(2n ** 63n), 1e300, -90, false, -1, -Infinity, 'x'.repeat(300_000), [], null],
    ];
    const withStamp = sampleSource(rows);
    const meta = withStamp.meta;
    const binary: TableSource = {
      meta: { ...meta, name: 'Binary', columns: meta.columns.filter((c) => c.name !== 'seen') },
      rows: rows.map((r) => r.slice(0, -1)),
    };
    await fresh.db.transaction(async (c) => {
      await createDatabase(c, { name: 'MyDb', level: 'L2', owner: 'ann', description: 'test', annotations: {} });
      await loadTable(c, 'MyDb', withStamp);
      await loadTable(c, 'MyDb', binary);
    });
    const columns = binary.meta.columns.map((c) => `"${c.name}"`).join(', ') + `, "${HPX_COLUMN}"`;
    const text = await fresh.db.query<Record<string, unknown>>(`SELECT ${columns}, vec::text AS vec_text FROM "MyDb"."Things" ORDER BY id`);
    const bin = await fresh.db.query<Record<string, unknown>>(`SELECT ${columns}, vec::text AS vec_text FROM "MyDb"."Binary" ORDER BY id`);
    expect(bin).to.have.length(5);
    // Ordered by id: -2^63, 1, 2, 3, 2^53 + 1. -0 keeps its sign both ways (text COPY wrote String(-0), "0").
    expect(Object.is(bin[4]!.ra, -0)).to.equal(true);
    expect(Object.is(text[4]!.ra, -0)).to.equal(true);
    for (const [k, row] of bin.entries()) for (const key of Object.keys(row)) expect(row[key], `row ${k}, ${key}`).to.deep.equal(text[k]![key]);
    expect(bin[1]!.label).to.equal('tab\there, "quotes", back\\slash, new\nline, ünïcode, 🔭, lone \ufffd');
    expect(bin[4]).to.include({ id: 9007199254740993n, mag: Infinity, label: '\\N' });
    expect(bin[4]!.vec_text).to.equal('{NaN,-Infinity,5e-324}');
    expect(bin[0]!.vec_text).to.equal('{}');
    expect(bin[0]!.label).to.have.length(300_000);
    expect(bin[1]![HPX_COLUMN]).to.equal(ang2pix(INDEX_ORDER, 359.999, -1.2));
    expect(bin[3]![HPX_COLUMN]).to.equal(null);
  });

  it('stores a numeric column of arraysize 1 (a scalar, as VOTable reads it) as a scalar column', async () => {
    const readVot = await readVotable(
      Readable.from(['<VOTABLE version="1.4"><RESOURCE><TABLE><FIELD name="x" datatype="double" arraysize="1"/><DATA><TABLEDATA><TR><TD>1.5</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>']),
      { file: 'one.vot', tableName: 'One' },
    );
    await fresh.db.transaction(async (c) => {
      await createDatabase(c, { name: 'MyDb', level: 'L2', owner: 'ann', description: 'test', annotations: {} });
      await loadTable(c, 'MyDb', readVot);
    });
    const rows = await fresh.db.query(`SELECT x, format_type(atttypid, atttypmod) AS type FROM "MyDb"."One", pg_attribute WHERE attrelid = '"MyDb"."One"'::regclass AND attname = 'x'`);
    expect(rows).to.deep.equal([{ x: 1.5, type: 'double precision' }]);
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

  describe('values PostgreSQL refuses: a located 4xx, never a 500 (a backstop behind the readers)', () => {
    /** Load `source` into a new database N; the error it fails with. */
    async function loadError(source: TableSource, twice = false): Promise<VodaxError> {
      let err: unknown;
      try {
        await fresh.db.transaction(async (c) => {
          await createDatabase(c, { name: 'N', level: 'L2', owner: 'ann', description: '', annotations: {} });
          if (twice) await loadTable(c, 'N', { meta: { ...source.meta }, rows: [] });
          await loadTable(c, 'N', source);
        });
      } catch (e) {
        err = e;
      }
      expect(isVodaxError(err), String((err as Error)?.stack)).to.equal(true);
      return err as VodaxError;
    }
    const table = (columns: ColumnMeta[], rows: CellValue[][]): TableSource => ({ meta: { name: 'T', columns }, rows });

    it('a NUL character in text names the row and column', async () => {
      const err = await loadError(table([{ name: 'id', datatype: 'int' }, { name: 'label', datatype: 'char', arraysize: '*' }], [[1, 'ok'], [2, 'x\u0000y']]));
      expect(err).to.be.instanceOf(InputFileError);
      expect(statusOf(err)).to.equal(400);
      expect(err.message).to.match(/^table T: row 2, column "label": the text holds a NUL character \(U\+0000\)/);
    });

    it('a value out of its column type\'s range, or an unreadable timestamp, names the row and column (PostgreSQL 22xxx)', async () => {
      const small = await loadError(table([{ name: 'id', datatype: 'int' }, { name: 'small', datatype: 'short' }], [[1, 5], [2, 7], [3, 40000]]));
      expect(small).to.be.instanceOf(InputFileError);
      expect(statusOf(small)).to.equal(400);
      expect(small.message).to.match(/^table T: row 3, column "small": .*smallint/);
      const time = await loadError(table([{ name: 'seen', datatype: 'char', arraysize: '*', xtype: 'timestamp' }], [['2024-01-01'], ['yesterday-ish']]));
      expect(time).to.be.instanceOf(InputFileError);
      expect(time.message).to.match(/^table T: row 2, column "seen": .*timestamp/);
    });

    it('more columns than PostgreSQL allows (54011) is refused before CREATE TABLE, saying the limit', async () => {
      const columns = Array.from({ length: 1600 }, (_, i) => ({ name: `c${i}`, datatype: 'int' as const }));
      const err = await loadError(table(columns, []));
      expect(statusOf(err)).to.equal(400);
      expect(err.message).to.match(/1600 columns; a table holds at most 1599 columns \(PostgreSQL's 1600 less the one vodax adds\)/);
    });

    it('a row too big for a PostgreSQL page (54000) says what to do', async () => {
      const columns = Array.from({ length: 1500 }, (_, i) => ({ name: `c${i}`, datatype: 'double' as const }));
      const err = await loadError(table(columns, [columns.map(() => null), columns.map((_, i) => i + 0.5)]));
      expect(err).to.be.instanceOf(InputFileError);
      expect(statusOf(err)).to.equal(400);
      expect(err.message).to.match(/^table T: row is too big.*; fewer columns, or split the table in two$/);
    });

    it('a column name too long for PostgreSQL is shown by its start only', async () => {
      const err = await loadError(table([{ name: 'x'.repeat(100_000), datatype: 'int' }], []));
      expect(statusOf(err)).to.equal(400);
      expect(err.message).to.match(/invalid column name "x{60}…": 1 to 63 bytes/);
      expect(err.message.length).to.be.below(200);
    });

    it('a table that exists already is a 409 that says so', async () => {
      const err = await loadError(table([{ name: 'id', datatype: 'int' }], [[1]]), true);
      expect(err).to.be.instanceOf(ConflictError);
      expect(err.message).to.match(/table N\.T exists already/);
    });
  });
});
