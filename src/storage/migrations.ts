/** Schema migrations, applied in order at start, each once, under an advisory lock. */
import type { Database } from './database.js';
import { GEOMETRY_FUNCTIONS_SQL } from '../adql/sql-functions.js';

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
  {
    id: 2,
    description: 'TAP_SCHEMA describes itself (TAP 1.1 section 4)',
    sql: `
INSERT INTO "TAP_SCHEMA".schemas (schema_name, description, schema_index) VALUES ('TAP_SCHEMA', 'a description of the tables and columns available through this TAP service', 100000);
INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type, description, table_index) VALUES ('TAP_SCHEMA', 'TAP_SCHEMA.schemas', 'table', 'description of schemas in this tableset', 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.schemas', 'schema_name', 'char', '*', 'schema name, possibly qualified', 1, 1, 1, 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.schemas', 'utype', 'char', '*', 'lists the utypes of schemas', 1, 0, 1, 1);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.schemas', 'description', 'char', '*', 'describes schemas in the tableset', 1, 0, 1, 2);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.schemas', 'schema_index', 'int', NULL, 'recommended sort order when listing schemas', 1, 0, 1, 3);
INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type, description, table_index) VALUES ('TAP_SCHEMA', 'TAP_SCHEMA.tables', 'table', 'description of tables in this tableset', 1);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.tables', 'schema_name', 'char', '*', 'the schema name from TAP_SCHEMA.schemas', 1, 0, 1, 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.tables', 'table_name', 'char', '*', 'table name as it should be used in queries', 1, 1, 1, 1);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.tables', 'table_type', 'char', '*', 'one of: table, view', 1, 0, 1, 2);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.tables', 'utype', 'char', '*', 'lists the utype of tables in the tableset', 1, 0, 1, 3);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.tables', 'description', 'char', '*', 'describes tables in the tableset', 1, 0, 1, 4);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.tables', 'table_index', 'int', NULL, 'recommended sort order when listing tables', 1, 0, 1, 5);
INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type, description, table_index) VALUES ('TAP_SCHEMA', 'TAP_SCHEMA.columns', 'table', 'description of columns in this tableset', 2);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'table_name', 'char', '*', 'table name from TAP_SCHEMA.tables', 1, 0, 1, 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'column_name', 'char', '*', 'column name', 1, 0, 1, 1);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'datatype', 'char', '*', 'an XType or a TAP type', 1, 0, 1, 2);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'arraysize', 'char', '*', 'length of variable length datatypes', 1, 0, 1, 3);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'xtype', 'char', '*', 'a DALI or custom extended type annotation', 1, 0, 1, 4);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'size', 'int', NULL, 'length of variable length datatypes (deprecated; see arraysize)', 1, 0, 1, 5);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'unit', 'char', '*', 'unit in VO standard format', 1, 0, 1, 6);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'ucd', 'char', '*', 'UCD of column if any', 1, 0, 1, 7);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'utype', 'char', '*', 'utype of column if any', 1, 0, 1, 8);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'description', 'char', '*', 'brief description of column', 1, 0, 1, 9);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'principal', 'int', NULL, 'a principal column; 1 means true, 0 means false', 1, 0, 1, 10);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'indexed', 'int', NULL, 'an indexed column; 1 means true, 0 means false', 1, 0, 1, 11);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'std', 'int', NULL, 'a standard column; 1 means true, 0 means false', 1, 0, 1, 12);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', 'column_index', 'int', NULL, 'recommended sort order when listing columns', 1, 0, 1, 13);
INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type, description, table_index) VALUES ('TAP_SCHEMA', 'TAP_SCHEMA.keys', 'table', 'description of foreign keys in this tableset', 3);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.keys', 'key_id', 'char', '*', 'unique key identifier', 1, 1, 1, 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.keys', 'from_table', 'char', '*', 'fully qualified table name', 1, 0, 1, 1);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.keys', 'target_table', 'char', '*', 'fully qualified table name', 1, 0, 1, 2);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.keys', 'utype', 'char', '*', 'lists the utype of keys in the tableset', 1, 0, 1, 3);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.keys', 'description', 'char', '*', 'describes keys in the tableset', 1, 0, 1, 4);
INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type, description, table_index) VALUES ('TAP_SCHEMA', 'TAP_SCHEMA.key_columns', 'table', 'description of foreign key columns in this tableset', 4);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.key_columns', 'key_id', 'char', '*', 'unique key identifier', 1, 0, 1, 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.key_columns', 'from_column', 'char', '*', 'key column name in the from_table', 1, 0, 1, 1);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.key_columns', 'target_column', 'char', '*', 'key column name in the target_table', 1, 0, 1, 2);
INSERT INTO "TAP_SCHEMA".keys (key_id, from_table, target_table) VALUES ('TAP_SCHEMA.tables(schema_name)->TAP_SCHEMA.schemas', 'TAP_SCHEMA.tables', 'TAP_SCHEMA.schemas');
INSERT INTO "TAP_SCHEMA".key_columns (key_id, from_column, target_column) VALUES ('TAP_SCHEMA.tables(schema_name)->TAP_SCHEMA.schemas', 'schema_name', 'schema_name');
INSERT INTO "TAP_SCHEMA".keys (key_id, from_table, target_table) VALUES ('TAP_SCHEMA.columns(table_name)->TAP_SCHEMA.tables', 'TAP_SCHEMA.columns', 'TAP_SCHEMA.tables');
INSERT INTO "TAP_SCHEMA".key_columns (key_id, from_column, target_column) VALUES ('TAP_SCHEMA.columns(table_name)->TAP_SCHEMA.tables', 'table_name', 'table_name');
INSERT INTO "TAP_SCHEMA".keys (key_id, from_table, target_table) VALUES ('TAP_SCHEMA.keys(from_table)->TAP_SCHEMA.tables', 'TAP_SCHEMA.keys', 'TAP_SCHEMA.tables');
INSERT INTO "TAP_SCHEMA".key_columns (key_id, from_column, target_column) VALUES ('TAP_SCHEMA.keys(from_table)->TAP_SCHEMA.tables', 'from_table', 'table_name');
INSERT INTO "TAP_SCHEMA".keys (key_id, from_table, target_table) VALUES ('TAP_SCHEMA.keys(target_table)->TAP_SCHEMA.tables', 'TAP_SCHEMA.keys', 'TAP_SCHEMA.tables');
INSERT INTO "TAP_SCHEMA".key_columns (key_id, from_column, target_column) VALUES ('TAP_SCHEMA.keys(target_table)->TAP_SCHEMA.tables', 'target_table', 'table_name');
INSERT INTO "TAP_SCHEMA".keys (key_id, from_table, target_table) VALUES ('TAP_SCHEMA.key_columns(key_id)->TAP_SCHEMA.keys', 'TAP_SCHEMA.key_columns', 'TAP_SCHEMA.keys');
INSERT INTO "TAP_SCHEMA".key_columns (key_id, from_column, target_column) VALUES ('TAP_SCHEMA.key_columns(key_id)->TAP_SCHEMA.keys', 'key_id', 'key_id');
`,
  },
  {
    id: 3,
    description: 'token prefixes (to revoke one token by what its holder sees), token lookup by user',
    sql: `
ALTER TABLE vodax.tokens ADD COLUMN prefix text;
CREATE INDEX tokens_username ON vodax.tokens (username);
`,
  },
  {
    id: 5,
    description: 'ADQL geometry functions: spherical distance, polygon tests, HEALPix neighbours',
    sql: GEOMETRY_FUNCTIONS_SQL,
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
