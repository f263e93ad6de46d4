/** The runbook step that applies now and the key that does it, wrapped whole under the header. */
import { Box, Text } from 'ink';
import { useDeck } from '../hooks/use-deck.js';
import { nextStepLine } from '../store/selectors.js';
import { wrapRows } from './text.js';
import { color } from './theme.js';

/** The rows `Next:` takes at this width: whole, never cut. */
export function nextStepRows(line: string, width: number): string[] {
  return line ? wrapRows(line, width) : [' '];
}

export function NextStep({ width, maxRows }: { width: number; maxRows?: number }) {
  const line = useDeck(nextStepLine);
  const rows = nextStepRows(line, width);
  const shown = maxRows && rows.length > maxRows ? [...rows.slice(0, maxRows - 1), '  … t: the timeline has it whole'] : rows;
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((row, i) => (
        <Text key={i} wrap="truncate-end" color={color('cyan')}>
          {row}
        </Text>
      ))}
    </Box>
  );
}
