/** What the operator is looking at: the focused panel, the open screen, help, the detail filter. */
import type { StateCreator } from 'zustand/vanilla';
import { PANELS, type PanelId } from '../checks/types.js';
import type { DeckState } from './deck-store.js';
import type { Command, Screen } from './keys.js';

export interface UiSlice {
  screen: Screen;
  focus: PanelId;
  helpOpen: boolean;
  filtering: boolean;
  filter: string;
  /** The selected line of the detail list (the list scrolls to keep it in view). */
  scroll: number;
  /** Panels per row on the dashboard, set from the terminal width (focus moves on this grid). */
  gridColumns: number;
  /** Lines the detail list can show, set from the terminal height (a page for PgUp/PgDn). */
  pageLines: number;
  /** The last line the detail cursor can reach, set by the detail screen as its content changes. */
  scrollLimit: number;
  quitRequested: boolean;
  setLayout(layout: Partial<Pick<UiSlice, 'gridColumns' | 'pageLines' | 'scrollLimit'>>): void;
  dispatch(command: Command): void;
}

/** The panel in `direction` from `focus` on a grid of `columns` panels per row; stays at the edges. */
export function movedFocus(focus: PanelId, direction: 'left' | 'right' | 'up' | 'down', columns: number): PanelId {
  const index = PANELS.indexOf(focus);
  const row = Math.floor(index / columns);
  let next = index;
  if (direction === 'left' && index % columns > 0) next = index - 1;
  if (direction === 'right' && index % columns < columns - 1 && index + 1 < PANELS.length) next = index + 1;
  if (direction === 'up' && row > 0) next = index - columns;
  if (direction === 'down' && index + columns < PANELS.length) next = index + columns;
  return PANELS[next];
}

export const createUiSlice: StateCreator<DeckState, [], [], UiSlice> = (set, get) => ({
  screen: 'dashboard',
  focus: 'flux',
  helpOpen: false,
  filtering: false,
  filter: '',
  scroll: 0,
  gridColumns: 2,
  pageLines: 10,
  scrollLimit: 0,
  quitRequested: false,
  setLayout(layout) {
    const state = get();
    const changed = (Object.keys(layout) as Array<keyof typeof layout>).some((k) => layout[k] !== state[k]);
    if (!changed) return;
    const scrollLimit = layout.scrollLimit ?? state.scrollLimit;
    set({ ...layout, scroll: Math.min(state.scroll, scrollLimit) });
  },
  dispatch(command) {
    const state = get();
    const clamp = (line: number) => Math.max(0, Math.min(line, state.scrollLimit));
    switch (command.type) {
      case 'focus':
        return set({ focus: movedFocus(state.focus, command.direction, state.gridColumns) });
      case 'open':
        return set({ screen: 'detail', scroll: 0, filter: '', filtering: false });
      case 'back':
        if (state.filter) return set({ filter: '', scroll: 0 });
        return set({ screen: 'dashboard', scroll: 0 });
      case 'help':
        return set({ helpOpen: !state.helpOpen });
      case 'quit':
        return set({ quitRequested: true });
      case 'scroll':
        return set({ scroll: clamp(state.scroll + command.by) });
      case 'scroll-page':
        return set({ scroll: clamp(state.scroll + command.pages * Math.max(1, state.pageLines - 1)) });
      case 'scroll-to':
        return set({ scroll: command.where === 'top' ? 0 : state.scrollLimit });
      case 'filter-start':
        return set({ filtering: true });
      case 'filter-type':
        return set({ filter: state.filter + command.text, scroll: 0 });
      case 'filter-erase':
        return set({ filter: state.filter.slice(0, -1), scroll: 0 });
      case 'filter-done':
        return set({ filtering: false });
      case 'none':
        return;
    }
  },
});
