/**
 * ADQL benchmark: parse, validate and translate time per query, in microseconds, for the
 * example queries the TAP service publishes (vo-resources/tap-examples.xhtml), against an
 * in-memory catalog loaded once from a database. Target: well under a millisecond each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAdql } from '../src/adql/parser.js';
import { validate } from '../src/adql/validator.js';
import { translate } from '../src/adql/translator.js';
import { loadCatalog, type Catalog } from '../src/registry/catalog.js';
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

/** Mean microseconds per call of `fn`, over enough calls to take about `budgetMs`, after a warm-up. */
function microsPerCall(fn: () => unknown, budgetMs = 150): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    elapsed = performance.now() - t0;
  }
  return (elapsed * 1000) / n;
}

/** Per query: parse, validate, translate and total, microseconds. */
export function timeAdql(catalog: Catalog, queries: Array<{ id: string; query: string }>): Array<{ id: string; parse: number; validate: number; translate: number; total: number }> {
  return queries.map(({ id, query }) => {
    const ast = parseAdql(query);
    const validated = validate(ast, catalog);
    return {
      id,
      parse: microsPerCall(() => parseAdql(query)),
      validate: microsPerCall(() => validate(ast, catalog)),
      translate: microsPerCall(() => translate(validated, { maxrec: 100_000 })),
      total: microsPerCall(() => translate(validate(parseAdql(query), catalog), { maxrec: 100_000 })),
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
    const rows = timeAdql(catalog, exampleQueries());
    const sorted = rows.map((r) => r.total).sort((a, b) => a - b);
    printTable(
      `ADQL parse + validate + translate (µs per query; target: well under 1,000; load ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
      ['query', 'parse', 'validate', 'translate', 'total', 'of 1 ms'],
      [
        ...rows.map((r) => [r.id, r.parse, r.validate, r.translate, r.total, `${((r.total / 1000) * 100).toFixed(1)}%`]),
        ['median', '', '', '', sorted[Math.floor(sorted.length / 2)]!, ''],
        ['worst', '', '', '', sorted[sorted.length - 1]!, ''],
      ],
    );
  } finally {
    await server.stop();
  }
}
