/** The TAP service's VOSI capabilities (TAPRegExt), filled from what vodax actually supports. */
import type { Limits } from '../../config.js';
import { OUTPUT_FORMATS } from '../../formats/output-formats.js';
import { escapeXml } from '../../xml/escape.js';
import { fillTemplate, readResource } from './vosi-template.js';
import { RAND_NOTE, ROUNDING_NOTE } from '../../adql/functions.js';

/** What the service decided where ADQL leaves it open, appended to the language's description. */
const LANGUAGE_NOTES = [ROUNDING_NOTE, RAND_NOTE];

/** A user-defined function as TAPRegExt declares it. */
export interface UdfDeclaration {
  /** e.g. `ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER` */
  form: string;
  description: string;
}

const TAPREGEXT = 'ivo://ivoa.net/std/TAPRegExt';

// ADQL 2.1 optional features vodax implements, by TAPRegExt feature type.
const FEATURES: Record<string, string[]> = {
  'features-adqlgeo': ['POINT', 'CIRCLE', 'BOX', 'POLYGON', 'CONTAINS', 'INTERSECTS', 'DISTANCE', 'AREA', 'CENTROID', 'COORD1', 'COORD2', 'COORDSYS'],
  'features-adql-string': ['LOWER', 'UPPER', 'ILIKE'],
  'features-adql-sets': ['UNION', 'EXCEPT', 'INTERSECT'],
  'features-adql-common-table': ['WITH'],
  'features-adql-type': ['CAST'],
  'features-adql-unit': ['IN_UNIT'],
  'features-adql-offset': ['OFFSET'],
};

// TAPRegExt standard identifiers of the VOTable serializations.
const FORMAT_IDS: Record<string, string> = {
  votable: `${TAPREGEXT}#output-votable-td`,
  'votable-b2': `${TAPREGEXT}#output-votable-binary2`,
};

/** What the capabilities document needs to know. */
export interface CapabilitiesInput {
  base: string;
  limits: Limits;
  udfs: readonly UdfDeclaration[];
  /** securityMethod standardIDs; null means anonymous access. */
  securityMethods: readonly (string | null)[];
  /** The server's other DAL services over the same data, listed beside TAP so a client of this document finds them. */
  companions?: readonly CompanionCapability[];
}

/** Another IVOA service of the same server: its standardID and the absolute URL of its endpoint. */
export interface CompanionCapability {
  standardID: string;
  accessUrl: string;
  /** The interface's version attribute (the standard's version). */
  version: string;
}

/** VOResource capabilities of the companion services (plain vr:Capability: no extension schema needed). */
function companionCapabilities(companions: readonly CompanionCapability[], securityMethods: string): string {
  return companions
    .map((c) => `  <capability standardID="${escapeXml(c.standardID)}">
    <interface xsi:type="vs:ParamHTTP" role="std" version="${escapeXml(c.version)}">
      <accessURL use="base">${escapeXml(c.accessUrl)}</accessURL>
${securityMethods}
    </interface>
  </capability>`)
    .join('\n');
}

/** The capabilities XML of the TAP service at `base`. */
export function tapCapabilitiesXml(input: CapabilitiesInput): string {
  const feature = (form: string, description?: string) =>
    `          <feature><form>${escapeXml(form)}</form>${description ? `<description>${escapeXml(description)}</description>` : ''}</feature>`;
  const languageFeatures = [
    `      <languageFeatures type="${TAPREGEXT}#features-udf">\n${input.udfs.map((u) => feature(u.form, u.description)).join('\n')}\n      </languageFeatures>`,
    ...Object.entries(FEATURES).map(
      ([type, forms]) => `      <languageFeatures type="${TAPREGEXT}#${type}">\n${forms.map((f) => feature(f)).join('\n')}\n      </languageFeatures>`,
    ),
  ].join('\n');
  const outputFormats = OUTPUT_FORMATS.map((f) => {
    const id = FORMAT_IDS[f.name] ? ` ivo-id="${FORMAT_IDS[f.name]}"` : '';
    const aliases = f.shortNames.map((a) => `<alias>${escapeXml(a)}</alias>`).join('');
    return `    <outputFormat${id}><mime>${escapeXml(f.mimeType)}</mime>${aliases}</outputFormat>`;
  }).join('\n');
  const securityMethods = input.securityMethods
    .map((m) => (m === null ? '      <securityMethod/>' : `      <securityMethod standardID="${escapeXml(m)}"/>`))
    .join('\n');
  // Inline uploads always; by URL only where the configuration lets the server fetch.
  const uploadMethods = ['upload-inline', ...(input.limits.uploadUrls ? ['upload-http', 'upload-https'] : [])]
    .map((m) => `    <uploadMethod ivo-id="${TAPREGEXT}#${m}"/>`)
    .join('\n');
  const xml = fillTemplate(readResource('tap-capabilities.xml'), {
    uploadMethods,
    base: escapeXml(input.base),
    securityMethods,
    languageFeatures,
    outputFormats,
    retention: String(input.limits.destructionDays * 86_400),
    durationDefault: String(input.limits.asyncDefaultDuration),
    durationHard: String(input.limits.asyncMaxDuration),
    maxrecDefault: String(input.limits.defaultMaxrec),
    maxrecHard: String(input.limits.hardMaxrec),
    uploadBytes: String(input.limits.uploadBytes),
    companions: companionCapabilities(input.companions ?? [], securityMethods),
  });
  // The template's <language> has a one-line <description>; the notes complete it.
  return xml.replace(/(<language>[\s\S]*?<description>[\s\S]*?)(<\/description>)/, (_m, head: string, end: string) => `${head} ${escapeXml(LANGUAGE_NOTES.join(' '))}${end}`);
}
