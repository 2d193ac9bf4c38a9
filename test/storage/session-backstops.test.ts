/** The pool's session-wide backstops end what a bug would leave behind, and only that. */
import { expect } from 'chai';
import { Database } from '../../src/storage/database.js';
import { testDatabase } from '../support/database.js';

describe('storage: session backstops', () => {
  it('a transaction left idle past idleInTransactionTimeoutMs is ended by PostgreSQL, and its connection is not reused', async () => {
    const { url } = await testDatabase();
    const db = new Database(url, 2, { idleInTransactionTimeoutMs: 300 });
    try {
      const client = await db.connect();
      await client.query('BEGIN');
      await new Promise((r) => setTimeout(r, 1000));
      const failure = await client.query('SELECT 1').then(
        () => null,
        (e: Error) => e,
      );
      expect(failure?.message).to.match(/idle-in-transaction timeout|terminat|connection error/i);
      client.release();
      // The broken connection was discarded (its error was kept for the release): the next works.
      expect(await db.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('a statement past statementTimeoutMs is cancelled, while a read-only query sets its own longer timeout', async () => {
    const { url } = await testDatabase();
    const db = new Database(url, 2, { statementTimeoutMs: 200 });
    try {
      const slow = await db.query('SELECT pg_sleep(1)').then(
        () => null,
        (e: Error) => e,
      );
      expect(slow?.message).to.match(/cancel/i);
      const rows: unknown[][] = [];
      for await (const batch of db.streamReadOnly('SELECT pg_sleep(0.5), 7', [], { timeoutMs: 5000 })) rows.push(...batch);
      expect(rows).to.have.length(1);
      expect(rows[0]![1]).to.equal(7);
    } finally {
      await db.close();
    }
  });
});
