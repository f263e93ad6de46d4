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
  const fixItems = fixes ? fixes.split(' · ') : [];
  let text: string;
  if (typing) text = 'type the name shown, then enter · esc cancel · ↑↓ scroll the plan';
  else if (confirming) text = 'y apply · esc cancel · j/k g/G scroll the plan';
  else if (filtering) text = 'type to filter · enter keep · esc done · backspace erase';
  else if (helpOpen) text = 'j/k scroll · ? or esc close help · q quit';
  else
    text = fitBar(
      [
        ...fixItems,
        ...(screen === 'git' ? ['space more', 'ctrl-r re-read'] : retry ? ['ctrl-r retry'] : []),
        ...KEY_BINDINGS.filter((b) => b.bar && b.screens.includes(screen)).map((b) => b.bar!),
      ].filter(Boolean),
      width,
      fixItems.length,
    );
  return (
    <Text dimColor={!fixes || confirming || filtering || helpOpen} wrap="truncate-end">
      {text}
    </Text>
  );
}

const TAIL = ['? help', 'q quit'];

/**
 * Which keys give way first when the bar is short: the moves (arrows say as much), then the filter,
 * the timeline, the Git view; a fix or a way back never before those. Unlisted keys rank with `t`.
 */
const GIVES_WAY: Readonly<Record<string, number>> = {
  'hjkl move': 5,
  '/ filter': 4,
  't timeline': 3,
  'g git': 2,
  'enter detail': 1,
  'esc back': 1,
  'jk select': 1,
};

/**
 * The keys that fit in `width`, in their order, always ending with `? help · q quit`: a key that
 * does not fit is left out whole (the `?` screen lists it), never cut to "? hel". Fix keys come
 * first and stay; the rest give way as GIVES_WAY says.
 */
export function fitBar(items: readonly string[], width: number, fixCount = 0): string {
  const head = items.filter((item) => !TAIL.includes(item));
  const tail = TAIL.join(' · ');
  const rank = (item: string, i: number) => (i < fixCount ? 0 : (GIVES_WAY[item] ?? 3));
  const order = head.map((item, i) => ({ item, i, rank: rank(item, i) })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  const kept = new Set<number>();
  let used = cellWidth(tail);
  for (const { item, i } of order) {
    const cells = cellWidth(item) + 3;
    if (used + cells > width) continue;
    kept.add(i);
    used += cells;
  }
  return [...head.filter((_, i) => kept.has(i)), tail].join(' · ');
}
