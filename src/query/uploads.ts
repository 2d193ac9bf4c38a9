/**
 * TAP UPLOAD (DALI, TAP 1.1 section 3.3.4): `UPLOAD=name,param:part` names a multipart file
 * part holding a VOTable (or CSV); it becomes table `TAP_UPLOAD.name`, a temporary table that
 * only this query's connection sees and that is dropped after it. Parts are spooled to disk,
 * never held in memory. `UPLOAD=name,http(s)://...` names a table the server fetches (when the
 * configuration allows URL uploads) through net/safe-fetch: public addresses only, unless the
 * host is allow-listed; size- and time-limited.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { BadRequestError, LimitExceededError } from '../errors.js';
import type { UploadPart } from '../params/upload-part.js';
import type { CatalogTable } from '../catalog/query-catalog.js';
import type { CellValue, TableSource } from '../formats/table-model.js';
import { quoteIdent } from '../catalog/pg-types.js';
import { readVotable } from '../formats/votable-reader.js';
import { readCsv } from '../formats/csv-reader.js';
import { startsAsXml } from '../formats/text-decoding.js';
import { createAndFill, HPX_COLUMN } from '../ingest/loader.js';
import { fetchToFile } from '../net/safe-fetch.js';
import { scratchPrefix } from '../system/scratch.js';

/** Total time a URL upload may take, redirects, headers and body (milliseconds). */
export const URL_UPLOAD_TIMEOUT_MS = 60_000;

/** How a URL upload is fetched: the size limit, the allow-list, cancellation; timeoutMs for tests. */
export interface UrlFetchOptions {
  maxBytes: number;
  allowHosts: readonly string[];
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** One `name,uri` pair of the UPLOAD parameter: an inline part, or (when allowed) a URL. */
export type UploadRequest = { name: string; part: string; url?: undefined } | { name: string; url: string; part?: undefined };

/** Parse every UPLOAD value (`a,param:x;b,http://...`); URLs only when `allowUrls`. */
export function parseUploadParam(values: readonly string[], allowUrls = false): UploadRequest[] {
  const out: UploadRequest[] = [];
  for (const value of values) {
    for (const item of value.split(';')) {
      if (item.trim() === '') continue;
      const comma = item.indexOf(',');
      if (comma < 0) throw new BadRequestError(`UPLOAD '${item}' must be 'name,param:part'`);
      const name = item.slice(0, comma).trim();
      const uri = item.slice(comma + 1).trim();
      if (!/^[A-Za-z][A-Za-z0-9_]{0,49}$/.test(name)) {
        throw new BadRequestError(`UPLOAD table name '${name}' must be a plain ADQL identifier (letters, digits, _)`);
      }
      if (out.some((u) => u.name.toLowerCase() === name.toLowerCase())) throw new BadRequestError(`UPLOAD names table '${name}' twice`);
      if (uri.startsWith('param:')) {
        out.push({ name, part: uri.slice('param:'.length) });
      } else if (/^https?:\/\//i.test(uri) && allowUrls) {
        out.push({ name, url: uri });
      } else {
        throw new BadRequestError(
          /^https?:/i.test(uri)
            ? `UPLOAD '${name}': uploads by URL are not allowed on this service; send the table inline (param:part)`
            : `UPLOAD '${name}': '${uri}' is neither param:part nor an http(s) URL`,
        );
      }
    }
  }
  return out;
}

/** File parts of a request, spooled under a private folder (made on first use) and removed with it. */
export class UploadSpool {
  private readonly files = new Map<string, string>();
  private dir: string | null = null;
  constructor(private readonly root: string) {}

  /** A new file name in the spool folder (made on first use). */
  private newFile(): string {
    if (this.dir === null) {
      fs.mkdirSync(this.root, { recursive: true });
      this.dir = fs.mkdtempSync(path.join(this.root, scratchPrefix('upload')));
    }
    return path.join(this.dir, crypto.randomBytes(8).toString('hex'));
  }

  /** Use a file that already holds a part (a job's upload); it is not deleted with the spool. */
  use(part: string, file: string): void {
    this.files.set(part, file);
  }

  /** Fetch a URL into the spool, safely (see net/safe-fetch), streaming to disk. */
  async fetch(url: string, options: UrlFetchOptions): Promise<string> {
    const file = this.newFile();
    await fetchToFile(url, file, {
      maxBytes: options.maxBytes,
      allowHosts: options.allowHosts,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? URL_UPLOAD_TIMEOUT_MS,
    });
    return file;
  }

  /** Save a multipart file part to disk, streaming. */
  async save(part: UploadPart): Promise<void> {
    const file = this.newFile();
    this.files.set(part.field, file);
    let truncated = false;
    part.stream.once('limit', () => (truncated = true));
    await pipeline(part.stream, fs.createWriteStream(file));
    if (truncated) throw new LimitExceededError(`upload '${part.field}' is too large`);
  }

  /** The spooled file of a part, if it was sent. */
  file(part: string): string | undefined {
    return this.files.get(part);
  }

  /**
   * Delete every spooled file. Never throws: it runs when a request or job has ended, where a
   * failure has nobody to go to; what it cannot remove, the next start sweeps (sweepScratch).
   */
  async dispose(): Promise<void> {
    const dir = this.dir;
    this.dir = null;
    if (dir !== null) await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 2 }).catch(() => {});
  }
}

/** The uploads of a query: catalog tables to add, and the session work that creates and drops them. */
export interface OpenedUploads {
  tables: CatalogTable[];
  session: { setup(client: pg.PoolClient): Promise<void>; cleanup(client: pg.PoolClient): Promise<void> };
}

const UCD_RA = /^pos\.eq\.ra(;meta\.main)?$/i;
const UCD_DEC = /^pos\.eq\.dec(;meta\.main)?$/i;

/** Open each named upload (its metadata now, its rows when the session sets up). */
export async function openUploads(
  requests: readonly UploadRequest[],
  spool: UploadSpool,
  limits: { uploadRows: number; uploadBytes: number; uploadUrlHosts: readonly string[] },
  signal?: AbortSignal,
): Promise<OpenedUploads> {
  const sources: { req: UploadRequest; source: TableSource; pgTable: string }[] = [];
  for (const req of requests) {
    const file =
      req.url !== undefined
        ? await spool.fetch(req.url, { maxBytes: limits.uploadBytes, allowHosts: limits.uploadUrlHosts, signal })
        : spool.file(req.part);
    if (!file) throw new BadRequestError(`UPLOAD '${req.name}' names part '${req.part}', which the request does not contain`);
    const source = await readUploadFile(file, req);
    const ra = source.meta.columns.find((c) => c.ucd && UCD_RA.test(c.ucd) && (c.datatype === 'double' || c.datatype === 'float'));
    const dec = source.meta.columns.find((c) => c.ucd && UCD_DEC.test(c.ucd) && (c.datatype === 'double' || c.datatype === 'float'));
    source.meta.position = ra && dec && !ra.arraysize && !dec.arraysize ? { ra: ra.name, dec: dec.name } : null;
    source.rows = limitRows(source.rows, limits.uploadRows, req.name);
    sources.push({ req, source, pgTable: `tap_upload_${req.name.toLowerCase()}` });
  }
  return {
    tables: sources.map(({ req, source, pgTable }) => ({
      schema: 'TAP_UPLOAD',
      name: req.name,
      pgSchema: 'pg_temp',
      pgTable,
      description: `uploaded table ${req.name}`,
      columns: source.meta.columns,
      position: source.meta.position ? { ra: source.meta.position.ra, dec: source.meta.position.dec, hpx: HPX_COLUMN } : null,
    })),
    session: {
      async setup(client) {
        for (const { source, pgTable } of sources) {
          const target = `pg_temp.${quoteIdent(pgTable)}`;
          const { hasHpx } = await createAndFill(client, target, source, { temporary: true });
          if (hasHpx) await client.query(`CREATE INDEX ON ${target} (${quoteIdent(HPX_COLUMN)})`);
          await client.query(`ANALYZE ${target}`);
        }
      },
      async cleanup(client) {
        for (const { pgTable } of sources) await client.query(`DROP TABLE IF EXISTS pg_temp.${quoteIdent(pgTable)}`);
      },
    },
  };
}

/** Read an uploaded file: VOTable (in whatever encoding it declares), or CSV when it does not start like XML. */
async function readUploadFile(file: string, req: UploadRequest): Promise<TableSource> {
  const head = Buffer.alloc(64);
  const fd = fs.openSync(file, 'r');
  const n = fs.readSync(fd, head, 0, 64, 0);
  fs.closeSync(fd);
  const options = { file: `upload ${req.name}`, tableName: req.name };
  return startsAsXml(head.subarray(0, n)) ? readVotable(fs.createReadStream(file), options) : readCsv(fs.createReadStream(file), options);
}

/** Rows, failing cleanly past the limit. */
async function* limitRows(rows: AsyncIterable<CellValue[]> | Iterable<CellValue[]>, max: number, name: string): AsyncGenerator<CellValue[]> {
  let n = 0;
  for await (const row of rows) {
    if (++n > max) throw new LimitExceededError(`upload ${name} has more than ${max} rows`);
    yield row;
  }
}
