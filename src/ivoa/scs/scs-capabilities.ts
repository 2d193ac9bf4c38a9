/**
 * The VOSI capabilities of one table's cone search: a cs:ConeSearch capability (SCS 1.1 section
 * 5, its standardID, a ParamHTTP interface, maxSR, maxRecords, verbosity) and the VOSI resources.
 * The query resource is `{base}/query`, so the capabilities are its sibling as SCS asks;
 * `{base}` itself answers queries too.
 */
import { escapeXml } from '../../xml/escape.js';

/** The standardID of an SCS 1.1 service (IVOA identifiers compare case-insensitively). */
export const SCS_STANDARD_ID = 'ivo://ivoa.net/std/ConeSearch#query-1.1';

export interface ScsCapabilitiesInput {
  /** Absolute URL of the table's cone search, `.../db/v0/scs/{schema}.{table}`. */
  base: string;
  /** The table's TAP name, for the description. */
  table: string;
  maxSr: number;
  maxRecords: number;
  securityMethods: readonly (string | null)[];
}

/** An input parameter of the ParamHTTP interface. */
function param(name: string, description: string, dataType: string, unit: string | null, std = true): string {
  return (
    `      <param std="${std}"><name>${name}</name><description>${escapeXml(description)}</description>` +
    `${unit ? `<unit>${unit}</unit>` : ''}<dataType>${dataType}</dataType></param>`
  );
}

/** The capabilities XML of a table's cone search. */
export function scsCapabilitiesXml(c: ScsCapabilitiesInput): string {
  const base = escapeXml(c.base);
  const methods = c.securityMethods
    .map((m) => (m === null ? '      <securityMethod/>' : `      <securityMethod standardID="${escapeXml(m)}"/>`))
    .join('\n');
  const params = [
    param('RA', 'Right ascension of the cone centre, ICRS, decimal degrees (0..360).', 'real', 'deg'),
    param('DEC', 'Declination of the cone centre, ICRS, decimal degrees (-90..90).', 'real', 'deg'),
    param('SR', `Radius of the cone, decimal degrees (0..${c.maxSr}; 0 asks for the metadata only).`, 'real', 'deg'),
    param('VERB', 'Columns returned: 1 the identifier and the position, 2 the principal columns (default), 3 all.', 'integer', null),
    param('MAXREC', 'Largest number of rows to return (0: the metadata only).', 'integer', null),
    param('RESPONSEFORMAT', 'Output format (default VOTable); also votable/b2, fits, csv, tsv, json, html, ipac.', 'string', null),
  ].join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<vosi:capabilities
    xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0"
    xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1"
    xmlns:cs="http://www.ivoa.net/xml/ConeSearch/v1.0">
  <capability standardID="${SCS_STANDARD_ID}" xsi:type="cs:ConeSearch">
    <description>Simple Cone Search on ${escapeXml(c.table)}</description>
    <interface xsi:type="vs:ParamHTTP" role="std" version="1.1">
      <accessURL use="base">${base}/query</accessURL>
${methods}
      <queryType>GET</queryType>
      <queryType>POST</queryType>
      <resultType>application/x-votable+xml</resultType>
${params}
    </interface>
    <maxSR>${c.maxSr}</maxSR>
    <maxRecords>${c.maxRecords}</maxRecords>
    <verbosity>true</verbosity>
  </capability>
  <capability standardID="ivo://ivoa.net/std/VOSI#capabilities">
    <interface xsi:type="vs:ParamHTTP">
      <accessURL use="full">${base}/capabilities</accessURL>
    </interface>
  </capability>
  <capability standardID="ivo://ivoa.net/std/VOSI#availability">
    <interface xsi:type="vs:ParamHTTP">
      <accessURL use="full">${base}/availability</accessURL>
    </interface>
  </capability>
</vosi:capabilities>
`;
}
