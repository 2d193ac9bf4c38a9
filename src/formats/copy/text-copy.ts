/**
 * CSV, TSV, VOTable TABLEDATA and JSON written by PostgreSQL: each row becomes one finished line
 * of text in SQL (fields formatted, quoted or escaped and joined exactly as csv-writer.ts,
 * tsv-writer.ts, votable-writer.ts and json-writer.ts do), and the lines come out of a binary COPY, whose
 * framing tells rows apart without parsing the text and counts them for MAXREC. Node strips the
 * framing and copies bytes; in the fields of numbers it also rewrites the few numbers that
 * PostgreSQL prints otherwise than JavaScript (see numbersSql).
 */
import type { ColumnMeta } from '../table-model.js';
import { csvField } from '../csv-writer.js';
import { tsvField } from '../tsv-writer.js';
import { errorMessage, type TableDocument } from '../table-writer.js';
import { isStringColumn } from '../cell-values.js';
import { votableHead, votableTail, type VotableEnding } from '../votable-writer.js';
import { jsonHead, jsonTail } from '../json-writer.js';
import type { ResultField } from '../../storage/database.js';
import { PG_OID, columnRef, plainTextSql, printsAsNumber, tdTextSql, timestampSql, wrappedQuery } from './column-sql.js';
import { TupleChunks } from './binary-tuples.js';
import { editedLength, numberEdits, writeEdited, type SpecialNumbers } from './number-fixes.js';

/** The line formats with a fast path. */
export type LineFormat = 'csv' | 'tsv' | 'tabledata' | 'json';

const CHUNK = 1 << 16;

/** A CSV field of string text: "" when empty, quoted (quotes doubled) when it holds , " CR or LF. */
function csvQuoteSql(e: string): string {
  return (
    `CASE WHEN ${e} = '' THEN '""' WHEN ${e} ~ ('[",' || chr(13) || chr(10) || ']')` +
    ` THEN '"' || replace(${e}, '"', '""') || '"' ELSE ${e} END`
  );
}

/** A TSV field of string text: backslash, tab, LF and CR escaped with a backslash. */
function tsvEscapeSql(e: string): string {
  return (
    `replace(replace(replace(replace(${e}, chr(92), chr(92) || chr(92)), chr(9), chr(92) || 't'),` +
    ` chr(10), chr(92) || 'n'), chr(13), chr(92) || 'r')`
  );
}

/** XML text: control characters XML 1.0 forbids removed (as escapeXmlText does), & < > escaped. */
function xmlEscapeSql(e: string): string {
  const illegal = `'[' || chr(1) || '-' || chr(8) || chr(11) || chr(12) || chr(14) || '-' || chr(31) || chr(65534) || chr(65535) || ']'`;
  return (
    `CASE WHEN ${e} ~ ('[&<>]|' || ${illegal})` +
    ` THEN replace(replace(replace(regexp_replace(${e}, ${illegal}, '', 'g'), '&', '&amp;'), '<', '&lt;'), '>', '&gt;')` +
    ` ELSE ${e} END`
  );
}

/**
 * A JSON value as json-writer.ts writes it, NULL for null: strings escaped as JSON.stringify
 * does (to_json escapes the same characters the same way; PostgreSQL text holds no lone
 * surrogate), NaN and infinities null, arrays left to the generic writer.
 */
function jsonValueSql(col: ColumnMeta, oid: number, ref: string): string | null {
  if (isStringColumn(col)) {
    if (oid === PG_OID.text || oid === PG_OID.varchar) return `to_json(${ref})::text`;
    // Timestamps never hold a character JSON escapes.
    if (oid === PG_OID.timestamp) return `'"' || ${timestampSql(ref)} || '"'`;
    return null;
  }
  return plainTextSql(col, oid, ref, { nan: 'NULL', posInf: 'NULL', negInf: 'NULL' });
}

/** One field of a line, never NULL. */
function fieldSql(format: LineFormat, col: ColumnMeta, oid: number, ref: string): string | null {
  if (format === 'json') {
    const value = jsonValueSql(col, oid, ref);
    return value === null ? null : `coalesce(${value}, 'null')`;
  }
  const text = format === 'tabledata' ? tdTextSql(col, oid, ref) : plainTextSql(col, oid, ref);
  if (text === null) return null;
  // Timestamps never hold a character that needs quoting or escaping.
  const quoted = isStringColumn(col) && oid !== PG_OID.timestamp;
  if (format === 'tabledata') return `coalesce('<TD>' || ${quoted ? xmlEscapeSql(text) : text} || '</TD>', '<TD/>')`;
  const field = quoted ? (format === 'csv' ? csvQuoteSql(text) : tsvEscapeSql(text)) : text;
  return `coalesce(${field}, '')`;
}

/** Adjacent columns [from, to) of a line, all of them numbers PostgreSQL prints, or none. */
interface ColumnRun {
  numbers: boolean;
  from: number;
  to: number;
}

function columnRuns(columns: ColumnMeta[], fields: ResultField[]): ColumnRun[] {
  const runs: ColumnRun[] = [];
  for (let i = 0; i < columns.length; i++) {
    const numbers = printsAsNumber(columns[i], fields[i].dataTypeID);
    const last = runs[runs.length - 1];
    if (last?.numbers === numbers) last.to = i + 1;
    else runs.push({ numbers, from: i, to: i + 1 });
  }
  return runs;
}

/**
 * For each field of the COPY tuple of a line (lineCopySql), whether it holds numbers as
 * PostgreSQL prints them, to be made the generic writer's in Node (number-fixes.ts); null when
 * none does (the line is then one field, formatted value by value).
 */
export function lineNumberFields(columns: ColumnMeta[], fields: ResultField[]): boolean[] | null {
  if (fields.length !== columns.length || columns.length === 0) return null;
  const runs = columnRuns(columns, fields);
  return runs.some((r) => r.numbers) ? runs.map((r) => r.numbers) : null;
}

/** SQL text constants: what comes before a line's first field, between two fields (TABLEDATA's fields carry their own tags), and after the last. */
const LINE_FRAME: Record<LineFormat, { before: string; separator: string | null; after: string }> = {
  csv: { before: '', separator: "','", after: 'chr(13) || chr(10)' },
  tsv: { before: '', separator: 'chr(9)', after: 'chr(10)' },
  tabledata: { before: "'<TR>'", separator: null, after: "'</TR>' || chr(10)" },
  json: { before: "',' || chr(10) || '['", separator: "','", after: "']'" },
};

/** The per-value fields (fieldSql) of a run joined as the line joins them; null when a column has no exact rewrite. */
function valuesSql(format: LineFormat, columns: ColumnMeta[], fields: ResultField[], run: ColumnRun): string | null {
  const parts: string[] = [];
  for (let i = run.from; i < run.to; i++) {
    const field = fieldSql(format, columns[i], fields[i].dataTypeID, columnRef(i));
    if (field === null) return null;
    parts.push(field);
  }
  const separator = LINE_FRAME[format].separator;
  return parts.join(separator === null ? ' || ' : ` || ${separator} || `);
}

/**
 * A run of numbers: without NULL, its values as PostgreSQL prints them joined by concat_ws (one
 * output call per value: 40% less of PostgreSQL's time per row than a CASE and a cast per value,
 * measured on a million rows of ten columns). concat_ws skips a NULL, so a run with one is joined
 * by concat, which writes it empty (a little slower: one more argument per separator), in
 * TABLEDATA its empty TD then made <TD/>; in JSON, where NULL is written null, it is formatted
 * value by value. PostgreSQL's text of a float differs from JavaScript's only where it has an
 * exponent or is -0 (and, in TABLEDATA and JSON, for NaN and the infinities); number-fixes.ts
 * rewrites those in Node, where the text of the other rows, the usual case, is only scanned.
 */
function numbersSql(format: LineFormat, columns: ColumnMeta[], fields: ResultField[], run: ColumnRun): string | null {
  const refs: string[] = [];
  for (let i = run.from; i < run.to; i++) refs.push(columnRef(i));
  const hasNull = refs.map((r) => `${r} IS NULL`).join(' OR ');
  if (format === 'tabledata') {
    const withNull = `replace(concat('<TD>', ${refs.join(", '</TD><TD>', ")}, '</TD>'), '<TD></TD>', '<TD/>')`;
    return `CASE WHEN ${hasNull} THEN ${withNull} ELSE '<TD>' || concat_ws('</TD><TD>', ${refs.join(', ')}) || '</TD>' END`;
  }
  const separator = LINE_FRAME[format].separator!;
  const nullRun = format === 'json' ? valuesSql(format, columns, fields, run) : `concat(${refs.join(`, ${separator}, `)})`;
  return nullRun === null ? null : `CASE WHEN ${hasNull} THEN ${nullRun} ELSE concat_ws(${separator}, ${refs.join(', ')}) END`;
}

/**
 * The SQL of the fields of one row's line in `format` (their texts, in order, make the line), or
 * null when a column has no exact rewrite: a field per run of columns, numbers joined as
 * PostgreSQL prints them (lineNumberFields tells which), the others formatted value by value.
 */
function lineSql(format: LineFormat, columns: ColumnMeta[], fields: ResultField[]): string[] | null {
  const runs = columnRuns(columns, fields);
  const frame = LINE_FRAME[format];
  const out: string[] = [];
  for (let k = 0; k < runs.length; k++) {
    const run = runs[k];
    const body = run.numbers ? numbersSql(format, columns, fields, run) : valuesSql(format, columns, fields, run);
    if (body === null) return null;
    const pieces = [k === 0 ? frame.before : frame.separator ?? '', body, k === runs.length - 1 ? frame.after : ''];
    out.push(pieces.filter((x) => x !== '').join(' || '));
  }
  return out;
}

/**
 * The COPY statement writing one line per row of `sql`, or null when a column has no exact
 * rewrite. With `limited`, the rows of that SQL (a plain scan, without its LIMIT) are formatted
 * and then limited: PostgreSQL can then format them in parallel workers, which it never does
 * above a subquery's LIMIT.
 */
export function lineCopySql(format: LineFormat, sql: string, columns: ColumnMeta[], fields: ResultField[], limited?: { sql: string; limit: number }): string | null {
  if (fields.length !== columns.length || columns.length === 0) return null;
  const line = lineSql(format, columns, fields);
  if (line === null) return null;
  const query = limited ? wrappedQuery(limited.sql, columns.length, line, limited.limit) : wrappedQuery(sql, columns.length, line);
  return `COPY (${query}) TO STDOUT (FORMAT binary)`;
}

/** The header line the generic CSV or TSV writer starts with. */
export function textHeader(format: 'csv' | 'tsv', columns: ColumnMeta[]): Buffer {
  const line = format === 'csv' ? `${columns.map((c) => csvField(c.name)).join(',')}\r\n` : `${columns.map((c) => tsvField(c.name)).join('\t')}\n`;
  return Buffer.from(line, 'utf8');
}

/**
 * The lines of the COPY stream `copy`, at most `maxrec` of them (the query asks for one more,
 * which only tells overflow), the first without its first `skipFirst` bytes; answers how many rows came.
 * A line is its tuple's fields one after the other. With `numbers`, the fields `numberFields`
 * marks hold numbers as PostgreSQL prints them, made the generic writer's here (number-fixes.ts).
 * A chunk's lines are first moved together over their tuple and field headers inside it (copyWithin
 * makes no object, where a Buffer#copy a row made a Uint8Array a row and grew the heap by
 * 16 MiB while streaming), then copied on in one piece into chunks of at least 64 KiB.
 */
async function* lines(copy: AsyncIterable<Buffer>, maxrec: number, skipFirst: number, numbers: { specials: SpecialNumbers; fields: boolean[] } | null): AsyncGenerator<Buffer, number> {
  const tuples = new TupleChunks();
  let out = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  let rows = 0;
  // Where a chunk's fields of numbers lie in its moved lines, [from, to) pairs: only when a line has others too.
  const ranges: number[] | null = numbers !== null && numbers.fields.some((n) => !n) ? [] : null;
  for await (const chunk of copy) {
    const { buf, start } = tuples.feed(chunk);
    let p = start;
    let w = start;
    const end = buf.length;
    if (ranges !== null) ranges.length = 0;
    while (p + 2 <= end) {
      const count = buf.readInt16BE(p);
      if (count === -1) {
        tuples.ended = true;
        p = end;
        break;
      }
      // The tuple's end, by its field lengths (a NULL, -1, is no bytes); a cut one waits for the next chunk.
      let q = p + 2;
      for (let f = 0; f < count && q <= end; f++) q = q + 4 > end ? end + 1 : q + 4 + Math.max(0, buf.readInt32BE(q));
      if (q > end) break;
      if (rows < maxrec) {
        let at = p + 2;
        for (let f = 0; f < count; f++) {
          const len = Math.max(0, buf.readInt32BE(at));
          at += 4;
          const skip = rows === 0 && f === 0 ? Math.min(skipFirst, len) : 0;
          buf.copyWithin(w, at + skip, at + len);
          if (ranges !== null && numbers!.fields[f]) ranges.push(w - start, w - start + len - skip);
          w += len - skip;
          at += len;
        }
      }
      rows++;
      p = q;
    }
    // What is kept (copied) of a cut tuple lies past p, where nothing was moved.
    if (!tuples.ended) tuples.keep(buf, p);
    if (w === start) continue;
    const text = buf.subarray(start, w);
    const edits = numbers === null ? null : numberEdits(text, numbers.specials, ranges);
    const n = edits === null ? text.length : editedLength(text, edits);
    if (pos + n > out.length) {
      if (pos > 0) yield out.subarray(0, pos);
      out = Buffer.allocUnsafe(Math.max(CHUNK, n));
      pos = 0;
    }
    pos += edits === null ? text.copy(out, pos) : writeEdited(text, edits, out, pos);
  }
  if (!tuples.ended || tuples.pending) throw new Error('the COPY stream ended inside a row');
  if (pos > 0) yield out.subarray(0, pos);
  return rows;
}

/**
 * CSV or TSV: the header line, then the lines (neither format can report overflow; errors end the stream).
 * `numberFields`, here and below: lineNumberFields of the COPY's columns.
 */
export async function* textDocument(format: 'csv' | 'tsv', columns: ColumnMeta[], copy: AsyncIterable<Buffer>, maxrec: number, numberFields: boolean[] | null = null): AsyncGenerator<Buffer> {
  yield textHeader(format, columns);
  yield* lines(copy, maxrec, 0, numberFields && { specials: 'as-printed', fields: numberFields });
}

/** VOTable TABLEDATA: head, rows, and a tail reporting OVERFLOW or an error, as the generic writer does. */
export async function* tabledataDocument(doc: Pick<TableDocument, 'columns' | 'info'>, copy: AsyncIterable<Buffer>, maxrec: number, numberFields: boolean[] | null = null): AsyncGenerator<Buffer> {
  yield Buffer.from(votableHead({ ...doc, rows: [], overflowed: () => false }, 'TABLEDATA'), 'utf8');
  let ending: VotableEnding;
  try {
    const rows = yield* lines(copy, maxrec, 0, numberFields && { specials: 'tabledata', fields: numberFields });
    ending = { overflow: rows > maxrec };
  } catch (e) {
    ending = { error: errorMessage(e) };
  }
  yield Buffer.from(votableTail('TABLEDATA', ending), 'utf8');
}

/** JSON: head, rows, and a tail with "more" or the error, as the generic writer does. */
export async function* jsonDocument(columns: ColumnMeta[], copy: AsyncIterable<Buffer>, maxrec: number, numberFields: boolean[] | null = null): AsyncGenerator<Buffer> {
  yield Buffer.from(jsonHead(columns), 'utf8');
  let tail: string;
  try {
    const rows = yield* lines(copy, maxrec, 1, numberFields && { specials: 'json', fields: numberFields });
    tail = jsonTail({ more: rows > maxrec });
  } catch (e) {
    tail = jsonTail({ error: e });
  }
  yield Buffer.from(tail, 'utf8');
}
