/** A panel's detail: every check, its evidence (the objects), its fixes and Git hints; scrolls and filters. */
import { Box, Text } from 'ink';
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { PANEL_TITLES, type PanelId } from '../checks/types.js';
import { ALL_FIXES } from '../fixes/index.js';
import { useDeck } from '../hooks/use-deck.js';
import type { DeckState } from '../store/deck-store.js';
import { refusalText } from '../store/fixes-slice.js';
import { gitSourceOf, panelCheckIds, panelSyncNote } from '../store/selectors.js';
import { cut, wrapRows } from './text.js';
import { buildDetailLines, type DetailLine } from './detail-lines.js';
import { color, statusColor, SYMBOL } from './theme.js';

export interface DetailProps {
  width: number;
  height: number;
}

function Line({ line, selected }: { line: DetailLine; selected: boolean }) {
  return (
    <Text inverse={selected} wrap="truncate-end">
      <LineBody line={line} />
    </Text>
  );
}

function LineBody({ line }: { line: DetailLine }) {
  if (line.kind === 'check' && line.status) {
    return (
      <Text bold>
        <Text color={statusColor(line.status)}>
          {SYMBOL[line.status]} {line.status.toUpperCase().padEnd(8)}
        </Text>
        {line.text}
      </Text>
    );
  }
  if (line.kind === 'evidence') {
    return (
      <Text>
        {'    '}
        {line.status ? <Text color={statusColor(line.status)}>{SYMBOL[line.status]} </Text> : '  '}
        {line.text}
      </Text>
    );
  }
  if (line.kind === 'source') {
    return (
      <Text color={color('cyan')}>
        {'      '}
        {line.text}
      </Text>
    );
  }
  if (line.kind === 'fix') {
    return (
      <Text color={color('cyan')}>
        {'    '}
        {line.text}
      </Text>
    );
  }
  if (line.kind === 'git') {
    return (
      <Text color={color('yellow')}>
        {'    '}
        {line.text}
      </Text>
    );
  }
  return <Text> </Text>;
}

/**
 * Columns `LineBody` draws before a line's text. Why the text is cut to the rest by `cut` and not
 * left to Ink's truncate-end: Ink cuts by a width of its own, which differs from its layout's on some
 * graphemes (musical symbols with spacing marks), and drew such a line 82 columns wide in 80.
 */
const PREFIX_CELLS: Readonly<Record<DetailLine['kind'], number>> = { check: 10, evidence: 6, source: 6, fix: 4, git: 4, spacer: 0 };

function fullText(line: DetailLine): string {
  return line.kind === 'check' && line.status ? `${line.status.toUpperCase()} ${line.text}` : line.text.trim();
}

/** Rows under the list for the selected line in full: a volume handle and its object fit in three. */
const BOTTOM_ROWS = 3;

/**
 * The selected line in full, on the rows under the list: three, or as many as it takes up to
 * `maxRows` (a third of the screen), so a long Flux message is read whole there. Only a line longer
 * than that ends with how to read the rest.
 */
function bottomRows(selected: DetailLine | undefined, width: number, maxRows: number): string[] {
  if (!selected || selected.kind === 'spacer') return [' '];
  const rows = wrapRows(fullText(selected), width, maxRows + 1);
  if (rows.length <= maxRows) return rows;
  return [...rows.slice(0, maxRows - 1), cut(`${rows[maxRows - 1]}${rows[maxRows]}`, width)];
}

/**
 * "! T trigger restores: not allowed: needs patch on …" for each fix of the panel that will not run,
 * one per line (joined by a newline, so the selector returns a string and stays quiet).
 */
function refusals(state: Pick<DeckState, 'fixes' | 'fixAccess'>, panel: PanelId): string {
  return ALL_FIXES.filter((f) => f.panel === panel)
    .map((f) => {
      const why = refusalText(state, f.id);
      return why ? `! ${f.key} ${f.label}: ${why}` : '';
    })
    .filter(Boolean)
    .join('\n');
}

/** Rows the list keeps however long the refusals are. */
const MIN_LIST_ROWS = 3;

/**
 * The refusals wrapped to the width, whole: each missing permission on rows of its own, so
 * "needs patch on replicationdestinations.volsync.backube in default" is never cut. Only a
 * terminal too small for all of them ends with how to see the rest.
 */
function refusalRows(text: string, width: number, room: number): string[] {
  if (!text) return [];
  const rows = text.split('\n').flatMap((line) => {
    const [head, ...needs] = line.split(/(?<=not allowed:) |; (?=needs )/);
    return [...wrapRows(head, width), ...needs.flatMap((need) => wrapRows(`    ${need}`, width))];
  });
  if (rows.length <= room) return rows;
  return [...rows.slice(0, Math.max(0, room - 1)), cut(`… ${rows.length - room + 1} more rows: a taller terminal shows them`, width)];
}

export function Detail({ width, height }: DetailProps) {
  const panel = useDeck((s) => s.focus);
  const ids = panelCheckIds(panel);
  const results = useDeck(useShallow((s) => ids.map((id) => s.results[id]).filter((r) => r !== undefined)));
  const filter = useDeck((s) => s.filter);
  const filtering = useDeck((s) => s.filtering);
  const requested = useDeck((s) => s.scroll);
  // The list, then two lines with the selected line in full (evidence is cut to the width above).
  const note = useDeck((s) => panelSyncNote(s, panel));
  const setLayout = useDeck((s) => s.setLayout);
  const refused = useDeck((s) => refusals(s, panel));
  const git = useDeck((s) => s.git);
  const lines = buildDetailLines(results, filter, git.phase === 'off' || git.phase === 'error' ? undefined : (target) => gitSourceOf({ git }, target));
  const why = refusalRows(refused, width, Math.max(0, height - 2 - BOTTOM_ROWS - MIN_LIST_ROWS));
  const lastLine = Math.max(0, lines.length - 1);
  const cursor = Math.min(requested, lastLine);
  const footer = bottomRows(lines[cursor], width, Math.max(BOTTOM_ROWS, Math.floor(height / 3)));
  const footerRows = Math.max(BOTTOM_ROWS, footer.length);
  const listHeight = Math.max(1, height - 2 - footerRows - why.length);
  useEffect(() => setLayout({ scrollLimit: lastLine, pageLines: listHeight }), [lastLine, listHeight, setLayout]);
  const selectedTarget = lines[Math.min(requested, lastLine)]?.target;
  useEffect(() => setLayout({ selection: selectedTarget }), [selectedTarget, setLayout]);
  // Keep the cursor in the middle of the window where the list allows it.
  const start = Math.max(0, Math.min(cursor - Math.floor(listHeight / 2), lines.length - listHeight));
  const visible = lines.slice(start, start + listHeight);
  const selected = lines[cursor];
  const position = lines.length ? `${cursor + 1}/${lines.length}` : '0/0';
  const filterText = filtering ? `/${filter}█` : filter ? `filter: ${filter}` : '';

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box width={width} justifyContent="space-between">
        {/* Why cut here: the title must leave the counter its columns and a space, never run into it. */}
        <Text bold wrap="truncate-end">
          {cut(`${PANEL_TITLES[panel]} — ${ids.length} check${ids.length === 1 ? '' : 's'}${note ? ` · ${note}` : ''}`, width - position.length - 1)}
        </Text>
        <Text dimColor>{position}</Text>
      </Box>
      {why.map((row, i) => (
        <Text key={`refused${i}`} color={color('yellow')} wrap="truncate-end">
          {row}
        </Text>
      ))}
      <Box flexDirection="column" height={listHeight}>
        {visible.length ? (
          visible.map((line) => <Line key={line.key} line={{ ...line, text: cut(line.text, width - PREFIX_CELLS[line.kind]) }} selected={line === selected} />)
        ) : (
          <Text dimColor>{filter ? `nothing matches "${filter}"` : 'no checks'}</Text>
        )}
      </Box>
      <Box height={footerRows} width={width} flexDirection="column">
        {footer.map((row, i) => (
          <Text key={i} dimColor wrap="truncate-end">
            {row}
          </Text>
        ))}
      </Box>
      <Text color={filtering ? color('cyan') : undefined} wrap="truncate-end">
        {filterText || ' '}
      </Text>
    </Box>
  );
}
