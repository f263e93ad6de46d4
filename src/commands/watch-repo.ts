/**
 * The dashboard's reader of the GitOps repository (`--repo DIR`, `repo:` in the config): the desired
 * state resolved the way Flux applies it, the Prevention Checklist over it, and where each applied
 * object is written, handed to the store's `git` slice. Read once at start and again on Ctrl-R in
 * the Git view; never on the render path, never a crash (a broken repository is one line).
 */
import { isAbsolute, relative } from 'node:path';
import type { Snapshot } from '../checks/types.js';
import { KIND_KEYS, KINDS } from '../kinds.js';
import { buildChecklist, diskFiles } from '../preflight/checklist.js';
import { readDesiredState } from '../preflight/repo.js';
import { desiredObjectOf, snapshotOf } from '../preflight/snapshot.js';
import type { SourceRef } from '../preflight/types.js';
import type { DeckStore } from '../store/deck-store.js';

export interface WatchRepoOptions {
  /** The cluster's folder or entry path, when the repository has several. */
  cluster?: string;
  /** How the view names the repository (default: its path, relative to the working folder when below it). */
  label?: string;
}

/** `Kind/namespace/name` (or `Kind/name`) -> file:line, for every object of the snapshot drdeck knows the kind of. */
export function sourcesOf(snapshot: Snapshot): Record<string, SourceRef> {
  const sources: Record<string, SourceRef> = {};
  for (const kind of KIND_KEYS) {
    for (const key of snapshot.objects[kind].keys()) {
      const desired = desiredObjectOf(snapshot, kind, key);
      if (desired) sources[`${KINDS[kind].kind}/${key}`] = desired.source;
    }
  }
  return sources;
}

/** One line, whatever was thrown: the Git view shows it in place of the checklist. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] || 'cannot read the repository';
}

/**
 * Starts reading REPO into the store and wires the store's `rereadRepo` to read it again. Returns a
 * stop function: a read still running when the session closes is dropped. Why the built-in
 * resolver: it maps every object to its file:line (what the dashboard links to) and runs in-process;
 * `drdeck preflight --renderer flux` is there for the exact rendering.
 */
export function watchRepo(store: DeckStore, path: string, options: WatchRepoOptions = {}): () => void {
  // How the view names it: relative to where drdeck was started when it is below, else in full.
  const near = relative(process.cwd(), path);
  const repo = options.label ?? (near && !near.startsWith('..') && !isAbsolute(near) ? near : path);
  let generation = 0;
  let stopped = false;
  const read = async () => {
    const mine = ++generation;
    const before = store.getState().git;
    // Keep what was read while reading again: the view does not blank on Ctrl-R.
    store.getState().setGit(before.phase === 'ready' || before.phase === 'reading' ? { ...before, phase: 'reading', repo } : { phase: 'reading', repo });
    // Why a macrotask first: the first frame is painted before the resolver's synchronous work starts.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const state = await readDesiredState(path, { cluster: options.cluster, renderer: 'built-in' });
      const { config, now } = store.getState();
      const snapshot = snapshotOf(state, now);
      const checklist = buildChecklist(state, snapshot, config, diskFiles(state.repo));
      if (stopped || mine !== generation) return;
      store.getState().setGit({ phase: 'ready', repo, checklist, readAt: store.getState().now, sources: sourcesOf(snapshot) });
    } catch (error) {
      if (stopped || mine !== generation) return;
      store.getState().setGit({ phase: 'error', repo, message: oneLine(error), readAt: store.getState().now });
    }
  };
  store.setState({ rereadRepo: () => void read() });
  void read();
  return () => {
    stopped = true;
    store.setState({ rereadRepo: () => {} });
  };
}
