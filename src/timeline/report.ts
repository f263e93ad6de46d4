/**
 * The post-mortem `drdeck report` exports: each phase's expected and actual duration, the fixes
 * applied (from the audit log) with their times, and the total against the seed's best, typical
 * and worst case. Pure: the state, the audit entries and the time in, data or Markdown out.
 */
import type { AuditEntry } from '../state/audit-log.js';
import { DEFAULT_SPEC, type PhaseId, type TimelineSpec } from './phases.js';
import {
  currentPhase,
  eta,
  phaseProgress,
  rangeDelta,
  totalMs,
  versus,
  type PhaseStatus,
  type PhaseProgress,
  type TimelineState,
  type Versus,
} from './timeline.js';

export interface ReportPhase {
  id: PhaseId;
  title: string;
  /** Milliseconds. */
  expectedMin: number;
  expectedMax: number;
  /** Done: its duration; current: the time so far; null when not measurable yet. */
  actual: number | null;
  /** Distance to the expected range: 0 inside, positive over the max, negative under the min. Current phases: only over. */
  delta: number | null;
  late: boolean;
  status: PhaseStatus;
  /** Already done when drdeck looked: actual and delta are upper bounds. */
  uncertain: boolean;
  regressions: number;
}

export interface ReportFix {
  /** When the attempt started, as the audit log says it (ISO); when it ended, for the older log format. */
  time: string;
  /** Since t0, when both are known. */
  offsetMs: number | null;
  fixId: string;
  targets: string[];
  /** "done", "failed", "refused", "cancelled", "dry-run", "interrupted". */
  outcome: string;
  /** Interrupted: by what (`SIGHUP`, `quit`), or "no outcome recorded" (drdeck was killed). */
  reason: string | null;
  /** Requests the server accepted, of `planned`; null for the older log format, which did not say. */
  sent: number | null;
  planned: number;
  /** The outcome's line. */
  message: string;
  /** The phase in progress when the fix ran; null before t0 or after the last phase. */
  phase: PhaseId | null;
}

export interface Report {
  context: string;
  t0: number | null;
  generatedAt: number;
  finishedAt: number | null;
  /** The first phase not complete, null when all are. */
  currentPhase: PhaseId | null;
  phases: ReportPhase[];
  /** From t0 to the finish (or to now while running). */
  total: number;
  /** Sum of the phases' expected ranges. */
  expectedTotal: { min: number; max: number };
  /** Finished: the total against expectedTotal, as a phase's delta; null while running. */
  delta: number | null;
  /** While running: the total the remaining expected ranges project (see timeline.eta); null when finished. */
  projected: { min: number; typical: number; max: number } | null;
  /** The total (so far, while running) against the seed's cases. */
  versus: Versus;
  totals: { best: number; typicalMin: number; typicalMax: number; worst: number };
  fixes: ReportFix[];
}

function reportPhase(p: PhaseProgress): ReportPhase {
  const actual = p.actualMs === undefined ? null : Math.round(p.actualMs);
  let delta: number | null = null;
  if (actual !== null) delta = p.status === 'current' ? Math.max(0, actual - p.expected.maxMs) : rangeDelta(actual, p.expected);
  return {
    id: p.id,
    title: p.title,
    expectedMin: p.expected.minMs,
    expectedMax: p.expected.maxMs,
    actual,
    delta,
    late: p.late,
    status: p.status,
    uncertain: p.uncertain,
    regressions: p.regressions,
  };
}

/** The phase whose span on the cumulative timeline holds `at`. */
function phaseAt(progress: readonly PhaseProgress[], at: number): PhaseId | null {
  for (const p of progress) {
    if (p.startsAt === undefined || at < p.startsAt) return null;
    if (p.endsAt === undefined || at < p.endsAt) return p.id;
  }
  return null;
}

/**
 * The report at `now`. Fixes are the audit entries of this context from when drdeck started
 * following it (or t0, if earlier) on, oldest first, whatever their outcome.
 */
export function buildReport(state: TimelineState, auditEntries: readonly AuditEntry[], now: number, spec: TimelineSpec = DEFAULT_SPEC): Report {
  const progress = phaseProgress(state, now, spec);
  const total = Math.round(totalMs(state, now));
  const from = Math.min(state.t0 ?? state.startedAt, state.startedAt);
  // Entries tagged with a timeline belong to that one only (the demo's runs share a context);
  // untagged ones (written outside a session) go by context and time.
  const tagged = auditEntries.some((e) => e.context === state.context && e.timeline !== undefined);
  const fixes = auditEntries
    .map((e) => ({ e, at: Date.parse(e.time) }))
    .filter(({ e, at }) => e.context === state.context && (tagged ? e.timeline === state.startedAt : true) && Number.isFinite(at) && at >= from)
    .sort((a, b) => a.at - b.at)
    .map(({ e, at }) => ({
      time: e.time,
      offsetMs: state.t0 === undefined ? null : at - state.t0,
      fixId: e.fixId,
      targets: [...e.targets],
      outcome: e.outcome,
      reason: e.reason ?? null,
      sent: e.sent ? e.sent.filter((s) => s.ok).length : null,
      planned: e.requests.length,
      message: e.message,
      phase: phaseAt(progress, at),
    }));
  const { totals } = spec;
  const expectedTotal = {
    min: spec.phases.reduce((sum, p) => sum + p.expected.minMs, 0),
    max: spec.phases.reduce((sum, p) => sum + p.expected.maxMs, 0),
  };
  const finished = state.finishedAt !== undefined;
  const projection = eta(state, now, spec).total;
  return {
    context: state.context,
    t0: state.t0 ?? null,
    generatedAt: now,
    finishedAt: state.finishedAt ?? null,
    currentPhase: currentPhase(state, spec) ?? null,
    phases: progress.map(reportPhase),
    total,
    expectedTotal,
    delta: finished ? rangeDelta(total, { minMs: expectedTotal.min, maxMs: expectedTotal.max }) : null,
    projected: finished ? null : { min: projection.minMs, typical: projection.typicalMs, max: projection.maxMs },
    versus: versus(total, totals),
    totals: { best: totals.bestMs, typicalMin: totals.typical.minMs, typicalMax: totals.typical.maxMs, worst: totals.worstMs },
    fixes,
  };
}

/** "0s", "45s", "22m 10s", "20m", "1h 02m". */
export function formatSpan(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m === 0) return `${sec}s`;
  return sec === 0 ? `${m}m` : `${m}m ${String(sec).padStart(2, '0')}s`;
}

function signed(ms: number): string {
  if (Math.round(ms / 1000) === 0) return '0';
  return `${ms > 0 ? '+' : '-'}${formatSpan(ms)}`;
}

function range(min: number, max: number): string {
  return min === max ? formatSpan(min) : `${formatSpan(min)}–${formatSpan(max)}`;
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A table cell: pipes and line breaks would break the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** "done"; an interrupted attempt with what ended it and how much it had sent. */
function outcomeCell(f: ReportFix): string {
  if (f.outcome !== 'interrupted') return f.outcome;
  const sent = f.sent === null ? '' : `, ${f.sent}/${f.planned} requests sent`;
  return `interrupted${f.reason ? ` (${f.reason})` : ''}${sent}`;
}

function actualCell(p: ReportPhase): string {
  if (p.actual === null) return '–';
  const notes = [
    p.status === 'current' && 'so far',
    p.status === 'regressed' && 'regressed now',
    p.regressions > 0 && p.status !== 'regressed' && `regressed ${p.regressions}×`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${p.uncertain ? '≤ ' : ''}${formatSpan(p.actual)}${notes ? ` (${notes})` : ''}`;
}

function deltaCell(p: ReportPhase): string {
  if (p.delta === null) return '–';
  const text = `${p.uncertain && p.delta !== 0 ? '≤ ' : ''}${signed(p.delta)}`;
  return p.late ? `${text} late` : text;
}

function versusLine(r: Report): string {
  const seed = `best ${formatSpan(r.totals.best)}, typical ${range(r.totals.typicalMin, r.totals.typicalMax)}, worst ${formatSpan(r.totals.worst)}`;
  if (r.projected) {
    // Why no rating: the time so far says nothing about the finish; the projection does.
    const { min, typical, max } = r.projected;
    return `Total ${formatSpan(r.total)} so far; projected ${range(min, max)} (typical ${formatSpan(typical)}) against the runbook's ${seed}.`;
  }
  const v = r.versus;
  const typical = v.typical === 0 ? 'within' : signed(v.typical);
  const parts = [
    `best ${formatSpan(r.totals.best)} (${signed(v.best)})`,
    `typical ${range(r.totals.typicalMin, r.totals.typicalMax)} (${typical})`,
    `worst ${formatSpan(r.totals.worst)} (${signed(v.worst)})`,
  ];
  return `Total ${formatSpan(r.total)} against the runbook: ${parts.join(', ')}: ${v.rating}.`;
}

/** The report as a Markdown post-mortem: phases table, total against the seed, fixes table. */
export function formatMarkdown(report: Report): string {
  const byId = new Map(report.phases.map((p) => [p.id, p.title]));
  const lines = [`# Rebuild timeline: ${report.context}`, ''];
  lines.push(`- Flux deployed: ${report.t0 === null ? 'not yet' : clock(report.t0)}`);
  if (report.finishedAt !== null) lines.push(`- Apps running: ${clock(report.finishedAt)} (${formatSpan(report.total)})`);
  else lines.push(`- In progress: ${report.currentPhase ? byId.get(report.currentPhase) : '?'}, ${formatSpan(report.total)} so far`);
  lines.push(`- Report: ${clock(report.generatedAt)}`, '');
  lines.push('| Phase | Expected | Actual | Delta |', '| --- | --- | --- | --- |');
  for (const p of report.phases) {
    lines.push(`| ${cell(p.title)} | ${range(p.expectedMin, p.expectedMax)} | ${actualCell(p)} | ${deltaCell(p)} |`);
  }
  const totalCell = `**${formatSpan(report.total)}**${report.finishedAt === null ? ' (so far)' : ''}`;
  const totalDelta = report.delta === null ? '–' : signed(report.delta);
  lines.push(`| **Total** | ${range(report.expectedTotal.min, report.expectedTotal.max)} | ${totalCell} | ${totalDelta} |`, '');
  if (report.phases.some((p) => p.uncertain)) {
    lines.push('≤: the phase was already complete when drdeck looked (started or restarted after it); it took at most this long.', '');
  }
  lines.push(versusLine(report), '', '## Fixes', '');
  if (!report.fixes.length) {
    lines.push('No fixes applied through drdeck.');
  } else {
    lines.push('| Time | Fix | Targets | Outcome | Phase |', '| --- | --- | --- | --- | --- |');
    for (const f of report.fixes) {
      const at = f.offsetMs === null ? f.time : `${signed(f.offsetMs)} (${f.time})`;
      const phase = f.phase ? (byId.get(f.phase) ?? f.phase) : '';
      lines.push(`| ${cell(at)} | ${cell(f.fixId)} | ${cell(f.targets.join(', '))} | ${cell(outcomeCell(f))} | ${cell(phase)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
