/** The timeline screen (`t`): every phase against its expected range, the total, the ETA, the next step. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useDeck } from '../hooks/use-deck.js';
import { nextStepLine } from '../store/selectors.js';
import { eta, formatSpan, totalMs, versus } from '../timeline/index.js';
import { timelineRows, type TimelineRow } from './timeline-rows.js';
import { wrapRows } from './text.js';
import { color } from './theme.js';

const MARK: Record<TimelineRow['status'], string> = { done: '✓', current: '▶', regressed: '↺', waiting: ' ' };

export function Timeline({ width, height }: { width: number; height: number }) {
  // The clock moves once a second; the rows are cheap to rebuild at that rate.
  const { timeline, now, spec } = useDeck(useShallow((s) => ({ timeline: s.timeline, now: s.now, spec: s.timelineSpec })));
  const notice = useDeck((s) => s.timelineNotice);
  // The same line as the dashboard's: "reach the API server" while it does not answer.
  const nextLine = useDeck(nextStepLine);
  if (!timeline) return <Text>No timeline yet.</Text>;
  const titleWidth = Math.max(...spec.phases.map((p) => p.title.length));
  const fixed = 2 + titleWidth + 1 + 8 + 1 + 9 + 1;
  const barWidth = Math.max(10, width - fixed - 1);
  const rows = timelineRows(timeline, now, spec, barWidth);
  const total = totalMs(timeline, now);
  const projection = eta(timeline, now, spec);
  const vs = versus(projection.done ? total : projection.total.typicalMs, spec.totals);
  const totals = spec.totals;
  const m = (ms: number) => `${Math.round(ms / 60_000)}m`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        Timeline — {timeline.t0 === undefined ? 'waiting for Flux (t0 unknown)' : `t0 ${new Date(timeline.t0).toISOString().slice(11, 19)} UTC`}
      </Text>
      <Text dimColor wrap="truncate-end">
        {'  '}
        {'phase'.padEnd(titleWidth)} {'expected'.padStart(8)} {'actual'.padStart(9)} {'0'.padEnd(barWidth - m(Math.max(totals.worstMs, total)).length)}
        {m(Math.max(totals.worstMs, total))}
      </Text>
      {rows.map((r) => (
        <Text
          key={r.id}
          wrap="truncate-end"
          color={r.late ? color('yellow') : r.status === 'regressed' ? color('red') : undefined}
          bold={r.status === 'current'}
        >
          {MARK[r.status]} {r.title.padEnd(titleWidth)} {r.expected.padStart(8)} {r.actual.padStart(9)}{' '}
          <Text color={r.status === 'done' ? color('green') : color('cyan')}>{r.bar}</Text>
        </Text>
      ))}
      <Text> </Text>
      <Text wrap="truncate-end">
        {projection.done ? 'Done in ' : 'Elapsed '}
        {formatSpan(total)}
        {projection.done
          ? ` (${vs.rating})`
          : ` · ETA ${formatSpan(projection.remaining.typicalMs)} more (${formatSpan(projection.remaining.minMs)}-${formatSpan(projection.remaining.maxMs)}), total ~${formatSpan(projection.total.typicalMs)}`}
      </Text>
      <Text dimColor wrap="truncate-end">
        Seed: best {m(totals.bestMs)}, typical {m(totals.typical.minMs)}-{m(totals.typical.maxMs)}, worst {m(totals.worstMs)}
      </Text>
      {/* Wrapped whole, as on the dashboard (which points here when its own room runs out). */}
      {wrapRows(nextLine || ' ', width).map((row, i) => (
        <Text key={`next${i}`} wrap="truncate-end" color={color('cyan')}>
          {row}
        </Text>
      ))}
      {notice ? (
        <Text wrap="truncate-end" color={color('yellow')}>
          ! {notice}
        </Text>
      ) : null}
    </Box>
  );
}
