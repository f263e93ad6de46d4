/**
 * Small pure helpers shared by the checks: safe field access on objects that may be malformed,
 * condition lookup, object listing, evidence and verdict building, address parsing.
 */
import { isIP } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../cluster.js';
import { KINDS, type KindKey } from '../kinds.js';
import { STATUS_SEVERITY, type CheckStatus, type Deadline, type Evidence, type FixId, type Snapshot, type Verdict } from './types.js';

/** Follows `path` through nested objects and arrays; undefined as soon as a step is missing. */
export function at(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** A string, a number or boolean as text, else undefined. */
export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A finite number, also from numeric text. */
export function num(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** The value when it is an array, else an empty one. */
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function nameOf(object: unknown): string {
  return str(at(object, 'metadata', 'name')) ?? '?';
}

export function namespaceOf(object: unknown): string | undefined {
  return str(at(object, 'metadata', 'namespace')) || undefined;
}

/** refOf's answers by object: the checks name the same unchanged objects on every evaluation. */
const refs = new WeakMap<object, string>();

/** `namespace/name`, or `name` when cluster-scoped, as kubectl prints it. */
export function refOf(object: unknown): string {
  const known = typeof object === 'object' && object !== null ? refs.get(object) : undefined;
  if (known !== undefined) return known;
  const ns = namespaceOf(object);
  const ref = ns ? `${ns}/${nameOf(object)}` : nameOf(object);
  if (typeof object === 'object' && object !== null) refs.set(object, ref);
  return ref;
}

export function labelOf(object: unknown, key: string): string | undefined {
  return str(at(object, 'metadata', 'labels', key));
}

export function annotationOf(object: unknown, key: string): string | undefined {
  return str(at(object, 'metadata', 'annotations', key));
}

/** Splits a config value `namespace/name`. */
export function parseRef(ref: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  return slash < 0 ? { namespace: '', name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

/** The order of `listObjects`: `String.prototype.localeCompare`'s, at a fraction of its cost per call. */
const byRef = new Intl.Collator().compare;

/** One object of a sorted list, with the key it is stored under and the ref it sorts by. */
interface Listed {
  key: string;
  ref: string;
  object: KubeObject;
}

/** A kind's objects in order, for the map they were listed from. */
interface Listing {
  entries: Listed[];
  objects: readonly KubeObject[];
}

/** Listings by the map's identity: every check of one snapshot shares one. */
const listings = new WeakMap<ReadonlyMap<string, KubeObject>, Listing>();
/** The latest listing of each kind, from which the next one is derived. */
const latest = new Map<KindKey, Listing>();

function listingOf(entries: Listed[]): Listing {
  return { entries, objects: entries.map((e) => e.object) };
}

/** Every entry of the map, sorted: what listObjects always did. */
function fullListing(map: ReadonlyMap<string, KubeObject>): Listing {
  const entries: Listed[] = [];
  for (const [key, object] of map) if (object && typeof object === 'object') entries.push({ key, ref: refOf(object), object });
  return listingOf(entries.sort((a, b) => byRef(a.ref, b.ref)));
}

/**
 * The new map's listing from the previous one: the entries still there in place, the changed and
 * added ones sorted in. Why: one event in 20,000 objects then costs a walk over the map, not a sort
 * of it. Where an added ref sorts equal to another, the order among equals is the map's own (as a
 * stable sort of the map would keep it), which only a full sort knows: it falls back to one.
 */
function derivedListing(previous: Listing, map: ReadonlyMap<string, KubeObject>): Listing {
  // The usual event: objects modified in place, none added or deleted. The order is then the
  // previous one (an entry's key is its namespace/name, so its ref cannot change): no set, no sort.
  if (map.size === previous.entries.length) {
    const entries: Listed[] = new Array(previous.entries.length);
    let i = 0;
    for (; i < entries.length; i++) {
      const entry = previous.entries[i];
      const object = map.get(entry.key);
      if (!object || typeof object !== 'object') break;
      entries[i] = object === entry.object ? entry : { key: entry.key, ref: entry.ref, object };
    }
    if (i === entries.length) return listingOf(entries);
  }
  const kept: Listed[] = [];
  const seen = new Set<string>();
  for (const entry of previous.entries) {
    if (map.get(entry.key) === entry.object) {
      kept.push(entry);
      seen.add(entry.key);
    }
  }
  const added: Listed[] = [];
  for (const [key, object] of map) {
    if (seen.has(key) || !object || typeof object !== 'object') continue;
    added.push({ key, ref: refOf(object), object });
  }
  // Many changes at once (a relist): one sort is cheaper than as many insertions.
  if (added.length > 64) return fullListing(map);
  added.sort((a, b) => byRef(a.ref, b.ref));
  const entries: Listed[] = [];
  let i = 0;
  for (const entry of added) {
    while (i < kept.length && byRef(kept[i].ref, entry.ref) < 0) entries.push(kept[i++]);
    if ((i < kept.length && byRef(kept[i].ref, entry.ref) === 0) || (entries.length > 0 && byRef(entries[entries.length - 1].ref, entry.ref) === 0)) {
      return fullListing(map);
    }
    entries.push(entry);
  }
  while (i < kept.length) entries.push(kept[i++]);
  return listingOf(entries);
}

/**
 * Every object of a kind, sorted by `namespace/name` so output is stable. The list is shared by
 * every caller of the same snapshot: read it, do not change it.
 */
export function listObjects(snapshot: Snapshot, kind: KindKey): readonly KubeObject[] {
  const map = snapshot.objects?.[kind];
  if (!map) return [];
  let listing = listings.get(map);
  if (!listing) {
    const previous = latest.get(kind);
    listing = previous ? derivedListing(previous, map) : fullListing(map);
    listings.set(map, listing);
    latest.set(kind, listing);
  }
  return listing.objects;
}

/** `listIn`'s answers by list and namespace filter (both kept by identity). */
const inNamespaces = new WeakMap<readonly KubeObject[], WeakMap<readonly string[], readonly KubeObject[]>>();

/** Objects of a kind in the given namespaces (all when the list is empty). */
export function listIn(snapshot: Snapshot, kind: KindKey, namespaces: readonly string[]): readonly KubeObject[] {
  const all = listObjects(snapshot, kind);
  if (namespaces.length === 0) return all;
  let byFilter = inNamespaces.get(all);
  if (!byFilter) inNamespaces.set(all, (byFilter = new WeakMap()));
  let list = byFilter.get(namespaces);
  if (!list) byFilter.set(namespaces, (list = all.filter((o) => namespaces.includes(namespaceOf(o) ?? ''))));
  return list;
}

export function getObject(snapshot: Snapshot, kind: KindKey, namespace: string | undefined, name: string): KubeObject | undefined {
  return snapshot.objects?.[kind]?.get(namespace ? `${namespace}/${name}` : name);
}

/** The Kind as users know it ("HelmRelease"). */
export function kindName(kind: KindKey): string {
  return KINDS[kind].kind;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** `status.conditions`, normalised; entries that are not objects are dropped. */
export function conditions(object: unknown): Condition[] {
  return conditionList(at(object, 'status', 'conditions'));
}

/** A list of conditions wherever it sits (an HTTPRoute keeps them per parent), normalised. */
export function conditionList(list: unknown): Condition[] {
  return arr(list)
    .filter((c): c is Record<string, unknown> => c !== null && typeof c === 'object')
    .map((c) => ({
      type: str(c.type) ?? '',
      status: str(c.status) ?? '',
      reason: str(c.reason) ?? '',
      message: str(c.message) ?? '',
      lastTransitionTime: str(c.lastTransitionTime),
    }));
}

export function condition(object: unknown, type: string): Condition | undefined {
  return conditions(object).find((c) => c.type === type);
}

/** `status reason: message` of a condition, for an evidence value. */
export function describeCondition(c: Condition | undefined): string {
  if (!c) return 'no condition';
  const head = [c.status || '?', c.reason].filter(Boolean).join(' ');
  return c.message ? `${head}: ${c.message}` : head;
}

/** Milliseconds since the epoch, or undefined when not a parseable time. */
export function parseTime(value: unknown): number | undefined {
  const text = str(value);
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** True for a time at the epoch: a controller never wrote the condition. */
export function isEpoch(value: unknown): boolean {
  return parseTime(value) === 0;
}

/** "45s", "12m", "1h05m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** How long after `elapsed` ms formatDuration's text next changes (a second under a minute, else a minute). */
function nextDurationChange(elapsed: number): number {
  const s = Math.max(0, Math.floor(elapsed / 1000));
  return s < 60 ? (s + 1) * 1000 - elapsed : (Math.floor(s / 60) + 1) * 60_000 - elapsed;
}

/** Notes that a clock check's verdict may change at `at`. */
function noteDeadline(deadline: Deadline | undefined, at: number): void {
  if (deadline && at < deadline.at) deadline.at = at;
}

/** The clock as a check reads it: the snapshot's now, and where to note when a reading changes. */
export type Clock = Pick<Snapshot, 'now' | 'deadline'>;

/**
 * formatDuration of the time since `since`, noting when that text should next be read again: at the
 * next second while it counts seconds; once it counts minutes, on the first minute of the clock at
 * or after its change. Why on the clock's minute: 4,000 PVCs created over a minute and a half each
 * change their "Pending for 12m" at their own second, and a check over all of them was re-evaluated
 * every second; on the minute it is once a minute, and an age reads at most a minute short.
 */
export function durationSince(clock: Clock, since: number): string {
  const elapsed = clock.now - since;
  const change = clock.now + nextDurationChange(elapsed);
  noteDeadline(clock.deadline, elapsed < 60_000 ? change : Math.ceil(change / 60_000) * 60_000);
  return formatDuration(elapsed);
}

/** True once more than `ms` has passed since `since`; until then, notes when it will have. */
export function longerThan(clock: Clock, since: number, ms: number): boolean {
  const longer = clock.now - since > ms;
  if (!longer) noteDeadline(clock.deadline, since + ms);
  return longer;
}

/** True while less than `ms` has passed since `since`, noting when that ends. */
export function shorterThan(clock: Clock, since: number, ms: number): boolean {
  const shorter = clock.now - since < ms;
  if (shorter) noteDeadline(clock.deadline, since + ms);
  return shorter;
}

/** "1 HelmRelease", "3 HelmReleases". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** "a, b, c and 4 more". */
export function nameList(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** The worst of some statuses (fail > warn > unknown > pending > pass); `empty` when there are none. */
export function worst(statuses: Iterable<CheckStatus>, empty: CheckStatus = 'pass'): CheckStatus {
  let result: CheckStatus | undefined;
  for (const s of statuses) if (result === undefined || STATUS_SEVERITY[s] > STATUS_SEVERITY[result]) result = s;
  return result ?? empty;
}

/** The worst status among evidence rows. */
export function worstOf(evidence: readonly Evidence[]): CheckStatus {
  return worst(evidence.map((e) => e.status ?? 'pass'));
}

/** An evidence row about an object. */
export function row(kind: KindKey | string, object: unknown, field: string, value: string, status: CheckStatus): Evidence {
  const kindLabel = kind in KINDS ? KINDS[kind as KindKey].kind : kind;
  const namespace = namespaceOf(object);
  return { kind: kindLabel, ...(namespace ? { namespace } : {}), name: nameOf(object), field, value, status };
}

/**
 * A value worked out once per object and key: an unchanged object is the same object, so its rows
 * stay the very same rows and the result compares equal at a glance. `key` is what else the value
 * depends on (a config section, a fact from another kind), compared by identity.
 */
export function perObject<T>(cache: WeakMap<object, { key: unknown; value: T }>, object: object, key: unknown, compute: () => T): T {
  const known = cache.get(object);
  if (known && known.key === key) return known.value;
  const value = compute();
  cache.set(object, { key, value });
  return value;
}

/**
 * `isDeepStrictEqual` for the plain data a result is made of (objects, arrays, primitives), first
 * by identity at every level. Why not `isDeepStrictEqual` itself: on evidence of 20,000 rows its
 * generic walk was most of a commit's time; rows a check kept the same are the same object here.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const list = b as unknown[];
    if (a.length !== list.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], list[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.prototype) return isDeepStrictEqual(a, b);
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** perRef's memory: values by object (as perObject), and the latest value by object name. */
export interface RefCache<T> {
  byObject: WeakMap<object, { key: unknown; value: T }>;
  byRef: Map<string, T>;
}

export function refCache<T>(): RefCache<T> {
  return { byObject: new WeakMap(), byRef: new Map() };
}

/**
 * perObject (with `key` an array of what else the value read, compared element by element), and
 * more: a new version of an object (a label written, a resourceVersion moved on)
 * whose value comes out equal to the one its previous version gave gets that very value back. Why:
 * a check that combines per-object values over thousands of objects can then tell "nothing I read
 * changed" by identity alone ({@link memoParts}), instead of combining them all again per event.
 */
export function perRef<T>(cache: RefCache<T>, object: KubeObject, key: unknown, compute: () => T): T {
  const known = cache.byObject.get(object);
  if (known && sameKey(known.key, key)) return known.value;
  let value = compute();
  const ref = refOf(object);
  const before = cache.byRef.get(ref);
  if (before !== undefined && sameData(before, value)) value = before;
  // Bounded: names of objects long deleted are forgotten all at once (the next event re-learns).
  if (cache.byRef.size >= 200_000) cache.byRef.clear();
  cache.byRef.set(ref, value);
  cache.byObject.set(object, { key, value });
  return value;
}

/** Keys compared by identity; an array key (what else a value read) element by element. */
function sameKey(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** perItem's memory: the last call's items, what else their values read, and the values. */
export interface ItemsMemo<T> {
  items?: readonly object[];
  key?: unknown;
  values?: readonly T[];
}

/**
 * `compute` of each of `items`, index by index; where the item is the very object of the last call
 * at that index (and `key`, what else every value reads, is the same: compared as perRef's), that
 * call's value is kept without calling `compute`. The last call's array itself comes back when no
 * value changed, so a check can memoParts on it as one part. Why: a listing of objects that were
 * only modified keeps its order (derivedListing), and on a label written to one of 4,000 PVCs a
 * check asked every other PVC's value of perRef, whose WeakMap lookups were 11 % of the busy time
 * at 20k objects; a pass of identity comparisons costs a fraction of that.
 *
 * A caller that memoParts on the returned array as one part and then reads names off the list
 * relies on values of different objects never being the same object (perRef keeps them per name):
 * a shared constant value would let a rename at the same index keep a stale verdict.
 */
export function perItem<I extends object, T>(memo: ItemsMemo<T>, items: readonly I[], key: unknown, compute: (item: I) => T): readonly T[] {
  const { items: last, values } = memo;
  let out: T[] | undefined;
  if (last && values && last.length === items.length && sameKey(memo.key, key)) {
    for (let i = 0; i < items.length; i++) {
      if (items[i] === last[i]) continue;
      const value = compute(items[i]);
      if (value === values[i]) continue;
      out ??= values.slice();
      out[i] = value;
    }
  } else
    out = unlessSame(
      values,
      items.map((item) => compute(item)),
    );
  memo.items = items;
  memo.key = key;
  if (out) memo.values = out;
  return memo.values ?? [];
}

/** `next`, or undefined when it holds the very values of `last`, index by index (keep `last`). */
function unlessSame<T>(last: readonly T[] | undefined, next: T[]): T[] | undefined {
  if (!last || last.length !== next.length) return next;
  for (let i = 0; i < next.length; i++) if (next[i] !== last[i]) return next;
  return undefined;
}

/**
 * What else one item's value read (the objects it looked up by name), for perItemTimed: `of(item)`
 * is asked only when `key` (the maps it looks them up in) changed, and an item whose reads are the
 * same objects keeps its value.
 */
export interface ItemReads<I> {
  key: unknown;
  of: (item: I) => readonly unknown[];
}

/** perItemTimed's memory: perItem's, when each value next changes with the clock, and the earliest of those. */
export interface TimedItemsMemo<T> extends ItemsMemo<T> {
  until?: readonly number[];
  next?: number;
  /** The clock at the last call: a clock gone back makes every value suspect. */
  at?: number;
  readsKey?: unknown;
  reads?: ReadonlyArray<readonly unknown[] | undefined>;
}

/**
 * perItem for values that read the clock (through durationSince and the like): an item whose own
 * deadline has passed is computed again, the others kept, and the earliest deadline is noted on
 * `clock`. With `reads`, a change to the maps an item looks other objects up in computes again only
 * the items whose lookups found other objects; `compute` gets the item's lookups, so it need not
 * make them again. Why: 4,000 PVCs' ages each change at their own
 * minute, and a PV written is news to the one PVC that names it; on a tick or a PV event, only
 * those are read again instead of all of them.
 */
export function perItemTimed<I extends object, T>(
  memo: TimedItemsMemo<T>,
  items: readonly I[],
  key: unknown,
  clock: Clock,
  compute: (item: I, clock: Clock, reads: readonly unknown[] | undefined) => T,
  reads?: ItemReads<I>,
): readonly T[] {
  const { items: last, values, until } = memo;
  const now = clock.now;
  const run = (item: I, itemReads: readonly unknown[] | undefined): [T, number] => {
    const deadline: Deadline = { at: Infinity };
    return [compute(item, { now, deadline }, itemReads), deadline.at];
  };
  let out: T[] | undefined;
  let outUntil: number[] | undefined;
  let outReads: Array<readonly unknown[] | undefined> | undefined;
  const lastReads = memo.reads;
  const reuse =
    last &&
    values &&
    until &&
    last.length === items.length &&
    sameKey(memo.key, key) &&
    now >= (memo.at ?? Infinity) &&
    (!reads || lastReads?.length === items.length);
  if (reuse) {
    const due = now >= (memo.next ?? Infinity);
    const recheck = reads !== undefined && !sameKey(memo.readsKey, reads.key);
    for (let i = 0; i < items.length; i++) {
      let itemReads: readonly unknown[] | undefined;
      if (items[i] === last[i] && !(due && now >= until[i])) {
        if (!recheck) continue;
        itemReads = reads.of(items[i]);
        if (sameKey(itemReads, lastReads?.[i])) continue;
      }
      if (reads) (outReads ??= lastReads!.slice())[i] = itemReads ??= reads.of(items[i]);
      const [value, at] = run(items[i], itemReads);
      if (at !== until[i]) (outUntil ??= until.slice())[i] = at;
      if (value !== values[i]) (out ??= values.slice())[i] = value;
    }
  } else {
    const next: T[] = [];
    outUntil = [];
    outReads = reads ? [] : undefined;
    for (const item of items) {
      const itemReads = reads?.of(item);
      outReads?.push(itemReads);
      const [value, at] = run(item, itemReads);
      next.push(value);
      outUntil.push(at);
    }
    out = unlessSame(values, next);
  }
  memo.items = items;
  memo.key = key;
  memo.at = now;
  memo.readsKey = reads?.key;
  if (out) memo.values = out;
  if (outReads) memo.reads = outReads;
  if (outUntil) {
    memo.until = outUntil;
    let next = Infinity;
    for (const at of outUntil) if (at < next) next = at;
    memo.next = next;
  }
  noteDeadline(clock.deadline, memo.next ?? Infinity);
  return memo.values ?? [];
}

/** memoParts' memory: the parts and value of the last computation. */
export interface PartsMemo<T> {
  parts?: readonly unknown[];
  value?: T;
}

/**
 * The value computed from `parts`, or the value of the last call when its parts were the very same,
 * one by one (by identity). Why: with per-object values from perRef as parts, a check over 6,000
 * Services answers an event that changed nothing it reads with one pass of comparisons instead of
 * building its summary, evidence and sort again.
 */
export function memoParts<T>(memo: PartsMemo<T>, parts: readonly unknown[], compute: () => T): T {
  const last = memo.parts;
  if (last && last.length === parts.length && memo.value !== undefined) {
    let same = true;
    for (let i = 0; i < parts.length && same; i++) same = last[i] === parts[i];
    if (same) return memo.value;
  }
  const value = compute();
  memo.parts = parts;
  memo.value = value;
  return value;
}

/** memoPartsTimed's memory: memoParts', and the clock span its value holds for. */
export interface TimedPartsMemo<T> extends PartsMemo<T> {
  from?: number;
  until?: number;
}

/**
 * memoParts for a clock check: the last value also needs the clock still inside the span it holds
 * for (from its evaluation to the first deadline it noted), and a value reused notes that deadline
 * again. `compute` gets the clock to read (and to note its deadlines on).
 */
export function memoPartsTimed<T>(memo: TimedPartsMemo<T>, parts: readonly unknown[], clock: Clock, compute: (clock: Clock) => T): T {
  const last = memo.parts;
  if (last && last.length === parts.length && memo.value !== undefined && clock.now >= (memo.from ?? Infinity) && clock.now < (memo.until ?? -Infinity)) {
    let same = true;
    for (let i = 0; i < parts.length && same; i++) same = last[i] === parts[i];
    if (same) {
      noteDeadline(clock.deadline, memo.until ?? Infinity);
      return memo.value;
    }
  }
  const deadline: Deadline = { at: Infinity };
  const value = compute({ now: clock.now, deadline });
  noteDeadline(clock.deadline, deadline.at);
  memo.parts = parts;
  memo.value = value;
  memo.from = clock.now;
  memo.until = deadline.at;
  return value;
}

/** An evidence row about something that is not there. */
export function missingRow(kind: KindKey, ref: string, field = 'exists', value = 'missing', status: CheckStatus = 'fail'): Evidence {
  const { namespace, name } = parseRef(ref);
  return row(kind, { metadata: { name, namespace } }, field, value, status);
}

/**
 * A verdict with evidence sorted worst first (stable) and fixes only when the check is not
 * passing.
 */
export function verdict(
  status: CheckStatus,
  summary: string,
  evidence: Evidence[],
  extra: { fixes?: readonly (FixId | false | undefined)[]; gitHint?: string } = {},
): Verdict {
  // A stable sort by severity: one bucket per status, in order (linear, for evidence of 20,000 rows).
  const buckets: Evidence[][] = [[], [], [], [], []];
  for (const e of evidence) buckets[4 - (STATUS_SEVERITY[e.status ?? 'pass'] ?? 0)].push(e);
  const sorted = buckets.flat();
  const fixes = status === 'pass' ? [] : [...new Set(extra.fixes?.filter((f): f is FixId => Boolean(f)) ?? [])];
  return { status, summary, evidence: sorted, fixes, ...(extra.gitHint && status !== 'pass' ? { gitHint: extra.gitHint } : {}) };
}

/**
 * A function of one text, remembered. Why: the address checks parse the same few thousand addresses
 * on every evaluation; parsing is most of their cost. Bounded: forgotten all at once when full.
 */
function memoText<T>(fn: (text: string) => T): (text: string) => T {
  const memo = new Map<string, T>();
  return (text) => {
    let value = memo.get(text);
    if (value === undefined && !memo.has(text)) {
      if (memo.size >= 50_000) memo.clear();
      memo.set(text, (value = fn(text)));
    }
    return value as T;
  };
}

/**
 * 4 or 6 for an IP address a Service, a Gateway or a DNS record can carry, else 0. A scoped IPv6
 * address (`fe80::1%eth0`) is not one: its zone names an interface of one host, and node's isIP
 * accepts it.
 */
export const ipFamily = memoText((text: string): 0 | 4 | 6 => (text.includes('%') ? 0 : (isIP(text) as 0 | 4 | 6)));

/** The eight 16-bit groups of an IPv6 address (no zone), or undefined when it is not one. */
function ipv6Groups(text: string): number[] | undefined {
  let address = text;
  // A dotted IPv4 tail ("::ffff:10.0.0.1") is two groups.
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (ipFamily(tail) !== 4) return undefined;
    const [a, b, c, d] = tail.split('.').map(Number);
    address = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  if (groups.flat().some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const [head, rest] = groups.map((list) => list.map((g) => parseInt(g, 16)));
  if (rest === undefined) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - rest.length;
  return fill >= 1 ? [...head, ...Array<number>(fill).fill(0), ...rest] : undefined;
}

/** True for an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, `::ffff:a00:1`): an IPv4 host written as IPv6. */
export const isIpv4Mapped = memoText((text: string): boolean => {
  const groups = isIP(text.trim()) === 6 ? ipv6Groups(text.trim().split('%')[0]) : undefined;
  return groups !== undefined && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
});

/**
 * One spelling per address, so two writings compare equal (`FD00::0001` is `fd00::1`): IPv6 as
 * RFC 5952 writes it (lower case, no leading zeros, the first longest run of two or more zero groups
 * as `::`, an IPv4-mapped address as `::ffff:10.0.0.1`, a zone kept as written); IPv4 and anything
 * that is not an address, trimmed.
 */
export const canonicalIp = memoText((text: string): string => {
  const trimmed = text.trim();
  if (isIP(trimmed) !== 6) return trimmed;
  const zoneAt = trimmed.indexOf('%');
  const zone = zoneAt < 0 ? '' : trimmed.slice(zoneAt);
  const groups = ipv6Groups(zoneAt < 0 ? trimmed : trimmed.slice(0, zoneAt));
  if (!groups) return trimmed.toLowerCase();
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}${zone}`;
  }
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j > i ? j : i + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':') + zone;
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}${zone}`;
});

/** Whether two texts are the same address, however each is written. */
export function sameIp(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

export interface ParsedAddresses {
  v4: string[];
  v6: string[];
  /** Tokens that are not IP addresses, as written. */
  bad: string[];
}

/** Parses a comma-separated address list ("fd00::1, 10.0.0.1"); empty tokens are skipped. */
export function parseAddressList(text: string | undefined): ParsedAddresses {
  const parsed: ParsedAddresses = { v4: [], v6: [], bad: [] };
  for (const token of (text ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const family = ipFamily(token);
    if (family === 4) parsed.v4.push(token);
    else if (family === 6) parsed.v6.push(token);
    else parsed.bad.push(token);
  }
  return parsed;
}

/** Adds `value` to the list kept under `key`. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Deployment available: condition Available True or at least one available replica. */
export function deploymentAvailable(deployment: unknown): boolean {
  return condition(deployment, 'Available')?.status === 'True' || (num(at(deployment, 'status', 'availableReplicas')) ?? 0) >= 1;
}

/** The evidence row for a Deployment that must be available, and the problem when it is not. */
export function deploymentFinding(snapshot: Snapshot, ref: string): { evidence: Evidence; problem?: string; exists: boolean } {
  const { namespace, name } = parseRef(ref);
  const deployment = getObject(snapshot, 'deployments', namespace, name);
  if (!deployment) return { evidence: missingRow('deployments', ref), problem: `Deployment ${ref} missing`, exists: false };
  const ok = deploymentAvailable(deployment);
  const replicas = `${num(at(deployment, 'status', 'availableReplicas')) ?? 0}/${num(at(deployment, 'spec', 'replicas')) ?? 1} replicas available`;
  const available = condition(deployment, 'Available');
  const value = available ? `${replicas}; Available ${describeCondition(available)}` : replicas;
  return {
    evidence: row('deployments', deployment, 'availableReplicas', value, ok ? 'pass' : 'fail'),
    problem: ok ? undefined : `${ref} unavailable (${replicas})`,
    exists: true,
  };
}
