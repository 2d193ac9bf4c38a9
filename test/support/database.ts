/**
 * The database the tests run against: a fresh database on the server TEST_DATABASE_URL names,
 * or on an embedded PostgreSQL in a temporary folder; migrated, with the sample data loaded.
 * Started once for the whole run, on first use, and removed after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { Database } from '../../src/storage/database.js';
import { migrate } from '../../src/storage/migrations.js';
import { startEmbedded } from '../../src/storage/embedded.js';
import { createLogger } from '../../src/log.js';
import { loadSampleData } from '../../src/sample-data/load-sample-data.js';

/** A ready test database and its connection URL. */
export interface TestDatabase {
  db: Database;
  url: string;
}

/**
 * The run's database, one for the whole process however many copies of this module it holds:
 * mocha loads a test file as CommonJS where it can and as an ES module where it must (an
 * ESM-only package, import()), and each of the two module graphs evaluates this file once. A
 * copy with a state of its own started a second server, which the root hook (the other copy's)
 * never stopped.
 */
const state = ((globalThis as Record<symbol, unknown>)[Symbol.for('vodax.test-database')] ??= {}) as {
  ready?: Promise<TestDatabase>;
  teardown?: () => Promise<void>;
};

/** The shared test database (with the sample data), started on first call. */
export function testDatabase(): Promise<TestDatabase> {
  state.ready ??= start();
  return state.ready;
}

/** A new, empty, migrated database on the same server, for tests that need a clean slate. */
export async function freshDatabase(): Promise<TestDatabase & { drop(): Promise<void> }> {
  const { url } = await testDatabase();
  const { db, url: freshUrl, drop } = await createScratch(url);
  await migrate(db);
  return { db, url: freshUrl, drop };
}

/** Create a uniquely named database on the server of `serverUrl`. */
async function createScratch(serverUrl: string): Promise<TestDatabase & { drop(): Promise<void> }> {
  const name = `vodax_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const db = new Database(u.toString(), 10);
  return {
    db,
    url: u.toString(),
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Start the server (or use TEST_DATABASE_URL), create the run's database, load the sample data. */
async function start(): Promise<TestDatabase> {
  const log = createLogger('silent');
  let serverUrl = process.env.TEST_DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let tmp: string | null = null;
  if (!serverUrl) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vodax-test-'));
    fs.chmodSync(tmp, 0o755);
    try {
      const embedded = await startEmbedded(path.join(tmp, 'pg'), 0, log);
      serverUrl = embedded.url;
      stopEmbedded = embedded.stop;
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      // Rejected once, the promise stays rejected: every hook that needs the database fails at once with this.
      throw new Error(`the test database could not be started: ${(e as Error).message}`);
    }
  }
  const scratch = await createScratch(serverUrl);
  await migrate(scratch.db);
  await loadSampleData(scratch.db);
  state.teardown = async () => {
    // Each step even when one before it fails: a failed drop left the embedded server running.
    try {
      await scratch.drop();
    } finally {
      try {
        await stopEmbedded?.();
      } finally {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
  };
  return { db: scratch.db, url: scratch.url };
}

/** Mocha root hooks: remove the test database after the run. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await state.teardown?.();
  },
};
