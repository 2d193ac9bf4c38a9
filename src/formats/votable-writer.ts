/**
 * VOTable 1.4 output, TABLEDATA serialization (the default TAP answer), plus the document
 * frame that the BINARY2 writer shares: RESOURCE type="results", INFO QUERY_STATUS=OK before
 * the TABLE and, per DALI 1.1 section 5.4, a trailing INFO QUERY_STATUS=OVERFLOW or ERROR
 * after it, which is what lets the table stream before its end is known.
 */
import type { CellValue, ColumnMeta } from './table-model.js';
import { TextChunker, batchesOf, errorMessage, type TableDocument, type TableWriter } from './table-writer.js';
import { cellToArray, cellToBoolean, cellToIntegerText, cellToNumber, cellToString, isArrayColumn, isIntegerDatatype, isStringColumn, withFloatText } from './cell-values.js';
import { escapeXmlAttr, escapeXmlText } from '../xml/escape.js';

/** The namespace VOTable 1.4 documents use: 1.4 kept the 1.3 namespace, only the schema moved. */
export const VOTABLE_NAMESPACE = 'http://www.ivoa.net/xml/VOTable/v1.3';
const VOTABLE_SCHEMA = 'http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd';

/** The DATA serializations this module frames. */
export type VotableSerialization = 'TABLEDATA' | 'BINARY2';

/** A double in VOTable text form: shortest round-trip digits, NaN, +Inf, -Inf. */
export function votableNumber(n: number): string {
  if (Number.isFinite(n)) return String(n);
  return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
}

/** XML NCName IDs for the FIELDs, derived from the names and unique within the document. */
export function fieldIds(columns: ColumnMeta[]): string[] {
  const used = new Set<string>();
  return columns.map((c, i) => {
    let base = c.name.replace(/[^A-Za-z0-9_.-]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}_${k}`;
    if (id === '_') id = `col${i}`;
    used.add(id);
    return id;
  });
}

/** The arraysize attribute a FIELD gets: strings default to '*', scalars have none. */
export function votableArraysize(col: ColumnMeta): string | null {
  // arraysize="1" is deprecated (VOTable 1.3 erratum 3): a one-character string is just a string.
  if (col.arraysize === '1' && isStringColumn(col)) return '*';
  if (col.arraysize != null && col.arraysize !== '') return col.arraysize;
  return isStringColumn(col) ? '*' : null;
}

function attr(name: string, value: string | null | undefined): string {
  return value == null || value === '' ? '' : ` ${name}="${escapeXmlAttr(value)}"`;
}

function infoElement(name: string, value: string, content?: string): string {
  const open = `<INFO name="${escapeXmlAttr(name)}" value="${escapeXmlAttr(value)}"`;
  return content === undefined ? `${open}/>\n` : `${open}>${escapeXmlText(content)}</INFO>\n`;
}

/** The FIELD element of one column. */
function fieldElement(col: ColumnMeta, id: string): string {
  const head =
    `<FIELD ID="${escapeXmlAttr(id)}"${attr('name', col.name)} datatype="${col.datatype}"` +
    attr('arraysize', votableArraysize(col)) +
    attr('xtype', col.xtype) +
    attr('unit', col.unit) +
    attr('ucd', col.ucd) +
    attr('utype', col.utype);
  return col.description ? `${head}>\n<DESCRIPTION>${escapeXmlText(col.description)}</DESCRIPTION>\n</FIELD>\n` : `${head}/>\n`;
}

/** Everything up to and including the opening of the serialization element. */
export function votableHead(doc: TableDocument, serialization: VotableSerialization): string {
  const info = doc.info ?? {};
  let s =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<VOTABLE version="1.4" xmlns="${VOTABLE_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
    ` xsi:schemaLocation="${VOTABLE_NAMESPACE} ${VOTABLE_SCHEMA}">\n` +
    '<RESOURCE type="results">\n' +
    infoElement('QUERY_STATUS', 'OK');
  if (info.query !== undefined) s += infoElement('QUERY', info.query);
  if (info.lang !== undefined) s += infoElement('LANG', info.lang);
  if (info.requestDate !== undefined) s += infoElement('REQUEST_DATE', info.requestDate);
  for (const [k, v] of Object.entries(info.extra ?? {})) s += infoElement(k, v);
  s += `<TABLE${attr('name', info.tableName)}>\n`;
  if (info.description) s += `<DESCRIPTION>${escapeXmlText(info.description)}</DESCRIPTION>\n`;
  const ids = fieldIds(doc.columns);
  doc.columns.forEach((c, i) => (s += fieldElement(c, ids[i])));
  s += serialization === 'TABLEDATA' ? '<DATA>\n<TABLEDATA>\n' : '<DATA>\n<BINARY2>\n<STREAM encoding="base64">\n';
  return s;
}

/** How the rows ended: normally (maybe past MAXREC) or with an error. */
export type VotableEnding = { overflow: boolean } | { error: string };

/** Everything after the rows: closes the table and reports OVERFLOW or ERROR after it. */
export function votableTail(serialization: VotableSerialization, ending: VotableEnding): string {
  let s = serialization === 'TABLEDATA' ? '</TABLEDATA>\n</DATA>\n</TABLE>\n' : '</STREAM>\n</BINARY2>\n</DATA>\n</TABLE>\n';
  if ('error' in ending) s += infoElement('QUERY_STATUS', 'ERROR', ending.error);
  else if (ending.overflow) s += infoElement('QUERY_STATUS', 'OVERFLOW', 'The result was truncated at MAXREC rows.');
  return `${s}</RESOURCE>\n</VOTABLE>\n`;
}

type CellText = (v: Exclude<CellValue, null>) => string;

/** The TD content of a non-null cell of this column. */
function tdFormatter(col: ColumnMeta): CellText {
  if (isStringColumn(col)) return (v) => escapeXmlText(cellToString(v));
  if (col.datatype === 'boolean') return (v) => (cellToBoolean(v) ? 'T' : 'F');
  const integer = isIntegerDatatype(col.datatype);
  if (isArrayColumn(col)) {
    return integer
      ? (v) => cellToArray(v).map((x) => (Number.isFinite(x) ? String(Math.trunc(x)) : '')).join(' ')
      : (v) => cellToArray(v).map(votableNumber).join(' ');
  }
  if (integer) return cellToIntegerText;
  return (v) => (typeof v === 'number' ? votableNumber(v) : votableNumber(cellToNumber(v)));
}

/**
 * What a serialization writes of the document: `head` once, `body` per batch, then `end` once
 * with the tail. A class's methods, not generator functions made per answer: those kept each
 * finished answer's objects alive through young-generation collections (see Database.readOnlyRows).
 */
export interface VotableRowsEncoder {
  /** The head of the document (everything before the rows). */
  head(text: string): Iterable<Buffer>;
  body(rows: CellValue[][]): Iterable<Buffer>;
  /** What is left of the rows, then the tail of the document (everything after them). */
  end(tail: string): Iterable<Buffer>;
}

/** Head, then the encoder's body per batch, then its end with the tail that reports how the rows ended (never throws for them). */
export async function* votableRows(doc: TableDocument, serialization: VotableSerialization, encoder: VotableRowsEncoder): AsyncGenerator<Buffer> {
  yield* encoder.head(votableHead(doc, serialization));
  let ending: VotableEnding;
  try {
    for await (const batch of batchesOf(doc.rows)) yield* encoder.body(batch);
    ending = { overflow: doc.overflowed() };
  } catch (e) {
    doc.onError?.(e);
    ending = { error: errorMessage(e) };
  }
  yield* encoder.end(votableTail(serialization, ending));
}

/**
 * TABLEDATA rows: one TR per row, empty TD for NULL. The head and tail are text among the rows',
 * so a small document (a cone's) is one chunk: one Buffer, not three and their copy into one.
 */
class TabledataEncoder implements VotableRowsEncoder {
  private readonly out = new TextChunker();

  constructor(private readonly formatters: CellText[]) {}

  *head(text: string): Iterable<Buffer> {
    this.out.push(text);
  }

  *body(batch: CellValue[][]): Iterable<Buffer> {
    const formatters = this.formatters;
    const n = formatters.length;
    const out = this.out;
    for (const row of batch) {
      let s = '<TR>';
      for (let i = 0; i < n; i++) {
        const v = row[i];
        s += v === null || v === undefined ? '<TD/>' : `<TD>${formatters[i]!(v)}</TD>`;
      }
      out.push(`${s}</TR>\n`);
      if (out.full) yield out.take();
    }
  }

  *end(tail: string): Iterable<Buffer> {
    this.out.push(tail);
    yield this.out.take();
  }
}

/** Writes VOTable 1.4 with TABLEDATA: one TR per row, empty TD for NULL. */
function writeTabledata(doc: TableDocument): AsyncIterable<Buffer> {
  const formatters = doc.columns.map((c, i) => withFloatText(doc, i, c, tdFormatter(c)));
  return votableRows(doc, 'TABLEDATA', new TabledataEncoder(formatters));
}

/** VOTable 1.4, TABLEDATA serialization. */
export const votableWriter: TableWriter = {
  name: 'votable',
  mimeType: 'application/x-votable+xml',
  extension: 'xml',
  inBandErrors: true,
  write: writeTabledata,
};
