/** The timeline screen's rows: a Gantt-like bar per phase against its expected range. Pure. */
import { formatSpan, phaseProgress, type PhaseProgress, type TimelineSpec, type TimelineState } from '../timeline/index.js';

export interface TimelineRow {
  id: string;
  status: PhaseProgress['status'];
  late: boolean;
  /** "Infrastructure ready", padded. */
  title: string;
  /** "15-20m". */
  expected: string;
  /** "17m 04s", "≤ 3m", "-", or "22m 10s!" when late (the mark NO_COLOR keeps: late is otherwise only yellow). */
  actual: string;
  /** The bar: `█` actual, `░` the expected range not used yet, spaces before its start. */
  bar: string;
}

const MIN = 60_000;

function range(p: PhaseProgress): string {
  const { minMs, maxMs } = p.expected;
  const m = (ms: number) => `${Math.round(ms / MIN)}`;
  return minMs === maxMs ? `${m(maxMs)}m` : `${m(minMs)}-${m(maxMs)}m`;
}

/**
 * One row per phase. The bar's scale fits the worst case (or the elapsed total, when longer) into
 * `barWidth` columns, so an 80-column terminal shows the whole recovery.
 */
export function timelineRows(state: TimelineState, now: number, spec: TimelineSpec, barWidth: number): TimelineRow[] {
  const progress = phaseProgress(state, now, spec);
  const t0 = state.t0;
  const end = Math.max(spec.totals.worstMs, t0 === undefined ? 0 : (state.finishedAt ?? now) - t0);
  const col = (ms: number) => Math.max(0, Math.min(barWidth, Math.round((ms / end) * barWidth)));
  return progress.map((p) => {
    let bar = '';
    if (t0 !== undefined && p.startsAt !== undefined) {
      const start = col(p.startsAt - t0);
      const used = p.actualMs !== undefined ? col(p.startsAt - t0 + p.actualMs) - start : 0;
      const expected = Math.max(col(p.startsAt - t0 + p.expected.maxMs) - start, 0);
      const shown = Math.max(used, p.actualMs && p.actualMs > 0 ? 1 : 0);
      bar = ' '.repeat(start) + '█'.repeat(shown) + (p.status === 'done' ? '' : '░'.repeat(Math.max(0, expected - shown)));
    }
    const actual = p.actualMs === undefined ? '-' : `${p.uncertain ? '≤ ' : ''}${formatSpan(p.actualMs)}${p.late ? '!' : ''}`;
    return { id: p.id, status: p.status, late: p.late, title: p.title, expected: range(p), actual, bar: bar.slice(0, barWidth) };
  });
}
