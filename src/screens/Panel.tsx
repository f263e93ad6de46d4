/** One dashboard panel: its title and status counts in the top border, then its worst findings. */
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fixById } from '../fixes/index.js';
import type { DeckState } from '../store/deck-store.js';
import type { FixActivity } from '../store/fixes-slice.js';
import { PANEL_TITLES, STATUS_SEVERITY, type CheckResult, type CheckStatus, type PanelId } from '../checks/types.js';
import { routerRecordsText } from '../checks/dns.js';
import { useDeck } from '../hooks/use-deck.js';
import { countStatuses, panelCheckIds, panelSyncNote, unreachableNote } from '../store/selectors.js';
import { clip, cut, wrapRows } from './text.js';
import { color, statusColor, SYMBOL } from './theme.js';

export interface PanelProps {
  panel: PanelId;
  width: number;
  height: number;
  focused: boolean;
}

/** Worst first; equal ones keep the check table's order. */
export function worstFirst(results: readonly CheckResult[]): CheckResult[] {
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => STATUS_SEVERITY[b.r.status] - STATUS_SEVERITY[a.r.status] || a.i - b.i)
    .map(({ r }) => r);
}

/** The newest fix activity of a panel's fixes (one line on the panel). */
export function latestActivity(fixes: DeckState['fixes'], panel: PanelId): FixActivity | undefined {
  let latest: FixActivity | undefined;
  for (const activity of Object.values(fixes)) {
    if (!activity || fixById(activity.fixId)?.panel !== panel) continue;
    if (!latest || activity.startedAt >= latest.startedAt) latest = activity;
  }
  return latest;
}

const ACTIVITY: Record<FixActivity['phase'], { symbol: string; tone?: string }> = {
  preparing: { symbol: '' },
  confirm: { symbol: '?', tone: 'cyan' },
  running: { symbol: '' },
  done: { symbol: '✓', tone: 'green' },
  failed: { symbol: '✗', tone: 'red' },
  refused: { symbol: '!', tone: 'yellow' },
  cancelled: { symbol: '-' },
};

/** "reclaim: PVC … Bound", but not "copyMethod: copyMethod: Snapshot on 8/8" when the message says it already. */
function withLabel(label: string, message: string): string {
  return message.toLowerCase().startsWith(label.toLowerCase()) ? message : `${label}: ${message}`;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Why this slow: each frame is a redraw sent over SSH; three a second still says "working". */
export const SPINNER_INTERVAL_MS = 333;

/** A running fix's spinner: only its own cell changes, a few times a second. */
function Spinner() {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setFrame((f) => (f + 1) % SPINNER.length), SPINNER_INTERVAL_MS);
    return () => clearInterval(timer);
  }, []);
  return <Text>{SPINNER[frame]}</Text>;
}

function FixLine({ activity, width }: { activity: FixActivity; width: number }) {
  const fix = fixById(activity.fixId);
  const { symbol, tone } = ACTIVITY[activity.phase];
  const busy = activity.phase === 'preparing' || activity.phase === 'running';
  return (
    <Text wrap="truncate-end" color={tone ? color(tone) : undefined}>
      {busy ? <Spinner /> : symbol} {clip(withLabel(fix?.label ?? activity.fixId, activity.message), width)}
    </Text>
  );
}

/**
 * A refusal on as many rows as the panel can spare (`room`), wrapped rather than cut: "not allowed:
 * ne…" said nothing. Where it does not fit, the last row points to the detail, which shows it whole.
 */
function refusalPanelRows(activity: FixActivity, width: number, room: number): string[] {
  const fix = fixById(activity.fixId);
  const rows = wrapRows(`${ACTIVITY.refused.symbol} ${withLabel(fix?.label ?? activity.fixId, activity.message)}`, width);
  if (rows.length <= room) return rows;
  return [...rows.slice(0, Math.max(0, room - 1)), cut('… enter: the whole reason', width)];
}

/**
 * The failing and warning objects of the given results, as short lines: every failing one before any
 * warning one (a failing check's own warnings come after another check's failures), and within
 * each, in the order of the results.
 */
export function badEvidence(results: readonly CheckResult[]): Array<{ key: string; status: CheckStatus; text: string }> {
  const lines: Array<{ key: string; status: CheckStatus; text: string }> = [];
  for (const r of results) {
    if (r.status !== 'fail' && r.status !== 'warn') continue;
    r.evidence.forEach((e, i) => {
      if (e.status !== 'fail' && e.status !== 'warn') return;
      const where = e.namespace ? `${e.namespace}/${e.name}` : e.name;
      lines.push({ key: `${r.id}#${i}`, status: e.status, text: `${where}: ${e.value}` });
    });
  }
  return lines
    .map((line, i) => ({ line, i }))
    .sort((a, b) => STATUS_SEVERITY[b.line.status] - STATUS_SEVERITY[a.line.status] || a.i - b.i)
    .map(({ line }) => line);
}

/** The top border: `╭─ Title ───── ✗2 !1 ✓4 ─╮` (heavy lines when focused), exactly `width` wide. */
export function topBorder(title: string, counts: string, width: number, heavy = false): string {
  const [l, h, r] = heavy ? ['┏', '━', '┓'] : ['╭', '─', '╮'];
  const left = `${l}${h} ${title} `;
  const right = counts ? ` ${counts} ${h}${r}` : `${h}${r}`;
  const fill = Math.max(0, width - left.length - right.length);
  const line = left + h.repeat(fill) + right;
  return line.length > width ? `${line.slice(0, width - 1)}${r}` : line;
}

export function Panel({ panel, width, height, focused }: PanelProps) {
  const ids = panelCheckIds(panel);
  const results = useDeck(useShallow((s) => ids.map((id) => s.results[id]).filter((r) => r !== undefined)));
  const note = useDeck((s) => panelSyncNote(s, panel));
  // While the API server cannot be reached, that is all a panel can say: its checks are unknown.
  const down = useDeck((s) => unreachableNote(s, false));
  const activity = useDeck((s) => latestActivity(s.fixes, panel));
  // The DNS panel says what the router holds, where a router is configured.
  const router = useDeck((s) => (panel === 'dns' && s.routerRecords ? routerRecordsText(s.routerRecords) : ''));
  const counts = countStatuses(results.map((r) => r.status));
  // Columns inside the border and padding. Text of cluster origin is cut to its room here, never
  // left to Ink's truncate-end: Ink cuts by a width of its own that differs from its layout's on
  // some graphemes (spacing vowel signs), and drew such a line 89 columns wide in 80.
  const columns = Math.max(1, width - 4);
  const countText = (['fail', 'warn', 'unknown', 'pending'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${SYMBOL[s]}${counts[s]}`)
    .concat(counts.pass > 0 ? [`${SYMBOL.pass}${counts.pass}`] : [])
    .join(' ');
  const worst = worstFirst(results);
  const inner = Math.max(1, height - 2);
  // A refusal keeps one row for the worst check when it can.
  const refusal = activity?.phase === 'refused' ? refusalPanelRows(activity, width - 4, Math.max(1, inner - (note ? 1 : 0) - (router ? 1 : 0) - 1)) : undefined;
  const rowsForChecks = inner - (note ? 1 : 0) - (refusal?.length ?? (activity ? 1 : 0)) - (router ? 1 : 0);
  let shown = worst.slice(0, rowsForChecks);
  let rest = worst.length - shown.length;
  if (rest > 0) {
    shown = worst.slice(0, Math.max(0, rowsForChecks - 1));
    rest = worst.length - shown.length;
  }
  const restStatuses = countStatuses(worst.slice(shown.length).map((r) => r.status));
  const restText = rest > 0 && restStatuses.pass === rest ? `${SYMBOL.pass} ${rest} more passing` : `+${rest} more (enter for detail)`;
  // Spare lines show the objects behind the worst findings, so a quiet panel still says who is wrong.
  const spare = rowsForChecks - shown.length - (rest > 0 ? 1 : 0);
  const details = spare > 0 ? badEvidence(shown).slice(0, spare) : [];
  const borderColor = focused ? color('cyan') : undefined;
  const title = focused ? `▶ ${PANEL_TITLES[panel]}` : PANEL_TITLES[panel];

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text color={borderColor} bold={focused} wrap="truncate-end">
        {topBorder(title, countText, width, focused)}
      </Text>
      {/* Why the key: Ink leaves a blank top line when borderStyle changes on a box without a top border. */}
      <Box
        key={focused ? 'focused' : 'plain'}
        flexDirection="column"
        borderStyle={focused ? 'bold' : 'round'}
        borderTop={false}
        borderColor={borderColor}
        width={width}
        height={height - 1}
        paddingX={1}
      >
        {down ? (
          <>
            <Text color={statusColor('fail')} wrap="wrap">
              {clip(down, width * 3)}
            </Text>
            <Text dimColor wrap="truncate-end">
              {SYMBOL.unknown} {results.length} {results.length === 1 ? 'check' : 'checks'} unknown until it answers
            </Text>
          </>
        ) : null}
        {note && !down ? (
          <Text dimColor wrap="truncate-end">
            {cut(note, columns)}
          </Text>
        ) : null}
        {refusal ? (
          refusal.map((row, i) => (
            <Text key={`refusal${i}`} wrap="truncate-end" color={color(ACTIVITY.refused.tone!)}>
              {row}
            </Text>
          ))
        ) : activity ? (
          <FixLine activity={activity} width={width} />
        ) : null}
        {(down ? [] : shown).map((r) => (
          <Text key={r.id} wrap="truncate-end">
            <Text color={statusColor(r.status)}>{SYMBOL[r.status]} </Text>
            {cut(r.summary, columns - 2)}
          </Text>
        ))}
        {(down ? [] : details).map((d) => (
          <Text key={d.key} wrap="truncate-end">
            {'  '}
            <Text color={statusColor(d.status)}>{SYMBOL[d.status]} </Text>
            <Text dimColor>{cut(d.text, columns - 4)}</Text>
          </Text>
        ))}
        {rest > 0 && !down ? (
          <Text dimColor wrap="truncate-end">
            {cut(restText, columns)}
          </Text>
        ) : null}
        {router ? (
          <Text dimColor wrap="truncate-end">
            {cut(router, columns)}
          </Text>
        ) : null}
      </Box>
    </Box>
  );
}
