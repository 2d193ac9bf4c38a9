/** Streaming an answer's HDUs as FITS bytes: header blocks, data bands, padding. */
import { fitsDataPadding, fitsHeaderBytes } from '../fits/header-writer.js';
import type { OutputHdu } from './cutout.js';

/** Total bytes the HDUs make (for Content-Length). */
export function fitsLength(hdus: OutputHdu[]): number {
  return hdus.reduce((n, h) => n + fitsHeaderBytes(h.cards).length + h.dataBytes + fitsDataPadding(h.dataBytes).length, 0);
}

/** The bytes of the HDUs, one header or data band at a time. */
export async function* fitsBytes(hdus: OutputHdu[]): AsyncGenerator<Buffer> {
  for (const h of hdus) {
    yield fitsHeaderBytes(h.cards);
    let n = 0;
    for await (const chunk of h.data()) {
      n += chunk.length;
      yield chunk;
    }
    if (n !== h.dataBytes) throw new Error(`HDU data was ${n} bytes, expected ${h.dataBytes}`);
    if (n > 0) yield fitsDataPadding(n);
  }
}
