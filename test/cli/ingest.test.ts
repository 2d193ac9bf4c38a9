import { expect } from 'chai';
import { runVodax } from '../support/vodax-process.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase } from '../support/database.js';

/** Run `vodax ARGS` against a database. */
const vodax = (databaseUrl: string, args: string[]) => runVodax(args, { DATABASE_URL: databaseUrl });

describe('ingest: vodax ingest catalog', function () {
  this.timeout(120_000);
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  before(async () => {
    fresh = await freshDatabase();
  });
  after(() => fresh.drop());

  it('loads a CSV with positions, types inferred, and summarises in one line', async () => {
    const r = await vodax(fresh.url, ['ingest', 'catalog', 'fixtures/ingest/types.csv', '--db', 'Mine', '--level', 'l2', '--table', 'Csv']);
    expect(r.stderr, r.stderr).to.match(/^ingested 5 rows from 1 file\(s\) into Mine in [\d.]+ s\n$/);
    expect(r.code).to.equal(0);
    const rows = await fresh.db.query<Record<string, unknown>>('SELECT * FROM "Mine"."Csv" ORDER BY id NULLS LAST');
    expect(rows.map((x) => x.id)).to.deep.equal([1, 2, 4, 5, null]);
    expect(rows[0]).to.include({ big: 9007199254740993n, flag: true, mag: 12.5, name: 'alpha', note: 'plain' });
    expect(rows[1]!.note).to.equal('say "hi"');
    expect(rows[4]!.name).to.equal('ünïcødé ☃');
    expect(rows[4]!.note).to.equal('two\nlines');
    const [db] = await fresh.db.query(`SELECT level FROM vodax.databases WHERE name = 'Mine'`);
    expect(db).to.deep.equal({ level: 'L2' });
  });

  it('loads the same astropy-written table from VOTable TABLEDATA, BINARY, BINARY2 and keeps its metadata', async () => {
    const files = ['types_tabledata.vot', 'types_binary.vot', 'types_binary2.vot'].map((f) => `fixtures/ingest/${f}`);
    const r = await vodax(fresh.url, ['ingest', 'catalog', ...files, '--db', 'Vot', '--level', 'L2']);
    expect(r.code, r.stderr).to.equal(0);
    const dump = async (t: string) => fresh.db.query(`SELECT * FROM "Vot"."${t}" ORDER BY i NULLS LAST`);
    const td = await dump('types_tabledata');
    expect(td).to.have.length(3);
    expect(td[0]).to.include({ flag: true, ub: 0, sh: -32768, i: -2147483648, lg: -9223372036854775807n, fl: 1.5, db: 3.141592653589793 });
    expect(td[1]).to.include({ uname: '☃ snow', lg: 9223372036854775807n, db: -1e300 });
    expect(td[0]!.vec).to.deep.equal([1, 2, 3]);
    expect(td[2]).to.include({ flag: null, ub: null, i: null, db: null });
    // An empty TD is NULL; BINARY2 tells an empty string (what astropy wrote) from NULL.
    const b2 = await dump('types_binary2');
    expect(b2.map((r) => r.name)).to.deep.equal(['alpha', 'beta gamma', '']);
    expect(b2.map(({ name: _n, ...rest }) => rest)).to.deep.equal(td.map(({ name: _n, ...rest }) => rest));
    // BINARY (unlike BINARY2) has no NULL for booleans and fixed-size strings: only those differ.
    const bin = await dump('types_binary');
    expect(bin.map(({ flag: _f, name: _n, ...rest }) => rest)).to.deep.equal(td.map(({ flag: _f, name: _n, ...rest }) => rest));
    const cols = await fresh.db.query<Record<string, unknown>>(
      `SELECT column_name, unit, ucd, description, xtype FROM "TAP_SCHEMA".columns WHERE table_name = 'Vot.types_binary2' ORDER BY column_index`,
    );
    expect(cols.find((c) => c.column_name === 'sh')).to.include({ unit: 'adu', ucd: 'phot.count', description: 'short integer' });
    expect(cols.find((c) => c.column_name === 'obs_time')).to.include({ xtype: 'timestamp' });
  });

  it('loads an astropy-written FITS binary table, scaled and unsigned columns included', async () => {
    const r = await vodax(fresh.url, ['ingest', 'catalog', 'fixtures/ingest/types.fits', '--db', 'Fits', '--level', 'L2', '--table', 'T']);
    expect(r.code, r.stderr).to.equal(0);
    const rows = await fresh.db.query<Record<string, unknown>>('SELECT * FROM "Fits"."T"');
    expect(rows).to.have.length(3);
    expect(rows.map((x) => x.ush)).to.deep.equal([0, 65535, 40000]);
    expect(rows.map((x) => x.ui)).to.deep.equal([0n, 4294967295n, 3000000000n]);
    expect(rows.map((x) => x.scaled)).to.deep.equal([10, 11, 20]);
    expect(rows.map((x) => x.sh)).to.deep.equal([-32768, 32767, null]);
    expect(rows[0]!.name).to.equal('alpha');
    const [db] = await fresh.db.query(`SELECT unit, ucd, description FROM "TAP_SCHEMA".columns WHERE table_name = 'Fits.T' AND column_name = 'db'`);
    expect(db).to.deep.equal({ unit: 'deg', ucd: 'pos.eq.ra;meta.main', description: 'right ascension' });
  });

  it('indexes positions when --ra and --dec are given', async () => {
    const r = await vodax(fresh.url, ['ingest', 'catalog', 'fixtures/ingest/types_tabledata.vot', '--db', 'Pos', '--level', 'L2', '--table', 'P', '--ra', 'db', '--dec', 'fl']);
    expect(r.code, r.stderr).to.equal(0);
    const [t] = await fresh.db.query(`SELECT ra_column, dec_column, hpx_column FROM vodax.tables WHERE table_name = 'Pos.P'`);
    expect(t).to.deep.equal({ ra_column: 'db', dec_column: 'fl', hpx_column: 'vodax_hpx' });
  });

  it('stores a CSV with a position in HEALPix order, clustered, each column in the narrowest type its values allow', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-ingest-'));
    const file = path.join(dir, 'narrow.csv');
    // Rows in no sky order; past the 1000 sampled, a flux of 9 digits and an id beyond a short.
    const lines = ['id,count,ra,dec,mag,flux,name'];
    for (let i = 0; i < 1500; i++) {
      const id = i === 1400 ? 40000 : i;
      const flux = i === 1200 ? '12.3456789' : ((i % 97) / 4).toFixed(2);
      lines.push(`${id},${(i * 37) % 30000},${((i * 7919) % 36000 / 100).toFixed(7)},${(((i * 104729) % 17000) / 100 - 85).toFixed(7)},${(17 + (i % 900) / 100).toFixed(3)},${flux},s${i}`);
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    try {
      const r = await vodax(fresh.url, ['ingest', 'catalog', file, '--db', 'Narrow', '--level', 'L2', '--table', 'N', '--ra', 'ra', '--dec', 'dec']);
      expect(r.code, r.stderr).to.equal(0);
      const types = await fresh.db.query<{ column_name: string; datatype: string; pg: string }>(
        `SELECT c.column_name, c.datatype, format_type(a.atttypid, a.atttypmod) AS pg FROM "TAP_SCHEMA".columns c
         JOIN pg_attribute a ON a.attrelid = '"Narrow"."N"'::regclass AND a.attname = c.column_name WHERE c.table_name = 'Narrow.N' ORDER BY c.column_index`,
      );
      expect(types.map((t) => `${t.column_name} ${t.datatype} ${t.pg}`)).to.deep.equal([
        'id int integer',
        'count short smallint',
        'ra double double precision',
        'dec double double precision',
        'mag float real',
        'flux double double precision',
        'name char text',
      ]);
      // The narrowed values read back as the file wrote them.
      const rows = await fresh.db.query<{ id: number; count: number; mag: string; flux: number }>('SELECT id, count, mag::text AS mag, flux FROM "Narrow"."N" ORDER BY id');
      const byId = new Map(lines.slice(1).map((l) => l.split(',')).map((f) => [Number(f[0]), f]));
      expect(rows).to.have.length(1500);
      for (const row of rows) {
        const f = byId.get(row.id)!;
        expect([row.count, Number(row.mag), row.flux], f.join(',')).to.deep.equal([Number(f[1]), Number(f[4]), Number(f[5])]);
      }
      // Physically in HEALPix order, with the index marked for CLUSTER, and no staging table left.
      const order = await fresh.db.query<{ hpx: string }>('SELECT vodax_hpx::text AS hpx FROM "Narrow"."N" ORDER BY ctid');
      const hpx = order.map((o) => BigInt(o.hpx));
      expect(hpx.every((h, k) => k === 0 || hpx[k - 1]! <= h)).to.equal(true);
      const [clustered] = await fresh.db.query(`SELECT count(*)::int AS n FROM pg_index WHERE indrelid = '"Narrow"."N"'::regclass AND indisclustered`);
      expect(clustered).to.deep.equal({ n: 1 });
      expect(await fresh.db.query(`SELECT relname FROM pg_class WHERE relname LIKE 'vodax_load_%'`)).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad number after the rows sampled for types, naming file, line and column', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-ingest-'));
    const file = path.join(dir, 'late.csv');
    const lines = ['id,mag', ...Array.from({ length: 1500 }, (_, i) => `${i},${(i / 100).toFixed(2)}`), '1500,abc'];
    fs.writeFileSync(file, lines.join('\n') + '\n');
    try {
      const r = await vodax(fresh.url, ['ingest', 'catalog', file, '--db', 'Late', '--level', 'L2']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/late\.csv, line 1502, column 6/);
      expect(await fresh.db.query(`SELECT 1 FROM vodax.databases WHERE name = 'Late'`)).to.have.length(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [file, pattern] of [
    ['missing_columns.csv', /missing_columns\.csv, line 3/],
    ['truncated.csv', /truncated\.csv.*(quote|end)/i],
    ['truncated.fits', /truncated\.fits/],
    ['truncated.vot', /truncated\.vot, line \d+/],
    ['malformed.vot', /malformed\.vot, line \d+, column \d+/],
  ] as const) {
    it(`rejects ${file} naming the place, and leaves no table or database behind`, async () => {
      const r = await vodax(fresh.url, ['ingest', 'catalog', `fixtures/ingest/${file}`, '--db', 'Broken', '--level', 'L2', '--table', 'B']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(pattern);
      expect(r.stderr).not.to.match(/at .*\.ts:\d+/); // a message, not a stack trace
      expect(await fresh.db.query(`SELECT 1 FROM vodax.databases WHERE name = 'Broken'`)).to.have.length(0);
      expect(await fresh.db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'Broken'`)).to.have.length(0);
    });
  }

  describe('positions (--ra, --dec) and names that are taken', () => {
    let dir: string;
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-ingest-pos-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const noStack = (stderr: string) => {
      expect(stderr).not.to.match(/^\s+at /m);
      expect(stderr).not.to.match(/\.ts:\d+/);
    };

    it('names the file, line and column of a declination that is not a number, and what to do', async () => {
      const file = write('bad_dec.csv', 'ra,dec\n10.5,-1.25\n11,abc\n');
      const r = await vodax(fresh.url, ['ingest', 'catalog', file, '--db', 'PosBad', '--level', 'L2', '--table', 'S', '--ra', 'ra', '--dec', 'dec']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(`vodax ingest: ${file}, line 3, column 4: declination column "dec" holds 'abc', which is not a number; positions must be numeric degrees\n`);
      expect(await fresh.db.query(`SELECT 1 FROM vodax.databases WHERE name = 'PosBad'`)).to.have.length(0);
    });

    it('reads position columns of whole numbers as degrees (double), not as int', async () => {
      const file = write('whole.csv', 'id,ra,dec\n1,10,20\n2,350,-5\n');
      const r = await vodax(fresh.url, ['ingest', 'catalog', file, '--db', 'PosInt', '--level', 'L2', '--table', 'S', '--ra', 'ra', '--dec', 'dec']);
      expect(r.code, r.stderr).to.equal(0);
      const rows = await fresh.db.query<Record<string, unknown>>('SELECT id, ra, dec FROM "PosInt"."S" ORDER BY id');
      expect(rows).to.deep.equal([
        { id: 1, ra: 10, dec: 20 },
        { id: 2, ra: 350, dec: -5 },
      ]);
      const [t] = await fresh.db.query(`SELECT ra_column, dec_column FROM vodax.tables WHERE table_name = 'PosInt.S'`);
      expect(t).to.deep.equal({ ra_column: 'ra', dec_column: 'dec' });
    });

    it('names the file when --dec is a missing or text column of a VOTable', async () => {
      const file = 'fixtures/ingest/types_tabledata.vot';
      const text = await vodax(fresh.url, ['ingest', 'catalog', file, '--db', 'PosVot', '--level', 'L2', '--table', 'S', '--ra', 'db', '--dec', 'name']);
      expect(text.code).to.equal(1);
      expect(text.stderr).to.equal(`vodax ingest: ${file}: declination column "name" is char, not a number; positions must be numeric degrees (float or double)\n`);
      const missing = await vodax(fresh.url, ['ingest', 'catalog', file, '--db', 'PosVot', '--level', 'L2', '--table', 'S', '--ra', 'db', '--dec', 'decl']);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/^vodax ingest: fixtures\/ingest\/types_tabledata\.vot: no column "decl" for declination; the table has flag, ub, sh, /);
      noStack(missing.stderr);
    });

    it('says so in one sentence when a FILE is missing or a directory', async () => {
      for (const [file, pattern] of [
        [path.join(dir, 'nosuch.csv'), /^vodax ingest: .*nosuch\.csv: cannot read it: no such file\n$/],
        [path.join(dir, 'adir.csv'), /^vodax ingest: .*adir\.csv: cannot read it: a directory, not a file\n$/],
      ] as const) {
        if (file.endsWith('adir.csv')) fs.mkdirSync(file, { recursive: true });
        const r = await vodax(fresh.url, ['ingest', 'catalog', file, '--db', 'NoFile', '--level', 'L2']);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(pattern);
      }
    });

    it('refuses a table that exists already in one sentence, exit code 1, the table as it was', async () => {
      const file = write('stars.csv', 'id,ra,dec\n1,10.5,20.5\n');
      const args = ['ingest', 'catalog', file, '--db', 'Twice', '--level', 'L2', '--table', 'Stars'];
      expect((await vodax(fresh.url, args)).code).to.equal(0);
      for (const table of ['Stars', 'STARS']) {
        const again = await vodax(fresh.url, [...args.slice(0, -1), table]);
        expect(again.code, again.stderr).to.equal(1);
        expect(again.stderr).to.equal(
          `vodax ingest: table Twice.Stars exists already; give another name with --table (ingest does not replace or add to a table)\n`,
        );
        noStack(again.stderr);
      }
      expect(await fresh.db.query('SELECT id FROM "Twice"."Stars"')).to.deep.equal([{ id: 1 }]);
    });
  });

  it('explains a usage mistake with the usage text and exit code 2', async () => {
    const r = await vodax(fresh.url, ['ingest', 'catalog', 'fixtures/ingest/types.csv', '--level', 'L2']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/missing option --db/);
    expect(r.stderr).to.match(/usage: vodax/);
  });
});
