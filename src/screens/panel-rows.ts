/**
 * The dashboard's text, pure: a panel's one index row (title, counts, its worst finding in the
 * richest wording that fits whole) and the focused panel's findings, wrapped to the width and never
 * cut: a finding that does not fit is left for "+N more", not drawn half.
 */
import { ALL_CHECKS } from '../checks/index.js';
import { STATUS_SEVERITY, type CheckResult, type CheckStatus } from '../checks/types.js';
import { bound, cellWidth, UNITS_PER_CELL } from '../text/cells.js';
import { escapeControls } from '../text/sanitize.js';
import { countStatuses } from '../store/selectors.js';
import { cut, wrapRows } from './text.js';
import { SYMBOL } from './theme.js';

const TITLES = new Map(ALL_CHECKS.map((c) => [c.id, c.title]));

/** Worst first; equal ones keep the check table's order. */
export function worstFirst(results: readonly CheckResult[]): CheckResult[] {
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => STATUS_SEVERITY[b.r.status] - STATUS_SEVERITY[a.r.status] || a.i - b.i)
    .map(({ r }) => r);
}

/** "✗5 !1 ✓1": the counts of the given statuses, worst first, passing last. */
export function countText(statuses: readonly CheckStatus[]): string {
  const counts = countStatuses(statuses);
  return (['fail', 'warn', 'unknown', 'pending'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${SYMBOL[s]}${counts[s]}`)
    .concat(counts.pass > 0 ? [`${SYMBOL.pass}${counts.pass}`] : [])
    .join(' ');
}

/**
 * Wordings of a finding from richest to plainest, each whole: the summary, then the summary up to
 * the end of its first clause ("13/47 Ready, 24 failed, 7 waiting, 3 progressing"), then the
 * check's title. None is cut mid-word, so none needs an ellipsis.
 */
export function findingWordings(result: CheckResult): string[] {
  const s = result.summary;
  // Clause ends: every "; " and " (", and the first ": " or ", " only before any "; " (later
  // ones would leave "24 failed; failed" dangling).
  const firstSemi = s.indexOf('; ') < 0 ? Infinity : s.indexOf('; ');
  const cuts = new Set<number>();
  for (const sep of ['; ', ' (']) for (let at = s.indexOf(sep); at > 0; at = s.indexOf(sep, at + 1)) cuts.add(at);
  for (const sep of [': ', ', ']) {
    const at = s.indexOf(sep);
    if (at > 0 && at < firstSemi) cuts.add(at);
  }
  const balanced = (t: string) => t.split('(').length === t.split(')').length;
  const clauses = [...cuts]
    .sort((a, b) => b - a)
    .map((at) => s.slice(0, at).replace(/[,;:]$/, ''))
    .filter(balanced);
  return [s, ...clauses, TITLES.get(result.id) ?? result.id];
}

/** The worst finding of a panel in `room` columns, whole: `✗ wrong subvolume: handle …9a24, Git says …1c73`. */
export function worstFindingText(results: readonly CheckResult[], room: number): string {
  const worst = worstFirst(results)[0];
  if (!worst) return '';
  if (worst.status === 'pass') return `${SYMBOL.pass} all ${results.length} pass`;
  const others = results.filter((r) => r !== worst && r.status !== 'pass').length;
  const more = others ? ` +${others}` : '';
  // Why bound first: a summary of any length costs no more than the row it might fill.
  const limit = (Math.max(1, room) + 1) * UNITS_PER_CELL;
  for (const wording of findingWordings({ ...worst, summary: bound(worst.summary, limit * 4) })) {
    const text = escapeControls(`${SYMBOL[worst.status]} ${bound(wording, limit)}${more}`);
    if (cellWidth(text) <= room) return text;
  }
  return cut(`${SYMBOL[worst.status]} ${TITLES.get(worst.id) ?? worst.id}`, room);
}

/** One finding on the expanded panel: its first row carries the status symbol; the rest continue it. */
export interface FindingItem {
  key: string;
  status?: CheckStatus;
  /** Columns before the symbol (evidence under its check is indented). */
  indent: number;
  rows: string[];
  dim?: boolean;
}

/** A finding before it is wrapped: its text, its symbol, its indent. */
export interface Finding {
  key: string;
  status?: CheckStatus;
  indent: number;
  text: string;
  dim?: boolean;
}

/** A finding wrapped whole into `width` columns after its symbol and indent (at most `maxRows` rows). */
export function findingItem(finding: Finding, width: number, maxRows = Infinity): FindingItem {
  const symbolCells = finding.status ? 2 : 0;
  const rows = wrapRows(finding.text, Math.max(8, width - finding.indent - symbolCells), maxRows);
  return { key: finding.key, status: finding.status, indent: finding.indent, rows, dim: finding.dim };
}

/**
 * The failing and warning objects of the given results, as short lines: every failing one before any
 * warning one (a failing check's own warnings come after another check's failures), and within
 * each, in the order of the results. With `limit`, only the first `limit` lines are made (`total`
 * counts them all). Why: a panel shows a dozen of them, and its checks can name 8,000 objects.
 */
export function badEvidence(results: readonly CheckResult[], limit = Infinity): Array<{ key: string; status: CheckStatus; text: string }> & { total: number } {
  const lines: Array<{ key: string; status: CheckStatus; text: string }> = [];
  let total = 0;
  for (const status of ['fail', 'warn'] as const) {
    for (const r of results) {
      if (r.status !== 'fail' && r.status !== 'warn') continue;
      r.evidence.forEach((e, i) => {
        if (e.status !== status) return;
        total++;
        if (lines.length >= limit) return;
        const where = e.namespace ? `${e.namespace}/${e.name}` : e.name;
        lines.push({ key: `${r.id}#${i}`, status, text: `${where}: ${e.value}` });
      });
    }
  }
  return Object.assign(lines, { total });
}

/** The first findings of a panel (as many as were asked for), how many there are, and how many of them, at the end, are passing checks. */
export interface Findings {
  head: Finding[];
  total: number;
  passing: number;
}

/**
 * The findings of the focused panel, in the order it reads them: the checks that are not passing
 * (worst first), then the objects behind them, then the passing checks; the first `limit` made.
 */
export function panelFindings(results: readonly CheckResult[], limit = Infinity): Findings {
  const worst = worstFirst(results);
  const bad = worst.filter((r) => r.status !== 'pass');
  const passing = worst.filter((r) => r.status === 'pass');
  const evidence = badEvidence(bad, Math.max(0, limit - bad.length));
  const head = [
    ...bad.map((r) => ({ key: r.id, status: r.status, indent: 0, text: r.summary })),
    ...evidence.map((e) => ({ ...e, indent: 2, dim: true })),
    ...passing.slice(0, Math.max(0, limit - bad.length - evidence.total)).map((r) => ({ key: r.id, status: r.status, indent: 0, text: r.summary })),
  ].slice(0, limit);
  return { head, total: bad.length + evidence.total + passing.length, passing: passing.length };
}

/**
 * The items that fit whole in `height` rows, in order, and a last row for the rest when some do not
 * ("+4 more: enter for the detail"). An item taller than all the room is shown cut only when it is
 * the first (a wall of text is still better than an empty panel), with where to read it whole.
 */
export function fitFindings(
  { head: findings, total: count, passing: passingCount }: Findings,
  height: number,
  width: number,
): { shown: FindingItem[]; more: string } {
  // Why wrapped one by one, each to at most height + 1 rows: only what can show is worth wrapping
  // (thousands of findings, or one of 32 KB, cost no more than the rows they fill).
  const items: FindingItem[] = [];
  let total = 0;
  for (const finding of findings) {
    const item = findingItem(finding, width, height + 1);
    items.push(item);
    total += item.rows.length;
    if (total > height) break;
  }
  if (total <= height) return { shown: items, more: '' };
  const room = Math.max(0, height - 1);
  const shown: FindingItem[] = [];
  let used = 0;
  for (const item of items) {
    if (used + item.rows.length > room) break;
    shown.push(item);
    used += item.rows.length;
  }
  if (!shown.length && items.length && room > 0) {
    const first = items[0];
    shown.push({ ...first, rows: [...first.rows.slice(0, room - 1), cut(`${first.rows[room - 1] ?? ''} …`, width - first.indent - 2)] });
  }
  // The passing checks come last: the rest is all passing when it is no longer than they are.
  const rest = count - shown.length;
  const more = rest <= passingCount ? `${SYMBOL.pass} ${rest} more passing` : `+${rest} more finding${rest === 1 ? '' : 's'} (enter: the detail)`;
  return { shown, more: rest ? more : '' };
}
