/** A catalog built without a database, shaped like the sample data, for validator/translator tests. */
import { Catalog, type CatalogTable } from '../../src/catalog/query-catalog.js';
import { OBJECT_COLUMNS, SOURCE_COLUMNS } from '../../src/sample-data/stripe82Tables.js';
import type { ColumnMeta } from '../../src/formats/table-model.js';

function table(schema: string, name: string, columns: ColumnMeta[], positioned: boolean, rows: number | null = null): CatalogTable {
  return {
    schema,
    name,
    pgSchema: schema,
    pgTable: name,
    description: null,
    columns,
    position: positioned ? { ra: 'ra', dec: 'decl', hpx: 'vodax_hpx' } : null,
    rows,
  };
}

const col = (name: string, datatype: ColumnMeta['datatype'], extra: Partial<ColumnMeta> = {}): ColumnMeta => ({
  name,
  datatype,
  arraysize: datatype === 'char' ? '*' : null,
  ...extra,
});

/** Object and Source of DC_W13_Stripe82, TAP_SCHEMA.tables, and a table with awkward names. */
export function testCatalog(): Catalog {
  return new Catalog([
    table('DC_W13_Stripe82', 'Object', OBJECT_COLUMNS, true, 20000),
    table('DC_W13_Stripe82', 'Source', SOURCE_COLUMNS, true, 100000),
    table('TAP_SCHEMA', 'tables', [col('schema_name', 'char'), col('table_name', 'char'), col('table_type', 'char'), col('description', 'char'), col('table_index', 'int')], false),
    table('joe_myDb', 'Weird Table', [
      col('Mixed', 'int', { unit: 'deg' }),
      col('mixed_flag', 'boolean'),
      col('select', 'char'),
      col('when', 'char', { xtype: 'timestamp' }),
      col('footprint', 'double', { arraysize: '*', xtype: 'polygon' }),
      col('centre', 'double', { arraysize: '2', xtype: 'point' }),
      col('flux', 'float', { unit: 'mJy' }),
      col('mask', 'long'),
      col('small', 'short'),
    ], false),
  ]);
}
