/**
 * The `?` screen: the key bindings of the screen it was opened on (from the one table, as k9s's help
 * does), the status symbols, and what each panel checks.
 */
import { Box, Text } from 'ink';
import { useEffect } from 'react';
import { ALL_CHECKS } from '../checks/index.js';
import { PANEL_TITLES, PANELS } from '../checks/types.js';
import { useDeck } from '../hooks/use-deck.js';
import { KEY_BINDINGS, type Screen } from '../store/keys.js';
import { cellWidth } from '../text/cells.js';
import { cut, wrapRows } from './text.js';
import { SYMBOL, statusColor } from './theme.js';

type HelpRow = { key: string; text: string; bold?: boolean; statuses?: boolean };

/** Every row of the help for `screen`, wrapped to `width`: nothing is cut; a short terminal scrolls it (j/k). */
export function helpRows(width: number, screen: Screen): HelpRow[] {
  const bindings = KEY_BINDINGS.filter((b) => b.screens.includes(screen));
  const keyWidth = Math.max(...bindings.map((b) => cellWidth(b.keys))) + 2;
  const rows: HelpRow[] = [{ key: 'keys', text: "Keys (this screen's; ? on another lists its own)", bold: true }];
  for (const b of bindings) {
    // The action wraps under itself, after the key column.
    const action = wrapRows(b.action, Math.max(20, width - 2 - keyWidth)).map((row) => row.replace(/^ {2}/, ''));
    action.forEach((row, i) =>
      rows.push({
        key: `${b.keys} ${b.action} ${i}`,
        text: `  ${i === 0 ? b.keys + ' '.repeat(Math.max(0, keyWidth - cellWidth(b.keys))) : ' '.repeat(keyWidth)}${row}`,
      }),
    );
  }
  rows.push({ key: 'status', text: '', statuses: true });
  rows.push({ key: 'by panel', text: 'Checks by panel', bold: true });
  for (const p of PANELS) {
    const line = `${PANEL_TITLES[p]}: ${ALL_CHECKS.filter((c) => c.panel === p)
      .map((c) => c.id.split('.')[1])
      .join(', ')}`;
    wrapRows(line, width - 2).forEach((row, i) => rows.push({ key: `${p} ${i}`, text: `  ${row}` }));
  }
  return rows;
}

export function Help({ width, height }: { width: number; height: number }) {
  const screen = useDeck((s) => s.screen);
  const requested = useDeck((s) => s.helpScroll);
  const setLayout = useDeck((s) => s.setLayout);
  const rows = helpRows(width, screen);
  const fits = rows.length <= height;
  const window = fits ? height : Math.max(1, height - 1);
  const limit = Math.max(0, rows.length - window);
  useEffect(() => setLayout({ helpScrollLimit: limit }), [limit, setLayout]);
  const start = Math.min(requested, limit);
  const statuses = (['fail', 'warn', 'unknown', 'pending', 'pass'] as const).map((s) => (
    <Text key={s}>
      <Text color={statusColor(s)}>{SYMBOL[s]}</Text> {s}
      {'  '}
    </Text>
  ));
  return (
    <Box flexDirection="column" width={width} height={height}>
      {rows.slice(start, start + window).map((row) =>
        row.statuses ? (
          <Box key={row.key}>
            <Text bold>Status </Text>
            {statuses}
          </Box>
        ) : (
          <Text key={row.key} bold={row.bold} wrap="truncate-end">
            {row.text || ' '}
          </Text>
        ),
      )}
      {fits ? null : (
        <Text dimColor wrap="truncate-end">
          {cut(`lines ${start + 1}-${Math.min(rows.length, start + window)} of ${rows.length} · j/k scroll`, width)}
        </Text>
      )}
    </Box>
  );
}
