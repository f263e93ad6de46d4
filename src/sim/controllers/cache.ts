/**
 * The controllers' shared informer: one `feed` over every kind any controller watches, the latest
 * object of each, and dispatch of every change to the controllers that watch its kind.
 */
import type { Cluster, FeedSink, KubeObject, SyncState, WatchEvent, WatchEventType } from '../../cluster.js';
import type { KindKey } from '../../kinds.js';

export type ChangeListener = (kind: KindKey, object: KubeObject, type: WatchEventType) => void;

const keyOf = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);

/** Sync phases after which a kind will not list anything for now: treated as synced and empty. */
const SETTLED: ReadonlySet<SyncState['phase']> = new Set(['synced', 'forbidden', 'not-installed']);

export class ObjectCache {
  private readonly objects = new Map<KindKey, Map<string, KubeObject>>();
  private readonly settled = new Set<KindKey>();
  private allSynced = false;
  private stopFeed: (() => void) | undefined;

  /**
   * @param onChange every change once all kinds are synced; at that moment, every object once as ADDED
   * @param onSynced once, when every kind has been listed (or is not installed)
   */
  constructor(
    private readonly kinds: readonly KindKey[],
    private readonly onChange: ChangeListener,
    private readonly onSynced: () => void,
  ) {}

  start(cluster: Cluster): void {
    const sink: FeedSink = {
      reset: (kind, items) => this.reset(kind, items),
      event: (kind, event) => this.event(kind, event),
      sync: (kind, state) => {
        if (!SETTLED.has(state.phase) || this.settled.has(kind)) return;
        this.settled.add(kind);
        this.checkSynced();
      },
    };
    this.stopFeed = cluster.feed(this.kinds, sink);
  }

  stop(): void {
    this.stopFeed?.();
    this.stopFeed = undefined;
  }

  get synced(): boolean {
    return this.allSynced;
  }

  get(kind: KindKey, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(kind).get(keyOf(namespace, name));
  }

  list(kind: KindKey, namespace?: string): KubeObject[] {
    const items = [...this.bucket(kind).values()];
    return namespace === undefined ? items : items.filter((o) => o.metadata.namespace === namespace);
  }

  private bucket(kind: KindKey): Map<string, KubeObject> {
    let bucket = this.objects.get(kind);
    if (!bucket) this.objects.set(kind, (bucket = new Map()));
    return bucket;
  }

  private reset(kind: KindKey, items: KubeObject[]): void {
    const bucket = this.bucket(kind);
    const before = new Map(bucket);
    bucket.clear();
    for (const item of items) bucket.set(keyOf(item.metadata.namespace, item.metadata.name), item);
    if (!this.allSynced) return;
    // A relist: deletions missed while the watch was down, then every object again, so that
    // controllers re-evaluate what they may have missed.
    for (const [key, old] of before) if (!bucket.has(key)) this.onChange(kind, old, 'DELETED');
    for (const item of items) this.onChange(kind, item, before.has(keyOf(item.metadata.namespace, item.metadata.name)) ? 'MODIFIED' : 'ADDED');
  }

  private event(kind: KindKey, { type, object }: WatchEvent): void {
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    if (type === 'DELETED') this.bucket(kind).delete(key);
    else this.bucket(kind).set(key, object);
    if (this.allSynced) this.onChange(kind, object, type);
  }

  private checkSynced(): void {
    if (this.allSynced || !this.kinds.every((k) => this.settled.has(k))) return;
    this.allSynced = true;
    for (const kind of this.kinds) for (const object of this.bucket(kind).values()) this.onChange(kind, object, 'ADDED');
    this.onSynced();
  }
}
