/**
 * Fitting text into terminal columns, where rows must be counted exactly (Ink's own wrap cannot be).
 * Every function here also makes its text safe to print (control characters escaped, as
 * src/text/sanitize.ts says) and reads only as much of it as the room it fills: whatever a string
 * holds, a frame costs no more than a screen of text.
 */
import { bound, fitWidth, prefixFitting, UNITS_PER_CELL } from '../text/cells.js';
import { escapeControls } from '../text/sanitize.js';

/**
 * For a line Ink truncates itself (`wrap="truncate-end"`): controls escaped, and bounded to a few
 * code units per column, so Ink never measures more than the line can show.
 */
export function clip(text: string, width: number): string {
  return escapeControls(bound(text, Math.max(1, width) * UNITS_PER_CELL));
}

/**
 * Wraps one line into rows of at most `width` columns, at spaces where it can; continuation rows
 * are indented by two. Why by hand: rows must be counted exactly to scroll and to fit 24 lines.
 * With `maxRows`, the last row holds the rest unwrapped (for the caller to cut): the work is then
 * bounded by the rows asked for, not by the text.
 */
export function wrapRows(text: string, width: number, maxRows = Infinity): string[] {
  const rows: string[] = [];
  let rest = escapeControls(text);
  let indent = '';
  for (;;) {
    const room = Math.max(8, width - indent.length);
    let end = prefixFitting(rest, room);
    if (end >= rest.length || rows.length >= maxRows - 1) break;
    if (end === 0) end = isHighAt(rest, 0) ? 2 : 1;
    // Break after the last space that fits (or the one right after the room), unless it is too early.
    let at = rest.lastIndexOf(' ', end);
    if (at < end / 2) at = end;
    rows.push(indent + rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
    indent = '  ';
  }
  rows.push(indent + rest);
  return rows;
}

const isHighAt = (text: string, i: number) => {
  const code = text.charCodeAt(i);
  return code >= 0xd800 && code <= 0xdbff;
};

/** Cuts `text` to `width` columns with an ellipsis (controls escaped). */
export function cut(text: string, width: number): string {
  return fitWidth(escapeControls(bound(text, Math.max(1, width) * UNITS_PER_CELL + 1)), width);
}
