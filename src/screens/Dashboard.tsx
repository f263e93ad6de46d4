/** Six panels on a grid that follows the terminal: 2 per row at 80 columns, 3 from 120, 1 below 60. */
import { Box } from 'ink';
import { PANELS } from '../checks/types.js';
import { useDeck } from '../hooks/use-deck.js';
import { Panel } from './Panel.js';

export function gridColumnsFor(width: number): number {
  if (width >= 120) return 3;
  if (width >= 60) return 2;
  return 1;
}

export interface DashboardProps {
  width: number;
  height: number;
}

export function Dashboard({ width, height }: DashboardProps) {
  const focus = useDeck((s) => s.focus);
  const columns = gridColumnsFor(width);
  const rows = Math.ceil(PANELS.length / columns);
  const panelWidth = Math.floor(width / columns);
  // Spread the height: the last rows get the spare lines.
  const base = Math.floor(height / rows);
  const spare = height - base * rows;
  const grid = Array.from({ length: rows }, (_, r) => PANELS.slice(r * columns, (r + 1) * columns));
  return (
    <Box flexDirection="column" width={width} height={height}>
      {grid.map((row, r) => {
        const rowHeight = base + (r >= rows - spare ? 1 : 0);
        return (
          <Box key={r} flexDirection="row" height={rowHeight}>
            {row.map((panel) => (
              <Panel key={panel} panel={panel} width={panelWidth} height={rowHeight} focused={panel === focus} />
            ))}
          </Box>
        );
      })}
    </Box>
  );
}
