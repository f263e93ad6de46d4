/** The app's single input handler: key -> command (resolveKey) -> store action. */
import { useInput } from 'ink';
import { fixById } from '../fixes/index.js';
import type { DeckState } from '../store/deck-store.js';
import { offeredFixes } from '../store/fixes-slice.js';
import { nextFixIds } from '../store/selectors.js';
import { resolveKey, type KeyInfo, type KeyMode } from '../store/keys.js';
import { useDeckStore } from './use-deck.js';

/**
 * Ink hands over one chunk of stdin as one input: keys typed fast over SSH (or sent by tmux) can
 * arrive together as "jjj" or "l\r". Split such chunks back into keys.
 */
export function splitChunk(input: string, key: KeyInfo): Array<[string, KeyInfo]> {
  if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  return [...input].map((ch): [string, KeyInfo] => (ch === '\r' || ch === '\n' ? ['', { return: true }] : [ch, {}]));
}

/** The mode keys are read in: the open screen, help, the filter, a confirm screen, the fix keys on offer. */
export function keyMode(state: DeckState): KeyMode {
  const open = state.confirming && state.fixes[state.confirming.fixId];
  const confirm = state.confirming ? (open?.prepared?.plan.confirm.kind === 'type' ? 'type' : 'yes') : undefined;
  const fixKeys: Record<string, string> = {};
  if (!state.helpOpen && !state.filtering) {
    for (const id of offeredFixes(state, state.focus)) {
      const fix = fixById(id);
      if (fix) fixKeys[fix.key] = id;
    }
    // The keys `Next:` shows in brackets work from any panel of the dashboard (the fix focuses its own).
    if (state.screen === 'dashboard') {
      for (const id of nextFixIds(state)) {
        const fix = fixById(id);
        if (fix && !fixKeys[fix.key]) fixKeys[fix.key] = id;
      }
    }
  }
  const view = state.view && !state.confirming && !state.helpOpen ? state.view : undefined;
  return {
    screen: state.screen,
    helpOpen: state.helpOpen,
    filtering: state.filtering || !!view?.searching,
    confirm,
    fixKeys,
    ...(view ? { view: view.kind } : {}),
    ...(state.commandLine !== null ? { commandLine: true } : {}),
  };
}

export function useKeys(): void {
  const store = useDeckStore();
  useInput((input, key) => {
    for (const [ch, info] of splitChunk(input, key)) {
      const state = store.getState();
      state.dispatch(resolveKey(ch, info, keyMode(state)));
    }
  });
}
