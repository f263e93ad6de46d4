/** The app's single input handler: key -> command (resolveKey) -> store action. */
import { useInput } from 'ink';
import { resolveKey, type KeyInfo } from '../store/keys.js';
import { useDeckStore } from './use-deck.js';

/**
 * Ink hands over one chunk of stdin as one input: keys typed fast over SSH (or sent by tmux) can
 * arrive together as "jjj" or "l\r". Split such chunks back into keys.
 */
export function splitChunk(input: string, key: KeyInfo): Array<[string, KeyInfo]> {
  if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  return [...input].map((ch): [string, KeyInfo] => (ch === '\r' || ch === '\n' ? ['', { return: true }] : [ch, {}]));
}

export function useKeys(): void {
  const store = useDeckStore();
  useInput((input, key) => {
    for (const [ch, info] of splitChunk(input, key)) {
      const state = store.getState();
      state.dispatch(resolveKey(ch, info, { screen: state.screen, helpOpen: state.helpOpen, filtering: state.filtering }));
    }
  });
}
