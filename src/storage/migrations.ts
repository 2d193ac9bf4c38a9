/** Schema migrations, applied in order at start, each once, under an advisory lock. */
import type { Database } from './database.js';

/** One forward-only schema change. */
interface Migration {
  id: number;
  description: string;
  sql: string;
}

// Internal state lives in schema `vodax`; TAP_SCHEMA is named exactly as TAP requires.
const MIGRATIONS: Migration[] = [
  {
    id: 1,
    description: 'registry, TAP_SCHEMA 1.1, users, jobs',
    sql: `
CREATE SCHEMA IF NOT EXISTS vodax;
CREATE TABLE vodax.databases (
  name        text PRIMARY KEY,
  level       text NOT NULL,
  owner       text NOT NULL,
  description text NOT NULL DEFAULT '',
  annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
  created     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE vodax.tables (
  table_name  text PRIMARY KEY,
  database    text NOT NULL REFERENCES vodax.databases(name) ON DELETE CASCADE,
  pg_schema   text NOT NULL,
  pg_table    text NOT NULL,
  ra_column   text,
  dec_column  text,
  hpx_column  text,
  row_count   bigint,
  annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
  created     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pg_schema, pg_table)
);
CREATE TABLE vodax.users (
  name    text PRIMARY KEY,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE vodax.tokens (
  hash     text PRIMARY KEY,
  username text NOT NULL REFERENCES vodax.users(name) ON DELETE CASCADE,
  created  timestamptz NOT NULL DEFAULT now(),
  revoked  timestamptz
);
CREATE TABLE vodax.shares (
  database text NOT NULL REFERENCES vodax.databases(name) ON DELETE CASCADE,
  username text NOT NULL REFERENCES vodax.users(name) ON DELETE CASCADE,
  PRIMARY KEY (database, username)
);
CREATE TABLE vodax.jobs (
  id                 text PRIMARY KEY,
  kind               text NOT NULL,
  owner              text,
  run_id             text,
  phase              text NOT NULL,
  created            timestamptz NOT NULL DEFAULT now(),
  started            timestamptz,
  ended              timestamptz,
  execution_duration integer NOT NULL,
  destruction        timestamptz NOT NULL,
  quote              timestamptz,
  parameters         jsonb NOT NULL DEFAULT '{}'::jsonb,
  error              jsonb,
  results            jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX jobs_owner_created ON vodax.jobs (owner, created DESC);
CREATE INDEX jobs_phase ON vodax.jobs (phase);
CREATE INDEX jobs_destruction ON vodax.jobs (destruction);

CREATE SCHEMA IF NOT EXISTS "TAP_SCHEMA";
CREATE TABLE "TAP_SCHEMA".schemas (
  schema_name  varchar PRIMARY KEY,
  utype        varchar,
  description  varchar,
  schema_index integer
);
CREATE TABLE "TAP_SCHEMA".tables (
  schema_name varchar NOT NULL REFERENCES "TAP_SCHEMA".schemas(schema_name) ON DELETE CASCADE,
  table_name  varchar PRIMARY KEY,
  table_type  varchar NOT NULL,
  utype       varchar,
  description varchar,
  table_index integer
);
CREATE TABLE "TAP_SCHEMA".columns (
  table_name   varchar NOT NULL REFERENCES "TAP_SCHEMA".tables(table_name) ON DELETE CASCADE,
  column_name  varchar NOT NULL,
  datatype     varchar NOT NULL,
  arraysize    varchar,
  xtype        varchar,
  "size"       integer,
  unit         varchar,
  ucd          varchar,
  utype        varchar,
  description  varchar,
  principal    integer NOT NULL DEFAULT 0,
  indexed      integer NOT NULL DEFAULT 0,
  std          integer NOT NULL DEFAULT 0,
  column_index integer,
  PRIMARY KEY (table_name, column_name)
);
CREATE TABLE "TAP_SCHEMA".keys (
  key_id       varchar PRIMARY KEY,
  from_table   varchar NOT NULL REFERENCES "TAP_SCHEMA".tables(table_name) ON DELETE CASCADE,
  target_table varchar NOT NULL REFERENCES "TAP_SCHEMA".tables(table_name) ON DELETE CASCADE,
  utype        varchar,
  description  varchar
);
CREATE TABLE "TAP_SCHEMA".key_columns (
  key_id        varchar NOT NULL REFERENCES "TAP_SCHEMA".keys(key_id) ON DELETE CASCADE,
  from_column   varchar NOT NULL,
  target_column varchar NOT NULL
);
`,
  },
];

/** Apply every migration not yet applied; safe when several processes start at once. */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(774411)');
    await client.query('CREATE SCHEMA IF NOT EXISTS vodax');
    await client.query(
      'CREATE TABLE IF NOT EXISTS vodax.migrations (id integer PRIMARY KEY, description text NOT NULL, applied timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ id: number }>('SELECT id FROM vodax.migrations')).rows.map((r) => r.id));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO vodax.migrations (id, description) VALUES ($1, $2)', [m.id, m.description]);
      applied.push(m.id);
    }
    return applied;
  });
}
