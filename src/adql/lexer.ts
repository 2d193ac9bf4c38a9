/**
 * The ADQL tokenizer. It never throws: text that cannot start an ADQL token becomes a `bad`
 * token carrying an explanation, so the parser reports problems in text order (an earlier
 * syntax error wins over a later stray character).
 */

import type { Pos } from './ast.js';

/** Token types. `word` is a regular identifier or keyword; `quoted` a delimited identifier. */
export type TokenType = 'word' | 'quoted' | 'number' | 'string' | 'punct' | 'bad' | 'eof';

export interface Token {
  type: TokenType;
  /**
   * word: the text upper-cased; quoted/string: the unescaped content; number: the text;
   * punct: the symbol; bad: the explanation; eof: ''.
   */
  value: string;
  /** The token's raw source text. */
  raw: string;
  pos: Pos;
  /** Offset just past the token. */
  end: number;
  /** For numbers: how it was written. */
  numberForm?: 'integer' | 'decimal' | 'approximate' | 'hex';
}

const PUNCT2 = new Set(['<>', '!=', '<=', '>=', '||']);
const PUNCT1 = new Set(['(', ')', ',', '.', '*', '+', '-', '/', '=', '<', '>', '|', '&', '^', '~']);

/** Why a character that starts no ADQL token is there, in words a user can act on. */
function foreignMessage(text: string, i: number): { message: string; length: number } {
  const c = text[i]!;
  const two = text.slice(i, i + 2);
  if (two === '::') return { message: "'::' casts are not ADQL; use CAST(x AS type)", length: 2 };
  if (two === '/*') {
    return { message: "'/* */' comments are not ADQL; use -- to comment to the end of a line", length: 2 };
  }
  switch (c) {
    case ';':
      return { message: "';' is not allowed: send a single query, without a terminating semicolon", length: 1 };
    case '$':
      return { message: "'$' (dollar quoting or positional parameters) is not ADQL", length: 1 };
    case '%':
      return { message: "'%' is not an ADQL operator; use MOD(x, y)", length: 1 };
    case ':':
      return { message: "':' is not allowed here (parameters and '::' casts are not ADQL)", length: 1 };
    case '?':
      return { message: "'?' parameters are not ADQL", length: 1 };
    case '[':
    case ']':
      return { message: `'${c}' (array subscripts) is not ADQL`, length: 1 };
    case '!':
      return { message: "unexpected '!'; the not-equal operator is '<>' or '!='", length: 1 };
    case '`':
      return { message: "backquoted names are not ADQL; quote names with double quotes (\"name\")", length: 1 };
    default: {
      const cp = text.codePointAt(i)!;
      const shown = cp < 32 || cp === 127 ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `'${String.fromCodePoint(cp)}'`;
      const hint =
        cp > 127 && /\p{L}/u.test(String.fromCodePoint(cp))
          ? '; regular identifiers use ASCII letters, digits and _: write other names in double quotes'
          : '';
      return { message: `unexpected character ${shown}${hint}`, length: cp > 0xffff ? 2 : 1 };
    }
  }
}

function isLetter(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentPart(c: string | undefined): boolean {
  return isLetter(c) || isDigit(c) || c === '_';
}

function isHexDigit(c: string | undefined): boolean {
  return isDigit(c) || (c !== undefined && /^[a-fA-F]$/.test(c));
}

/** The quoted text opening at `from` (quote `q`, doubled to escape itself): its content and where it ends. */
function readQuoted(text: string, from: number, q: string): { value: string; end: number; closed: boolean } {
  let value = '';
  let j = from + 1;
  for (;;) {
    const close = text.indexOf(q, j);
    if (close < 0) return { value: value + text.slice(j), end: text.length, closed: false };
    value += text.slice(j, close);
    if (text[close + 1] !== q) return { value, end: close + 1, closed: true };
    value += q;
    j = close + 2;
  }
}

/** The offset after the spaces, newlines and -- comments starting at `from`. */
function skipSeparators(text: string, from: number): number {
  let k = from;
  for (;;) {
    const ch = text[k];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') k++;
    else if (ch === '-' && text[k + 1] === '-') {
      while (k < text.length && text[k] !== '\n' && text[k] !== '\r') k++;
    } else return k;
  }
}

/** Split ADQL text into tokens, ending with one `eof` token (or a `bad` one that swallows the rest). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;

  const posAt = (offset: number): Pos => ({ line, column: offset - lineStart + 1, offset });
  /** Advance over text[from, to), keeping line bookkeeping right for multi-line tokens. */
  const advanceLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      const ch = text[k];
      if (ch === '\n' || (ch === '\r' && text[k + 1] !== '\n')) {
        line++;
        lineStart = k + 1;
      }
    }
  };
  const push = (type: TokenType, value: string, start: Pos, end: number, extra?: Partial<Token>): void => {
    tokens.push({ type, value, raw: text.slice(start.offset, end), pos: start, end, ...extra });
  };

  while (i < n) {
    const c = text[i]!;
    // Whitespace and -- comments.
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      advanceLines(i, i + 1);
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    const start = posAt(i);
    if (isLetter(c)) {
      let j = i + 1;
      while (isIdentPart(text[j])) j++;
      push('word', text.slice(i, j).toUpperCase(), start, j);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      // The longest numeric literal wins and ends the token: what follows (12abc, 1e, 0x,
      // 1.2.3) starts the next token, as SQL's lexical rules have it; the parser then judges
      // the token sequence.
      let j = i;
      let form: 'integer' | 'decimal' | 'approximate' | 'hex' = 'integer';
      if (c === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && isHexDigit(text[i + 2])) {
        j = i + 2;
        while (isHexDigit(text[j])) j++;
        form = 'hex';
      } else {
        while (isDigit(text[j])) j++;
        if (text[j] === '.') {
          form = 'decimal';
          j++;
          while (isDigit(text[j])) j++;
        }
        if (text[j] === 'e' || text[j] === 'E') {
          let k = j + 1;
          if (text[k] === '+' || text[k] === '-') k++;
          if (isDigit(text[k])) {
            while (isDigit(text[k])) k++;
            form = 'approximate';
            j = k;
          }
        }
      }
      push('number', text.slice(i, j), start, j, { numberForm: form });
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      // String literal or delimited identifier; the quote doubles to escape itself.
      let part = readQuoted(text, i, c);
      let partStart = i;
      let value = part.value;
      // A character string literal continues in another quoted part after separators
      // (spaces, newlines, -- comments): ADQL's <character_string_literal>, from SQL-92.
      while (c === "'" && part.closed) {
        const k = skipSeparators(text, part.end);
        if (k === part.end || text[k] !== "'") break;
        part = readQuoted(text, k, c);
        partStart = k;
        value += part.value;
      }
      const j = part.end;
      if (!part.closed) {
        advanceLines(i, partStart);
        const what = c === "'" ? 'string' : 'quoted identifier';
        push('bad', `this ${what} is never closed (missing ${c})`, posAt(partStart), n);
        i = n;
        break;
      }
      advanceLines(i, j);
      if (c === '"' && value === '') push('bad', 'an empty quoted identifier ("") is not allowed', start, j);
      else push(c === "'" ? 'string' : 'quoted', value, start, j);
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (PUNCT2.has(two)) {
      push('punct', two, start, i + 2);
      i += 2;
      continue;
    }
    if (PUNCT1.has(c) && two !== '/*') {
      push('punct', c, start, i + 1);
      i++;
      continue;
    }
    const foreign = foreignMessage(text, i);
    push('bad', foreign.message, start, i + foreign.length);
    i += foreign.length;
  }
  tokens.push({ type: 'eof', value: '', raw: '', pos: posAt(n), end: n });
  return tokens;
}
