/**
 * The one store, in slices, built by a factory so every test and every command gets its own.
 * Components select from it through the context in `src/hooks/use-deck.ts`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { InputKey } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { KIND_KEYS } from '../kinds.js';
import { createChecksSlice, type ChecksSlice } from './checks-slice.js';
import { createGitSlice, type GitSlice } from './git-slice.js';
import { createFixesSlice, type FixEnvironment, type FixesSlice } from './fixes-slice.js';
import { createResourcesSlice, type ResourcesSlice } from './resources-slice.js';
import { createTimelineSlice, type TimelineSlice } from './timeline-slice.js';
import { timelineSpec } from '../timeline/phases.js';
import { createUiSlice, type UiSlice } from './ui-slice.js';
import { createViewsSlice, type ViewsSlice } from './views-slice.js';
import type { ObjectViews } from '../cluster.js';

export interface MetaSlice {
  /** The kube context, or "demo". */
  clusterName: string;
  /** Things the operator should know about how drdeck is set up (a config not read, a loose password file). */
  notices: readonly string[];
  /** The API server's URL, where there is one (not in the demo): what "cannot reach the API server" names. */
  server?: string;
  /** When this store began watching (the cluster's clock): "unreachable since" when no data ever came. */
  startedAt: number;
  /** While the API server does not answer the liveness probe: when it last answered. */
  serverSilentSince?: number;
  /** Every watch waiting to retry tries now, and DNS is asked again (the retry key). */
  retryNow(): void;
}

export type DeckState = ResourcesSlice & ChecksSlice & UiSlice & FixesSlice & TimelineSlice & GitSlice & ViewsSlice & MetaSlice;
export type DeckStore = StoreApi<DeckState>;

export interface DeckStoreOptions {
  config: Config;
  clusterName: string;
  /** The API server's URL (KubeCluster's `server`). */
  server?: string;
  now: number;
  /** The cluster to fix and where to audit; without it the store only looks (fixes are off). */
  fixes?: FixEnvironment;
  /** What the retry key does (the session's watches and DNS poller); nothing without it. */
  retryNow?: () => void;
  /** The reads behind the object views (y e l); without them the keys say the cluster cannot. */
  views?: ObjectViews;
}

export function createDeckStore({ config, clusterName, server, now, fixes, retryNow = () => {}, views }: DeckStoreOptions): DeckStore {
  const store = createStore<DeckState>()((...a) => ({
    ...createResourcesSlice(...a),
    ...createChecksSlice(config, now)(...a),
    ...createUiSlice(...a),
    ...createFixesSlice(fixes)(...a),
    ...createTimelineSlice(timelineSpec(config.timeline))(...a),
    ...createGitSlice(...a),
    ...createViewsSlice(views)(...a),
    clusterName,
    notices: [],
    ...(server ? { server } : {}),
    startedAt: now,
    retryNow,
  }));
  // Every check starts out evaluated (as pending), so screens and JSON always list all of them.
  const state = store.getState();
  const all = new Set<InputKey>([...KIND_KEYS, 'dns']);
  store.setState({ results: state.recompute(state, all, true) });
  return store;
}
