/** An object view over the detail: its YAML, its Events or its pods' logs; scrolls, searches, follows. */
import { Box, Text } from 'ink';
import { useEffect, useMemo } from 'react';
import { useDeck } from '../hooks/use-deck.js';
import { viewLines, viewTitle, type OpenView } from '../store/views-slice.js';
import { EVENT_HEADER } from '../views/event-rows.js';
import { cut, wrapRows } from './text.js';
import { color } from './theme.js';

export interface ObjectViewProps {
  width: number;
  height: number;
}

/** The view's own key line, drawn in place of the help bar while it is open. */
export function viewKeys(view: Pick<OpenView, 'kind' | 'follow' | 'previous' | 'choices' | 'choice' | 'searching' | 'wrap'>): string[] {
  if (view.searching) return ['type to search', 'enter keep', 'esc done', 'backspace erase'];
  const logs =
    view.kind === 'logs'
      ? [
          `s follow ${view.follow ? 'on' : 'off'}`,
          `p ${view.previous ? 'current' : 'previous'}`,
          view.choices.length > 1 ? `c container ${view.choice + 1}/${view.choices.length}` : '',
        ]
      : [];
  return ['esc back', ...logs, 'jk scroll', '/ search', `w wrap ${view.wrap ? 'on' : 'off'}`].filter(Boolean);
}

/** The rows a view shows at `width`: its lines, wrapped when it wraps (continuation rows indented). */
export function viewRows(view: OpenView, now: number, width: number): readonly string[] {
  const lines = viewLines(view, now);
  return view.wrap ? lines.flatMap((line) => wrapRows(line, width)) : lines;
}

export function ObjectView({ width, height }: ObjectViewProps) {
  const view = useDeck((s) => s.view);
  const now = useDeck((s) => s.now);
  const setViewPage = useDeck((s) => s.setViewPage);
  const events = view?.kind === 'events';
  // Title, the events' header, the status line.
  const listHeight = Math.max(1, height - 2 - (events ? 1 : 0));
  // Why memoized: a log of 5,000 lines is wrapped again only when it changes, not on every clock tick.
  const ageAt = events ? now : 0;
  const lines = useMemo(() => (view ? viewRows(view, ageAt, width) : []), [view, ageAt, width]);
  useEffect(() => setViewPage(listHeight, lines.length), [listHeight, lines.length, setViewPage]);
  if (!view) return null;
  const last = Math.max(0, lines.length - listHeight);
  const top = view.kind === 'logs' && view.follow ? last : Math.min(view.top, last);
  const visible = lines.slice(top, top + listHeight);
  const position = lines.length ? `${top + 1}-${Math.min(lines.length, top + listHeight)}/${lines.length}` : '0/0';
  const title = cut(viewTitle(view), Math.max(1, width - position.length - 2));
  const search = view.searching ? `/${view.search}█` : view.search ? `search: ${view.search}` : '';
  const status = [view.status, search].filter(Boolean).join(' · ');
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box width={width} justifyContent="space-between">
        <Text bold>{title}</Text>
        <Text dimColor>{position}</Text>
      </Box>
      {events ? <Text dimColor>{cut(EVENT_HEADER, width)}</Text> : null}
      <Box flexDirection="column" height={listHeight}>
        {visible.map((line, i) => (
          <Text key={top + i} color={line.startsWith('──') ? color('cyan') : events && line.startsWith('Warning') ? color('yellow') : undefined}>
            {cut(line, width) || ' '}
          </Text>
        ))}
      </Box>
      <Text color={view.status ? color('yellow') : color('cyan')}>{cut(status, width) || ' '}</Text>
    </Box>
  );
}
