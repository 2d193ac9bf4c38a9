import { expect } from 'chai';
import { SniffingDecoder, startsAsXml } from '../../src/formats/text-decoding.js';
import { InputFileError } from '../../src/errors.js';

/** Decodes `data` in chunks of `size` bytes. */
function decode(data: Buffer, size: number, xml: boolean): { text: string; encoding: string | null } {
  const d = new SniffingDecoder('f', { xml });
  let text = '';
  for (let i = 0; i < data.length; i += size) text += d.write(data.subarray(i, i + size));
  return { text: text + d.end(), encoding: d.encoding };
}

describe('text decoding (byte-order marks, UTF-16, XML declarations)', () => {
  const sample = 'a,b\n1,ünï ☃ 𝄞\n';
  const le = Buffer.from(sample, 'utf16le');
  const be = Buffer.from(le).swap16();

  it('follows a byte-order mark (and drops it), splitting characters across any chunk boundary', () => {
    for (const [data, encoding] of [
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample)]), 'utf-8'],
      [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'utf-16le'],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'utf-16be'],
      [le, 'utf-16le'],
      [be, 'utf-16be'],
      [Buffer.from(sample), 'utf-8'],
    ] as const) {
      for (const size of [1, 2, 3, 5, 1000]) {
        for (const xml of [false, true]) expect(decode(data, size, xml), `${encoding} ${size}`).to.deep.equal({ text: sample, encoding });
      }
    }
  });

  it('decodes inputs shorter than the sniffed head, and an empty one', () => {
    expect(decode(Buffer.from('a'), 1, false).text).to.equal('a');
    expect(decode(Buffer.from([0xff, 0xfe, 0x61, 0x00]), 1, false).text).to.equal('a');
    expect(decode(Buffer.alloc(0), 1, true).text).to.equal('');
    // A lone last byte of UTF-16 is no character: U+FFFD, as UTF-8 decoding marks bad bytes.
    expect(decode(Buffer.from([0xfe, 0xff, 0x00, 0x61, 0x00]), 1, false).text).to.equal('a\ufffd');
  });

  it('decodes XML in the 8-bit encoding its declaration names; UTF-16 named over 8-bit bytes is UTF-8', () => {
    const latin1 = Buffer.from("<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>", 'latin1');
    expect(decode(latin1, 3, true).text).to.equal("<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>");
    expect(decode(latin1, 3, false).text).to.include('\ufffd');
    const mislabelled = '<?xml version="1.0" encoding="UTF-16"?><a>é</a>';
    expect(decode(Buffer.from(mislabelled), 4, true)).to.deep.equal({ text: mislabelled, encoding: 'utf-8' });
    expect(() => decode(Buffer.from('<?xml version="1.0" encoding="EBCDIC-nonsense"?><a/>'), 7, true)).to.throw(InputFileError, /f, line 1, column 1: .*"EBCDIC-nonsense"/);
  });

  it('tells XML from other text by its first bytes, in any of these encodings', () => {
    const xml = '\n <?xml version="1.0"?><VOTABLE/>';
    for (const head of [Buffer.from(xml), Buffer.from(xml, 'utf16le'), Buffer.from(xml, 'utf16le').swap16(), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)])]) {
      expect(startsAsXml(head.subarray(0, 64)), head.toString('hex', 0, 8)).to.equal(true);
    }
    for (const head of [Buffer.from('a,b\n1,2\n'), Buffer.from('a,b\n', 'utf16le'), Buffer.from([0, 1, 2, 3, 0xff]), Buffer.alloc(0)]) {
      expect(startsAsXml(head), head.toString('hex', 0, 8)).to.equal(false);
    }
  });
});
