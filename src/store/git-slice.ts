/**
 * The Git side in the store: the repository's Prevention Checklist as the dashboard last read it
 * (`--repo DIR` or `repo:` in the config), and where each object it applies is written. The reading
 * itself is I/O and happens outside the store (src/commands/watch-repo.ts), which hands the result in
 * through `setGit`.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { Checklist } from '../preflight/checklist.js';
import type { SourceRef } from '../preflight/types.js';
import type { DeckState } from './deck-store.js';

/** What the dashboard knows of the repository. */
export type GitState =
  | { phase: 'off' }
  | { phase: 'reading'; repo: string; readAt?: number; checklist?: Checklist; sources?: Readonly<Record<string, SourceRef>> }
  | {
      phase: 'ready';
      repo: string;
      checklist: Checklist;
      /** When it was read (the store's clock). */
      readAt: number;
      /** Where each applied object is written, by `Kind/namespace/name` (`Kind/name` cluster-scoped). */
      sources: Readonly<Record<string, SourceRef>>;
    }
  | { phase: 'error'; repo: string; message: string; readAt: number };

export interface GitSlice {
  git: GitState;
  /** The selected checklist item in the Git view (0-based). */
  gitItem: number;
  /** The first evidence row shown for the selected item. */
  gitScroll: number;
  setGit(git: GitState): void;
  /** Reads the repository again (the session's reader sets it; nothing without a repository). */
  rereadRepo: () => void;
}

export const createGitSlice: StateCreator<DeckState, [], [], GitSlice> = (set) => ({
  git: { phase: 'off' },
  gitItem: 0,
  gitScroll: 0,
  setGit(git) {
    set({ git });
  },
  rereadRepo: () => {},
});
