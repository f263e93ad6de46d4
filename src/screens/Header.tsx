/** The top line: where drdeck is pointed, how long since Flux was deployed, and the overall tally. */
import { Box, Text } from 'ink';
import { useDeck } from '../hooks/use-deck.js';
import { useShallow } from 'zustand/react/shallow';
import { countStatuses, fluxDeployedAt, formatDuration } from '../store/selectors.js';
import { color, statusColor, SYMBOL } from './theme.js';

export function Header({ width }: { width: number }) {
  const clusterName = useDeck((s) => s.clusterName);
  const elapsed = useDeck((s) => {
    const t0 = fluxDeployedAt(s);
    return t0 === undefined ? undefined : Math.floor((s.now - t0) / 1000) * 1000;
  });
  const { fail, warn, pass } = useDeck(useShallow((s) => countStatuses(Object.values(s.results).map((r) => r.status))));
  const since = elapsed === undefined ? 'Flux not deployed yet' : `Flux deployed ${formatDuration(elapsed)} ago`;
  return (
    <Box width={width} justifyContent="space-between">
      <Text wrap="truncate-end">
        <Text bold color={color('cyan')}>
          drdeck
        </Text>
        {` · ${clusterName} · ${since}`}
      </Text>
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
    </Box>
  );
}
