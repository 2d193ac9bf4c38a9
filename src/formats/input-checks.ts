/**
 * Checks every table reader makes on what it reads, before anything reaches the database: the
 * number of columns a table may have, column names that can be identifiers, and how a bad value
 * is shown in a message (a client's bytes, so control characters escaped and length bounded).
 */

/**
 * Most columns a table read from a file may have: PostgreSQL's 1600, less the hidden HEALPix
 * column (loader.HPX_COLUMN) vodax adds to a table with a position.
 */
export const MAX_COLUMNS = 1599;

/** How the limit reads in messages. */
export const MAX_COLUMNS_TEXT = `a table holds at most ${MAX_COLUMNS} columns (PostgreSQL's 1600 less the one vodax adds)`;

/** The longest value shown in a message. */
const SHOWN_CHARS = 60;

/** A value in double quotes for a message: control characters escaped (\t, \u0000), long ones cut. */
export function shown(text: string): string {
  const cut = text.length > SHOWN_CHARS ? text.slice(0, SHOWN_CHARS) : text;
  // JSON escapes exactly the control characters, quotes and backslashes; keep the rest readable.
  return JSON.stringify(cut).slice(0, -1) + (cut.length < text.length ? '…"' : '"');
}

/** True when `text` holds a C0 control character or DEL. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 127) return true;
  }
  return false;
}

/** PostgreSQL's longest identifier, in bytes of UTF-8. */
export const MAX_NAME_BYTES = 63;

/**
 * What is wrong with a column name for a table, or null: a control character (binary data, or
 * text in another encoding), U+FFFD (which the UTF-8 decoder puts where bytes were not UTF-8),
 * or more bytes than PostgreSQL keeps of an identifier.
 */
export function columnNameProblem(name: string): 'control' | 'not-utf8' | 'too-long' | null {
  if (hasControlCharacter(name)) return 'control';
  if (name.includes('\ufffd')) return 'not-utf8';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return 'too-long';
  return null;
}

/** The message for a name too long: `what` names it ('column name', 'FIELD name'). */
export function tooLongName(what: string, name: string): string {
  return `${what} ${shown(name)} is ${Buffer.byteLength(name)} bytes long; a column name has at most ${MAX_NAME_BYTES} bytes (of UTF-8)`;
}
