/** The data model of the catalog: levels, databases and foreign keys as registered. */
import type { TableSource } from '../formats/table-model.js';

/** Database levels of the LSST data model; compared case-insensitively. */
export const LEVELS = ['dc', 'L1', 'L2', 'L3', 'dev'] as const;
export type Level = (typeof LEVELS)[number];

/** A database in the LSST sense (a PostgreSQL schema) with its tables, as ingest and fixtures build it. */
export interface DatabaseSpec {
  name: string;
  level: Level;
  owner: string;
  description: string;
  annotations: Record<string, string>;
  tables: TableSource[];
  /** Foreign keys for TAP_SCHEMA.keys: from table.columns to target table.columns. */
  foreignKeys?: ForeignKeySpec[];
}

/** A foreign key as TAP_SCHEMA.keys/key_columns describe it. */
export interface ForeignKeySpec {
  fromTable: string;
  fromColumns: string[];
  targetTable: string;
  targetColumns: string[];
  description?: string;
}
