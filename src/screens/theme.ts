/** Status symbols and colours. Symbols carry the meaning, so NO_COLOR loses nothing. */
import type { CheckStatus } from '../checks/types.js';

export const SYMBOL: Readonly<Record<CheckStatus, string>> = {
  fail: '✗',
  warn: '!',
  unknown: '?',
  pending: '…',
  pass: '✓',
};

const COLOR: Readonly<Record<CheckStatus, string>> = {
  fail: 'red',
  warn: 'yellow',
  unknown: 'magenta',
  pending: 'cyan',
  pass: 'green',
};

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
export const noColor = (): boolean => !!process.env.NO_COLOR;

export function statusColor(status: CheckStatus): string | undefined {
  return noColor() ? undefined : COLOR[status];
}

export function color(name: string): string | undefined {
  return noColor() ? undefined : name;
}
