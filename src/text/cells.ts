/**
 * Terminal cells, measured the way Ink measures them (string-width), but never over a long string.
 * Why: string-width segments graphemes with Intl.Segmenter, whose cost grows with the square of the
 * string's length on Node 20 (16 KB of non-ASCII text: half a second per measurement, and Ink
 * measures a line several times a frame). Every function here reads at most a few code units per
 * cell of the room it fills, whatever the length of the text.
 */
import stringWidth from 'string-width';

/**
 * Code units looked at per cell to fill. Any character a terminal draws takes one or two cells; the
 * slack is for zero-width marks and surrogate pairs, so text is never cut short of the room.
 */
export const UNITS_PER_CELL = 4;

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;
const graphemes = new Intl.Segmenter();

/** `text` at most `units` code units long, `…` marking a cut; never splits a surrogate pair. Never measures. */
export function bound(text: string, units: number): string {
  if (text.length <= units) return text;
  let end = Math.max(0, units - 1);
  if (end > 0 && isHigh(text.charCodeAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}

/** Cell width of `text`, for text already bounded (see `bound`): the measurement itself is not. */
export function cellWidth(text: string): number {
  return stringWidth(text);
}

/** Code units of the longest prefix of `text` that fits in `cells` columns, whole graphemes only. */
export function prefixFitting(text: string, cells: number): number {
  if (cells <= 0) return 0;
  const head = text.length > cells * UNITS_PER_CELL ? text.slice(0, cells * UNITS_PER_CELL) : text;
  if (PRINTABLE_ASCII.test(head)) return Math.min(head.length, cells);
  let used = 0;
  let end = 0;
  for (const { segment } of graphemes.segment(head)) {
    const width = stringWidth(segment);
    if (used + width > cells) break;
    used += width;
    end += segment.length;
  }
  return end;
}

/** `text` in at most `width` columns, `…` marking a cut. */
export function fitWidth(text: string, width: number): string {
  if (prefixFitting(text, width) >= text.length) return text;
  return `${text.slice(0, prefixFitting(text, width - 1))}…`;
}
