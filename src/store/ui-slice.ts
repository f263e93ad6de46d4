/** What the operator is looking at: the focused panel, the open screen, help, the detail filter. */
import type { StateCreator } from 'zustand/vanilla';
import { PANELS, type FixId, type PanelId } from '../checks/types.js';
import { fixById, parseTarget } from '../fixes/index.js';
import { snapshotOf } from './checks-slice.js';
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
  /** First line of the confirm screen's plan, and the last it can start at (set by the screen). */
  confirmScroll: number;
  confirmScrollLimit: number;
  /** Lines the detail list can show, set from the terminal height (a page for PgUp/PgDn). */
  pageLines: number;
  /** The last line the detail cursor can reach, set by the detail screen as its content changes. */
  scrollLimit: number;
  /** The object under the detail cursor, as `Kind/namespace/name`: a fix key acts on it when it can. */
  selection: string | undefined;
  quitRequested: boolean;
  /** The last first-row the Git view's evidence can scroll to (set by the Git view). */
  gitScrollLimit: number;
  /** Where Esc returns from the timeline: the screen `t` was pressed on (a detail stays open behind it). */
  backTo: Screen;
  /** Each panel's detail cursor when it was left, so reopening it keeps the selected line. */
  detailScroll: Partial<Record<PanelId, number>>;
  /** The `?` screen's first row, and the last it can start at (set by the screen). */
  helpScroll: number;
  helpScrollLimit: number;
  setLayout(layout: Partial<Pick<UiSlice, 'pageLines' | 'scrollLimit' | 'selection' | 'confirmScrollLimit' | 'gitScrollLimit' | 'helpScrollLimit'>>): void;
  dispatch(command: Command): void;
}

/**
 * The panel in `direction` from `focus`: the dashboard lists the panels in one column at every size,
 * so left/up go to the one before and right/down to the one after; stays at the ends.
 */
export function movedFocus(focus: PanelId, direction: 'left' | 'right' | 'up' | 'down'): PanelId {
  const index = PANELS.indexOf(focus);
  const next = direction === 'left' || direction === 'up' ? index - 1 : index + 1;
  return PANELS[Math.max(0, Math.min(PANELS.length - 1, next))];
}

/** The selected object, when the fix can act on it alone; otherwise the fix takes all it applies to. */
function fixTarget(state: DeckState, fixId: FixId): string | undefined {
  const fix = fixById(fixId);
  const selected = state.selection && parseTarget(state.selection);
  if (!fix || !selected) return undefined;
  const match = fix
    .targets(snapshotOf(state), state.config)
    .find((t) => t.kind === selected.kind && t.name === selected.name && (t.namespace ?? '') === (selected.namespace ?? ''));
  return match ? state.selection : undefined;
}

export const createUiSlice: StateCreator<DeckState, [], [], UiSlice> = (set, get) => ({
  screen: 'dashboard',
  focus: 'flux',
  helpOpen: false,
  filtering: false,
  filter: '',
  scroll: 0,
  pageLines: 10,
  scrollLimit: 0,
  selection: undefined,
  confirmScroll: 0,
  confirmScrollLimit: 0,
  gitScrollLimit: 0,
  backTo: 'dashboard',
  detailScroll: {},
  helpScroll: 0,
  helpScrollLimit: 0,
  quitRequested: false,
  setLayout(layout) {
    const state = get();
    const changed = (Object.keys(layout) as Array<keyof typeof layout>).some((k) => layout[k] !== state[k]);
    if (!changed) return;
    const scrollLimit = layout.scrollLimit ?? state.scrollLimit;
    const gitScrollLimit = layout.gitScrollLimit ?? state.gitScrollLimit;
    set({ ...layout, scroll: Math.min(state.scroll, scrollLimit), gitScroll: Math.min(state.gitScroll, gitScrollLimit) });
  },
  dispatch(command) {
    const state = get();
    // The object views and the command line (views-slice.ts) take their keys first.
    if (!state.confirming && state.handleViewCommand(command)) return;
    const clamp = (line: number) => Math.max(0, Math.min(line, state.scrollLimit));
    if (state.confirming) {
      // The confirm screen has its own scroll; everything else waits until it closes.
      if (command.type === 'confirm-accept') void state.confirmFix();
      else if (command.type === 'confirm-cancel') state.cancelFix();
      else if (command.type === 'confirm-type') state.typeConfirm(command.text);
      else if (command.type === 'confirm-erase') state.eraseConfirm();
      else if (command.type === 'scroll') set({ confirmScroll: Math.max(0, Math.min(state.confirmScrollLimit, state.confirmScroll + command.by)) });
      else if (command.type === 'scroll-to') set({ confirmScroll: command.where === 'top' ? 0 : state.confirmScrollLimit });
      else if (command.type === 'quit') set({ quitRequested: true });
      else if (command.type === 'retry') state.retryNow();
      return;
    }
    if (state.helpOpen && command.type === 'scroll') return set({ helpScroll: Math.max(0, Math.min(state.helpScrollLimit, state.helpScroll + command.by)) });
    switch (command.type) {
      case 'focus':
        return set({ focus: movedFocus(state.focus, command.direction) });
      case 'open':
        // The dashboard's filter carries into the detail; a detail opened before keeps its line.
        return set({ screen: 'detail', scroll: state.filter ? 0 : (state.detailScroll[state.focus] ?? 0), filtering: false, selection: undefined });
      case 'git':
        return set({ screen: 'git', scroll: state.gitItem, gitScroll: 0, selection: undefined });
      case 'back':
        if ((state.screen === 'detail' || state.screen === 'dashboard') && state.filter) return set({ filter: '', scroll: 0 });
        if (state.screen === 'git') return set({ screen: 'dashboard', gitItem: state.scroll, scroll: 0, gitScroll: 0, selection: undefined });
        // From the timeline, back to where `t` was pressed: a detail keeps its line.
        if (state.screen === 'timeline' && state.backTo === 'detail')
          return set({ screen: 'detail', backTo: 'dashboard', scroll: state.detailScroll[state.focus] ?? 0 });
        if (state.screen === 'timeline' && state.backTo === 'git') return set({ screen: 'git', backTo: 'dashboard', scroll: state.gitItem, gitScroll: 0 });
        if (state.screen === 'detail')
          return set({ screen: 'dashboard', scroll: 0, selection: undefined, detailScroll: { ...state.detailScroll, [state.focus]: state.scroll } });
        return set({ screen: 'dashboard', scroll: 0, selection: undefined, backTo: 'dashboard' });
      case 'help':
        return set({ helpOpen: !state.helpOpen, helpScroll: 0 });
      case 'quit':
        return set({ quitRequested: true });
      case 'scroll':
        // In the Git view a new item shows its evidence from the top.
        if (state.screen === 'git') return set({ scroll: clamp(state.scroll + command.by), gitScroll: 0 });
        return set({ scroll: clamp(state.scroll + command.by) });
      case 'scroll-page':
        if (state.screen === 'git') {
          const page = Math.max(1, state.pageLines - 1);
          return set({ gitScroll: Math.max(0, Math.min(state.gitScrollLimit, state.gitScroll + command.pages * page)) });
        }
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
      case 'fix': {
        // Next's key works from anywhere on the dashboard: it focuses the fix's panel first.
        const panel = fixById(command.fixId)?.panel;
        set({ confirmScroll: 0, ...(state.screen === 'dashboard' && panel ? { focus: panel } : {}) });
        void state.requestFix(command.fixId as FixId, state.screen === 'detail' ? fixTarget(state, command.fixId as FixId) : undefined);
        return;
      }
      case 'timeline':
        if (state.screen === 'detail')
          return set({ screen: 'timeline', backTo: 'detail', selection: undefined, detailScroll: { ...state.detailScroll, [state.focus]: state.scroll } });
        if (state.screen === 'git') return set({ screen: 'timeline', backTo: 'git', gitItem: state.scroll, selection: undefined });
        return set({ screen: 'timeline', backTo: 'dashboard', selection: undefined });
      case 'retry':
        // In the Git view the thing to fetch again is the repository.
        if (state.screen === 'git') return state.rereadRepo();
        return state.retryNow();
      case 'set-t0':
        if (state.timeline?.t0 === undefined) state.setT0(state.now);
        return;
      case 'confirm-accept':
      case 'confirm-cancel':
      case 'confirm-type':
      case 'confirm-erase':
        return;
      case 'none':
        return;
    }
  },
});
