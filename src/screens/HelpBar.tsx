/** The bottom line: the keys that work here, drawn from the one binding table. */
import { Text } from 'ink';
import { useDeck } from '../hooks/use-deck.js';
import { fixById } from '../fixes/index.js';
import { offeredFixes } from '../store/fixes-slice.js';
import { KEY_BINDINGS } from '../store/keys.js';

export function HelpBar({ width }: { width: number }) {
  const screen = useDeck((s) => s.screen);
  const helpOpen = useDeck((s) => s.helpOpen);
  const filtering = useDeck((s) => s.filtering);
  const confirming = useDeck((s) => s.confirming !== null);
  const typing = useDeck((s) => !!s.confirming && s.fixes[s.confirming.fixId]?.prepared?.plan.confirm.kind === 'type');
  // A string, so the bar re-renders only when the offered fixes change.
  const fixes = useDeck((s) =>
    (s.screen === 'timeline' ? [] : offeredFixes(s, s.focus))
      .map((id) => fixById(id))
      .map((f) => (f ? `${f.key} ${f.label}` : ''))
      .join(' · '),
  );
  let text: string;
  if (typing) text = 'type the name shown, then enter · esc cancel · ↑↓ scroll the plan';
  else if (confirming) text = 'y apply · esc cancel · j/k scroll the plan';
  else if (filtering) text = 'type to filter · enter keep · esc done · backspace erase';
  else if (helpOpen) text = '? or esc close help · q quit';
  else text = [fixes, ...KEY_BINDINGS.filter((b) => b.bar && b.screens.includes(screen)).map((b) => b.bar)].filter(Boolean).join(' · ');
  return (
    <Text dimColor={!fixes || confirming || filtering || helpOpen} wrap="truncate-end">
      {text.slice(0, width)}
    </Text>
  );
}
