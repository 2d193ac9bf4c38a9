/**
 * Bytes to text for the text readers (CSV, VOTable): the encoding comes from a byte-order mark
 * (UTF-8, UTF-16LE, UTF-16BE, as Windows tools write them), or from two ASCII characters in
 * UTF-16 without a mark (a NUL every other byte, which no UTF-8 table header or XML starts
 * with); for XML also from the encoding the XML declaration names (XML 1.0, appendix F);
 * otherwise the text is UTF-8. Decoding streams: a character split across chunks
 * is joined, and nothing but the few bytes of the sniffed head is ever held.
 */
import { StringDecoder } from 'node:string_decoder';
import { InputFileError } from '../errors.js';

/** A streaming decoder: text for each chunk, and the rest at the end. */
interface ChunkDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

/** Bytes looked at before the encoding is chosen; an XML declaration longer than this is not read. */
const HEAD_BYTES = 512;

/** UTF-16BE through Node's UTF-16LE decoder: bytes swapped in pairs, an odd byte kept for the next chunk. */
class Utf16BeDecoder implements ChunkDecoder {
  private readonly le = new StringDecoder('utf16le');
  private odd: Buffer | null = null;

  write(chunk: Buffer): string {
    const bytes = this.odd ? Buffer.concat([this.odd, chunk]) : chunk;
    const even = bytes.length - (bytes.length % 2);
    this.odd = even < bytes.length ? Buffer.from(bytes.subarray(even)) : null;
    if (even === 0) return '';
    // A copy: swap16 works in place and the chunk belongs to the caller.
    return this.le.write(Buffer.from(bytes.subarray(0, even)).swap16());
  }

  end(): string {
    // A lone last byte cannot be a character; U+FFFD says so, as the UTF-8 decoder does.
    const rest = this.le.end() + (this.odd ? '\ufffd' : '');
    this.odd = null;
    return rest;
  }
}

/** An encoding WHATWG's TextDecoder knows (ISO-8859-1, windows-1252, ...), streaming. */
class LabelDecoder implements ChunkDecoder {
  constructor(private readonly decoder: TextDecoder) {}
  write(chunk: Buffer): string {
    return this.decoder.decode(chunk, { stream: true });
  }
  end(): string {
    return this.decoder.decode();
  }
}

/** The encoding named in an XML declaration at the start of `head` (8-bit text), or null. */
function declaredEncoding(head: string): string | null {
  const end = head.indexOf('?>');
  const decl = end < 0 ? head : head.slice(0, end);
  const m = /^<\?xml\s[^]*?\bencoding\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(decl);
  return m ? (m[1] ?? m[2] ?? '').trim() : null;
}

/** A printable ASCII character, or a tab or line end. */
function isAscii(b: number): boolean {
  return (b >= 32 && b < 127) || b === 9 || b === 10 || b === 13;
}

/** Starts with `bytes`. */
function startsWith(b: Buffer, ...bytes: number[]): boolean {
  if (b.length < bytes.length) return false;
  return bytes.every((x, i) => b[i] === x);
}

/**
 * Decodes a byte stream to text, choosing the encoding from its first bytes (see the module
 * comment). `file` names the input in the error for an encoding it cannot decode.
 */
export class SniffingDecoder {
  private head: Buffer | null = Buffer.alloc(0);
  private decoder: ChunkDecoder | null = null;
  /** The encoding chosen (once known): 'utf-8', 'utf-16le', 'utf-16be' or a TextDecoder label. */
  encoding: string | null = null;

  constructor(
    private readonly file: string,
    private readonly options: { xml: boolean },
  ) {}

  /** Text of the next chunk (empty while the head is still being sniffed). */
  write(chunk: Buffer): string {
    if (this.decoder) return this.decoder.write(chunk);
    const head = Buffer.concat([this.head!, chunk]);
    if (!this.decide(head, false)) {
      this.head = head;
      return '';
    }
    return this.start(head);
  }

  /** The rest of the text at the end of the input. */
  end(): string {
    if (!this.decoder) {
      const head = this.head!;
      this.decide(head, true);
      return this.start(head) + this.decoder!.end();
    }
    return this.decoder.end();
  }

  /** Text of the sniffed head, byte-order mark dropped, once the decoder is chosen. */
  private start(head: Buffer): string {
    this.head = null;
    const bom = this.encoding === 'utf-8' && startsWith(head, 0xef, 0xbb, 0xbf) ? 3 : this.encoding?.startsWith('utf-16') && (startsWith(head, 0xff, 0xfe) || startsWith(head, 0xfe, 0xff)) ? 2 : 0;
    return this.decoder!.write(head.subarray(bom));
  }

  /** Chooses the decoder when `head` says enough (or `final`); false to wait for more bytes. */
  private decide(head: Buffer, final: boolean): boolean {
    if (head.length < 5 && !final) return false;
    if (startsWith(head, 0xef, 0xbb, 0xbf)) return this.use('utf-8');
    if (startsWith(head, 0xff, 0xfe)) return this.use('utf-16le');
    if (startsWith(head, 0xfe, 0xff)) return this.use('utf-16be');
    // Two ASCII characters in UTF-16 without a byte-order mark ("<?" in XML appendix F).
    if (head.length >= 4 && isAscii(head[0]!) && head[1] === 0 && isAscii(head[2]!) && head[3] === 0) return this.use('utf-16le');
    if (head.length >= 4 && head[0] === 0 && isAscii(head[1]!) && head[2] === 0 && isAscii(head[3]!)) return this.use('utf-16be');
    if (!this.options.xml) return this.use('utf-8');
    if (!startsWith(head, 0x3c, 0x3f, 0x78, 0x6d, 0x6c)) return this.use('utf-8');
    const text = head.subarray(0, HEAD_BYTES).toString('latin1');
    if (!text.includes('?>') && head.length < HEAD_BYTES && !final) return false;
    const label = declaredEncoding(text);
    const lower = label?.toLowerCase() ?? 'utf-8';
    // UTF-16 declared over 8-bit bytes is a mislabel: the bytes say what they are.
    if (lower === 'utf-8' || lower === 'utf8' || lower === 'us-ascii' || lower === 'ascii' || lower.startsWith('utf-16')) return this.use('utf-8');
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(lower);
    } catch {
      throw new InputFileError(`the XML declaration names encoding ${JSON.stringify(label)}, which is not supported; save the file as UTF-8`, this.file, 1, 1);
    }
    this.encoding = decoder.encoding;
    this.decoder = new LabelDecoder(decoder);
    return true;
  }

  private use(encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): true {
    this.encoding = encoding;
    this.decoder = encoding === 'utf-16be' ? new Utf16BeDecoder() : new StringDecoder(encoding === 'utf-8' ? 'utf8' : 'utf16le');
    return true;
  }
}

/**
 * Whether a file's first bytes are XML (a VOTable), in any encoding the readers decode: for
 * choosing between the VOTable and the CSV reader by content. A UTF-16 byte-order mark does not
 * read as '<' in UTF-8, so a test on the UTF-8 text alone sends UTF-16 XML to the CSV reader.
 */
export function startsAsXml(head: Buffer): boolean {
  const decoder = new SniffingDecoder('head', { xml: true });
  let text: string;
  try {
    text = decoder.write(head) + decoder.end();
  } catch {
    // Only an XML declaration names an encoding that can be unknown.
    return true;
  }
  return text.trimStart().startsWith('<');
}
