/**
 * The numbers in the fields of numbers of text lines (text-copy.ts's numbersSql) that PostgreSQL prints
 * otherwise than the generic writers, found and rewritten. PostgreSQL's shortest-digit text of a
 * float has JavaScript's digits, and differs only where it has an exponent (PostgreSQL switches
 * to one below 1e-4 and from 1e15, or 1e6 for float4; JavaScript below 1e-7 and from 1e21), for
 * -0, and for NaN and the infinities in the formats that write those otherwise. Such a number's
 * text is rewritten as the generic writer writes the value the driver parses from it; the text
 * of every other number is kept. A text already in the generic writer's form is kept too, so
 * lines formatted value by value may pass through. Pure; works on bytes, finds by indexOf.
 */
import { plainNumber } from '../cell-values.js';

/** How a format writes NaN and the infinities: as printed (CSV, TSV), TABLEDATA's +Inf/-Inf, JSON's null. */
export type SpecialNumbers = 'as-printed' | 'tabledata' | 'json';

/** The bytes from..to (a whole number) to be written as `text`. */
export interface NumberEdit {
  from: number;
  to: number;
  text: string;
}

/** What marks a number that may need a rewrite: an exponent, -0, and where they are written otherwise Infinity and NaN. */
const MARKS: Record<SpecialNumbers, readonly string[]> = {
  'as-printed': ['e', '-0'],
  tabledata: ['e', '-0', 'I'],
  json: ['e', '-0', 'I', 'N'],
};

/** Whether byte `b` can be part of a number's text (digits, point, signs, exponent, Infinity, NaN); no separator or tag of the line formats is. */
function inNumber(b: number): boolean {
  // 0-9 . + - e I n f i t y N a
  return (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x2b || b === 0x2d || b === 0x65 || b === 0x49 || b === 0x6e || b === 0x66 || b === 0x69 || b === 0x74 || b === 0x79 || b === 0x4e || b === 0x61;
}

/** The generic writer's text of the number PostgreSQL printed as `printed`. */
export function genericNumberText(printed: string, specials: SpecialNumbers): string {
  if (printed === 'NaN' || printed === 'Infinity' || printed === '-Infinity') {
    if (specials === 'json') return 'null';
    if (specials === 'tabledata' && printed !== 'NaN') return printed === 'Infinity' ? '+Inf' : '-Inf';
    return printed;
  }
  if (printed !== '-0' && !printed.includes('e')) return printed;
  const value = Number(printed);
  // Not a number's text (a value the formats write otherwise, as +Inf): kept.
  return Number.isNaN(value) ? printed : plainNumber(value);
}

/**
 * The edits that make the numbers of `text` the generic writer's, in order; null when there is
 * none, the usual case, found by one indexOf per mark. `text` is lines of numbers only, or with
 * `ranges` ([from, to) pairs, in order) only those ranges are numbers: a mark elsewhere (in a
 * string) is passed over.
 */
export function numberEdits(text: Buffer, specials: SpecialNumbers, ranges: readonly number[] | null = null): NumberEdit[] | null {
  const marks = MARKS[specials];
  const next = marks.map((m) => text.indexOf(m, 0, 'latin1'));
  // Search every mark on from `at`, where it was found before.
  const onFrom = (at: number) => {
    for (let j = 0; j < next.length; j++) if (next[j]! >= 0 && next[j]! < at) next[j] = text.indexOf(marks[j]!, at, 'latin1');
  };
  let edits: NumberEdit[] | null = null;
  let r = 0;
  for (;;) {
    let k = -1;
    for (let j = 0; j < next.length; j++) if (next[j]! >= 0 && (k < 0 || next[j]! < next[k]!)) k = j;
    if (k < 0) return edits;
    const at = next[k]!;
    let lo = 0;
    let hi = text.length;
    if (ranges !== null) {
      while (r < ranges.length && ranges[r + 1]! <= at) r += 2;
      if (r >= ranges.length) return edits;
      if (at < ranges[r]!) {
        onFrom(ranges[r]!);
        continue;
      }
      lo = ranges[r]!;
      hi = ranges[r + 1]!;
    }
    // -0 followed by more digits, a point or an exponent is another number (-0.5, 1e-05).
    if (marks[k] === '-0' && at + 2 < hi && inNumber(text[at + 2]!)) {
      next[k] = text.indexOf('-0', at + 2, 'latin1');
      continue;
    }
    let from = at;
    while (from > lo && inNumber(text[from - 1]!)) from--;
    let to = at + 1;
    while (to < hi && inNumber(text[to]!)) to++;
    const printed = text.toString('latin1', from, to);
    const generic = genericNumberText(printed, specials);
    if (generic !== printed) (edits ??= []).push({ from, to, text: generic });
    onFrom(to);
  }
}

/** The length of `text` once `edits` are made. */
export function editedLength(text: Buffer, edits: readonly NumberEdit[]): number {
  let n = text.length;
  for (const e of edits) n += e.text.length - (e.to - e.from);
  return n;
}

/** Write `text` with `edits` made into `out` at `pos` (room for editedLength checked by the caller); answers the bytes written. */
export function writeEdited(text: Buffer, edits: readonly NumberEdit[], out: Buffer, pos: number): number {
  let at = pos;
  let from = 0;
  for (const e of edits) {
    at += text.copy(out, at, from, e.from);
    at += out.write(e.text, at, 'latin1');
    from = e.to;
  }
  at += text.copy(out, at, from);
  return at - pos;
}
