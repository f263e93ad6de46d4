/**
 * Resources, sync state and DNS answers: everything that arrives from the cluster. One batch from
 * the feed buffer becomes exactly one store update, with the checks of the changed inputs
 * re-evaluated inside the same update.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { DnsAnswer, KubeObject, RouterRecords, SyncState, WatchEvent } from '../cluster.js';
import type { InputKey } from '../checks/types.js';
import { KIND_KEYS, type KindKey } from '../kinds.js';
import { objectKey } from '../records.js';
import type { DeckState } from './deck-store.js';

/** What the feed buffer collected between two flushes. */
export interface Batch {
  resets: Map<KindKey, KubeObject[]>;
  events: Array<{ kind: KindKey; event: WatchEvent }>;
  sync: Map<InputKey, SyncState>;
  dns: DnsAnswer[];
  /** Names no longer expected: their answers are dropped. */
  dnsForget?: string[];
  /** The router's latest record count (or why it could not be had). */
  routerRecords?: RouterRecords;
  /** The cluster's clock, when it ticked: the clock checks whose deadline passed are evaluated with the batch. */
  now?: number;
}

export interface ResourcesSlice {
  objects: Readonly<Record<KindKey, ReadonlyMap<string, KubeObject>>>;
  sync: Readonly<Record<InputKey, SyncState>>;
  dns: ReadonlyMap<string, DnsAnswer>;
  /** The router's record count where a router is configured; re-read on the DNS interval. */
  routerRecords?: RouterRecords;
  /** Number of batches applied: one per flush, which tests and the bench hold budgets against. */
  batches: number;
  /** Applies a batch in one store update, its checks re-evaluated inside it. */
  applyBatch(batch: Batch): void;
  /**
   * applyBatch in steps, for a caller that lets the event loop run between them (the feed buffer's
   * timed flush): each step evaluates one check against the batch's objects, and the last commits
   * objects, sync, DNS and results in one store update. Nothing is committed until the last step;
   * dropping the generator drops the batch. One at a time: another batch applied before the last
   * step would be overwritten by this one's objects.
   */
  batchSteps(batch: Batch): Generator<void, void>;
}

export function emptyBatch(): Batch {
  return { resets: new Map(), events: [], sync: new Map(), dns: [] };
}

function initialObjects(): Record<KindKey, ReadonlyMap<string, KubeObject>> {
  return Object.fromEntries(KIND_KEYS.map((k) => [k, new Map()])) as unknown as Record<KindKey, ReadonlyMap<string, KubeObject>>;
}

function initialSync(): Record<InputKey, SyncState> {
  const keys: InputKey[] = [...KIND_KEYS, 'dns'];
  return Object.fromEntries(keys.map((k) => [k, { phase: 'connecting' }])) as Record<InputKey, SyncState>;
}

function sameSync(a: SyncState | undefined, b: SyncState): boolean {
  return !!a && a.phase === b.phase && a.detail === b.detail && a.since === b.since && a.reason === b.reason;
}

function sameRouterRecords(a: RouterRecords | undefined, b: RouterRecords): boolean {
  return !!a && a.label === b.label && a.count === b.count && a.drdeck === b.drdeck && a.error === b.error && a.checkedAt === b.checkedAt;
}

/** Applies a batch's objects to copies of the changed kinds' maps; returns the kinds that changed. */
function applyObjects(
  current: Readonly<Record<KindKey, ReadonlyMap<string, KubeObject>>>,
  batch: Batch,
): { objects: Record<KindKey, ReadonlyMap<string, KubeObject>>; changed: Set<KindKey> } {
  const objects = { ...current } as Record<KindKey, ReadonlyMap<string, KubeObject>>;
  const writable = new Map<KindKey, Map<string, KubeObject>>();
  const changed = new Set<KindKey>();
  const mapFor = (kind: KindKey): Map<string, KubeObject> => {
    let map = writable.get(kind);
    if (!map) {
      map = new Map(objects[kind]);
      writable.set(kind, map);
      objects[kind] = map;
    }
    return map;
  };
  for (const [kind, items] of batch.resets) {
    const map = new Map<string, KubeObject>();
    for (const item of items) map.set(objectKey(item), item);
    writable.set(kind, map);
    objects[kind] = map;
    changed.add(kind);
  }
  for (const { kind, event } of batch.events) {
    const key = objectKey(event.object);
    const map = mapFor(kind);
    if (event.type === 'DELETED') {
      if (map.delete(key)) changed.add(kind);
      continue;
    }
    const previous = map.get(key);
    // Why: a relist or a restarted watch replays objects we already have; skip them unchanged.
    const rv = event.object.metadata?.resourceVersion;
    if (previous && rv !== undefined && previous.metadata?.resourceVersion === rv) continue;
    map.set(key, event.object);
    changed.add(kind);
  }
  return { objects, changed };
}

export const createResourcesSlice: StateCreator<DeckState, [], [], ResourcesSlice> = (set, get) => ({
  objects: initialObjects(),
  sync: initialSync(),
  dns: new Map(),
  batches: 0,
  applyBatch(batch) {
    const steps = get().batchSteps(batch);
    while (!steps.next().done);
  },
  *batchSteps(batch) {
    const state = get();
    const { objects, changed } = applyObjects(state.objects, batch);
    const changedInputs = new Set<InputKey>(changed);

    let sync = state.sync;
    for (const [key, value] of batch.sync) {
      if (sameSync(sync[key], value)) continue;
      if (sync === state.sync) sync = { ...sync };
      (sync as Record<InputKey, SyncState>)[key] = value;
      changedInputs.add(key);
    }

    let dns = state.dns;
    if (batch.dns.length > 0 || (batch.dnsForget?.length ?? 0) > 0) {
      const next = new Map(dns);
      for (const name of batch.dnsForget ?? []) next.delete(name);
      for (const answer of batch.dns) next.set(answer.name.toLowerCase(), answer);
      dns = next;
      changedInputs.add('dns');
    }

    // The router's count is evidence of the DNS check, so it counts as the `dns` input.
    let routerRecords = state.routerRecords;
    if (batch.routerRecords && !sameRouterRecords(routerRecords, batch.routerRecords)) {
      routerRecords = batch.routerRecords;
      changedInputs.add('dns');
    }

    const ticked = batch.now !== undefined && batch.now !== state.now;
    if (changedInputs.size === 0 && !ticked) return;
    const now = ticked ? batch.now! : state.now;
    // Why the maps built above and not the store's: the store keeps showing the last batch, whole,
    // until this one commits with its results.
    const results = yield* state.recomputeSteps({ objects, sync, dns, routerRecords }, changedInputs, ticked ? now : undefined);
    set({ objects: changed.size ? objects : state.objects, sync, dns, routerRecords, results, batches: get().batches + 1, ...(ticked ? { now } : {}) });
  },
});
