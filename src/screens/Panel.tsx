/**
 * The focused panel, expanded at full width under the dashboard's index: its freshness, its latest
 * fix, then its findings wrapped whole (worst first), as many as fit, and how many more.
 */
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fixById } from '../fixes/index.js';
import type { DeckState } from '../store/deck-store.js';
import type { FixActivity } from '../store/fixes-slice.js';
import { type PanelId } from '../checks/types.js';
import { routerRecordsText } from '../checks/dns.js';
import { useDeck } from '../hooks/use-deck.js';
import { panelCheckIds, panelSyncNote, unreachableNote } from '../store/selectors.js';
import { filterResults } from './filter.js';
import { badEvidence, fitFindings, panelFindings, worstFirst } from './panel-rows.js';
import { wrapRows } from './text.js';
import { color, statusColor, SYMBOL } from './theme.js';

export { badEvidence, worstFirst };

export interface PanelProps {
  panel: PanelId;
  width: number;
  height: number;
  /** Kept for callers of the old grid; the expanded panel is always the focused one. */
  focused?: boolean;
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

/** A fix's activity, wrapped whole; the spinner is its own cell, so only it redraws while a fix runs. */
function FixRows({ activity, rows }: { activity: FixActivity; rows: string[] }) {
  const { symbol, tone } = ACTIVITY[activity.phase];
  const busy = activity.phase === 'preparing' || activity.phase === 'running';
  return (
    <>
      {rows.map((row, i) => (
        <Text key={`fix${i}`} wrap="truncate-end" color={tone ? color(tone) : undefined}>
          {i === 0 ? busy ? <Spinner /> : symbol || ' ' : ' '} {row}
        </Text>
      ))}
    </>
  );
}

/** The activity's text in rows of the width (two columns go to its symbol), at most `room` of them. */
function activityRows(activity: FixActivity, width: number, room: number): string[] {
  const fix = fixById(activity.fixId);
  const rows = wrapRows(withLabel(fix?.label ?? activity.fixId, activity.message), width - 2);
  if (rows.length <= room) return rows;
  return [...rows.slice(0, Math.max(0, room - 1)), 'enter: the whole reason in the detail'];
}

export function Panel({ panel, width, height }: PanelProps) {
  const ids = panelCheckIds(panel);
  const all = useDeck(useShallow((s) => ids.map((id) => s.results[id]).filter((r) => r !== undefined)));
  const filter = useDeck((s) => (s.screen === 'dashboard' ? s.filter : ''));
  const results = filter ? filterResults(all, filter) : all;
  const note = useDeck((s) => panelSyncNote(s, panel));
  // While the API server cannot be reached, that is all a panel can say: its checks are unknown,
  // not missing (the last verdicts would read as "not deployed").
  const down = useDeck((s) => unreachableNote(s, false));
  const activity = useDeck((s) => latestActivity(s.fixes, panel));
  // The DNS panel says what the router holds, where a router is configured.
  const router = useDeck((s) => (panel === 'dns' && s.routerRecords ? routerRecordsText(s.routerRecords) : ''));
  const noteRows = down
    ? [...wrapRows(down, width), `${SYMBOL.unknown} ${all.length} ${all.length === 1 ? 'check' : 'checks'} unknown until it answers`]
    : note
      ? wrapRows(note, width)
      : [];
  const routerRows = router ? wrapRows(router, width) : [];
  // A fix's activity keeps room for at least one finding under it.
  const fixRows = activity ? activityRows(activity, width, Math.max(1, height - noteRows.length - routerRows.length - 1)) : [];
  const room = Math.max(0, height - noteRows.length - fixRows.length - routerRows.length);
  const { shown, more } = down ? { shown: [], more: '' } : fitFindings(panelFindings(results, room + 1), room, width);
  const empty = !down && !results.length ? (filter ? `nothing here matches "${filter}"` : 'no checks yet') : '';

  return (
    <Box flexDirection="column" width={width} height={height}>
      {noteRows.map((row, i) => (
        <Text key={`note${i}`} color={down ? statusColor('unknown') : undefined} dimColor={!down} wrap="truncate-end">
          {row}
        </Text>
      ))}
      {activity ? <FixRows activity={activity} rows={fixRows} /> : null}
      {shown.flatMap((item) =>
        item.rows.map((row, i) => (
          <Text key={`${item.key}/${i}`} wrap="truncate-end">
            {' '.repeat(item.indent)}
            {item.status ? i === 0 ? <Text color={statusColor(item.status)}>{SYMBOL[item.status]} </Text> : '  ' : null}
            <Text dimColor={item.dim}>{row}</Text>
          </Text>
        )),
      )}
      {more ? (
        <Text dimColor wrap="truncate-end">
          {more}
        </Text>
      ) : null}
      {empty ? <Text dimColor>{empty}</Text> : null}
      {routerRows.map((row, i) => (
        <Text key={`router${i}`} dimColor wrap="truncate-end">
          {row}
        </Text>
      ))}
    </Box>
  );
}
