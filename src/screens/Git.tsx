/**
 * The Git view (`g`): the Prevention Checklist over the repository, one row per item, and under the
 * list the selected item's summary and evidence at file:line, wrapped (never cut) and scrolled with
 * space / Enter / PgUp PgDn. Without a repository: how to give one, and the live findings cured in Git.
 */
import { Box, Text } from 'ink';
import { useEffect } from 'react';
import { useDeck } from '../hooks/use-deck.js';
import { gitView, type GitRow } from './git-lines.js';
import { cellWidth, prefixFitting } from '../text/cells.js';
import { escapeControls } from '../text/sanitize.js';
import { clip, cut, wrapRows } from './text.js';
import { color, statusColor, SYMBOL } from './theme.js';

export interface GitProps {
  width: number;
  height: number;
}

interface Row {
  key: string;
  pad: string;
  text: string;
  status?: GitRow['status'];
}

/**
 * Wraps at spaces only, so a path or an object name moves whole to the next row; only a word longer
 * than a whole row is broken. Continuation rows are indented by two (as wrapRows does).
 */
export function wrapWords(text: string, width: number): string[] {
  const rows: string[] = [];
  let row = '';
  for (const word of escapeControls(text).split(' ')) {
    const room = Math.max(8, width - (rows.length ? 2 : 0));
    const joined = row ? `${row} ${word}` : word;
    if (cellWidth(joined) <= room) {
      row = joined;
      continue;
    }
    if (row) rows.push(row);
    row = word;
    // A word wider than a row: broken at the row's end, the rest carried on.
    for (let next = Math.max(8, width - 2); cellWidth(row) > next;) {
      const end = Math.max(1, prefixFitting(row, next));
      rows.push(row.slice(0, end));
      row = row.slice(end);
    }
  }
  rows.push(row);
  return rows.map((r, i) => (i ? `  ${r}` : r));
}

/** An entry's rows wrapped to the width: continuation rows keep the row's indent and symbol room. */
function wrapped(rows: readonly GitRow[], width: number): Row[] {
  return rows.flatMap((row, i) => {
    const lead = row.status ? 2 : 0;
    const room = Math.max(10, width - row.indent - lead);
    return wrapWords(row.text, room).map((text, j) => ({
      key: `${i}.${j}`,
      pad: ' '.repeat(row.indent + (j > 0 ? lead : 0)),
      text,
      status: j === 0 ? row.status : undefined,
    }));
  });
}

export function Git({ width, height }: GitProps) {
  const git = useDeck((s) => s.git);
  const results = useDeck((s) => s.results);
  const requested = useDeck((s) => s.scroll);
  const scroll = useDeck((s) => s.gitScroll);
  const setLayout = useDeck((s) => s.setLayout);
  const view = gitView(git, results);
  const entries = view.entries;
  const last = Math.max(0, entries.length - 1);
  const cursor = Math.min(requested, last);
  const notice = view.notice ? wrapRows(view.notice, width, 3).map((row) => cut(row, width)) : [];
  // The list takes what it needs, up to half the room: the evidence is what the operator reads.
  const room = Math.max(4, height - 1 - notice.length);
  const listHeight = Math.min(Math.max(1, entries.length), Math.max(2, Math.floor(room / 2)), room - 2);
  const start = Math.max(0, Math.min(cursor - Math.floor(listHeight / 2), entries.length - listHeight));
  const visible = entries.slice(start, start + listHeight);
  const selected = entries[cursor];
  const detail = selected ? wrapped(selected.rows, width) : [];
  // One blank row between the list and the detail.
  const detailHeight = Math.max(1, room - listHeight - 1);
  const scrollLimit = Math.max(0, detail.length - detailHeight);
  const first = Math.min(scroll, scrollLimit);
  const more = detail.length - first - detailHeight;
  const shown = more > 0 ? detail.slice(first, first + detailHeight - 1) : detail.slice(first, first + detailHeight);
  useEffect(() => setLayout({ scrollLimit: last, gitScrollLimit: scrollLimit, pageLines: detailHeight }), [last, scrollLimit, detailHeight, setLayout]);
  const position = entries.length ? `${cursor + 1}/${entries.length}` : '0/0';

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box width={width} justifyContent="space-between">
        <Text bold wrap="truncate-end">
          {cut(view.title, width - position.length - 1)}
        </Text>
        <Text dimColor>{position}</Text>
      </Box>
      {notice.map((row, i) => (
        <Text key={`notice${i}`} color={color('yellow')} wrap="truncate-end">
          {row}
        </Text>
      ))}
      <Box flexDirection="column" height={listHeight}>
        {visible.length ? (
          visible.map((entry) => (
            <Text key={entry.key} inverse={entry === selected} wrap="truncate-end">
              <Text color={statusColor(entry.status)}>{SYMBOL[entry.status]}</Text> {clip(entry.head, width - 2)}
            </Text>
          ))
        ) : (
          <Text dimColor>nothing here is cured in Git</Text>
        )}
      </Box>
      <Text> </Text>
      <Box flexDirection="column" height={detailHeight}>
        {shown.map((row) => (
          <Text key={row.key} wrap="truncate-end">
            {row.pad}
            {row.status ? (
              <>
                <Text color={statusColor(row.status)}>{SYMBOL[row.status]}</Text>{' '}
              </>
            ) : null}
            {row.text}
          </Text>
        ))}
        {more > 0 ? (
          <Text dimColor wrap="truncate-end">
            … {more + 1} more rows (space / enter, PgUp back)
          </Text>
        ) : null}
      </Box>
    </Box>
  );
}
