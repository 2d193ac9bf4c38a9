import { expect } from 'chai';
import pg from 'pg';
import type { ColumnMeta } from '../../../src/formats/table-model.js';
import { fitsCopyPlan, fitsDocument } from '../../../src/formats/copy/copy-fits.js';
import { jsonDocument, lineCopySql, lineNumberFields, tabledataDocument, textDocument } from '../../../src/formats/copy/text-copy.js';
import { CopyOut } from '../../../src/storage/copy-out.js';
import { testDatabase } from '../../support/database.js';

/** The bytes of a binary COPY of `copySql`, whole. */
async function copyBytes(client: pg.Client, copySql: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of client.query(new CopyOut(copySql))) parts.push(Buffer.from(b as Buffer));
  return Buffer.concat(parts);
}

/** The stream cut into fresh chunks of `size` bytes (the documents may reuse a chunk they own, as the socket's are). */
async function* inChunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield Buffer.from(bytes.subarray(at, at + size));
}

async function document(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of chunks) parts.push(Buffer.from(b));
  return Buffer.concat(parts);
}

describe('COPY documents from a stream cut anywhere', function () {
  this.timeout(60_000);
  const columns: ColumnMeta[] = [
    { name: 'id', datatype: 'long' },
    { name: 'x', datatype: 'double' },
    { name: 'label', datatype: 'char', arraysize: '*' },
  ];
  const sql = `SELECT g::bigint AS id, CASE WHEN g % 11 = 0 THEN NULL ELSE g / 7.0::float8 END AS x, repeat('é', g % 5) || 'row ' || g AS label FROM generate_series(1, 3000) g`;
  let client: pg.Client;
  let fields: pg.FieldDef[];

  before(async () => {
    const { url } = await testDatabase();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    fields = (await client.query(`SELECT * FROM (${sql}) AS q LIMIT 0`)).fields;
  });
  after(async () => {
    await client.end();
  });

  it('writes the same CSV and TABLEDATA whatever the chunks, MAXREC cuts included', async () => {
    for (const format of ['csv', 'tabledata'] as const) {
      const bytes = await copyBytes(client, lineCopySql(format, sql, columns, fields)!);
      for (const maxrec of [3000, 2999, 17]) {
        const make = (size: number) =>
          format === 'csv'
            ? textDocument('csv', columns, inChunks(bytes, size), maxrec, lineNumberFields(columns, fields))
            : tabledataDocument({ columns, info: { query: 'q', lang: 'ADQL', requestDate: '2026-01-01T00:00:00Z' } }, inChunks(bytes, size), maxrec, lineNumberFields(columns, fields));
        const whole = await document(make(bytes.length));
        expect(whole.toString().split(format === 'csv' ? '\r\n' : '<TR>').length).to.be.greaterThan(Math.min(maxrec, 3000));
        for (const size of [1, 5, 6, 7, 64, 1000, 65536]) expect((await document(make(size))).equals(whole), `${format}, MAXREC ${maxrec}, chunks of ${size}`).to.equal(true);
      }
    }
  });

  it('rewrites the numbers of lines of numbers only the same whatever the chunks', async () => {
    const numeric: ColumnMeta[] = [
      { name: 'id', datatype: 'long' },
      { name: 'x', datatype: 'double' },
      { name: 'y', datatype: 'float' },
    ];
    // Exponents, -0 and infinities in most rows, a NULL in some (those formatted value by value).
    const numericSql = `SELECT g::bigint AS id, CASE WHEN g % 13 = 0 THEN NULL WHEN g % 3 = 0 THEN -0::float8 ELSE g * 1e-6::float8 END AS x, CASE WHEN g % 7 = 0 THEN 'Infinity'::float4 ELSE (g * 1e12)::float4 END AS y FROM generate_series(1, 3000) g`;
    const numericFields = (await client.query(`SELECT * FROM (${numericSql}) AS q LIMIT 0`)).fields;
    const numberFields = lineNumberFields(numeric, numericFields);
    expect(numberFields).to.deep.equal([true]);
    const info = { query: 'q', lang: 'ADQL', requestDate: '2026-01-01T00:00:00Z' };
    for (const format of ['csv', 'tabledata', 'json'] as const) {
      const bytes = await copyBytes(client, lineCopySql(format, numericSql, numeric, numericFields)!);
      const make = (size: number) =>
        format === 'csv' ? textDocument('csv', numeric, inChunks(bytes, size), 3000, numberFields) : format === 'json' ? jsonDocument(numeric, inChunks(bytes, size), 3000, numberFields) : tabledataDocument({ columns: numeric, info }, inChunks(bytes, size), 3000, numberFields);
      const whole = (await document(make(bytes.length))).toString();
      expect(whole, format).to.contain(format === 'tabledata' ? '<TD>0.000001</TD><TD>1000000000000</TD>' : '0.000001,1000000000000');
      expect(whole, format).not.to.match(/e-0|-0[,<\]]/);
      for (const size of [1, 5, 6, 7, 64, 1000, 65536]) expect((await document(make(size))).toString(), `${format}, chunks of ${size}`).to.equal(whole);
    }
  });

  it('writes the same FITS table whatever the chunks, the overflow row never among the rows', async () => {
    const plan = fitsCopyPlan(sql, columns, fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })))!;
    const bytes = await copyBytes(client, plan.copySql);
    for (const maxrec of [3000, 2999, 17]) {
      const make = (size: number) => fitsDocument({ columns, info: { query: 'q', lang: 'ADQL', requestDate: '2026-01-01T00:00:00Z' } }, plan.plans, inChunks(bytes, size), maxrec);
      const whole = await document(make(bytes.length));
      expect(whole.toString('latin1')).to.match(new RegExp(`NAXIS2  = +${Math.min(maxrec, 3000)} `));
      for (const size of [1, 5, 7, 64, 1000, 65536]) expect((await document(make(size))).equals(whole), `MAXREC ${maxrec}, chunks of ${size}`).to.equal(true);
    }
  });
});
