/** The table model shared by ingest, the catalog, the ADQL validator and the serializers: columns, cells, tables. */

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
  /**
   * Readers that inferred the column types: once the rows have been read to their end, the
   * columns with the narrowest types that hold every value read (a loader then stores those).
   */
  narrowestColumns?: () => ColumnMeta[];
}
