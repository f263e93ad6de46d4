/** A log as the logs view keeps it: whole lines from a stream's chunks, the last N only. Pure. */
import { cleanText } from '../text/sanitize.js';

/** Lines a log view keeps: the newest, like k9s's buffer. */
export const LOG_BUFFER_LINES = 5_000;
/** Lines asked for when a log opens (`tailLines`). */
export const LOG_TAIL_LINES = 500;
/** A longer line is cut: one line must not fill the memory. */
const MAX_LINE = 8_192;

/** Cuts chunks into whole lines; the part after the last newline waits for the next chunk. */
export class LineSplitter {
  private carry = '';

  /** The whole lines in `chunk` (with what was carried), escaped and capped. */
  push(chunk: string): string[] {
    const text = this.carry + chunk;
    const parts = text.split('\n');
    this.carry = parts.pop() ?? '';
    // A line that never ends is cut where the cap is, rather than kept growing.
    if (this.carry.length > MAX_LINE) {
      parts.push(this.carry);
      this.carry = '';
    }
    return parts.map(clean);
  }

  /** What is left when the stream ends. */
  flush(): string[] {
    const rest = this.carry;
    this.carry = '';
    return rest ? [clean(rest)] : [];
  }
}

const clean = (line: string): string => cleanText(line.replace(/\r$/, ''), MAX_LINE);

/** `lines` then `more`, the last `max` of them (a new array; `lines` is not changed). */
export function appendBounded(lines: readonly string[], more: readonly string[], max: number = LOG_BUFFER_LINES): string[] {
  const all = lines.concat(more);
  return all.length > max ? all.slice(all.length - max) : all;
}
