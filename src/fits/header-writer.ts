/**
 * FITS header cards, written: 80-character ASCII cards with the value in fixed format (logical
 * and integers right-justified to column 30, strings quoted from column 11), long strings split
 * over CONTINUE cards (the long-string convention of FITS 4.0), and headers padded with blanks
 * to whole 2880-byte blocks after END.
 */
import { FITS_BLOCK, FITS_CARD } from './header.js';

/** A value to write: string, logical, integer (number or bigint) or real. */
export type FitsCardValue = string | boolean | number | bigint;

/** Longest string piece a card holds: 70 value columns less two quotes and the '&'. */
const PIECE = 67;

/** Text a header may hold: printable ASCII only; line breaks become blanks, others '?'. */
export function fitsText(s: string): string {
  return s.replace(/[\t\n\r]/g, ' ').replace(/[^\x20-\x7e]/g, '?');
}

function pad(s: string): string {
  return s.length >= FITS_CARD ? s.slice(0, FITS_CARD) : s + ' '.repeat(FITS_CARD - s.length);
}

/** A real in FITS form: always with a decimal point or an exponent. */
function fitsReal(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`FITS header values must be finite, not ${n}`);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return `${n}.0`;
  return String(n).toUpperCase();
}

/** Appends ' / comment' when it fits whole in the card (a cut comment misleads). */
function withComment(card: string, comment: string | undefined): string {
  if (!comment) return pad(card);
  const text = ` / ${fitsText(comment)}`;
  return card.length + text.length <= FITS_CARD ? pad(card + text) : pad(card);
}

/** Splits an (already quote-doubled) string into pieces of at most PIECE chars, never between a doubled quote. */
function splitQuoted(q: string): string[] {
  const pieces: string[] = [];
  let i = 0;
  while (q.length - i > PIECE) {
    let end = i + PIECE;
    // Count the quotes just before `end`: an odd run means a doubled quote would be cut.
    let k = end;
    while (k > i && q[k - 1] === "'") k--;
    if ((end - k) % 2 === 1) end--;
    pieces.push(q.slice(i, end));
    i = end;
  }
  pieces.push(q.slice(i));
  return pieces;
}

/**
 * The card(s) for `keyword = value / comment`: one card, or for strings that do not fit, a
 * first card and CONTINUE cards each ending its piece with '&'.
 */
export function fitsCards(keyword: string, value: FitsCardValue, comment?: string): string[] {
  if (!/^[A-Z0-9_-]{1,8}$/.test(keyword)) throw new RangeError(`bad FITS keyword "${keyword}"`);
  const key = keyword.padEnd(8, ' ') + '= ';
  if (typeof value !== 'string') {
    const text = typeof value === 'boolean' ? (value ? 'T' : 'F') : typeof value === 'bigint' || Number.isInteger(value) ? String(value) : fitsReal(value);
    return [withComment(key + text.padStart(20, ' '), comment)];
  }
  const q = fitsText(value).replace(/'/g, "''");
  if (q.length <= 68) return [withComment(`${key}'${q.padEnd(8, ' ')}'`, comment)];
  const pieces = splitQuoted(q);
  const cards = pieces.map((p, k) => {
    const last = k === pieces.length - 1;
    const body = `'${p}${last ? '' : '&'}'`;
    return k === 0 ? key + body : `CONTINUE  ${body}`;
  });
  cards[cards.length - 1] = withComment(cards[cards.length - 1], comment);
  return cards.map(pad);
}

/** COMMENT cards holding `text`, wrapped at 72 characters. */
export function fitsCommentCards(text: string): string[] {
  const t = fitsText(text);
  const cards: string[] = [];
  for (let i = 0; i < t.length || i === 0; i += 72) cards.push(pad(`COMMENT ${t.slice(i, i + 72)}`));
  return cards;
}

/** The header bytes: the cards, END, blank padding to a whole number of blocks. */
export function fitsHeaderBytes(cards: string[]): Buffer {
  const text = cards.join('') + pad('END');
  const size = Math.ceil(text.length / FITS_BLOCK) * FITS_BLOCK;
  return Buffer.from(text.padEnd(size, ' '), 'latin1');
}

/** Zero bytes that pad `length` bytes of data to a whole number of blocks. */
export function fitsDataPadding(length: number): Buffer {
  return Buffer.alloc((FITS_BLOCK - (length % FITS_BLOCK)) % FITS_BLOCK);
}
