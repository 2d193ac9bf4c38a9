import { expect } from 'chai';
import { freshDatabase } from '../support/database.js';
import { CatalogCache } from '../../src/catalog/query-catalog.js';
import { Database } from '../../src/storage/database.js';
import { createDatabase, loadTable } from '../../src/ingest/loader.js';

describe('catalog: catalog cache', () => {
  it('serves a cached catalog until any process changes what queries may see, then reloads it', async () => {
    const fresh = await freshDatabase();
    // A second pool stands for another process (the command line) changing the catalog.
    const other = new Database(fresh.url, 2);
    try {
      const cache = new CatalogCache(fresh.db);
      const first = await cache.get({ user: null });
      expect(await cache.get({ user: null })).to.equal(first);
      expect(first.find(null, { name: 'T', delimited: false })).to.have.length(0);
      await other.transaction(async (c) => {
        await createDatabase(c, { name: 'Other', level: 'L2', owner: 'ann', description: '', annotations: {} });
        await loadTable(c, 'Other', { meta: { name: 'T', columns: [{ name: 'x', datatype: 'int' }] }, rows: [[1]] });
      });
      const second = await cache.get({ user: null });
      expect(second).not.to.equal(first);
      expect(second.find(null, { name: 'T', delimited: false })).to.have.length(1);
      // Private data: making the database L3 hides it from others at once.
      await other.query(`UPDATE vodax.databases SET level = 'L3' WHERE name = 'Other'`);
      expect((await cache.get({ user: null })).find(null, { name: 'T', delimited: false })).to.have.length(0);
      expect((await cache.get({ user: 'ann' })).find(null, { name: 'T', delimited: false })).to.have.length(1);
    } finally {
      await other.close();
      await fresh.drop();
    }
  });

  it('moves the version at every committed change, never back, while the changes are kept in a few rows; a long open change holds up none', async () => {
    const fresh = await freshDatabase();
    const other = new Database(fresh.url, 2);
    const writer = await other.connect();
    try {
      const cache = new CatalogCache(fresh.db);
      const versions = new Set<string>();
      const version = async () => (await cache.current({ user: null })).version;
      // A change to what queries may see that changes no row: its statement still counts.
      const change = (c: { query(sql: string): Promise<unknown> }) => c.query(`UPDATE "TAP_SCHEMA".schemas SET description = description WHERE false`);
      const rows = async () => (await fresh.db.query<{ n: number }>('SELECT count(*)::int AS n FROM vodax.catalog_changes'))[0]!.n;
      versions.add(await version());
      for (let i = 0; i < 30; i++) {
        await change(other);
        versions.add(await version());
      }
      expect(versions.size, 'a new version at each commit').to.equal(31);
      expect(await rows(), 'rows kept for 30 changes').to.be.at.most(2);
      // An ingest's long transaction changes the catalog first; others commit changes meanwhile, without waiting on it.
      await writer.query('BEGIN');
      await change(writer);
      for (let i = 0; i < 5; i++) {
        await change(other);
        versions.add(await version());
      }
      expect(versions.size).to.equal(36);
      await writer.query('COMMIT');
      versions.add(await version());
      expect(versions.size, 'the long change moves it at its commit').to.equal(37);
      await change(other);
      versions.add(await version());
      expect(versions.size).to.equal(38);
      expect(await rows()).to.be.at.most(2);
    } finally {
      writer.release();
      await other.close();
      await fresh.drop();
    }
  });

  it('does not keep a catalog loaded while a change was still uncommitted: the committed change is seen next', async () => {
    const fresh = await freshDatabase();
    const other = new Database(fresh.url, 2);
    const writer = await other.connect();
    try {
      const cache = new CatalogCache(fresh.db);
      await cache.get({ user: null });
      await writer.query('BEGIN');
      await createDatabase(writer, { name: 'Slow', level: 'L2', owner: 'ann', description: '', annotations: {} });
      await loadTable(writer, 'Slow', { meta: { name: 'T', columns: [{ name: 'x', datatype: 'int' }] }, rows: [[1]] });
      // Asked while the ingest's transaction is open: not there yet.
      expect((await cache.get({ user: null })).find(null, { name: 'T', delimited: false })).to.have.length(0);
      await writer.query('COMMIT');
      expect((await cache.get({ user: null })).find(null, { name: 'T', delimited: false })).to.have.length(1);
    } finally {
      writer.release();
      await other.close();
      await fresh.drop();
    }
  });
});
