/**
 * ADQL benchmark: parse, validate and translate time per query, in microseconds, for the
 * example queries the TAP service publishes (vo-resources/tap-examples.xhtml), against an
 * in-memory catalog loaded once from a database, and for the README's cone query, whose median
 * must stay under 100 µs (issue 15). Target for the others: well under a millisecond each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAdql } from '../src/adql/parser.js';
import { validate } from '../src/adql/validator.js';
import { translate } from '../src/adql/translator.js';
import { loadCatalog, type Catalog } from '../src/catalog/query-catalog.js';
import { benchServer, printTable } from './support.js';
import { sampleDatabase } from './sample-db.js';

/** The example queries by id, unescaped from the examples document. */
export function exampleQueries(): Array<{ id: string; query: string }> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'vo-resources', 'tap-examples.xhtml');
  const html = fs.readFileSync(file, 'utf8');
  const out: Array<{ id: string; query: string }> = [];
  for (const m of html.matchAll(/<div typeof="example" id="([^"]+)"[\s\S]*?<pre property="query"[^>]*>([\s\S]*?)<\/pre>/g)) {
    const query = m[2]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    out.push({ id: m[1]!, query });
  }
  return out;
}

/** The README's cone query (issue 15's target: parse + validate + translate under 100 µs median). */
export const README_CONE =
  "SELECT TOP 5 objectId, ra, decl, rPsfMag FROM DC_W13_Stripe82.Object WHERE 1 = CONTAINS(POINT('ICRS', ra, decl), CIRCLE('ICRS', 0.05, 0, 0.1))";

/** Timings of one query, microseconds. */
export interface AdqlTiming {
  id: string;
  /** Means over the same calls, so total = parse + validate + translate. */
  parse: number;
  validate: number;
  translate: number;
  total: number;
  /** Median and 90th percentile of the per-call totals. */
  median: number;
  p90: number;
  calls: number;
}

/**
 * Times parse, validate and translate of each query in one loop: every call runs the three
 * stages in turn on fresh objects (as a request does) and clocks each, so the stage columns
 * add up to the total and all come from the same calls. Runs for about `budgetMs` per query
 * after a warm-up, and at least 200 calls.
 */
export function timeAdql(catalog: Catalog, queries: Array<{ id: string; query: string }>, budgetMs = 300): AdqlTiming[] {
  return queries.map(({ id, query }) => {
    const run = () => translate(validate(parseAdql(query), catalog), { maxrec: 100_000 });
    for (let i = 0; i < 300; i++) run();
    const totals: number[] = [];
    let parse = 0;
    let check = 0;
    let trans = 0;
    const start = performance.now();
    while (totals.length < 200 || performance.now() - start < budgetMs) {
      const t0 = performance.now();
      const ast = parseAdql(query);
      const t1 = performance.now();
      const validated = validate(ast, catalog);
      const t2 = performance.now();
      translate(validated, { maxrec: 100_000 });
      const t3 = performance.now();
      parse += t1 - t0;
      check += t2 - t1;
      trans += t3 - t2;
      totals.push((t3 - t0) * 1000);
    }
    const n = totals.length;
    totals.sort((a, b) => a - b);
    const us = (ms: number) => (ms * 1000) / n;
    return {
      id,
      parse: us(parse),
      validate: us(check),
      translate: us(trans),
      total: us(parse + check + trans),
      median: totals[n >> 1]!,
      p90: totals[Math.floor(n * 0.9)]!,
      calls: n,
    };
  });
}

/** Run the ADQL benchmark and print its table. */
export async function benchAdql(): Promise<void> {
  const server = await benchServer();
  try {
    // The catalog's shape does not depend on the scale; the smallest sample is enough.
    const { db } = await sampleDatabase(server.url, 1);
    const catalog = await loadCatalog(db, { user: null });
    await db.close();
    const rows = timeAdql(catalog, [{ id: 'README cone', query: README_CONE }, ...exampleQueries()]);
    const medians = rows.map((r) => r.median).sort((a, b) => a - b);
    const cone = rows[0]!;
    printTable(
      `ADQL parse + validate + translate (µs per query: stage means over the same calls, which add up to the total, and the median and p90 of those calls; load ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
      ['query', 'parse', 'validate', 'translate', 'total (mean)', 'median', 'p90', 'calls'],
      [
        ...rows.map((r) => [r.id, r.parse, r.validate, r.translate, r.total, r.median, r.p90, r.calls]),
        ['median of the queries', '', '', '', '', medians[medians.length >> 1]!, '', ''],
        ['worst', '', '', '', '', medians[medians.length - 1]!, '', ''],
      ],
    );
    console.log(
      `README cone query: median ${cone.median.toFixed(1)} µs (target: under 100 µs, issue 15) — ${cone.median < 100 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await server.stop();
  }
}
