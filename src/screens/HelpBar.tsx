/** The bottom line: the keys that work here, drawn from the one binding table. */
import { Text } from 'ink';
import { useDeck } from '../hooks/use-deck.js';
import { fixById } from '../fixes/index.js';
import { barFixes } from '../store/fixes-slice.js';
import { KEY_BINDINGS } from '../store/keys.js';
import { cellWidth } from '../text/cells.js';

export function HelpBar({ width }: { width: number }) {
  const screen = useDeck((s) => s.screen);
  const helpOpen = useDeck((s) => s.helpOpen);
  const filtering = useDeck((s) => s.filtering);
  const confirming = useDeck((s) => s.confirming !== null);
  const typing = useDeck((s) => !!s.confirming && s.fixes[s.confirming.fixId]?.prepared?.plan.confirm.kind === 'type');
  // A string, so the bar re-renders only when the offered fixes change. Refused ones are left out.
  const fixes = useDeck((s) =>
    (s.screen === 'timeline' || s.screen === 'git' ? [] : barFixes(s, s.focus))
      .map((id) => fixById(id))
      .map((f) => (f ? `${f.key} ${f.label}` : ''))
      .join(' · '),
  );
  // Ctrl-R is in the bar only while it has something to do: a watch waits to retry.
  const retry = useDeck((s) => s.serverSilentSince !== undefined || Object.values(s.sync).some((state) => state.phase === 'retrying'));
  let text: string;
  if (typing) text = 'type the name shown, then enter · esc cancel · ↑↓ scroll the plan';
  else if (confirming) text = 'y apply · esc cancel · j/k g/G scroll the plan';
  else if (filtering) text = 'type to filter · enter keep · esc done · backspace erase';
  else if (helpOpen) text = 'j/k scroll · ? or esc close help · q quit';
  else
    text = fitBar(
      [
        ...fixes.split(' · '),
        ...(screen === 'git' ? ['space more', 'ctrl-r re-read'] : retry ? ['ctrl-r retry'] : []),
        ...KEY_BINDINGS.filter((b) => b.bar && b.screens.includes(screen)).map((b) => b.bar!),
      ].filter(Boolean),
      width,
    );
  return (
    <Text dimColor={!fixes || confirming || filtering || helpOpen} wrap="truncate-end">
      {text}
    </Text>
  );
}

const TAIL = ['? help', 'q quit'];

/**
 * The keys that fit in `width`, in order, always ending with `? help · q quit`: a key that does not
 * fit is left out whole (the `?` screen lists it), never cut to "? hel".
 */
export function fitBar(items: readonly string[], width: number): string {
  const head = items.filter((item) => !TAIL.includes(item));
  const tail = TAIL.join(' · ');
  const kept: string[] = [];
  let used = cellWidth(tail);
  for (const item of head) {
    const cells = cellWidth(item) + 3;
    if (used + cells > width) continue;
    kept.push(item);
    used += cells;
  }
  return [...kept, tail].join(' · ');
}
