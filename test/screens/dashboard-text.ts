/** The dashboard read back as text, for tests that read frames (Ink's or a tmux pane's). */
import { PANEL_TITLES, PANELS } from '../../src/checks/types.js';

/** The panels' titles, in the dashboard's one order. */
export const PANEL_TITLE_LIST: readonly string[] = PANELS.map((p) => PANEL_TITLES[p]);

/**
 * What the dashboard says of each panel, by title: its row (counts and worst finding) and, for the
 * focused panel, the findings expanded under the rule, joined.
 */
export function panelTexts(frame: string): Map<string, string> {
  const lines = frame.split('\n');
  const found = new Map<string, string>();
  const rule = lines.findIndex((l) => l.startsWith('── '));
  const expanded =
    rule < 0
      ? ''
      : lines
          .slice(rule + 1, -1)
          .map((l) => l.trim())
          .filter(Boolean)
          .join(' ');
  for (const title of PANEL_TITLE_LIST) {
    const row = lines.find((l) => new RegExp(`^[▶ ] ${title} `).test(l));
    if (!row) continue;
    const text = row.replace(new RegExp(`^[▶ ] ${title} +`), '').trim();
    found.set(title, row.startsWith('▶') ? `${text} ${expanded}` : text);
  }
  return found;
}
