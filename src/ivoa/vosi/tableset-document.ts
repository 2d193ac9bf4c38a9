/** VOSI 1.1 tables: the VODataService tableset of what TAP_SCHEMA declares, as XML. */
import { escapeXml, textElement } from '../../xml/escape.js';
import type { SchemaDescription, TableDescription } from '../../catalog/tableset-reader.js';

const NS = 'xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** The whole tableset document (`/tables`). */
export function tablesetXml(schemas: SchemaDescription[]): string {
  const body = schemas
    .map(
      (s) =>
        `<schema>${textElement('name', s.name)}${textElement('description', s.description)}${textElement('utype', s.utype)}\n` +
        s.tables.map((t) => tableBody('table', t)).join('\n') +
        '\n</schema>',
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<vosi:tableset ${NS}>\n${body}\n</vosi:tableset>\n`;
}

/** One table's document (`/tables/{name}`). */
export function tableXml(t: TableDescription): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${tableBody('vosi:table', t, NS)}\n`;
}

/** A <table> element with its columns and foreign keys. */
function tableBody(element: string, t: TableDescription, ns?: string): string {
  const pk = new Set(t.primaryKey);
  const cols = (t.columns ?? [])
    .map((c) => {
      const flags = [c.indexed ? 'indexed' : null, pk.has(c.name) ? 'primary' : null, c.nullable === false ? null : 'nullable']
        .filter((f): f is string => f !== null)
        .map((f) => `<flag>${f}</flag>`)
        .join('');
      const arraysize = c.arraysize ? ` arraysize="${escapeXml(c.arraysize)}"` : '';
      // VODataService 1.1 carries the xtype as the dataType's extendedType.
      const xtype = c.xtype ? ` extendedType="${escapeXml(c.xtype)}"` : '';
      return (
        `<column${c.std ? ' std="true"' : ''}>${textElement('name', c.name)}${textElement('description', c.description)}` +
        `${textElement('unit', c.unit)}${textElement('ucd', c.ucd)}${textElement('utype', c.utype)}` +
        `<dataType xsi:type="vs:VOTableType"${arraysize}${xtype}>${escapeXml(c.datatype)}</dataType>${flags}</column>`
      );
    })
    .join('\n');
  const fks = t.foreignKeys
    .map(
      (k) =>
        `<foreignKey>${textElement('targetTable', k.targetTable)}` +
        k.columns.map((c) => `<fkColumn>${textElement('fromColumn', c.from)}${textElement('targetColumn', c.target)}</fkColumn>`).join('') +
        `${textElement('description', k.description)}</foreignKey>`,
    )
    .join('\n');
  const nrows = t.nrows !== null ? `<nrows>${t.nrows}</nrows>` : '';
  return (
    `<${element}${ns ? ' ' + ns : ''} type="${escapeXml(t.type)}">${textElement('name', t.name)}${textElement('description', t.description)}` +
    `${textElement('utype', t.utype)}${nrows}\n${cols}${fks ? '\n' + fks : ''}\n</${element}>`
  );
}
