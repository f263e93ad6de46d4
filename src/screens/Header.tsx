/**
 * The top line: where drdeck is pointed, the timeline strip (phase, elapsed, ETA) or, while it does
 * not answer, the API server that cannot be reached, and the overall tally.
 */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useDeck } from '../hooks/use-deck.js';
import { apiUnreachable } from '../checks/unreachable.js';
import { countStatuses, headerStatus } from '../store/selectors.js';
import { cut } from './text.js';
import { color, statusColor, SYMBOL } from './theme.js';

export function Header({ width }: { width: number }) {
  const clusterName = useDeck((s) => s.clusterName);
  const { fail, warn, pass, unknown } = useDeck(useShallow((s) => countStatuses(Object.values(s.results).map((r) => r.status))));
  const down = useDeck((s) => apiUnreachable(s.sync) !== undefined);
  // While the server does not answer every check is unknown: "?27", not a reassuring "✗0 !0 ✓0".
  const tally = down ? `${SYMBOL.unknown}${unknown}` : `${SYMBOL.fail}${fail} ${SYMBOL.warn}${warn} ${SYMBOL.pass}${pass}`;
  const room = width - tally.length - 1 - [...`drdeck · ${clusterName} · `].length;
  const strip = useDeck((s) => headerStatus(s, room));
  // Why by hand: the tally must stay whole on the right and the line must never wrap to two.
  const left = cut(`drdeck · ${clusterName} · ${strip}`, width - tally.length - 1);
  return (
    <Box width={width} justifyContent="space-between">
      <Text>
        <Text bold color={color('cyan')}>
          {left.slice(0, 6)}
        </Text>
        <Text color={down ? statusColor('fail') : undefined}>{left.slice(6)}</Text>
      </Text>
      {down ? (
        <Text color={statusColor('unknown')}>{tally}</Text>
      ) : (
        <Text>
          <Text color={statusColor('fail')}>
            {SYMBOL.fail}
            {fail}
          </Text>{' '}
          <Text color={statusColor('warn')}>
            {SYMBOL.warn}
            {warn}
          </Text>{' '}
          <Text color={statusColor('pass')}>
            {SYMBOL.pass}
            {pass}
          </Text>
        </Text>
      )}
    </Box>
  );
}
