/**
 * SCS (1.03 and 1.1, section 3.1) requires the record's ID, RA and Dec FIELDs of a VOTable answer
 * to carry the UCD1 names ID_MAIN, POS_EQ_RA_MAIN and POS_EQ_DEC_MAIN; cone search clients find
 * the columns by them (pyvo 1.2.1's SCSRecord.id and .pos, STILTS). TAP_SCHEMA declares UCD1+
 * (meta.id;meta.main, ...), so the shared VOTable writers write those: the answer's header is
 * relabelled on its way out, up to its DATA, and the rows stream through untouched.
 */
import { Transform, pipeline, type Readable } from 'node:stream';
import { escapeXmlAttr } from '../../xml/escape.js';

/** The UCD1 of each SCS main column. */
export const SCS_UCDS = { id: 'ID_MAIN', ra: 'POS_EQ_RA_MAIN', dec: 'POS_EQ_DEC_MAIN' } as const;

/** Which answer columns (by name) get which UCD. */
export type FieldUcds = ReadonlyMap<string, string>;

/** The UCDs of an answer whose ID (if the table has one), RA and Dec columns are these. */
export function scsFieldUcds(columns: { id: string | undefined; ra: string; dec: string }): FieldUcds {
  const m = new Map<string, string>([[columns.ra, SCS_UCDS.ra], [columns.dec, SCS_UCDS.dec]]);
  if (columns.id !== undefined) m.set(columns.id, SCS_UCDS.id);
  return m;
}

/** A header longer than this is passed on as written (no VOTable header of ours comes close). */
const MAX_HEADER_BYTES = 4 << 20;

function unescapeAttr(s: string): string {
  return s.replace(/&(quot|lt|gt|apos|amp|#(\d+));/g, (_m, name: string, code?: string) =>
    code ? String.fromCharCode(Number(code)) : ({ quot: '"', lt: '<', gt: '>', apos: "'", amp: '&' } as Record<string, string>)[name]!,
  );
}

/** The VOTable header text with each FIELD named in `ucds` carrying its UCD (replaced or added). */
export function relabelFields(header: string, ucds: FieldUcds): string {
  return header.replace(/<FIELD\b[^>]*>/g, (tag) => {
    const name = /\sname="([^"]*)"/.exec(tag)?.[1];
    const ucd = name === undefined ? undefined : ucds.get(unescapeAttr(name));
    if (ucd === undefined) return tag;
    const attr = `ucd="${escapeXmlAttr(ucd)}"`;
    return /\sucd="[^"]*"/.test(tag) ? tag.replace(/(\s)ucd="[^"]*"/, `$1${attr}`) : tag.replace(/^<FIELD\b/, `<FIELD ${attr}`);
  });
}

/** Where the header ends: at the first DATA, or at the end of a table without one. */
function headerEnd(buf: Buffer): number {
  const data = buf.indexOf('<DATA');
  if (data >= 0) return data;
  return buf.indexOf('</TABLE>');
}

/** A whole VOTable answer (sent in one piece) with its FIELD UCDs relabelled. */
export function wholeWithFieldUcds(body: Buffer, ucds: FieldUcds): Buffer {
  const end = headerEnd(body);
  const cut = end < 0 ? body.length : end;
  return Buffer.concat([Buffer.from(relabelFields(body.subarray(0, cut).toString('utf8'), ucds), 'utf8'), body.subarray(cut)]);
}

/**
 * `body` (a VOTable byte stream) with its FIELD UCDs relabelled. Destroying the result destroys
 * `body`, so a client that goes away still ends the query behind it.
 */
export function withFieldUcds(body: Readable, ucds: FieldUcds): Readable {
  let pending: Buffer[] = [];
  let size = 0;
  let done = false;
  const relabel = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      if (done) return callback(null, chunk);
      pending.push(chunk);
      size += chunk.length;
      const buf = Buffer.concat(pending);
      const end = headerEnd(buf);
      if (end < 0 && size <= MAX_HEADER_BYTES) {
        pending = [buf];
        return callback();
      }
      done = true;
      pending = [];
      if (end < 0) return callback(null, buf);
      // The header ends at an ASCII '<': cutting there never splits a UTF-8 character.
      callback(null, Buffer.concat([Buffer.from(relabelFields(buf.subarray(0, end).toString('utf8'), ucds), 'utf8'), buf.subarray(end)]));
    },
    flush(callback) {
      if (!done && pending.length) {
        const buf = Buffer.concat(pending);
        return callback(null, Buffer.from(relabelFields(buf.toString('utf8'), ucds), 'utf8'));
      }
      callback();
    },
  });
  return pipeline(body, relabel, () => {
    // Errors reach the response through `relabel`; nothing more to release here.
  });
}
