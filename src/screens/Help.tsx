/** The `?` screen: every key binding (from the one table), the status symbols, and what each panel checks. */
import { Box, Text } from 'ink';
import { ALL_CHECKS } from '../checks/index.js';
import { PANEL_TITLES, PANELS } from '../checks/types.js';
import { useDeck } from '../hooks/use-deck.js';
import { KEY_BINDINGS } from '../store/keys.js';
import { SYMBOL, statusColor } from './theme.js';

export function Help({ width, height }: { width: number; height: number }) {
  // The keys of the screen it was opened on, as k9s's help does: every screen's fit in 24 lines.
  const screen = useDeck((s) => s.screen);
  const bindings = KEY_BINDINGS.filter((b) => b.screens.includes(screen));
  const keyWidth = Math.max(...bindings.map((b) => b.keys.length)) + 2;
  const statuses = (['fail', 'warn', 'unknown', 'pending', 'pass'] as const).map((s) => (
    <Text key={s}>
      <Text color={statusColor(s)}>{SYMBOL[s]}</Text> {s}
      {'  '}
    </Text>
  ));
  const panels = PANELS.map(
    (p) =>
      `${PANEL_TITLES[p]}: ${ALL_CHECKS.filter((c) => c.panel === p)
        .map((c) => c.id.split('.')[1])
        .join(', ')}`,
  );
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        Keys <Text dimColor>(this screen's; ? on another lists its own)</Text>
      </Text>
      {bindings.map((b) => (
        <Text key={`${b.keys} ${b.action}`} wrap="truncate-end">
          {'  '}
          {b.keys.padEnd(keyWidth)}
          {b.action}
        </Text>
      ))}
      <Box>
        <Text bold>Status </Text>
        {statuses}
        <Text bold> · checks by panel:</Text>
      </Box>
      <Box flexDirection="column">
        {panels.map((line) => (
          <Text key={line} wrap="truncate-end">
            {'  '}
            {line}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
