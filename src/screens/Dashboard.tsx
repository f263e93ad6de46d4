/**
 * The dashboard: one row per panel (title, counts, its worst finding whole), in one order at every
 * size, then the focused panel expanded below at full width. Larger terminals show more of it.
 */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { PANEL_TITLES, PANELS, type PanelId } from '../checks/types.js';
import { apiUnreachable, clockTime, UNREACHABLE_PREFIX } from '../checks/unreachable.js';
import { useDeck } from '../hooks/use-deck.js';
import { panelCheckIds, unreachableNote } from '../store/selectors.js';
import { filterResults } from './filter.js';
import { Panel } from './Panel.js';
import { countText, worstFindingText } from './panel-rows.js';
import { cut } from './text.js';
import { cellWidth } from '../text/cells.js';
import { color, statusColor, SYMBOL } from './theme.js';

const TITLE_CELLS = Math.max(...PANELS.map((p) => PANEL_TITLES[p].length));
/** Room for counts such as "✗5 !1 ✓6" (a wider one pushes its finding along, never over). */
const COUNT_CELLS = 9;

/**
 * What every panel's row says while the server does not answer: that, and since when its data is
 * stale (or that none ever came), never the last verdicts, which would read as things missing.
 */
function downRowText(state: Parameters<typeof unreachableNote>[0], room = Infinity): string {
  const note = unreachableNote(state, false);
  if (!note) return '';
  // The whole note where it fits ("cannot reach the API server: connection refused (since 18:02:11)").
  if (cellWidth(note) + 2 <= room) return `${SYMBOL.unknown} ${note}`;
  if (state.serverSilentSince !== undefined) return `${SYMBOL.unknown} stopped answering since ${clockTime(state.serverSilentSince)}`;
  const fresh = apiUnreachable(state.sync)?.lastFresh;
  return `${SYMBOL.unknown} ${UNREACHABLE_PREFIX}; ${fresh === undefined ? 'no data yet' : `stale since ${clockTime(fresh)}`}`;
}

function IndexRow({ panel, focused, width }: { panel: PanelId; focused: boolean; width: number }) {
  const ids = panelCheckIds(panel);
  const all = useDeck(useShallow((s) => ids.map((id) => s.results[id]).filter((r) => r !== undefined)));
  const filter = useDeck((s) => s.filter);
  const isDown = useDeck((s) => unreachableNote(s, false) !== '');
  const results = filter ? filterResults(all, filter) : all;
  const counts = isDown ? `${SYMBOL.unknown}${all.length}` : countText(results.map((r) => r.status));
  const head = `${focused ? '▶' : ' '} ${PANEL_TITLES[panel].padEnd(TITLE_CELLS)} ${counts.padEnd(COUNT_CELLS)} `;
  const room = width - [...head].length;
  const down = useDeck((s) => (isDown ? downRowText(s, room) : ''));
  const finding = down ? cut(down, room) : filter && !results.length ? 'no match' : results.length ? worstFindingText(results, room) : 'no checks yet';
  const worst = down ? 'unknown' : (results.map((r) => r.status).find((s) => s === 'fail') ?? results.map((r) => r.status).find((s) => s === 'warn'));
  return (
    <Text wrap="truncate-end" inverse={focused} bold={focused}>
      {head}
      <Text color={worst ? statusColor(worst) : undefined}>{finding}</Text>
    </Text>
  );
}

export interface DashboardProps {
  width: number;
  height: number;
}

export function Dashboard({ width, height }: DashboardProps) {
  const focus = useDeck((s) => s.focus);
  const filter = useDeck((s) => s.filter);
  const filtering = useDeck((s) => s.filtering);
  const ids = panelCheckIds(focus);
  const filterText = filtering ? ` /${filter}█ ` : filter ? ` filter: ${filter} (esc clears) ` : '';
  const ruleHead = `── ${PANEL_TITLES[focus]} · ${ids.length} check${ids.length === 1 ? '' : 's'} ·${filterText ? '' : ' enter: detail '}`;
  const rule = cut(ruleHead + filterText, width);
  const fill = Math.max(0, width - [...rule].length);
  const bodyHeight = Math.max(1, height - PANELS.length - 1);
  return (
    <Box flexDirection="column" width={width} height={height}>
      {PANELS.map((panel) => (
        <IndexRow key={panel} panel={panel} focused={panel === focus} width={width} />
      ))}
      <Text color={color('cyan')} wrap="truncate-end">
        {rule}
        {'─'.repeat(fill)}
      </Text>
      <Panel key={focus} panel={focus} width={width} height={bodyHeight} />
    </Box>
  );
}
