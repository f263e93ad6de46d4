/**
 * What every frame must be, whatever the cluster holds: no taller or wider than the terminal, and
 * no control character a terminal would act on. For tests run with colour off (FORCE_COLOR=0), so
 * that Ink itself writes no escape sequence and any one in a frame came from the data.
 */
import stringWidth from 'string-width';

// C0 but LF, DEL, C1, the bidi overrides and isolates, zero-width space, BOM, and lone surrogates.
const TERMINAL_CONTROL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with a raw frame, in words; empty when nothing is. */
export function frameProblems(raw: string, columns: number, rows: number): string[] {
  const problems: string[] = [];
  const control = TERMINAL_CONTROL.exec(raw);
  if (control) {
    const at = control.index;
    problems.push(
      `control character U+${control[0].codePointAt(0)!.toString(16).padStart(4, '0')} in the frame: ${JSON.stringify(raw.slice(Math.max(0, at - 30), at + 30))}`,
    );
  }
  const lines = raw.replace(/\n$/, '').split('\n');
  if (lines.length > rows) problems.push(`${lines.length} lines in a ${rows}-line terminal`);
  for (const line of lines) {
    if (stringWidth(line) > columns) problems.push(`a line of ${stringWidth(line)} columns in ${columns}: ${JSON.stringify(line.slice(0, 100))}`);
  }
  return problems;
}

/** CPU milliseconds `work` took (every thread of this process): a busy machine does not inflate it as it does wall time. */
export async function cpuMs(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}
