import { expect } from 'chai';
import { FITS_BLOCK, FitsHeader, FitsHeaderError, parseCard, parseHeaderBlock, type FitsCard } from '../../src/fits/header.js';

/** An 80-character card. */
const card = (text: string): string => text.padEnd(80, ' ');

describe('FITS header cards', () => {
  it('parses typed values and comments', () => {
    expect(parseCard(card('SIMPLE  =                    T / conforms'))).to.deep.equal({ keyword: 'SIMPLE', value: true, comment: 'conforms' });
    expect(parseCard(card('EXTEND  =                    F'))).to.deep.equal({ keyword: 'EXTEND', value: false, comment: null });
    expect(parseCard(card('NAXIS1  =                  -42 / width')).value).to.equal(-42);
    expect(parseCard(card('BIG     = 9223372036854775807')).value).to.equal(9223372036854775807n);
    expect(parseCard(card('EXPTIME =              1.5D+02')).value).to.equal(150);
    expect(parseCard(card('CRVAL1  =               -.5E-3')).value).to.equal(-0.0005);
    expect(parseCard(card('UNDEF   =                      / no value')).value).to.equal(null);
    expect(parseCard(card("OBJECT  = 'M31 ''core''  '   / with quotes"))).to.deep.equal({ keyword: 'OBJECT', value: "M31 'core'", comment: 'with quotes' });
    expect(parseCard(card("EMPTY   = ''")).value).to.equal('');
    expect(parseCard(card("LEAD    = '  x'")).value).to.equal('  x');
  });

  it('keeps commentary cards as their raw text, without value', () => {
    expect(parseCard(card('COMMENT   a note = not a value'))).to.deep.equal({ keyword: 'COMMENT', value: undefined, comment: '  a note = not a value' });
    expect(parseCard(card('HISTORY made by a test'))).to.deep.equal({ keyword: 'HISTORY', value: undefined, comment: 'made by a test' });
    expect(parseCard(card(''))).to.deep.equal({ keyword: '', value: undefined, comment: null });
  });

  it('rejects malformed cards with the card number', () => {
    expect(() => parseCard(card("OBJECT  = 'open"), 4)).to.throw(FitsHeaderError, /unterminated string in card 5/);
    expect(() => parseCard(card('NAXIS   = 12abc'), 0)).to.throw(FitsHeaderError, /bad value "12abc" in card 1/);
    expect(() => parseCard(card('naxis   = 1'), 2)).to.throw(FitsHeaderError, /bad keyword "naxis" in card 3/);
    expect(() => parseCard(card('KEY     = 1 \u00e9'), 0)).to.throw(FitsHeaderError, /non-ASCII/);
    expect(() => parseCard(card("KEY     = 'a' b"), 0)).to.throw(FitsHeaderError, /text after the string/);
  });

  it('reads blocks up to END and joins CONTINUE long strings', () => {
    const cards = [
      card('XTENSION= \'BINTABLE\''),
      card('NAXIS   =                    2'),
      card("LONGSTR = 'first part, &'"),
      card("CONTINUE  'second part&'"),
      card("CONTINUE  ' and the end' / the comment"),
      card('NAXIS   =                    3 / a repeated keyword: the first wins'),
      card('END'),
    ];
    const block = Buffer.from(cards.join('').padEnd(FITS_BLOCK, ' '), 'latin1');
    const parsed: FitsCard[] = [];
    expect(parseHeaderBlock(block, parsed)).to.equal(true);
    expect(parsed.length).to.equal(6);
    const h = new FitsHeader(parsed);
    expect(h.getString('XTENSION')).to.equal('BINTABLE');
    expect(h.getString('LONGSTR')).to.equal('first part, second part and the end');
    expect(h.getNumber('NAXIS')).to.equal(2);
    expect(h.requireInt('NAXIS')).to.equal(2);
    expect(() => h.requireInt('NAXIS9')).to.throw(FitsHeaderError, /NAXIS9 is missing/);
    expect(h.get('MISSING')).to.equal(undefined);
  });

  it('reports a block without END as unfinished and rejects a short block', () => {
    const block = Buffer.from(card('SIMPLE  =                    T').padEnd(FITS_BLOCK, ' '), 'latin1');
    const parsed: FitsCard[] = [];
    expect(parseHeaderBlock(block, parsed)).to.equal(false);
    expect(parsed[0].value).to.equal(true);
    expect(() => parseHeaderBlock(block.subarray(0, 100), [])).to.throw(FitsHeaderError, /header block of 100 bytes/);
  });
});
