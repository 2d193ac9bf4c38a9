/** Compact construction of column descriptions for the sample tables. */
import type { ColumnMeta, TapDatatype } from '../formats/table-model.js';

/** Options beyond the five every sample column states. */
export interface ColumnExtras {
  principal?: boolean;
  indexed?: boolean;
  nullable?: boolean;
  xtype?: string;
  arraysize?: string;
}

/** A column with its datatype, unit, UCD and description; strings get arraysize '*'. */
export function column(
  name: string,
  datatype: TapDatatype,
  unit: string | null,
  ucd: string | null,
  description: string,
  extras: ColumnExtras = {},
): ColumnMeta {
  const isString = datatype === 'char' || datatype === 'unicodeChar';
  return {
    name,
    datatype,
    arraysize: extras.arraysize ?? (isString ? '*' : null),
    xtype: extras.xtype ?? null,
    unit,
    ucd,
    utype: null,
    description,
    principal: extras.principal ?? false,
    indexed: extras.indexed ?? false,
    std: false,
    nullable: extras.nullable ?? false,
  };
}
