/** Schema migrations, applied in order at start, each once, under an advisory lock. */
import type { Database } from './database.js';
import { GEOMETRY_FUNCTIONS_SQL } from './sql/geometry-functions.js';
import { REGION_FUNCTIONS_SQL } from './sql/region-functions.js';

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
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, description, principal, indexed, std, column_index) VALUES ('TAP_SCHEMA.columns', '"size"', 'int', NULL, 'length of variable length datatypes (deprecated; see arraysize)', 1, 0, 1, 5);
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
    id: 4,
    description: 'images: vodax.images, and ivoa.obscore (ObsCore 1.1) as a view over it, described in TAP_SCHEMA',
    sql: `
CREATE TABLE vodax.images (
  id              integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  level           text NOT NULL,
  collection      text NOT NULL,
  kind            text NOT NULL,
  owner           text NOT NULL,
  created         timestamptz NOT NULL DEFAULT now(),
  path            text NOT NULL UNIQUE,
  file_bytes      bigint NOT NULL,
  planes          text[] NOT NULL,
  hdus            jsonb NOT NULL,
  naxis1          integer NOT NULL,
  naxis2          integer NOT NULL,
  bitpix          integer NOT NULL,
  compressed      boolean NOT NULL DEFAULT false,
  wcs             jsonb NOT NULL,
  ra              double precision NOT NULL,
  dec             double precision NOT NULL,
  fov             double precision NOT NULL,
  footprint       double precision[] NOT NULL,
  pixel_scale     double precision NOT NULL,
  hpx             bigint NOT NULL,
  band            text,
  em_min          double precision,
  em_max          double precision,
  t_min           double precision,
  t_max           double precision,
  exptime         double precision,
  fwhm            double precision,
  tract           integer,
  patch           text,
  visit           bigint,
  ccd             integer,
  source_id       bigint,
  facility_name   text,
  instrument_name text,
  access_url      text NOT NULL,
  annotations     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX images_listing ON vodax.images (level, collection, kind, id);
CREATE INDEX images_hpx ON vodax.images (hpx);
CREATE INDEX images_coadd ON vodax.images (tract, patch, band);

CREATE SCHEMA IF NOT EXISTS ivoa;
CREATE VIEW ivoa.obscore AS
SELECT
  'image'::text AS dataproduct_type,
  i.kind AS dataproduct_subtype,
  CASE WHEN i.kind IN ('raw', 'bias', 'dark', 'flat') THEN 1 WHEN i.kind IN ('deepCoadd', 'template') THEN 3 ELSE 2 END AS calib_level,
  i.collection AS obs_collection,
  i.kind || '-' || COALESCE(i.source_id::text, i.id::text) AS obs_id,
  'ivo://vodax/image?' || i.id AS obs_publisher_did,
  i.access_url,
  'image/fits'::text AS access_format,
  ceil(i.file_bytes / 1024.0)::bigint AS access_estsize,
  NULL::text AS target_name,
  i.ra AS s_ra,
  i.dec AS s_dec,
  i.fov AS s_fov,
  'POLYGON ICRS ' || array_to_string(i.footprint, ' ') AS s_region,
  i.fwhm AS s_resolution,
  i.naxis1::bigint AS s_xel1,
  i.naxis2::bigint AS s_xel2,
  i.pixel_scale AS s_pixel_scale,
  i.t_min,
  i.t_max,
  i.exptime AS t_exptime,
  i.exptime AS t_resolution,
  1::bigint AS t_xel,
  i.em_min,
  i.em_max,
  CASE WHEN i.em_max > i.em_min THEN (i.em_min + i.em_max) / 2 / (i.em_max - i.em_min) END AS em_res_power,
  1::bigint AS em_xel,
  'em.wl'::text AS em_ucd,
  'phot.count'::text AS o_ucd,
  NULL::text AS pol_states,
  NULL::bigint AS pol_xel,
  i.facility_name,
  i.instrument_name,
  i.hpx AS vodax_hpx,
  i.id AS vodax_image_id
FROM vodax.images i
WHERE i.level <> 'L3';

INSERT INTO "TAP_SCHEMA".schemas (schema_name, description, schema_index) VALUES ('ivoa', 'IVOA standard tables: the ObsCore 1.1 table of the images this service holds', 1);
INSERT INTO "TAP_SCHEMA".tables (schema_name, table_name, table_type, utype, description, table_index) VALUES ('ivoa', 'ivoa.obscore', 'view', 'ivo://ivoa.net/std/obscore#table-1.1', 'ObsCore 1.1: one row per public image (calexp, deepCoadd, ...), with its footprint, band, time and access URL', 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'dataproduct_type', 'char', '*', NULL, NULL, 'meta.code.class', 'obscore:ObsDataset.dataProductType', 'data product (file content) primary type: image', 1, 0, 1, 0);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'dataproduct_subtype', 'char', '*', NULL, NULL, 'meta.code.class', 'obscore:ObsDataset.dataProductSubtype', 'data product specific type: the LSST image kind (calexp, deepCoadd, ...)', 0, 0, 1, 1);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'calib_level', 'int', NULL, NULL, NULL, 'meta.code;obs.calib', 'obscore:ObsDataset.calibLevel', 'calibration level: 1 raw, 2 calibrated (calexp), 3 enhanced (coadd)', 1, 0, 1, 2);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'obs_collection', 'char', '*', NULL, NULL, 'meta.id', 'obscore:DataID.Collection', 'name of the data collection', 1, 0, 1, 3);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'obs_id', 'char', '*', NULL, NULL, 'meta.id', 'obscore:DataID.observationID', 'internal ID given by the ObsTAP service', 1, 0, 1, 4);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'obs_publisher_did', 'char', '*', NULL, NULL, 'meta.ref.ivoid', 'obscore:Curation.PublisherDID', 'ID for the Dataset given by the publisher', 1, 1, 1, 5);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'access_url', 'char', '*', NULL, NULL, 'meta.ref.url', 'obscore:Access.Reference', 'URL used to access the dataset', 1, 0, 1, 6);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'access_format', 'char', '*', NULL, NULL, 'meta.code.mime', 'obscore:Access.Format', 'content format of the dataset', 1, 0, 1, 7);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'access_estsize', 'long', NULL, NULL, 'kbyte', 'phys.size;meta.file', 'obscore:Access.Size', 'estimated size of the dataset in kilobytes', 1, 0, 1, 8);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'target_name', 'char', '*', NULL, NULL, 'meta.id;src', 'obscore:Target.Name', 'object of interest', 1, 0, 1, 9);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_ra', 'double', NULL, NULL, 'deg', 'pos.eq.ra', 'obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1', 'central right ascension, ICRS', 1, 0, 1, 10);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_dec', 'double', NULL, NULL, 'deg', 'pos.eq.dec', 'obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2', 'central declination, ICRS', 1, 0, 1, 11);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_fov', 'double', NULL, NULL, 'deg', 'phys.angSize;instr.fov', 'obscore:Char.SpatialAxis.Coverage.Bounds.Extent.diameter', 'diameter (bounds) of the covered region', 1, 0, 1, 12);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_region', 'char', '*', 'adql:REGION', NULL, 'pos.outline;obs.field', 'obscore:Char.SpatialAxis.Coverage.Support.Area', 'sky region covered by the data product, STC-S: POLYGON ICRS then ra dec (deg) of each corner', 1, 0, 1, 13);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_resolution', 'double', NULL, NULL, 'arcsec', 'pos.angResolution', 'obscore:Char.SpatialAxis.Resolution.Refval.value', 'spatial resolution of data as FWHM', 1, 0, 1, 14);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_xel1', 'long', NULL, NULL, NULL, 'meta.number', 'obscore:Char.SpatialAxis.numBins1', 'number of elements along the first spatial axis', 1, 0, 1, 15);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_xel2', 'long', NULL, NULL, NULL, 'meta.number', 'obscore:Char.SpatialAxis.numBins2', 'number of elements along the second spatial axis', 1, 0, 1, 16);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 's_pixel_scale', 'double', NULL, NULL, 'arcsec', 'phys.angSize;instr.pixel', 'obscore:Char.SpatialAxis.Sampling.RefVal.SamplingPeriod', 'sampling period in world coordinate units along the spatial axis', 0, 0, 1, 17);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 't_min', 'double', NULL, NULL, 'd', 'time.start;obs.exposure', 'obscore:Char.TimeAxis.Coverage.Bounds.Limits.StartTime', 'start time in MJD', 1, 0, 1, 18);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 't_max', 'double', NULL, NULL, 'd', 'time.end;obs.exposure', 'obscore:Char.TimeAxis.Coverage.Bounds.Limits.StopTime', 'stop time in MJD', 1, 0, 1, 19);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 't_exptime', 'double', NULL, NULL, 's', 'time.duration;obs.exposure', 'obscore:Char.TimeAxis.Coverage.Support.Extent', 'total exposure time', 1, 0, 1, 20);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 't_resolution', 'double', NULL, NULL, 's', 'time.resolution', 'obscore:Char.TimeAxis.Resolution.Refval.value', 'temporal resolution FWHM', 1, 0, 1, 21);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 't_xel', 'long', NULL, NULL, NULL, 'meta.number', 'obscore:Char.TimeAxis.numBins', 'number of elements along the time axis', 1, 0, 1, 22);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'em_min', 'double', NULL, NULL, 'm', 'em.wl;stat.min', 'obscore:Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit', 'start in spectral coordinates (vacuum wavelength)', 1, 0, 1, 23);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'em_max', 'double', NULL, NULL, 'm', 'em.wl;stat.max', 'obscore:Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit', 'stop in spectral coordinates (vacuum wavelength)', 1, 0, 1, 24);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'em_res_power', 'double', NULL, NULL, NULL, 'spect.resolution', 'obscore:Char.SpectralAxis.Resolution.ResolPower.refVal', 'spectral resolving power', 1, 0, 1, 25);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'em_xel', 'long', NULL, NULL, NULL, 'meta.number', 'obscore:Char.SpectralAxis.numBins', 'number of elements along the spectral axis', 1, 0, 1, 26);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'em_ucd', 'char', '*', NULL, NULL, 'meta.ucd', 'obscore:Char.SpectralAxis.ucd', 'nature of the spectral axis', 0, 0, 1, 27);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'o_ucd', 'char', '*', NULL, NULL, 'meta.ucd', 'obscore:Char.ObservableAxis.ucd', 'UCD of observable (e.g. phot.flux.density, phot.count)', 1, 0, 1, 28);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'pol_states', 'char', '*', NULL, NULL, 'meta.code;phys.polarization', 'obscore:Char.PolarizationAxis.stateList', 'list of polarization states or NULL if not applicable', 1, 0, 1, 29);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'pol_xel', 'long', NULL, NULL, NULL, 'meta.number', 'obscore:Char.PolarizationAxis.numBins', 'number of polarization samples', 1, 0, 1, 30);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'facility_name', 'char', '*', NULL, NULL, 'meta.id;instr.tel', 'obscore:Provenance.ObsConfig.Facility.name', 'name of the facility used for this observation', 1, 0, 1, 31);
INSERT INTO "TAP_SCHEMA".columns (table_name, column_name, datatype, arraysize, xtype, unit, ucd, utype, description, principal, indexed, std, column_index) VALUES ('ivoa.obscore', 'instrument_name', 'char', '*', NULL, NULL, 'meta.id;instr', 'obscore:Provenance.ObsConfig.Instrument.name', 'name of the instrument used for this observation', 1, 0, 1, 32);
`,
  },
  {
    id: 5,
    description: 'ADQL geometry functions: spherical distance, polygon tests, HEALPix neighbours',
    sql: GEOMETRY_FUNCTIONS_SQL,
  },
  {
    id: 6,
    description: 'who may see what (one rule), TAP_SCHEMA as each caller sees it; ivoa.obscore positions',
    // Queries read TAP_SCHEMA through these views; the caller is set per transaction in vodax.viewer.
    sql: `
CREATE FUNCTION vodax.schema_visible_to(schema_name text, viewer text) RETURNS boolean
  LANGUAGE sql STABLE AS $fn$
  SELECT NOT EXISTS (
    SELECT 1 FROM vodax.databases d
    WHERE d.name = schema_name AND d.level = 'L3'
      AND d.owner IS DISTINCT FROM viewer
      AND NOT EXISTS (SELECT 1 FROM vodax.shares s WHERE s.database = d.name AND s.username = viewer))
$fn$;
CREATE FUNCTION vodax.schema_visible(schema_name text) RETURNS boolean
  LANGUAGE sql STABLE AS $fn$
  SELECT vodax.schema_visible_to(schema_name, nullif(current_setting('vodax.viewer', true), ''))
$fn$;
CREATE FUNCTION vodax.table_visible(tap_table text) RETURNS boolean
  LANGUAGE sql STABLE AS $fn$
  SELECT EXISTS (SELECT 1 FROM "TAP_SCHEMA".tables t WHERE t.table_name = tap_table AND vodax.schema_visible(t.schema_name))
$fn$;
CREATE SCHEMA vodax_tap;
CREATE VIEW vodax_tap.schemas AS SELECT * FROM "TAP_SCHEMA".schemas WHERE vodax.schema_visible(schema_name);
CREATE VIEW vodax_tap.tables AS SELECT * FROM "TAP_SCHEMA".tables WHERE vodax.schema_visible(schema_name);
CREATE VIEW vodax_tap.columns AS SELECT * FROM "TAP_SCHEMA".columns WHERE vodax.table_visible(table_name);
CREATE VIEW vodax_tap.keys AS SELECT * FROM "TAP_SCHEMA".keys
  WHERE vodax.table_visible(from_table) AND vodax.table_visible(target_table);
CREATE VIEW vodax_tap.key_columns AS SELECT kc.* FROM "TAP_SCHEMA".key_columns kc
  WHERE EXISTS (SELECT 1 FROM vodax_tap.keys k WHERE k.key_id = kc.key_id);
ALTER TABLE vodax.tables ALTER COLUMN database DROP NOT NULL;
INSERT INTO vodax.tables (table_name, database, pg_schema, pg_table, ra_column, dec_column, hpx_column)
  VALUES ('ivoa.obscore', NULL, 'ivoa', 'obscore', 's_ra', 's_dec', 'vodax_hpx');
`,
  },
  {
    id: 7,
    description: 'ADQL regions: vodax.stcs_polygon reads STC-S text (adql:REGION columns such as ivoa.obscore.s_region) as a polygon',
    sql: REGION_FUNCTIONS_SQL,
  },
  {
    id: 8,
    description: 'a catalog version that every change to what queries may see moves on',
    // Servers cache catalogs and compare this number per request, so a table ingested or a share
    // revoked from another process (the command line) takes effect at once.
    sql: `
CREATE SEQUENCE vodax.catalog_version;
CREATE FUNCTION vodax.bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM nextval('vodax.catalog_version');
  RETURN NULL;
END
$fn$;
CREATE TRIGGER bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "TAP_SCHEMA".schemas FOR EACH STATEMENT EXECUTE FUNCTION vodax.bump_catalog_version();
CREATE TRIGGER bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "TAP_SCHEMA".tables FOR EACH STATEMENT EXECUTE FUNCTION vodax.bump_catalog_version();
CREATE TRIGGER bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "TAP_SCHEMA".columns FOR EACH STATEMENT EXECUTE FUNCTION vodax.bump_catalog_version();
CREATE TRIGGER bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vodax.databases FOR EACH STATEMENT EXECUTE FUNCTION vodax.bump_catalog_version();
CREATE TRIGGER bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vodax.tables FOR EACH STATEMENT EXECUTE FUNCTION vodax.bump_catalog_version();
CREATE TRIGGER bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vodax.shares FOR EACH STATEMENT EXECUTE FUNCTION vodax.bump_catalog_version();
`,
  },
  {
    id: 9,
    description: 'ivoa.obscore.access_url: the DataLink document, at the base URL of each query; jobs keep the base URL they were submitted at',
    // The base URL is set per transaction (vodax.base_url, beside vodax.viewer); a query that sets
    // none (psql) gets the base the image was registered with. vodax.images.access_url stays the
    // image's own URL (M13 "url", image job explain).
    sql: `
ALTER TABLE vodax.jobs ADD COLUMN base_url text;
CREATE OR REPLACE VIEW ivoa.obscore AS
SELECT
  'image'::text AS dataproduct_type,
  i.kind AS dataproduct_subtype,
  CASE WHEN i.kind IN ('raw', 'bias', 'dark', 'flat') THEN 1 WHEN i.kind IN ('deepCoadd', 'template') THEN 3 ELSE 2 END AS calib_level,
  i.collection AS obs_collection,
  i.kind || '-' || COALESCE(i.source_id::text, i.id::text) AS obs_id,
  'ivo://vodax/image?' || i.id AS obs_publisher_did,
  COALESCE(NULLIF(current_setting('vodax.base_url', true), ''), regexp_replace(i.access_url, '/image/v0/.*$', ''))
    || '/image/v0/datalink/links?ID=ivo%3A%2F%2Fvodax%2Fimage%3F' || i.id AS access_url,
  'application/x-votable+xml;content=datalink'::text AS access_format,
  ceil(i.file_bytes / 1024.0)::bigint AS access_estsize,
  NULL::text AS target_name,
  i.ra AS s_ra,
  i.dec AS s_dec,
  i.fov AS s_fov,
  'POLYGON ICRS ' || array_to_string(i.footprint, ' ') AS s_region,
  i.fwhm AS s_resolution,
  i.naxis1::bigint AS s_xel1,
  i.naxis2::bigint AS s_xel2,
  i.pixel_scale AS s_pixel_scale,
  i.t_min,
  i.t_max,
  i.exptime AS t_exptime,
  i.exptime AS t_resolution,
  1::bigint AS t_xel,
  i.em_min,
  i.em_max,
  CASE WHEN i.em_max > i.em_min THEN (i.em_min + i.em_max) / 2 / (i.em_max - i.em_min) END AS em_res_power,
  1::bigint AS em_xel,
  'em.wl'::text AS em_ucd,
  'phot.count'::text AS o_ucd,
  NULL::text AS pol_states,
  NULL::bigint AS pol_xel,
  i.facility_name,
  i.instrument_name,
  i.hpx AS vodax_hpx,
  i.id AS vodax_image_id
FROM vodax.images i
WHERE i.level <> 'L3';
UPDATE "TAP_SCHEMA".columns SET description = 'URL of the DataLink document of the dataset: its files, preview, planes and cutout service'
  WHERE table_name = 'ivoa.obscore' AND column_name = 'access_url';
UPDATE "TAP_SCHEMA".columns SET description = 'content format of access_url: a DataLink document'
  WHERE table_name = 'ivoa.obscore' AND column_name = 'access_format';
`,
  },
  {
    id: 10,
    description: 'jobs across vodax processes: the instance running each job, and a notification on every change of phase',
    // runner: the vodax.instances id of the process executing the job, so a process starting or
    // sweeping fails only the jobs of processes that are gone. The notification ('<id> <phase>',
    // or '<id> DELETED') lets every process see changes made by another: WAIT wakes, ABORT and
    // deletion reach the process running the job, a job queued elsewhere is claimed here too.
    sql: `
ALTER TABLE vodax.jobs ADD COLUMN runner text;
CREATE FUNCTION vodax.notify_job_phase() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('vodax_jobs', OLD.id || ' DELETED');
  ELSIF NEW.phase IS DISTINCT FROM OLD.phase THEN
    PERFORM pg_notify('vodax_jobs', NEW.id || ' ' || NEW.phase);
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER notify_job_phase AFTER UPDATE OF phase OR DELETE ON vodax.jobs FOR EACH ROW EXECUTE FUNCTION vodax.notify_job_phase();
`,
  },
  {
    id: 11,
    description: 'sharded catalogs: the shard servers (postgres_fdw) and the partitions of each sharded table',
    // Credentials live only in the foreign server's user mapping, never in these tables.
    sql: `
CREATE TABLE vodax.shards (
  name   text PRIMARY KEY,
  server text NOT NULL UNIQUE,
  host   text NOT NULL,
  port   integer NOT NULL,
  dbname text NOT NULL,
  added  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE vodax.shard_partitions (
  pg_schema    text NOT NULL,
  pg_table     text NOT NULL,
  partition    text NOT NULL,
  shard        text NOT NULL REFERENCES vodax.shards (name),
  remote_table text NOT NULL,
  hpx_lo       bigint NOT NULL,
  hpx_hi       bigint NOT NULL,
  PRIMARY KEY (pg_schema, pg_table, partition)
);
`,
  },
  {
    id: 12,
    description: 'the catalog version moves on when the partitions of a sharded table change',
    // Catalogs name a sharded table's partitions (the translator pushes aggregates down to each).
    sql: `
CREATE TRIGGER bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vodax.shard_partitions FOR EACH STATEMENT EXECUTE FUNCTION vodax.bump_catalog_version();
`,
  },
  {
    id: 13,
    description: 'a job inserted QUEUED (PHASE=RUN at creation, one statement) is announced like one queued later',
    sql: `
CREATE FUNCTION vodax.notify_job_queued() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('vodax_jobs', NEW.id || ' QUEUED');
  RETURN NULL;
END
$fn$;
CREATE TRIGGER notify_job_queued AFTER INSERT ON vodax.jobs FOR EACH ROW WHEN (NEW.phase = 'QUEUED') EXECUTE FUNCTION vodax.notify_job_queued();
`,
  },
  {
    id: 14,
    description: 'the catalog version counts committed catalog changes: a catalog loaded during an open change is not kept past its commit',
    // The sequence moves when a change is made, not when it commits: a catalog read between the
    // two (the old tables) was kept under the new version. A row per changing transaction is
    // seen only once it commits, so their count moves at the commit.
    sql: `
CREATE TABLE vodax.catalog_changes (txid xid8 PRIMARY KEY DEFAULT pg_current_xact_id());
CREATE OR REPLACE FUNCTION vodax.bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM nextval('vodax.catalog_version');
  INSERT INTO vodax.catalog_changes DEFAULT VALUES ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$fn$;
`,
  },
  {
    id: 15,
    description: 'a query checked against a cached catalog stops at once when the catalog has moved on since',
    // Called in the query's own transaction before anything that names its tables (a dropped
    // table would fail first, with a less helpful message), instead of a round trip per query.
    sql: `
CREATE FUNCTION vodax.catalog_version() RETURNS text LANGUAGE sql STABLE AS $fn$
  SELECT last_value::text || CASE WHEN is_called THEN 'c' ELSE '' END || '.' || (SELECT count(*) FROM vodax.catalog_changes) FROM vodax.catalog_version
$fn$;
CREATE FUNCTION vodax.expect_catalog_version(expected text) RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  IF vodax.catalog_version() IS DISTINCT FROM expected THEN
    RAISE EXCEPTION 'the catalog moved on' USING ERRCODE = 'VXCAT';
  END IF;
  RETURN true;
END
$fn$;
`,
  },
  {
    id: 16,
    description: "the text fast paths' rewrite of a float's text into JavaScript's form, as a function PostgreSQL may run in parallel workers",
    // Written inline, this was a scalar subquery per float column, and an expression with a
    // subquery is never run by a parallel worker: the whole COPY's formatting ran in one process.
    // t is the float's text, x its value as float8; double_precision picks the float8 rounding.
    sql: `
CREATE FUNCTION vodax.js_number_rewrite(t text, x float8, double_precision boolean) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
SELECT CASE
 WHEN e >= 21 OR e <= -7 THEN s || left(d, 1) || CASE WHEN length(d) > 1 THEN '.' || substr(d, 2) ELSE '' END || 'e' || CASE WHEN e < 0 THEN '-' ELSE '+' END || abs(e)::text
 WHEN e < 0 THEN s || '0.' || repeat('0', -e - 1) || d
 WHEN length(d) <= e + 1 THEN s || d || repeat('0', e + 1 - length(d))
 ELSE s || left(d, e + 1) || '.' || substr(d, e + 2) END
FROM (SELECT s, CASE WHEN c IS NULL THEN d0 ELSE rtrim(ltrim(c::text, '-'), '0') END AS d,
             CASE WHEN c IS NULL THEN e0 ELSE length(ltrim(c::text, '-')) - 1 END AS e
  FROM (SELECT s, d0, e0,
               CASE WHEN double_precision AND e0 >= 15 THEN (SELECT r.c FROM generate_series(1, 16) AS k, LATERAL (SELECT round(t::numeric, k - 1 - e0) AS c) AS r
                 WHERE k < length(d0) AND CASE WHEN abs(r.c) < 1.797693134862315807e308 THEN r.c::float8 = x END ORDER BY k LIMIT 1) END AS c
    FROM (SELECT CASE WHEN left(t, 1) = '-' THEN '-' ELSE '' END AS s, replace(ltrim(split_part(t, 'e', 1), '-'), '.', '') AS d0, split_part(t, 'e', 2)::int AS e0) AS t1) AS t2) AS t3
$fn$;
`,
  },
  {
    id: 17,
    description: 'the catalog version read with a plan kept per connection: every query checks it',
    // A LANGUAGE sql function with a FROM is not inlined, and its body was parsed and planned
    // again on every call: 0.06-0.1 ms of a 0.3 ms cone. PL/pgSQL keeps its statements' plans for
    // the session. Same text, same meaning (migration 14).
    sql: `
CREATE OR REPLACE FUNCTION vodax.catalog_version() RETURNS text LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN (SELECT last_value::text || CASE WHEN is_called THEN 'c' ELSE '' END || '.' || (SELECT count(*) FROM vodax.catalog_changes) FROM vodax.catalog_version);
END
$fn$;
`,
  },
  {
    id: 18,
    description: 'the catalog version as a view, which a prepared cone checks inside its own plan',
    // A cone's generic plan checks the version as a one-time filter: planned once with the
    // statement, where a call of PL/pgSQL costs its setup in every transaction (measured: 20-40 µs
    // of a 0.35 ms cone). The view is now the one definition of the version (migration 14's).
    // catalog_moved() is STABLE so that the filter stays a one-time filter, run before any row.
    sql: `
CREATE VIEW vodax.current_catalog_version AS
  SELECT last_value::text || CASE WHEN is_called THEN 'c' ELSE '' END || '.' || (SELECT count(*) FROM vodax.catalog_changes) AS v FROM vodax.catalog_version;
CREATE OR REPLACE FUNCTION vodax.catalog_version() RETURNS text LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN (SELECT v FROM vodax.current_catalog_version);
END
$fn$;
CREATE FUNCTION vodax.catalog_moved() RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RAISE EXCEPTION 'the catalog moved on' USING ERRCODE = 'VXCAT';
END
$fn$;
`,
  },
  {
    id: 19,
    description: 'the committed catalog changes are counted in a base and a few rows, not a row per change ever made',
    // Every query counts vodax.catalog_changes (migration 14), which kept a row per changing
    // transaction for ever. A changing transaction now also folds the committed rows into a base
    // count, in the same transaction: the sum still moves by one at each commit and never back,
    // and the table keeps a few rows. One transaction folds at a time (the advisory lock; the others
    // skip it), so no change waits on another's row lock, however long an ingest holds its own.
    sql: `
CREATE TABLE vodax.catalog_changes_base (n bigint NOT NULL);
INSERT INTO vodax.catalog_changes_base VALUES (0);
CREATE OR REPLACE VIEW vodax.current_catalog_version AS
  SELECT last_value::text || CASE WHEN is_called THEN 'c' ELSE '' END || '.' ||
    ((SELECT n FROM vodax.catalog_changes_base) + (SELECT count(*) FROM vodax.catalog_changes)) AS v FROM vodax.catalog_version;
CREATE OR REPLACE FUNCTION vodax.bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM nextval('vodax.catalog_version');
  INSERT INTO vodax.catalog_changes DEFAULT VALUES ON CONFLICT DO NOTHING;
  IF pg_try_advisory_xact_lock(774412) THEN
    WITH folded AS (DELETE FROM vodax.catalog_changes WHERE txid <> pg_current_xact_id() RETURNING 1)
    UPDATE vodax.catalog_changes_base SET n = n + (SELECT count(*) FROM folded);
  END IF;
  RETURN NULL;
END
$fn$;
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
