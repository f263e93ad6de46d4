/** The output of `drdeck check`: JSON for scripts, a plain table for people. */
import type { CheckResult, CheckSource, CheckStatus } from '../checks/types.js';
import { EXIT, verdictExitCode, type ExitCode } from '../commands/exit-codes.js';
import { bound, fitWidth, UNITS_PER_CELL } from '../text/cells.js';
import { escapeControls } from '../text/sanitize.js';

export interface CheckReport {
  checks: Array<Pick<CheckResult, 'id' | 'panel' | 'status' | 'summary' | 'evidence' | 'fixes'> & { gitHint?: string; source: CheckSource }>;
  /** The count of each status; `decided` is false when a check is unknown or pending. */
  summary: Record<CheckStatus, number> & { decided: boolean };
  /** What `drdeck check` exits with (src/commands/exit-codes.ts). */
  exitCode: ExitCode;
}

/**
 * The report of these results. `source` says where the snapshot came from when the caller knows it
 * better than the results (the demo runs on a simulated cluster); otherwise each result's own.
 */
export function buildReport(results: CheckResult[], source?: CheckSource): CheckReport {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, pending: 0, unknown: 0 };
  for (const r of results) counts[r.status]++;
  return {
    checks: results.map((r) => ({
      id: r.id,
      panel: r.panel,
      status: r.status,
      summary: r.summary,
      evidence: r.evidence,
      fixes: r.fixes,
      ...(r.gitHint ? { gitHint: r.gitHint } : {}),
      source: source ?? r.source ?? 'cluster',
    })),
    summary: { ...counts, decided: counts.unknown === 0 && counts.pending === 0 },
    exitCode: verdictExitCode(counts),
  };
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', pending: 'PEND', unknown: '????' };

/** The table's last line: the verdict behind the exit code, in words. */
function verdict(report: CheckReport): string {
  const s = report.summary;
  const undecided = s.unknown + s.pending;
  if (report.exitCode === EXIT.failed) return `failed: ${s.fail} ${s.fail === 1 ? 'check fails' : 'checks fail'} (exit 1)`;
  if (report.exitCode === EXIT.undecided)
    return `undecided: nothing fails, but ${undecided} ${undecided === 1 ? 'check' : 'checks'} could not be decided (exit 3)`;
  return 'passed: every check decided, none fails (exit 0)';
}

/**
 * A plain table: status, id, summary. With a `width` (a terminal's), each line is cut to it, in
 * columns; without (a pipe, a file, CI's log), summaries are printed in full. Either way no control
 * character of the cluster's reaches the terminal: it is shown escaped (src/text/sanitize.ts).
 */
export function formatTable(report: CheckReport, width?: number): string {
  const idWidth = Math.max(...report.checks.map((c) => c.id.length));
  const lines = report.checks.map((c) => {
    const line = escapeControls(`${LABEL[c.status]}  ${c.id.padEnd(idWidth)}  ${c.summary}`);
    return width === undefined ? line : fitWidth(bound(line, width * UNITS_PER_CELL + 1), width);
  });
  const s = report.summary;
  lines.push('', `${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.pending} pending, ${s.unknown} unknown`, verdict(report));
  return lines.join('\n');
}
