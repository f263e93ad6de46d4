/** Fitting text into terminal columns, where rows must be counted exactly (Ink's own wrap cannot be). */

/**
 * Wraps one line into rows of at most `width` characters, at spaces where it can; continuation
 * rows are indented by two. Why by hand: rows must be counted exactly to scroll and to fit 24 lines.
 */
export function wrapRows(text: string, width: number): string[] {
  const rows: string[] = [];
  let rest = text;
  let indent = '';
  while ([...indent, ...rest].length > width) {
    const room = Math.max(8, width - indent.length);
    const chars = [...rest];
    let at = chars
      .slice(0, room + 1)
      .join('')
      .lastIndexOf(' ');
    if (at < room / 2) at = room;
    rows.push(indent + chars.slice(0, at).join('').trimEnd());
    rest = chars.slice(at).join('').trimStart();
    indent = '  ';
  }
  rows.push(indent + rest);
  return rows;
}

/** Cuts `text` to `width` characters with an ellipsis. */
export function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}
