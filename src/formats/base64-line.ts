/**
 * One line of a BINARY2 stream's base64 text, written straight into a Buffer. Encoding a block
 * to one string and that string to a Buffer made two 128 KiB strings a block (strings that
 * size are V8 large objects, each its own mapping), about 190 MiB of them per million rows;
 * pieces of 48 KiB (a multiple of 3, so their texts join without padding) stay small strings.
 */

/** Input bytes encoded per piece: 64 KiB of text. */
const PIECE = 3 * (1 << 14);

/** The base64 text of `bytes[0, n)` and a newline, as a new Buffer. */
export function base64Line(bytes: Buffer, n: number): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(n / 3) * 4 + 1);
  let at = 0;
  for (let from = 0; from < n; from += PIECE) at += out.write(bytes.toString('base64', from, Math.min(n, from + PIECE)), at, 'latin1');
  out[at] = 0x0a;
  return out;
}
