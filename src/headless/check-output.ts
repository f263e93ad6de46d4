/** The output of `drdeck check`: JSON for scripts, a plain table for people. */
import type { CheckResult, CheckStatus } from '../checks/types.js';

export interface CheckReport {
  checks: Array<Pick<CheckResult, 'id' | 'panel' | 'status' | 'summary' | 'evidence' | 'fixes'> & { gitHint?: string }>;
  summary: Record<CheckStatus, number>;
}

export function buildReport(results: CheckResult[]): CheckReport {
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, pending: 0, unknown: 0 };
  for (const r of results) summary[r.status]++;
  return {
    checks: results.map(({ id, panel, status, summary: line, evidence, fixes, gitHint }) => ({
      id,
      panel,
      status,
      summary: line,
      evidence,
      fixes,
      ...(gitHint ? { gitHint } : {}),
    })),
    summary,
  };
}

/** 0 when nothing fails, 1 when something fails (DESIGN.md: the seed's validate script, done right). */
export function exitCodeOf(report: CheckReport): number {
  return report.summary.fail > 0 ? 1 : 0;
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', pending: 'PEND', unknown: '????' };

/** A plain table that fits the terminal: status, id, summary (cut to `width`). */
export function formatTable(report: CheckReport, width = 100): string {
  const idWidth = Math.max(...report.checks.map((c) => c.id.length));
  const lines = report.checks.map((c) => {
    const line = `${LABEL[c.status]}  ${c.id.padEnd(idWidth)}  ${c.summary}`;
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  });
  const s = report.summary;
  lines.push('', `${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.pending} pending, ${s.unknown} unknown`);
  return lines.join('\n');
}
