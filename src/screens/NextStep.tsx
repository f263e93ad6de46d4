/** One line under the header: the runbook step that applies now, and the key that does it. */
import { Text } from 'ink';
import { useDeck } from '../hooks/use-deck.js';
import { nextStepLine } from '../store/selectors.js';
import { color } from './theme.js';

export function NextStep({ width }: { width: number }) {
  const line = useDeck(nextStepLine);
  return (
    <Text wrap="truncate-end" color={color('cyan')}>
      {(line || ' ').slice(0, width)}
    </Text>
  );
}
