/**
 * Rows of a file appended to a sharded table: COPY into the coordinator's partitioned table,
 * which routes each row to the foreign partition (shard) of its HEALPix index. Streamed: the
 * file is read, converted and sent in chunks, memory flat.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../storage/database.js';
import { qualified, quoteIdent } from '../catalog/pg-types.js';
import { BadRequestError } from '../errors.js';
import { ang2pix, INDEX_ORDER } from '../healpix/nested.js';
import type { CellValue, TableSource } from '../formats/table-model.js';
import { copyField } from '../ingest/copy-field.js';
import { partitionsOf, type TableTarget } from './sharded-table.js';

/** Append `source`'s rows to the sharded table `t`; resolves to the rows written. */
export async function ingestSharded(db: Database, t: TableTarget, source: TableSource, onRows?: (rows: number) => void): Promise<number> {
  if ((await partitionsOf(db, t)).length === 0) throw new BadRequestError(`table ${t.tapName} is not sharded; use vodax shard create first`);
  const reg = await db.query<{ ra_column: string; dec_column: string }>('SELECT ra_column, dec_column FROM vodax.tables WHERE pg_schema = $1 AND pg_table = $2', [t.schema, t.table]);
  const { ra_column: ra, dec_column: dec } = reg[0]!;
  const names = source.meta.columns.map((c) => c.name);
  const iRa = names.indexOf(ra);
  const iDec = names.indexOf(dec);
  if (iRa < 0 || iDec < 0) throw new BadRequestError(`the file has no columns ${ra} and ${dec}, the position of ${t.tapName}`);
  const counter = { rows: 0 };
  return db.transaction(async (client) => {
    const cols = [...names, t.hpx].map(quoteIdent).join(', ');
    const copy = client.query(copyFrom(`COPY ${qualified(t.schema, t.table)} (${cols}) FROM STDIN`));
    await pipeline(Readable.from(copyLines(source.rows, names.length, iRa, iDec, counter, onRows)), copy);
    await client.query('UPDATE vodax.tables SET row_count = coalesce(row_count, 0) + $3 WHERE pg_schema = $1 AND pg_table = $2', [t.schema, t.table, counter.rows]);
    return counter.rows;
  });
}

/** COPY text in chunks of about 256 kB, each row with its HEALPix index appended. */
async function* copyLines(
  rows: AsyncIterable<CellValue[]> | Iterable<CellValue[]>,
  width: number,
  iRa: number,
  iDec: number,
  counter: { rows: number },
  onRows?: (rows: number) => void,
): AsyncGenerator<string> {
  let chunk = '';
  for await (const row of rows) {
    if (row.length !== width) throw new BadRequestError(`row ${counter.rows + 1} has ${row.length} values where the file has ${width} columns`);
    const r = row[iRa];
    const d = row[iDec];
    const hpx = typeof r === 'number' && typeof d === 'number' && Number.isFinite(r) && Number.isFinite(d) && Math.abs(d) <= 90 ? ang2pix(INDEX_ORDER, r, d).toString() : '\\N';
    chunk += row.map(copyField).join('\t') + '\t' + hpx + '\n';
    counter.rows++;
    if (chunk.length >= 262_144) {
      yield chunk;
      chunk = '';
      onRows?.(counter.rows);
    }
  }
  if (chunk) yield chunk;
  onRows?.(counter.rows);
}
