/**
 * Streaming VOTable 1.x reader. It reads the first TABLE of the document in document order
 * (normally the first TABLE of the first RESOURCE; later tables are checked for well-formedness
 * but ignored): FIELD metadata (name, datatype, arraysize, unit, ucd, utype, xtype, DESCRIPTION,
 * VALUES null) and the rows of its TABLEDATA, BINARY or BINARY2 serialization. BINARY streams are
 * base64-decoded as their text arrives. Input is fed to the SAX parser in bounded slices and the
 * rows of a slice are handed out before the next is read, so memory stays flat.
 *
 * Bytes become text by their byte-order mark (UTF-8, UTF-16), a start in UTF-16 without one
 * ("<?" spelled in two bytes each) or the encoding the XML declaration names, else UTF-8. FIELD names that no column can have
 * (control characters, undecodable bytes) and more FIELDs than a table holds are refused at the
 * FIELD, before anything reaches the database.
 *
 * Values: an empty TD is NULL, as is a TD equal to VALUES/@null, a NaN float scalar, a boolean
 * '?' (or blank/NUL in binary) and, in BINARY2, a set null-bitmap bit. Strings lose trailing NULs.
 * 'bit' scalars read as boolean. Boolean and bit arrays, complex types and external streams
 * (STREAM/@href, FITS serialization) are rejected with an InputFileError.
 */
import { basename, extname } from 'node:path';
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { InputFileError } from '../errors.js';
import type { CellValue, ColumnMeta, TableSource, TapDatatype } from './table-model.js';
import { CellSyntaxError, isArrayColumn, textCellParser, type TextCellParser } from './infer-types.js';
import { columnNameProblem, MAX_COLUMNS, MAX_COLUMNS_TEXT, shown, tooLongName } from './input-checks.js';
import { SniffingDecoder } from './text-decoding.js';

/** Options of readVotable. */
export interface VotableReadOptions {
  /** File name used in error messages (and as the default table name). */
  file: string;
  /** Table name for meta.name; defaults to TABLE/@name, else the file's base name. */
  tableName?: string;
}

/** Characters fed to the XML parser at once: bounds the rows queued between reads. */
const SLICE = 65536;

/** A FIELD as declared, before it becomes a ColumnMeta. */
interface FieldDecl {
  meta: ColumnMeta;
  /** VALUES/@null, if any. */
  nullText: string | null;
}

const DATATYPES: Record<string, TapDatatype> = {
  boolean: 'boolean',
  bit: 'boolean',
  unsignedByte: 'unsignedByte',
  short: 'short',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  char: 'char',
  unicodeChar: 'unicodeChar',
};

/** The element name without a namespace prefix. */
function localName(name: string): string {
  const c = name.indexOf(':');
  return c < 0 ? name : name.slice(c + 1);
}

/** Returned by a binary cell decoder when the buffer does not yet hold the whole cell. */
const INCOMPLETE = Symbol('incomplete');

/** Cursor over decoded stream bytes; decoders advance `pos`. */
interface ByteCursor {
  buf: Buffer;
  pos: number;
  end: number;
}

type BinaryDecoder = (c: ByteCursor) => CellValue | typeof INCOMPLETE;

/** Number of elements of a fixed arraysize ('3', '2x3'), or -1 when variable ('*', '10*', '2x*'). */
function fixedCount(arraysize: string | null | undefined): number {
  if (arraysize == null || arraysize === '') return 1;
  let n = 1;
  for (const dim of arraysize.split('x')) {
    if (dim.endsWith('*')) return -1;
    const d = Number(dim);
    if (!Number.isInteger(d) || d < 0) return NaN;
    n *= d;
  }
  return n;
}

/** Element reader and size for a numeric datatype. */
function elementReader(datatype: TapDatatype): { size: number; read: (buf: Buffer, at: number) => number | bigint } {
  switch (datatype) {
    case 'unsignedByte':
      return { size: 1, read: (b, at) => b[at] };
    case 'short':
      return { size: 2, read: (b, at) => b.readInt16BE(at) };
    case 'int':
      return { size: 4, read: (b, at) => b.readInt32BE(at) };
    case 'long':
      return { size: 8, read: (b, at) => b.readBigInt64BE(at) };
    case 'float':
      return { size: 4, read: (b, at) => b.readFloatBE(at) };
    default:
      return { size: 8, read: (b, at) => b.readDoubleBE(at) };
  }
}

/** Builds the BINARY/BINARY2 decoder of one field. */
function binaryDecoder(f: FieldDecl, bitType: boolean): BinaryDecoder {
  const { datatype, arraysize } = f.meta;
  const count = fixedCount(arraysize);
  const readCount = (c: ByteCursor): number => {
    if (count >= 0) return count;
    if (c.pos + 4 > c.end) return -1;
    const n = c.buf.readUInt32BE(c.pos);
    c.pos += 4;
    return n;
  };
  if (datatype === 'char' || datatype === 'unicodeChar') {
    const unit = datatype === 'char' ? 1 : 2;
    return (c) => {
      const start = c.pos;
      const n = readCount(c);
      if (n < 0 || c.pos + n * unit > c.end) {
        c.pos = start;
        return INCOMPLETE;
      }
      const s = c.pos;
      let e = s + n * unit;
      c.pos = e;
      if (unit === 1) {
        const z = c.buf.indexOf(0, s);
        if (z >= 0 && z < e) e = z;
        return c.buf.toString('utf8', s, e);
      }
      // UCS-2 big-endian: swap into a copy, then decode as UTF-16LE.
      const le = Buffer.from(c.buf.subarray(s, e));
      le.swap16();
      let str = le.toString('utf16le');
      const z = str.indexOf('\u0000');
      if (z >= 0) str = str.slice(0, z);
      return str;
    };
  }
  if (datatype === 'boolean') {
    if (bitType) {
      // The bit belongs in the top bit; astropy writes 0x08, so any set bit means true.
      return (c) => {
        if (c.pos + 1 > c.end) return INCOMPLETE;
        return c.buf[c.pos++] !== 0;
      };
    }
    return (c) => {
      if (c.pos + 1 > c.end) return INCOMPLETE;
      const b = c.buf[c.pos++];
      if (b === 84 || b === 116 || b === 49) return true;
      if (b === 70 || b === 102 || b === 48) return false;
      return null;
    };
  }
  const { size, read } = elementReader(datatype);
  if (isArrayColumn(f.meta)) {
    return (c) => {
      const start = c.pos;
      const n = readCount(c);
      if (n < 0 || c.pos + n * size > c.end) {
        c.pos = start;
        return INCOMPLETE;
      }
      const out = new Array<number>(n);
      for (let k = 0; k < n; k++) out[k] = Number(read(c.buf, c.pos + k * size));
      c.pos += n * size;
      return out;
    };
  }
  const nullValue = f.nullText === null ? undefined : datatype === 'long' ? safeBigInt(f.nullText) : Number(f.nullText);
  const isFloat = datatype === 'float' || datatype === 'double';
  return (c) => {
    if (c.pos + size > c.end) return INCOMPLETE;
    const v = read(c.buf, c.pos);
    c.pos += size;
    if (v === nullValue) return null;
    if (isFloat && v !== v) return null;
    return v;
  };
}

/** BigInt of a text, or undefined when it is not an integer. */
function safeBigInt(text: string): bigint | undefined {
  try {
    return BigInt(text.trim());
  } catch {
    return undefined;
  }
}

/** Decodes BINARY/BINARY2 rows from base64 text as it arrives. */
class BinaryStreamDecoder {
  private bytes: Buffer = Buffer.alloc(0);
  private readonly cursor: ByteCursor = { buf: this.bytes, pos: 0, end: 0 };
  private b64Rest = '';
  private readonly bitmapBytes: number;

  constructor(
    private readonly decoders: BinaryDecoder[],
    private readonly binary2: boolean,
  ) {
    this.bitmapBytes = binary2 ? Math.ceil(decoders.length / 8) : 0;
  }

  /** Adds base64 text; returns false when it holds characters that are not base64. */
  addText(text: string): boolean {
    let t = this.b64Rest + text.replace(/\s+/g, '');
    if (/[^A-Za-z0-9+/=]/.test(t)) return false;
    const usable = t.length - (t.length % 4);
    this.b64Rest = t.slice(usable);
    if (usable === 0) return true;
    t = usable === t.length ? t : t.slice(0, usable);
    this.append(Buffer.from(t, 'base64'));
    return true;
  }

  /** Appends bytes after the unconsumed ones, compacting the buffer. */
  private append(more: Buffer): void {
    const c = this.cursor;
    const left = c.end - c.pos;
    if (c.pos + left + more.length <= this.bytes.length && c.pos === 0) {
      more.copy(this.bytes, c.end);
      c.end += more.length;
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(left + more.length, this.bytes.length));
    this.bytes.copy(next, 0, c.pos, c.end);
    more.copy(next, left);
    this.bytes = next;
    c.buf = next;
    c.pos = 0;
    c.end = left + more.length;
  }

  /** Decodes every complete row into `out`. */
  drain(out: CellValue[][]): void {
    const c = this.cursor;
    const decoders = this.decoders;
    const n = decoders.length;
    for (;;) {
      const start = c.pos;
      if (start >= c.end) return;
      let bitmapAt = -1;
      if (this.binary2) {
        if (start + this.bitmapBytes > c.end) return;
        bitmapAt = start;
        c.pos += this.bitmapBytes;
      }
      const row: CellValue[] = new Array(n);
      let complete = true;
      for (let j = 0; j < n; j++) {
        const v = decoders[j](c);
        if (v === INCOMPLETE) {
          complete = false;
          break;
        }
        row[j] = bitmapAt >= 0 && (c.buf[bitmapAt + (j >> 3)] & (0x80 >> (j & 7))) !== 0 ? null : v;
      }
      if (!complete) {
        c.pos = start;
        return;
      }
      out.push(row);
    }
  }

  /** Bytes (or base64 characters) left over that do not make a whole row. */
  get leftover(): number {
    return this.cursor.end - this.cursor.pos + this.b64Rest.replace(/=+$/, '').length;
  }
}

/** Where the parser is in the document. */
type Phase = 'before' | 'fields' | 'tabledata' | 'binary' | 'after';

/**
 * Opens a VOTable stream: parses up to the start of the first TABLE's data, then returns its
 * columns and a row iterator that parses the rest as rows are consumed.
 */
export async function readVotable(input: NodeJS.ReadableStream | Readable, options: VotableReadOptions): Promise<TableSource> {
  const file = options.file;
  const parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true });
  const chunks = (input as AsyncIterable<string | Buffer>)[Symbol.asyncIterator]();
  const decoder = new SniffingDecoder(file, { xml: true });
  let eof = false;
  const queue: CellValue[][] = [];

  let phase: Phase = 'before';
  let tableDepth = -1;
  let depth = 0;
  const stack: string[] = [];
  const fields: FieldDecl[] = [];
  // Which FIELDs were declared as 'bit' (in binary a bit, not a character).
  const fieldsBit: boolean[] = [];
  let tableName: string | null = null;
  let tableDescription: string | null = null;
  let metaReady = false;
  let text = '';
  let collecting = false;
  let parsers: TextCellParser[] = [];
  let plainChar: boolean[] = [];
  let binary: BinaryStreamDecoder | null = null;
  let binary2 = false;
  let row: CellValue[] = [];
  let tdLine = 0;
  let tdCol = 0;
  let trLine = 0;
  let trCol = 0;
  let tagLine = 0;
  let tagCol = 0;
  let endLine = 1;
  let endCol = 1;

  const fail = (message: string, line = parser.line, column = parser.column + 1): never => {
    throw new InputFileError(message, file, line, column);
  };

  parser.on('error', (err) => {
    // saxes prefixes its messages with "line:column: "; keep only the message.
    fail(`malformed XML: ${err.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')}`);
  });
  parser.on('opentagstart', (tag) => {
    // saxes has read '<', the name and one more character: step back to the '<' (1-based).
    tagLine = parser.line;
    tagCol = parser.column - tag.name.length - 1;
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const name = localName(tag.name);
    stack.push(name);
    depth++;
    const a = tag.attributes;
    if (phase === 'tabledata') {
      if (name === 'TD') {
        if (stack[stack.length - 2] !== 'TR') fail('TD outside TR', tagLine, tagCol);
        collecting = true;
        text = '';
        tdLine = tagLine;
        tdCol = tagCol;
      } else if (name === 'TR') {
        row = [];
        trLine = tagLine;
        trCol = tagCol;
      }
      return;
    }
    if (phase === 'before') {
      if (name === 'TABLE') {
        phase = 'fields';
        tableDepth = depth;
        tableName = a.name ?? null;
      }
      return;
    }
    if (phase === 'fields') {
      const parent = stack[stack.length - 2];
      if (name === 'FIELD' && depth === tableDepth + 1) {
        if (fields.length >= MAX_COLUMNS) fail(`more than ${MAX_COLUMNS} FIELDs; ${MAX_COLUMNS_TEXT}`, tagLine, tagCol);
        fields.push(fieldDecl(a, tagLine, tagCol));
      } else if (name === 'DESCRIPTION' && (depth === tableDepth + 1 || (parent === 'FIELD' && depth === tableDepth + 2))) {
        collecting = true;
        text = '';
      } else if (name === 'VALUES' && parent === 'FIELD' && depth === tableDepth + 2) {
        if (a.null !== undefined) fields[fields.length - 1].nullText = a.null;
      } else if (name === 'TABLEDATA' || name === 'BINARY' || name === 'BINARY2') {
        startData(name, tagLine, tagCol);
      } else if (name === 'FITS') {
        fail('FITS serialization inside VOTable is not supported', tagLine, tagCol);
      } else if (name === 'STREAM' && a.href !== undefined) {
        fail('external streams (STREAM href) are not supported', tagLine, tagCol);
      }
      return;
    }
    if (phase === 'binary') {
      if (name === 'STREAM') {
        if (a.href !== undefined) fail('external streams (STREAM href) are not supported', tagLine, tagCol);
        if (a.encoding !== undefined && a.encoding !== 'base64') fail(`STREAM encoding "${a.encoding}" is not supported`, tagLine, tagCol);
        collecting = true;
      }
    }
  });
  parser.on('text', (t) => {
    if (!collecting) return;
    if (phase === 'binary') {
      if (!binary!.addText(t)) fail('STREAM holds characters that are not base64');
      binary!.drain(queue);
    } else {
      text = text.length === 0 ? t : text + t;
    }
  });
  parser.on('cdata', (t) => {
    if (collecting && phase !== 'binary') text += t;
  });
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    stack.pop();
    depth--;
    if (phase === 'tabledata') {
      if (name === 'TD') {
        collecting = false;
        const j = row.length;
        if (j >= parsers.length) fail(`TR has more TD than the ${parsers.length} FIELDs`, tdLine, tdCol);
        row.push(tdValue(j, text));
        text = '';
      } else if (name === 'TR') {
        if (row.length !== parsers.length) fail(`TR has ${row.length} TD but the table has ${parsers.length} FIELDs`, trLine, trCol);
        queue.push(row);
      } else if (name === 'TABLEDATA') {
        phase = 'after';
      }
      return;
    }
    if (phase === 'fields') {
      if (name === 'DESCRIPTION' && collecting) {
        collecting = false;
        const d = text.trim() || null;
        if (depth === tableDepth) tableDescription = d;
        else fields[fields.length - 1].meta.description = d;
      } else if (name === 'TABLE' && depth === tableDepth - 1) {
        // A table without DATA: metadata only, no rows.
        if (fields.length === 0) fail('TABLE has no FIELD');
        buildColumns();
        phase = 'after';
      }
      return;
    }
    if (phase === 'binary') {
      if (name === 'STREAM') {
        collecting = false;
        binary!.drain(queue);
        if (binary!.leftover > 0) fail(`the ${binary2 ? 'BINARY2' : 'BINARY'} stream ends inside a row (truncated?)`);
      } else if (name === 'BINARY' || name === 'BINARY2') {
        phase = 'after';
      }
    }
  });

  /** A FIELD's declaration from its attributes. */
  function fieldDecl(a: Record<string, string>, line: number, col: number): FieldDecl {
    const name = a.name ?? a.ID;
    if (!name) fail('FIELD without name', line, col);
    // The name becomes an identifier, quoted as it is: it must be printable text.
    const problem = columnNameProblem(name);
    if (problem === 'control') fail(`FIELD name ${shown(name)} holds a control character, which a column name cannot have`, line, col);
    if (problem === 'not-utf8') fail(`FIELD name ${shown(name)} is not UTF-8 text; save the file as UTF-8 or declare its encoding`, line, col);
    if (problem === 'too-long') fail(tooLongName('FIELD name', name), line, col);
    // hasOwn: datatype="constructor" is unknown, not Object's constructor.
    const datatype = Object.hasOwn(DATATYPES, a.datatype ?? '') ? DATATYPES[a.datatype!] : undefined;
    if (datatype === undefined) return fail(`FIELD ${name}: datatype "${a.datatype ?? ''}" is not supported`, line, col);
    const arraysize = a.arraysize?.trim() || null;
    const meta: ColumnMeta = {
      name,
      datatype,
      arraysize,
      xtype: a.xtype ?? null,
      unit: a.unit ?? null,
      ucd: a.ucd ?? null,
      utype: a.utype ?? null,
      description: null,
    };
    if (datatype === 'boolean' && isArrayColumn(meta)) fail(`FIELD ${name}: ${a.datatype} arrays are not supported`, line, col);
    fieldsBit.push(a.datatype === 'bit');
    if (a.datatype === 'bit') meta.arraysize = null;
    if (Number.isNaN(fixedCount(arraysize))) fail(`FIELD ${name}: bad arraysize "${arraysize}"`, line, col);
    return { meta, nullText: null };
  }

  /** Freezes the columns; called when the data starts (or the table ends without data). */
  function buildColumns(): void {
    parsers = fields.map((f) => textCellParser(f.meta));
    plainChar = fields.map((f) => (f.meta.datatype === 'char' || f.meta.datatype === 'unicodeChar') && f.meta.xtype !== 'timestamp');
    metaReady = true;
  }

  function startData(name: string, line: number, col: number): void {
    if (fields.length === 0) fail('TABLE has no FIELD', line, col);
    buildColumns();
    if (name === 'TABLEDATA') {
      phase = 'tabledata';
      return;
    }
    binary2 = name === 'BINARY2';
    binary = new BinaryStreamDecoder(
      fields.map((f, j) => binaryDecoder(f, fieldsBit[j])),
      binary2,
    );
    phase = 'binary';
  }

  /** The value of TD number j. */
  function tdValue(j: number, t: string): CellValue {
    if (t.length === 0) return null;
    const nullText = fields[j].nullText;
    if (nullText !== null && (t === nullText || (!plainChar[j] && t.trim() === nullText))) return null;
    if (!plainChar[j] && t.trim().length === 0) return null;
    try {
      return parsers[j](t);
    } catch (e) {
      if (e instanceof CellSyntaxError) fail(`FIELD ${fields[j].meta.name}: ${e.message}`, tdLine, tdCol);
      throw e;
    }
  }

  /** Feeds the next input chunk (in slices) to the parser; false once the input has ended. */
  async function pump(): Promise<boolean> {
    if (eof) return false;
    const r = await chunks.next();
    let t: string;
    if (r.done) {
      eof = true;
      t = decoder.end();
    } else {
      t = typeof r.value === 'string' ? r.value : decoder.write(r.value);
    }
    for (let k = 0; k < t.length; k += SLICE) parser.write(k === 0 && t.length <= SLICE ? t : t.slice(k, k + SLICE));
    if (eof) {
      // close() resets the parser's position, so remember where the document ended.
      endLine = parser.line;
      endCol = parser.column + 1;
      parser.close();
    }
    return !eof;
  }

  /** Ends (destroys) the input unless it was read to its end. */
  async function close(): Promise<void> {
    if (eof) return;
    eof = true;
    await chunks.return?.();
  }

  try {
    while (!metaReady) {
      if (!(await pump())) {
        if (!metaReady) fail(phase === 'before' ? 'no TABLE in the document' : 'the document ends before the table data', endLine, endCol);
      }
    }
  } catch (e) {
    await close();
    throw e;
  }

  async function* rows(): AsyncGenerator<CellValue[]> {
    let head = 0;
    try {
      for (;;) {
        while (head < queue.length) {
          const r = queue[head];
          queue[head++] = undefined as unknown as CellValue[];
          yield r;
        }
        queue.length = 0;
        head = 0;
        if (eof) return;
        await pump();
      }
    } finally {
      // A consumer that stops early (or an error) ends the input instead of leaving it paused.
      await close();
    }
  }

  const name = options.tableName ?? (tableName || basename(file, extname(file)));
  return {
    meta: { name, description: tableDescription, columns: fields.map((f) => f.meta) },
    rows: rows(),
  };
}
