/** The store's context and the one way components read it: narrow selectors. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { DeckState, DeckStore } from '../store/deck-store.js';

export const DeckContext = createContext<DeckStore | null>(null);

export function useDeckStore(): DeckStore {
  const store = useContext(DeckContext);
  if (!store) throw new Error('useDeck used outside <DeckContext.Provider>');
  return store;
}

/** Selects from the store; return primitives, or wrap the selector in useShallow. */
export function useDeck<T>(selector: (state: DeckState) => T): T {
  return useStore(useDeckStore(), selector);
}
