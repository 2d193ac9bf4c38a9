/**
 * The ADQL 2.1 grammar corpus (grammar-corpus.ts) against both checkers: the offline
 * `vodax adql check` (no catalog) and the server (the validator with the sample catalog from
 * the database, then the translation EXPLAINed on PostgreSQL). They agree on every query, and
 * with the corpus' own verdict.
 */
import { expect } from 'chai';
import { testDatabase } from '../support/database.js';
import { loadCatalog, type Catalog } from '../../src/catalog/query-catalog.js';
import type { Database } from '../../src/storage/database.js';
import { parseAdql } from '../../src/adql/parser.js';
import { validate } from '../../src/adql/validator.js';
import { translate } from '../../src/adql/translator.js';
import { checkAdql } from '../../src/cli/adql.js';
import { QuerySyntaxError } from '../../src/errors.js';
import { GRAMMAR_CORPUS } from './grammar-corpus.js';

describe('ADQL 2.1 grammar corpus: adql check (offline) and the server agree', function () {
  this.timeout(300_000);
  let db: Database;
  let catalog: Catalog;

  before(async () => {
    ({ db } = await testDatabase());
    catalog = await loadCatalog(db, { user: null });
  });

  it('has at least 400 queries, valid and invalid, over every production group', () => {
    expect(GRAMMAR_CORPUS.length).to.be.at.least(400);
    expect(GRAMMAR_CORPUS.filter((q) => q.valid).length).to.be.at.least(150);
    expect(GRAMMAR_CORPUS.filter((q) => !q.valid).length).to.be.at.least(150);
    expect(new Set(GRAMMAR_CORPUS.map((q) => q.production)).size).to.be.at.least(20);
  });

  it('gives the same verdict offline and on the server, the corpus verdict, with line and column for errors', async () => {
    const disagreements: string[] = [];
    for (const c of GRAMMAR_CORPUS) {
      const offline = checkAdql(c.query, 'whole')[0]!;
      let server = 'VALID';
      try {
        const t = translate(validate(parseAdql(c.query), catalog), { maxrec: 10 });
        // PostgreSQL accepts the translation (planned, not run).
        await db.query(`EXPLAIN ${t.sql}`, t.params);
      } catch (e) {
        if (!(e instanceof QuerySyntaxError)) throw new Error(`${c.query}: ${(e as Error).message}`);
        server = `line ${e.line}, column ${e.column}: ${e.detail}`;
        expect(e.line, c.query).to.be.at.least(1);
        expect(e.column, c.query).to.be.at.least(1);
      }
      const offlineVerdict = offline.ok ? 'VALID' : offline.message;
      if ((server === 'VALID') !== c.valid || (offlineVerdict === 'VALID') !== c.valid) {
        disagreements.push(`${c.production} | ${JSON.stringify(c.query)} | corpus ${c.valid ? 'VALID' : 'INVALID'} | server ${server} | offline ${offlineVerdict}`);
      }
    }
    expect(disagreements).to.deep.equal([]);
  });
});
