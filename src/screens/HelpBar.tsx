/** The bottom line: the keys that work here, drawn from the one binding table. */
import { Text } from 'ink';
import { useDeck } from '../hooks/use-deck.js';
import { KEY_BINDINGS } from '../store/keys.js';

export function HelpBar({ width }: { width: number }) {
  const screen = useDeck((s) => s.screen);
  const helpOpen = useDeck((s) => s.helpOpen);
  const filtering = useDeck((s) => s.filtering);
  let text: string;
  if (filtering) text = 'type to filter · enter keep · esc done · backspace erase';
  else if (helpOpen) text = '? or esc close help · q quit';
  else text = KEY_BINDINGS.filter((b) => b.bar && b.screens.includes(screen)).map((b) => b.bar).join(' · ');
  return (
    <Text dimColor wrap="truncate-end">
      {text.slice(0, width)}
    </Text>
  );
}
