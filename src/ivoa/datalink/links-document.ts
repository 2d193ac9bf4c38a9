/**
 * The DataLink 1.1 {links} document as a pure function of what is known of the images: one row per
 * link (#this as FITS and HDF5, #preview, #cutout through a SODA service descriptor, the mask and
 * variance planes as #auxiliary), an error row for an identifier that names no visible image, and
 * per image a SODA sync service descriptor whose VALUES give the image's footprint and band
 * (SODA 1.0 section 4.2), in a VOTable 1.4 TABLEDATA document.
 */
import { escapeXmlAttr, escapeXmlText } from '../../xml/escape.js';
import { VOTABLE_NAMESPACE, votableNumber } from '../../formats/votable-writer.js';

/** Content type of a {links} answer (DataLink 1.1 section 3.1); also ObsCore's access_format for it. */
export const DATALINK_CONTENT_TYPE = 'application/x-votable+xml;content=datalink';

/** The standardID the results resource carries (DALI 1.1 section 5.4.1). */
export const DATALINK_STANDARD_ID = 'ivo://ivoa.net/std/DataLink#links-1.1';

/** The standardID of the SODA sync capability the #cutout links describe. */
export const SODA_SYNC_STANDARD_ID = 'ivo://ivoa.net/std/SODA#sync-1.0';

/** What a {links} document needs to know of one image. */
export interface LinkedImage {
  /** The dataset identifier, as asked for. */
  did: string;
  id: number;
  level: string;
  collection: string;
  kind: string;
  planes: readonly string[];
  /** Bytes of the whole-image FITS answer, or null when not known. */
  fitsBytes: number | null;
  /** Bytes of the one-plane FITS answers (mask, variance), where known. */
  planeBytes: Partial<Record<string, number>>;
  /** Centre of the image, degrees. */
  ra: number;
  dec: number;
  /** Footprint corners, [ra1, dec1, ra2, dec2, ...], degrees. */
  footprint: readonly number[];
  /** Band limits, metres, or null when unknown. */
  emMin: number | null;
  emMax: number | null;
}

/** One row of the links table (DataLink 1.1 section 3.2); exactly one of access_url, service_def, error_message. */
export interface LinkRow {
  ID: string;
  access_url: string | null;
  service_def: string | null;
  error_message: string | null;
  semantics: string;
  description: string | null;
  content_type: string | null;
  content_length: number | null;
  content_qualifier: string | null;
  local_semantics: string | null;
}

/** A SODA sync service descriptor for one image. */
export interface SodaDescriptor {
  /** XML ID, what the #cutout row's service_def names. */
  xmlId: string;
  accessUrl: string;
  did: string;
  /** A circle covering the image: ra, dec, radius (degrees). */
  circle: [number, number, number];
  /** The footprint polygon, flattened ra/dec pairs. */
  polygon: readonly number[];
  /** Band limits in metres, or null when unknown. */
  band: [number, number] | null;
}

/** The document: rows in order, the descriptors they refer to, and whether IDs were left out (MAXREC). */
export interface LinksDocument {
  rows: LinkRow[];
  descriptors: SodaDescriptor[];
  overflow: boolean;
}

/** The columns, in DataLink 1.1 order, with the UCDs the standard (and STIL) expect. */
const COLUMNS: ReadonlyArray<{ name: keyof LinkRow; datatype: 'char' | 'long'; ucd: string; unit?: string; description: string }> = [
  { name: 'ID', datatype: 'char', ucd: 'meta.id;meta.main', description: 'input identifier' },
  { name: 'access_url', datatype: 'char', ucd: 'meta.ref.url', description: 'link to data or service' },
  { name: 'service_def', datatype: 'char', ucd: 'meta.ref', description: 'reference to a service descriptor resource' },
  { name: 'error_message', datatype: 'char', ucd: 'meta.code.error', description: 'error if an access_url cannot be created' },
  { name: 'semantics', datatype: 'char', ucd: 'meta.code', description: 'term from the DataLink vocabulary describing the link' },
  { name: 'description', datatype: 'char', ucd: 'meta.note', description: 'human-readable text describing this link' },
  { name: 'content_type', datatype: 'char', ucd: 'meta.code.mime', description: 'MIME type of the content the link returns' },
  { name: 'content_length', datatype: 'long', ucd: 'phys.size;meta.file', unit: 'byte', description: 'size of the download the link returns' },
  { name: 'content_qualifier', datatype: 'char', ucd: 'meta.code.class', description: 'what the link gives, from the dataproduct_type vocabulary' },
  { name: 'local_semantics', datatype: 'char', ucd: 'meta.id.assoc', description: 'which of this service\'s links it is (plane name, format)' },
];

// The FIELD the descriptors' ID parameter refers to.
const ID_FIELD = 'ID';

const RAD = Math.PI / 180;

/** Angular distance, degrees. */
function separation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const a = Math.sin(((dec2 - dec1) * RAD) / 2) ** 2 + Math.cos(dec1 * RAD) * Math.cos(dec2 * RAD) * Math.sin(((ra2 - ra1) * RAD) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(a)))) / RAD;
}

/** A circle about the image centre that covers every footprint corner (the farthest points of a small convex footprint). */
export function coveringCircle(image: Pick<LinkedImage, 'ra' | 'dec' | 'footprint'>): [number, number, number] {
  let r = 0;
  for (let k = 0; k + 1 < image.footprint.length; k += 2) r = Math.max(r, separation(image.ra, image.dec, image.footprint[k]!, image.footprint[k + 1]!));
  return [image.ra, image.dec, r];
}

/** The LSST-face URL of the whole image (I6). */
function imageUrl(base: string, image: LinkedImage): string {
  return `${base}/image/v0/${encodeURIComponent(image.level)}/${encodeURIComponent(image.collection)}/${encodeURIComponent(image.kind)}/${image.id}`;
}

function row(partial: Partial<LinkRow> & Pick<LinkRow, 'ID' | 'semantics'>): LinkRow {
  return {
    access_url: null,
    service_def: null,
    error_message: null,
    description: null,
    content_type: null,
    content_length: null,
    content_qualifier: null,
    local_semantics: null,
    ...partial,
  };
}

/** The links of one image and the SODA descriptor its #cutout row names. `sodaSync`: the SODA sync URL. */
export function imageLinks(base: string, sodaSync: string, image: LinkedImage): { rows: LinkRow[]; descriptor: SodaDescriptor } {
  const url = imageUrl(base, image);
  const ID = image.did;
  const what = `${image.kind} ${image.id} (${image.level}/${image.collection})`;
  const descriptor: SodaDescriptor = {
    xmlId: `soda-${image.id}`,
    accessUrl: sodaSync,
    did: image.did,
    circle: coveringCircle(image),
    polygon: image.footprint,
    band: image.emMin !== null && image.emMax !== null ? [image.emMin, image.emMax] : null,
  };
  const rows: LinkRow[] = [
    row({ ID, semantics: '#this', access_url: url, description: `${what}: the whole image, ${image.planes.join(', ')} planes, as multi-extension FITS`, content_type: 'image/fits', content_length: image.fitsBytes, content_qualifier: 'image', local_semantics: 'fits' }),
    row({ ID, semantics: '#this', access_url: `${url}?format=hdf5`, description: `${what}: the whole image as HDF5`, content_type: 'application/x-hdf5', content_qualifier: 'image', local_semantics: 'hdf5' }),
    row({ ID, semantics: '#preview', access_url: `${url}?format=png`, description: `${what}: a PNG preview of the data plane (asinh stretch, at most 1024 pixels a side)`, content_type: 'image/png', local_semantics: 'png' }),
    row({ ID, semantics: '#cutout', service_def: descriptor.xmlId, description: `${what}: a cutout by CIRCLE, POLYGON or POS (SODA sync)`, content_type: 'image/fits', content_qualifier: 'image', local_semantics: 'soda' }),
  ];
  for (const plane of ['mask', 'variance'] as const) {
    if (!image.planes.includes(plane)) continue;
    rows.push(row({ ID, semantics: '#auxiliary', access_url: `${url}?plane=${plane}`, description: `${what}: the ${plane} plane alone, as FITS`, content_type: 'image/fits', content_length: image.planeBytes[plane] ?? null, content_qualifier: 'image', local_semantics: plane }));
  }
  return { rows, descriptor };
}

/** The one row of an identifier that names no image the caller may see (DataLink 1.1 section 3.4). */
export function errorLink(ID: string, message: string): LinkRow {
  return row({ ID, semantics: '#this', error_message: message });
}

function attr(name: string, value: string | null | undefined): string {
  return value == null || value === '' ? '' : ` ${name}="${escapeXmlAttr(value)}"`;
}

function cell(value: string | number | null): string {
  if (value === null) return '<TD/>';
  return `<TD>${escapeXmlText(typeof value === 'number' ? String(value) : value)}</TD>`;
}

function numbers(values: readonly number[]): string {
  return values.map(votableNumber).join(' ');
}

function param(p: { name: string; datatype: string; arraysize?: string; xtype?: string; unit?: string; ucd?: string; value: string; ref?: string; description: string; values?: string }): string {
  return (
    `<PARAM name="${escapeXmlAttr(p.name)}" datatype="${p.datatype}"` +
    attr('arraysize', p.arraysize) +
    attr('xtype', p.xtype) +
    attr('unit', p.unit) +
    attr('ucd', p.ucd) +
    attr('ref', p.ref) +
    ` value="${escapeXmlAttr(p.value)}">\n` +
    `<DESCRIPTION>${escapeXmlText(p.description)}</DESCRIPTION>\n` +
    (p.values ?? '') +
    '</PARAM>\n'
  );
}

/** The RESOURCE type="meta" utype="adhoc:service" of one SODA descriptor (SODA 1.0 section 4 and appendix A). */
export function sodaDescriptorXml(d: SodaDescriptor): string {
  const band = d.band ? `<VALUES>\n<MIN value="${votableNumber(d.band[0])}"/>\n<MAX value="${votableNumber(d.band[1])}"/>\n</VALUES>\n` : undefined;
  return (
    `<RESOURCE type="meta" utype="adhoc:service" ID="${escapeXmlAttr(d.xmlId)}" name="${escapeXmlAttr(d.xmlId)}">\n` +
    '<DESCRIPTION>Cutouts of this image (SODA sync): give one of CIRCLE, POLYGON or POS; BAND only checks the image\'s band.</DESCRIPTION>\n' +
    `<PARAM name="standardID" datatype="char" arraysize="*" value="${SODA_SYNC_STANDARD_ID}"/>\n` +
    `<PARAM name="accessURL" datatype="char" arraysize="*" ucd="meta.ref.url" value="${escapeXmlAttr(d.accessUrl)}"/>\n` +
    '<PARAM name="contentType" datatype="char" arraysize="*" value="image/fits"/>\n' +
    '<GROUP name="inputParams">\n' +
    param({ name: 'ID', datatype: 'char', arraysize: '*', ucd: 'meta.ref.url;meta.curation', ref: ID_FIELD, value: '', description: `The publisher DID of the image (${d.did}), taken from the ID column of the #cutout row` }) +
    param({
      name: 'CIRCLE', datatype: 'double', arraysize: '3', xtype: 'circle', unit: 'deg', ucd: 'pos.outline;obs', value: '',
      description: 'A circle (ra dec radius, ICRS) that the cutout should cover',
      values: `<VALUES>\n<MAX value="${numbers(d.circle)}"/>\n</VALUES>\n`,
    }) +
    param({
      name: 'POLYGON', datatype: 'double', arraysize: '*', xtype: 'polygon', unit: 'deg', ucd: 'pos.outline;obs', value: '',
      description: 'A polygon (ra dec pairs, ICRS, at least 3) that the cutout should cover',
      values: `<VALUES>\n<MAX value="${numbers(d.polygon)}"/>\n</VALUES>\n`,
    }) +
    param({ name: 'POS', datatype: 'char', arraysize: '*', ucd: 'pos.outline;obs', value: '', description: 'Region to cut out: CIRCLE ra dec r, RANGE ra1 ra2 dec1 dec2, or POLYGON ra1 dec1 ... (degrees, ICRS)' }) +
    param({ name: 'BAND', datatype: 'double', arraysize: '2', xtype: 'interval', unit: 'm', ucd: 'em.wl;stat.interval', value: '', description: 'Wavelength interval (metres) the cutout must meet', values: band }) +
    param({
      name: 'RESPONSEFORMAT', datatype: 'char', arraysize: '*', ucd: 'meta.code.mime', value: '', description: 'Format of the cutout (FITS by default)',
      values: '<VALUES>\n<OPTION value="image/fits"/>\n<OPTION value="image/png"/>\n<OPTION value="image/jpeg"/>\n<OPTION value="application/x-hdf5"/>\n</VALUES>\n',
    }) +
    '</GROUP>\n' +
    '</RESOURCE>\n'
  );
}

/** The whole {links} document: results resource (TABLEDATA), overflow flag, then the descriptors. */
export function linksVotable(doc: LinksDocument): string {
  let s =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<VOTABLE version="1.4" xmlns="${VOTABLE_NAMESPACE}">\n` +
    '<RESOURCE type="results">\n' +
    '<INFO name="QUERY_STATUS" value="OK"/>\n' +
    `<INFO name="standardID" value="${DATALINK_STANDARD_ID}"/>\n` +
    '<TABLE name="links">\n';
  for (const c of COLUMNS) {
    const id = c.name === 'ID' ? ` ID="${ID_FIELD}"` : '';
    s += `<FIELD name="${c.name}"${id} datatype="${c.datatype}"${c.datatype === 'char' ? ' arraysize="*"' : ''}${attr('unit', c.unit)} ucd="${c.ucd}">\n<DESCRIPTION>${escapeXmlText(c.description)}</DESCRIPTION>\n</FIELD>\n`;
  }
  s += '<DATA>\n<TABLEDATA>\n';
  for (const r of doc.rows) s += `<TR>${COLUMNS.map((c) => cell(r[c.name])).join('')}</TR>\n`;
  s += '</TABLEDATA>\n</DATA>\n</TABLE>\n';
  // DALI 1.1 section 5.4: the overflow INFO after the table.
  if (doc.overflow) s += '<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n';
  s += '</RESOURCE>\n';
  for (const d of doc.descriptors) s += sodaDescriptorXml(d);
  return s + '</VOTABLE>\n';
}
