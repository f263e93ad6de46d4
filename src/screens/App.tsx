/** The root: header, the open screen (or help), the help bar; one input handler for all of it. */
import { Box, Text, useApp } from 'ink';
import { useEffect } from 'react';
import { useDeck } from '../hooks/use-deck.js';
import { useKeys } from '../hooks/use-keys.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { CommandLine } from './CommandLine.js';
import { Confirm } from './Confirm.js';
import { Dashboard } from './Dashboard.js';
import { nextStepLine } from '../store/selectors.js';
import { Detail } from './Detail.js';
import { Git } from './Git.js';
import { Header } from './Header.js';
import { Help } from './Help.js';
import { fitBar, HelpBar } from './HelpBar.js';
import { NextStep, nextStepRows } from './NextStep.js';
import { ObjectView, viewKeys } from './ObjectView.js';
import { cut } from './text.js';
import { color } from './theme.js';
import { Timeline } from './Timeline.js';

/** The smallest terminal drdeck draws in: an operator's bastion window. */
export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

/** "drdeck needs 80x24, have 60x20": all a smaller terminal shows (q still quits). */
export function tooSmallText(columns: number, rows: number): string {
  return `drdeck needs ${MIN_COLUMNS}x${MIN_ROWS}, have ${columns}x${rows}`;
}

export function App() {
  useKeys();
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const screen = useDeck((s) => s.screen);
  const helpOpen = useDeck((s) => s.helpOpen);
  const confirming = useDeck((s) => s.confirming !== null);
  const quit = useDeck((s) => s.quitRequested);
  const notices = useDeck((s) => s.notices);
  // Object views and the command line (views-slice.ts): a view over the detail, the line over the bar.
  const viewOpen = useDeck((s) => s.view !== null);
  // Joined, so the bar re-renders only when its keys change; fitted whole like the help bar.
  const viewBar = useDeck((s) => (s.view ? viewKeys(s.view).join(' · ') : ''));
  const viewSearching = useDeck((s) => s.view?.searching === true);
  const commanding = useDeck((s) => s.commandLine !== null || s.commandMessage !== '');
  // Why one column less: writing the last column of a line makes some terminals wrap early.
  const width = Math.max(20, columns - 1);
  // Why one line less: Ink clears the whole screen on every frame whose output fills the terminal,
  // which flickers over SSH; a frame one line shorter is redrawn in place.
  const height = Math.max(6, rows - 1);
  // One line for every notice: the first, and how many more (each one fixed shows the next).
  const more = notices.length > 1 ? ` (+${notices.length - 1} more)` : '';
  const notice = notices.length ? `! ${cut(notices[0], width - 2 - more.length)}${more}` : '';
  const bodyHeight = height - 2 - (notice ? 1 : 0);
  // Next: is wrapped whole; it may take up to a third of the dashboard before it points elsewhere.
  const nextLine = useDeck(nextStepLine);
  const nextMax = Math.max(1, Math.floor(bodyHeight / 3));
  const nextRows = Math.min(nextMax, nextStepRows(nextLine, width).length);

  useEffect(() => {
    if (quit) exit();
  }, [quit, exit]);

  // Why the keys: after a resize Ink can keep a text's old measured size and leave blank lines in a
  // panel; remounting the body at a new size lays it out afresh.
  const size = `${width}x${bodyHeight}`;
  let body;
  if (confirming) body = <Confirm key={size} width={width} height={bodyHeight} />;
  else if (helpOpen) body = <Help key={size} width={width} height={bodyHeight} />;
  else if (viewOpen) body = <ObjectView key={size} width={width} height={bodyHeight} />;
  else if (screen === 'detail') body = <Detail key={size} width={width} height={bodyHeight} />;
  else if (screen === 'timeline') body = <Timeline key={size} width={width} height={bodyHeight} />;
  else if (screen === 'git') body = <Git key={size} width={width} height={bodyHeight} />;
  else
    body = (
      <>
        <NextStep width={width} maxRows={nextMax} />
        <Dashboard key={size} width={width} height={bodyHeight - nextRows} />
      </>
    );

  // Why after the hooks: a resize back to a usable size must find them all in place.
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return (
      <Box flexDirection="column" width={width}>
        <Text wrap="truncate-end">{cut(tooSmallText(columns, rows), width)}</Text>
        <Text dimColor wrap="truncate-end">
          {cut('q quits; a larger window redraws', width)}
        </Text>
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header width={width} />
      {notice ? (
        <Text wrap="truncate-end" color={color('yellow')}>
          {notice}
        </Text>
      ) : null}
      {body}
      {commanding ? (
        <CommandLine width={width} />
      ) : viewOpen && !helpOpen && !confirming ? (
        <Text dimColor>{viewSearching ? cut(viewBar, width) : fitBar(viewBar.split(' · '), width)}</Text>
      ) : (
        <HelpBar width={width} />
      )}
    </Box>
  );
}
