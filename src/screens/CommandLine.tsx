/** The bottom line while `:` is typed, or the last command's answer: in place of the help bar. */
import { Text } from 'ink';
import { useDeck } from '../hooks/use-deck.js';
import { cut } from './text.js';
import { color } from './theme.js';

export function CommandLine({ width }: { width: number }) {
  const typing = useDeck((s) => s.commandLine);
  const message = useDeck((s) => s.commandMessage);
  if (typing !== null) return <Text color={color('cyan')}>{cut(`:${typing}█`, width)}</Text>;
  return <Text color={color('yellow')}>{cut(message, width)}</Text>;
}
