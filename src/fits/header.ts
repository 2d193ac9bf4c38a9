/**
 * FITS header cards: 80-character cards in 2880-byte blocks, ended by END. Parses keyword,
 * typed value and comment, joins CONTINUE long strings, and checks the card syntax. Pure: the
 * callers read the blocks (from a stream for tables, from files for images).
 */

/** Bytes in a FITS block: headers and data are padded to a multiple of this. */
export const FITS_BLOCK = 2880;
/** Characters in a header card. */
export const FITS_CARD = 80;

/** A card's value: string, logical, integer (bigint beyond 2^53), real; null when undefined. */
export type FitsValue = string | number | bigint | boolean | null;

/** One header card. `value` is undefined for commentary cards (COMMENT, HISTORY, blank, ...). */
export interface FitsCard {
  keyword: string;
  value: FitsValue | undefined;
  comment: string | null;
}

/** A malformed header; `card` is the 0-based index of the faulty card in its header. */
export class FitsHeaderError extends Error {
  constructor(
    message: string,
    readonly card: number,
  ) {
    super(message);
  }
}

/** Parses the value field (columns 11-80) of a value card into value and comment. */
function parseValueField(field: string, index: number): { value: FitsValue; comment: string | null } {
  let i = 0;
  const n = field.length;
  while (i < n && field.charCodeAt(i) === 32) i++;
  if (i < n && field.charCodeAt(i) === 39) {
    // Quoted string: '' inside stands for one quote; trailing blanks are not significant.
    let out = '';
    let j = i + 1;
    for (;;) {
      const q = field.indexOf("'", j);
      if (q < 0) throw new FitsHeaderError(`unterminated string in card ${index + 1}`, index);
      out += field.slice(j, q);
      if (field.charCodeAt(q + 1) === 39) {
        out += "'";
        j = q + 2;
        continue;
      }
      j = q + 1;
      break;
    }
    while (j < n && field.charCodeAt(j) === 32) j++;
    if (j < n && field.charCodeAt(j) !== 47) throw new FitsHeaderError(`text after the string value in card ${index + 1}`, index);
    const comment = j < n ? field.slice(j + 1).trim() : null;
    return { value: out.replace(/ +$/, ''), comment };
  }
  const slash = field.indexOf('/', i);
  const token = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
  const comment = slash < 0 ? null : field.slice(slash + 1).trim();
  return { value: parseToken(token, index), comment };
}

/** A non-string value: logical, integer, real, complex (kept as text) or empty (null). */
function parseToken(token: string, index: number): FitsValue {
  if (token === '') return null;
  if (token === 'T') return true;
  if (token === 'F') return false;
  if (/^[+-]?\d+$/.test(token)) {
    const n = Number(token);
    return Number.isSafeInteger(n) ? n : BigInt(token);
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/.test(token)) return Number(token.replace(/[Dd]/, 'E'));
  if (/^\(.*\)$/.test(token)) return token;
  throw new FitsHeaderError(`bad value "${token}" in card ${index + 1}`, index);
}

/** Parses one 80-character card; `index` (0-based) is for error messages. */
export function parseCard(card: string, index = 0): FitsCard {
  for (let k = 0; k < card.length; k++) {
    const c = card.charCodeAt(k);
    if (c < 32 || c > 126) throw new FitsHeaderError(`non-ASCII or control character in card ${index + 1}`, index);
  }
  const keyword = card.slice(0, 8).trimEnd();
  if (!/^[A-Z0-9_-]*$/.test(keyword)) {
    throw new FitsHeaderError(`bad keyword "${keyword}" in card ${index + 1} (not a FITS header?)`, index);
  }
  if (keyword === 'CONTINUE') {
    const { value, comment } = parseValueField(card.slice(8), index);
    return { keyword, value: typeof value === 'string' ? value : undefined, comment };
  }
  if (card.slice(8, 10) !== '= ' || keyword === 'COMMENT' || keyword === 'HISTORY' || keyword === '') {
    const text = card.slice(8).trimEnd();
    return { keyword, value: undefined, comment: text === '' ? null : text };
  }
  const { value, comment } = parseValueField(card.slice(10), index);
  return { keyword, value, comment };
}

/**
 * Appends the cards of one 2880-byte block to `cards`; true when the block holds END (cards
 * after END are blank padding and dropped). CONTINUE cards are appended as they are; FitsHeader
 * joins them.
 */
export function parseHeaderBlock(block: Uint8Array, cards: FitsCard[]): boolean {
  if (block.length !== FITS_BLOCK) throw new FitsHeaderError(`header block of ${block.length} bytes`, cards.length);
  const text = Buffer.from(block.buffer, block.byteOffset, block.length).toString('latin1');
  for (let k = 0; k < FITS_BLOCK; k += FITS_CARD) {
    const card = text.slice(k, k + FITS_CARD);
    if (card.startsWith('END') && card.slice(3).trim() === '') return true;
    cards.push(parseCard(card, cards.length));
  }
  return false;
}

/** A parsed header: cards in order plus keyed access; CONTINUE long strings are joined. */
export class FitsHeader {
  readonly cards: FitsCard[];
  private readonly byKey = new Map<string, FitsCard>();

  constructor(cards: FitsCard[]) {
    const merged: FitsCard[] = [];
    for (const card of cards) {
      const prev = merged[merged.length - 1];
      if (card.keyword === 'CONTINUE' && prev && typeof prev.value === 'string' && prev.value.endsWith('&') && typeof card.value === 'string') {
        merged[merged.length - 1] = { ...prev, value: prev.value.slice(0, -1) + card.value };
        continue;
      }
      merged.push(card);
    }
    this.cards = merged;
    for (const card of merged) {
      if (card.value !== undefined && !this.byKey.has(card.keyword)) this.byKey.set(card.keyword, card);
    }
  }

  /** The value of the first card with this keyword, or undefined. */
  get(keyword: string): FitsValue | undefined {
    return this.byKey.get(keyword)?.value;
  }

  /** A string value, or undefined when absent or not a string. */
  getString(keyword: string): string | undefined {
    const v = this.get(keyword);
    return typeof v === 'string' ? v : undefined;
  }

  /** A numeric value (bigint converted), or undefined when absent or not numeric. */
  getNumber(keyword: string): number | undefined {
    const v = this.get(keyword);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return undefined;
  }

  /** A required non-negative integer; throws FitsHeaderError when missing or not one. */
  requireInt(keyword: string): number {
    const v = this.get(keyword);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new FitsHeaderError(`${keyword} is ${v === undefined ? 'missing' : `not a non-negative integer (${String(v)})`}`, this.cards.length);
    }
    return v;
  }
}
