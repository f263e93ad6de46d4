/**
 * Ink's Output (ink/build/output.js: the grid one frame is drawn into), remembering the rows it made.
 * The bundle puts this class in the place of Ink's (scripts/build.mjs); tests that run the sources
 * use Ink's own, and test/screens/ink-output.test.ts holds the two to the same frames.
 *
 * Why: Ink makes each frame from nothing. It builds an object for every cell of the screen and for
 * every character's styles, then diffs the ANSI codes of each cell against the one before. At 80x24
 * that is ~2 ms and ~2.6 MB per frame, about half of what drdeck allocated under 50 events/s, when
 * most rows of a frame are the rows of the frame before. Here a row is made only when what is
 * written on it changed; when it is made, it is made as Ink makes it.
 */
import { styledCharsFromTokens, styledCharsToString, tokenize, type StyledChar } from '@alcalzone/ansi-tokenize';
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';

export type Transformer = (line: string, index: number) => string;

export interface Clip {
  x1: number | undefined;
  x2: number | undefined;
  y1: number | undefined;
  y2: number | undefined;
}

type Operation = { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] } | { type: 'clip'; clip: Clip } | { type: 'unclip' };

/** At most this many rows and widths are remembered (a few screens' worth). */
const REMEMBERED = 2000;

/** A map that forgets its oldest entries past REMEMBERED; a hit makes an entry the newest. */
class Remembered<V> {
  private readonly map = new Map<string, V>();

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.set(key, value);
    if (this.map.size > REMEMBERED) this.map.delete(this.map.keys().next().value!);
  }
}

/** Rows already made, by the width and what was written on them. */
const rows = new Remembered<string>();
const widths = new Remembered<number>();

function widthOf(text: string): number {
  let width = widths.get(text);
  if (width === undefined) {
    width = stringWidth(text);
    widths.set(text, width);
  }
  return width;
}

function widestLine(text: string): number {
  let widest = 0;
  for (const line of text.split('\n')) widest = Math.max(widest, widthOf(line));
  return widest;
}

/** What is written on one row: x and text, in the order written (a later write covers an earlier one). */
type Pieces = Array<number | string>;

export default class Output {
  width: number;
  height: number;
  private readonly operations: Operation[] = [];

  constructor(options: { width: number; height: number }) {
    this.width = options.width;
    this.height = options.height;
  }

  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void {
    if (text) this.operations.push({ type: 'write', x, y, text, transformers: options.transformers });
  }

  clip(clip: Clip): void {
    this.operations.push({ type: 'clip', clip });
  }

  unclip(): void {
    this.operations.push({ type: 'unclip' });
  }

  get(): { output: string; height: number } {
    const pieces: Pieces[] = Array.from({ length: this.height }, () => []);
    const clips: Clip[] = [];
    // Which line lands on which row, clipped and transformed: Ink's get() line for line.
    for (const operation of this.operations) {
      if (operation.type === 'clip') clips.push(operation.clip);
      if (operation.type === 'unclip') clips.pop();
      if (operation.type !== 'write') continue;
      let { x, y } = operation;
      let lines = operation.text.split('\n');
      const clip = clips.at(-1);
      if (clip) {
        const { x1, x2, y1, y2 } = clip;
        const horizontally = typeof x1 === 'number' && typeof x2 === 'number';
        const vertically = typeof y1 === 'number' && typeof y2 === 'number';
        if (horizontally && (x + widestLine(operation.text) < x1 || x > x2)) continue;
        if (vertically && (y + lines.length < y1 || y > y2)) continue;
        if (horizontally) {
          lines = lines.map((line) => {
            const from = x < x1 ? x1 - x : 0;
            const width = widthOf(line);
            const to = x + width > x2 ? x2 - x : width;
            return sliceAnsi(line, from, to);
          });
          if (x < x1) x = x1;
        }
        if (vertically) {
          const from = y < y1 ? y1 - y : 0;
          const to = y + lines.length > y2 ? y2 - y : lines.length;
          lines = lines.slice(from, to);
          if (y < y1) y = y1;
        }
      }
      let offsetY = 0;
      for (const [index, text] of lines.entries()) {
        const row = pieces[y + offsetY];
        if (!row) continue;
        let line = text;
        for (const transformer of operation.transformers) line = transformer(line, index);
        row.push(x, line);
        offsetY++;
      }
    }
    const output = pieces.map((row) => {
      const key = `${this.width}\u0000${row.join('\u0000')}`;
      let made = rows.get(key);
      if (made === undefined) {
        made = makeRow(this.width, row);
        rows.set(key, made);
      }
      return made;
    });
    return { output: output.join('\n'), height: output.length };
  }
}

/** One row as Ink makes it: a cell per column, each line's characters over them, then the ANSI text. */
function makeRow(width: number, row: Pieces): string {
  const cells: StyledChar[] = Array.from({ length: width }, () => ({ type: 'char', value: ' ', fullWidth: false, styles: [] }));
  for (let i = 0; i < row.length; i += 2) {
    let offsetX = row[i] as number;
    for (const character of styledCharsFromTokens(tokenize(row[i + 1] as string))) {
      cells[offsetX] = character;
      const characterWidth = Math.max(1, widthOf(character.value));
      for (let j = 1; j < characterWidth; j++) cells[offsetX + j] = { type: 'char', value: '', fullWidth: false, styles: character.styles };
      offsetX += characterWidth;
    }
  }
  return styledCharsToString(cells.filter((cell) => cell !== undefined)).trimEnd();
}
