/** The catalog model shared by ingest, the registry, the ADQL validator and the serializers. */

/** VOTable/TAP 1.1 datatypes, as TAP_SCHEMA.columns.datatype holds them. */
export type TapDatatype =
  | 'boolean'
  | 'unsignedByte'
  | 'short'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'char'
  | 'unicodeChar';

/** Everything TAP_SCHEMA.columns says about one column, in TAP 1.1 terms. */
export interface ColumnMeta {
  /** Column name as declared (exact case). */
  name: string;
  datatype: TapDatatype;
  /** VOTable arraysize: null for scalars, '*' for variable strings/arrays, '3', '2x2', '10*'. */
  arraysize?: string | null;
  /** DALI xtype: 'timestamp', 'point', 'circle', 'polygon', ... */
  xtype?: string | null;
  unit?: string | null;
  ucd?: string | null;
  utype?: string | null;
  description?: string | null;
  /** TAP 1.1 flags. */
  principal?: boolean;
  indexed?: boolean;
  std?: boolean;
  /** False when the column can never hold NULL. */
  nullable?: boolean;
}

/** One value of a table cell as JS sees it. Arrays are numeric arrays. */
export type CellValue = null | boolean | number | bigint | string | number[] | Date;

/** A table's description: its columns plus what the registry needs to index it. */
export interface TableMeta {
  name: string;
  description?: string | null;
  columns: ColumnMeta[];
  /** Names of the columns holding ICRS right ascension and declination (degrees), if any. */
  position?: { ra: string; dec: string } | null;
  /** Primary key column names, if any. */
  primaryKey?: string[];
}

/** A table as a stream: its metadata plus its rows, each an array ordered like `columns`. */
export interface TableSource {
  meta: TableMeta;
  rows: AsyncIterable<CellValue[]> | Iterable<CellValue[]>;
}

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
