/**
 * Panel Flux: readiness of every Flux object, the essential Kustomizations, stuck objects and the
 * root blocker of dependsOn chains, immutable-field conflicts between Kustomizations, suspended
 * objects; and the foundation the readiness script waits for (storage, CSI pods, VolSync).
 */
import type { KubeObject } from '../cluster.js';
import type { Config } from '../config/schema.js';
import type { KindKey } from '../kinds.js';
import type { Check, CheckStatus, Evidence, Snapshot, Verdict } from './types.js';
import {
  arr,
  at,
  condition,
  conditions,
  deploymentFinding,
  describeCondition,
  durationSince,
  getObject,
  isEpoch,
  kindName,
  listObjects,
  longerThan,
  memoParts,
  memoPartsTimed,
  missingRow,
  nameList,
  namespaceOf,
  num,
  parseTime,
  plural,
  perItem,
  perRef,
  pushTo,
  refCache,
  refOf,
  row,
  str,
  verdict,
  worstOf,
  type ItemsMemo,
  type PartsMemo,
  type RefCache,
  type TimedPartsMemo,
  type Clock,
  type Condition,
} from './util.js';

/** The Flux kinds drdeck watches, Kustomizations first. */
export const FLUX_KINDS = [
  'kustomizations',
  'helmreleases',
  'gitrepositories',
  'ocirepositories',
  'helmrepositories',
  'helmcharts',
] as const satisfies readonly KindKey[];
export type FluxKind = (typeof FLUX_KINDS)[number];

/** Only Kustomizations are required: a missing HelmRelease or OCIRepository CRD is not an error. */
const FLUX_INPUTS = { inputs: ['kustomizations'], optional: FLUX_KINDS.slice(1) } as const;

/** Ready reasons that mean "still working on it", not a failure. */
const PROGRESS_REASONS = new Set(['Progressing', 'DependencyNotReady', 'Reconciling']);
const DEPENDENCY_NOT_READY = 'DependencyNotReady';
const NOT_RECONCILED = 'latest generation of object has not been reconciled';

export type FluxState = 'ready' | 'waiting' | 'progressing' | 'failed';

/** A Flux object with its Ready condition classified. */
export interface FluxObject {
  kind: FluxKind;
  object: KubeObject;
  ref: string;
  ready: Condition | undefined;
  state: FluxState;
  suspended: boolean;
}

/** Classified objects by object (an unchanged object is the same object): classified once. */
const classified = new WeakMap<KubeObject, FluxObject>();

/** The object's state for the Flux checks; the same FluxObject while the object is the same. */
export function classify(kind: FluxKind, object: KubeObject): FluxObject {
  const known = classified.get(object);
  if (known?.kind === kind) return known;
  const f = classifyOnce(kind, object);
  classified.set(object, f);
  return f;
}

function classifyOnce(kind: FluxKind, object: KubeObject): FluxObject {
  const ready = condition(object, 'Ready');
  let state: FluxState;
  if (ready?.status === 'True') state = 'ready';
  else if (ready?.reason === DEPENDENCY_NOT_READY) state = 'waiting';
  else if (!ready || ready.status !== 'False' || PROGRESS_REASONS.has(ready.reason)) state = 'progressing';
  else state = 'failed';
  return { kind, object, ref: refOf(object), ready, state, suspended: at(object, 'spec', 'suspend') === true };
}

/** Each kind's objects classified, as of its last listing (perItem). */
const classifiedLists = new Map<FluxKind, ItemsMemo<FluxObject>>();

function classifiedList(kind: FluxKind): ItemsMemo<FluxObject> {
  let memo = classifiedLists.get(kind);
  if (!memo) classifiedLists.set(kind, (memo = {}));
  return memo;
}

/** The latest fluxObjects answer for each list of kinds, with the listings it was made from. */
const latestFlux = new WeakMap<readonly FluxKind[], { lists: ReadonlyArray<readonly KubeObject[]>; all: readonly FluxObject[] }>();

/**
 * Every Flux object of these kinds, classified. The same array while no kind's objects changed, so
 * that the Flux checks of one evaluation (and the clock's re-evaluations) share one walk; read it,
 * do not change it.
 */
export function fluxObjects(snapshot: Snapshot, kinds: readonly FluxKind[] = FLUX_KINDS): readonly FluxObject[] {
  const lists = kinds.map((kind) => listObjects(snapshot, kind));
  const known = latestFlux.get(kinds);
  if (known && known.lists.every((list, i) => list === lists[i])) return known.all;
  const all = kinds.flatMap((kind, i) => perItem(classifiedList(kind), lists[i], null, (o) => classify(kind, o)));
  latestFlux.set(kinds, { lists, all });
  return all;
}

const STATE_STATUS: Record<FluxState, CheckStatus> = { ready: 'pass', waiting: 'warn', progressing: 'warn', failed: 'fail' };

/** Evidence rows by object, field and status: an unchanged object keeps its very rows. */
const rows = new WeakMap<FluxObject, Map<string, Evidence>>();

/** The row `row(f.kind, f.object, field, value, status)`, made once per object, field, value and status. */
function fluxRow(f: FluxObject, field: string, value: string, status: CheckStatus): Evidence {
  let mine = rows.get(f);
  if (!mine) rows.set(f, (mine = new Map()));
  const key = `${field}\n${status}`;
  const known = mine.get(key);
  if (known?.value === value) return known;
  const made = row(f.kind, f.object, field, value, status);
  mine.set(key, made);
  return made;
}

function readyRow(f: FluxObject, status: CheckStatus = STATE_STATUS[f.state]): Evidence {
  return fluxRow(f, 'Ready', describeCondition(f.ready), status);
}

/** "ceph-csi/x (reason)" for a summary. */
function withReason(f: FluxObject): string {
  const reason = f.ready?.reason || f.ready?.message.slice(0, 60);
  return reason ? `${f.ref} (${reason})` : f.ref;
}

/** "2 HelmReleases" when one kind, else "3 objects"; refs get their Kind when kinds are mixed. */
function groupLabel(items: readonly FluxObject[], describe: (f: FluxObject) => string): { noun: string; names: string[] } {
  const kinds = new Set(items.map((f) => f.kind));
  if (kinds.size === 1) return { noun: plural(items.length, kindName(items[0].kind)), names: items.map(describe) };
  return { noun: plural(items.length, 'object'), names: items.map((f) => `${kindName(f.kind)} ${describe(f)}`) };
}

/**
 * What the Flux readiness checks read of one object, the same value while that is unchanged
 * (perRef): a label written on a HelmRelease is not news to them. The rows they make only name
 * the object, so a verdict made from equal faces is the verdict.
 */
interface FluxFace {
  kind: FluxKind;
  ref: string;
  state: FluxState;
  suspended: boolean;
  ready: string;
  reason: string;
  signals: string;
  since?: number;
  dependsOn: string;
}

const faces = new Map<FluxKind, RefCache<FluxFace>>();

function faceOf(f: FluxObject): FluxFace {
  let cache = faces.get(f.kind);
  if (!cache) faces.set(f.kind, (cache = refCache()));
  return perRef(cache, f.object, f.kind, () => {
    const { signals, since } = factsOf(f);
    return {
      kind: f.kind,
      ref: f.ref,
      state: f.state,
      suspended: f.suspended,
      ready: describeCondition(f.ready),
      reason: withReason(f),
      signals: signals.join('\n'),
      ...(since !== undefined ? { since } : {}),
      dependsOn: dependsOn(f.object)
        .map((d) => `${d.namespace}/${d.name}`)
        .join(','),
    };
  });
}

/** The faces of `all`, one per object (perItem: the same array while no face changed). */
function facesOf(all: readonly FluxObject[]): readonly FluxFace[] {
  return perItem(allFaces, all, null, faceOf);
}

const allFaces: ItemsMemo<FluxFace> = {};
const readyMemo: PartsMemo<Verdict> = {};
const suspendedMemo: PartsMemo<Verdict> = {};
const stuckMemo: TimedPartsMemo<Verdict> = {};

const flux_ready: Check = {
  id: 'flux.ready',
  panel: 'flux',
  title: 'Flux objects Ready',
  scope: 'status',
  ...FLUX_INPUTS,
  evaluate(snapshot) {
    const all = fluxObjects(snapshot);
    return memoParts(readyMemo, [facesOf(all)], () => judgeReady(all));
  },
};

function judgeReady(all: readonly FluxObject[]): Verdict {
  if (all.length === 0) return verdict('warn', 'no Flux objects yet: is Flux bootstrapped?', []);
  const by = (s: FluxState) => all.filter((f) => f.state === s);
  const [ready, failed, waiting, progressing] = [by('ready'), by('failed'), by('waiting'), by('progressing')];
  const counts = [`${ready.length}/${all.length} Ready`];
  if (failed.length) counts.push(`${failed.length} failed`);
  if (waiting.length) counts.push(`${waiting.length} waiting`);
  if (progressing.length) counts.push(`${progressing.length} progressing`);
  const parts = [counts.join(', ')];
  if (failed.length) parts.push(`failed: ${nameList(groupLabel(failed, withReason).names, 2)}`);
  const status = failed.length ? 'fail' : ready.length === all.length ? 'pass' : 'warn';
  return verdict(
    status,
    parts.join('; '),
    all.map((f) => readyRow(f)),
    {
      fixes: status === 'fail' ? ['flux-reconcile', 'flux-reconcile-stuck'] : [],
    },
  );
}

const flux_essential: Check = {
  id: 'flux.essential',
  panel: 'flux',
  title: 'Essential Kustomizations Ready',
  scope: 'status',
  inputs: ['kustomizations'],
  evaluate(snapshot, config) {
    const ns = config.flux.namespace;
    const evidence: Evidence[] = [];
    const problems: string[] = [];
    for (const name of config.flux.essential) {
      const object = getObject(snapshot, 'kustomizations', ns, name);
      if (!object) {
        evidence.push(missingRow('kustomizations', `${ns}/${name}`));
        problems.push(`${name} missing`);
        continue;
      }
      const f = classify('kustomizations', object);
      evidence.push(readyRow(f));
      if (f.state !== 'ready') problems.push(`${name} ${f.state}${f.ready?.reason ? ` (${f.ready.reason})` : ''}`);
    }
    const total = config.flux.essential.length;
    const status = worstOf(evidence);
    const head = `${total - problems.length}/${total} essential Kustomizations Ready`;
    return verdict(status, problems.length ? `${head}: ${nameList(problems)}` : head, evidence, {
      fixes: [status === 'fail' && 'flux-reconcile'],
    });
  },
};

export interface DependencyRef {
  namespace: string;
  name: string;
}

/** `spec.dependsOn`, with the object's own namespace where none is given. */
export function dependsOn(object: KubeObject): DependencyRef[] {
  const own = namespaceOf(object) ?? '';
  return arr(at(object, 'spec', 'dependsOn')).flatMap((d) => {
    const name = str(at(d, 'name'));
    return name ? [{ namespace: str(at(d, 'namespace')) || own, name }] : [];
  });
}

/** What a waiting object waits for, at the end of its dependsOn chain. */
export type Blocker = { found: FluxObject } | { missing: string } | { cycle: FluxObject[] };

/** The first step of a chain: the first dependency that is not Ready, and whether it waits in turn. */
type Step = { none: true } | { missing: string } | { found: FluxObject } | { waiting: FluxObject };

const fluxKey = (kind: FluxKind, ref: string) => `${kind}:${ref}`;

/**
 * The root blocker of every waiting object, for one evaluation: follows spec.dependsOn to the first
 * dependency that is not Ready and not itself waiting on another one (the object the whole chain
 * waits for), a dependency that does not exist, or a cycle. Each object's chain is resolved once and
 * remembered, so all chains together cost one walk over the objects (a 500-deep chain is 500 steps,
 * not 125,000), and the walk is iterative, so no depth overflows the stack.
 */
export function blockerFinder(all: readonly FluxObject[]): (f: FluxObject) => Blocker | undefined {
  let finder = finders.get(all);
  if (!finder) finders.set(all, (finder = newBlockerFinder(all)));
  return finder;
}

/** Finders by the list they search: a chain depends only on the objects, so it is resolved once per list. */
const finders = new WeakMap<readonly FluxObject[], (f: FluxObject) => Blocker | undefined>();

function newBlockerFinder(all: readonly FluxObject[]): (f: FluxObject) => Blocker | undefined {
  const byKey = new Map(all.map((f) => [fluxKey(f.kind, f.ref), f]));
  // The chain from an object: a Blocker, or null when none of its dependencies blocks it.
  const memo = new Map<FluxObject, Blocker | null>();
  const step = (f: FluxObject): Step => {
    for (const dep of dependsOn(f.object)) {
      const ref = dep.namespace ? `${dep.namespace}/${dep.name}` : dep.name;
      const target = byKey.get(fluxKey(f.kind, ref));
      if (!target) return { missing: ref };
      if (target.state === 'ready') continue;
      return target.state === 'waiting' ? { waiting: target } : { found: target };
    }
    return { none: true };
  };
  return (start) => {
    // Walk until a known chain, a cycle or the end, then record the chain of every object passed.
    const path: FluxObject[] = [];
    const onPath = new Map<FluxObject, number>();
    let next: FluxObject | undefined;
    let nextChain: Blocker | null;
    for (let current = start; ;) {
      const known = memo.get(current);
      if (known !== undefined) {
        [next, nextChain] = [current, known];
        break;
      }
      onPath.set(current, path.length);
      path.push(current);
      const found = step(current);
      if ('waiting' in found) {
        const at = onPath.get(found.waiting);
        if (at === undefined) {
          current = found.waiting;
          continue;
        }
        // Every object of the cycle waits on the next one: none of them ever gets Ready.
        const cycle: Blocker = { cycle: path.slice(at) };
        for (const member of cycle.cycle) memo.set(member, cycle);
        path.length = at;
        [next, nextChain] = [found.waiting, cycle];
        break;
      }
      const chain = 'none' in found ? null : found;
      path.pop();
      memo.set(current, chain);
      [next, nextChain] = [current, chain];
      break;
    }
    // An object whose next dependency waits on nothing else waits on that dependency itself.
    for (let i = path.length - 1; i >= 0; i--) {
      const chain: Blocker = nextChain ?? { found: next! };
      memo.set(path[i], chain);
      [next, nextChain] = [path[i], chain];
    }
    return memo.get(start) ?? undefined;
  };
}

/** What of an object's stuck signals does not depend on the clock, worked out once per object. */
interface StuckFacts {
  signals: readonly string[];
  /** Since when it has not been Ready, where only its age can make it stuck. */
  since?: number;
}

const stuckFacts = new WeakMap<FluxObject, StuckFacts>();

function factsOf(f: FluxObject): StuckFacts {
  let facts = stuckFacts.get(f);
  if (facts) return facts;
  const signals: string[] = [];
  const conds = conditions(f.object);
  const notReconciled = conds.find((c) => c.message.includes(NOT_RECONCILED));
  if (notReconciled) {
    const source = /\b(HelmChart|GitRepository|OCIRepository|HelmRepository)\b/.exec(notReconciled.message)?.[1];
    signals.push(source ? `${source} not reconciled` : 'latest generation not reconciled');
  }
  const generation = num(at(f.object, 'metadata', 'generation'));
  const observed = num(at(f.object, 'status', 'observedGeneration'));
  // observedGeneration 0 or -1 means never reconciled yet: progress, caught by the age threshold.
  if (generation !== undefined && observed !== undefined && observed > 0 && generation > observed) {
    signals.push(`generation ${generation} not reconciled (observed ${observed})`);
  }
  if (conds.some((c) => isEpoch(c.lastTransitionTime))) signals.push('condition time 1970-01-01');
  if (conds.some((c) => c.type === 'Reconciling' && c.reason === 'ProgressingWithRetry')) signals.push('failing and retrying');
  const stalled = conds.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled) signals.push(stalled.reason ? `stalled: ${stalled.reason}` : 'stalled');
  // Why not an immutable-field failure: it is not stuck but refused, its cure is in Git, and
  // flux.immutable-conflict names it; counting it here would hold the readiness check forever.
  const refused = IMMUTABLE.test(f.ready?.message ?? '');
  const byAge = !signals.length && !refused && f.state !== 'ready' && f.state !== 'waiting';
  const since = byAge ? parseTime(f.ready?.lastTransitionTime) || parseTime(at(f.object, 'metadata', 'creationTimestamp')) : undefined;
  facts = since ? { signals, since } : { signals };
  stuckFacts.set(f, facts);
  return facts;
}

/**
 * Why an object looks stuck: every signal the seed and Flux document, empty when none. Only the age
 * reads the clock (a number, or the snapshot's, which notes when the age next matters).
 */
export function stuckSignals(f: FluxObject, clock: number | Clock, thresholdMs: number): string[] {
  const { signals, since } = factsOf(f);
  const time: Clock = typeof clock === 'number' ? { now: clock } : clock;
  if (since && longerThan(time, since, thresholdMs)) return [...signals, `not Ready for ${durationSince(time, since)}`];
  return [...signals];
}

/** "Kustomization flux-system/a → flux-system/b → flux-system/a". */
function cycleText(cycle: readonly FluxObject[]): string {
  return `${kindName(cycle[0].kind)} ${[...cycle, cycle[0]].map((f) => f.ref).join(' → ')}`;
}

/** The same cycle however it was entered: starting from its first member by name. */
function canonicalCycle(cycle: readonly FluxObject[]): FluxObject[] {
  let first = 0;
  cycle.forEach((f, i) => {
    if (f.ref < cycle[first].ref) first = i;
  });
  return [...cycle.slice(first), ...cycle.slice(0, first)];
}

export const CYCLE_HINT = [
  'A dependsOn cycle never resolves: each object waits for the next one to be Ready, and Flux',
  'reports DependencyNotReady on all of them forever. Reconciling does not help; remove one',
  'dependsOn entry of the cycle in Git (the Flux Kustomization or HelmRelease manifest), e.g.:',
  '  spec:',
  '    dependsOn:',
  '      - name: <the object that should come first>',
].join('\n');

const flux_stuck: Check = {
  id: 'flux.stuck',
  panel: 'flux',
  title: 'No Flux object stuck',
  scope: 'status',
  ...FLUX_INPUTS,
  clock: true,
  evaluate(snapshot, config) {
    const all = fluxObjects(snapshot);
    const parts = [config.flux.stuckAfterMinutes, facesOf(all)];
    return memoPartsTimed(stuckMemo, parts, snapshot, (clock) => judgeStuck(clock, config, all));
  },
};

function judgeStuck(snapshot: Clock, config: Config, all: readonly FluxObject[]): Verdict {
  const thresholdMs = config.flux.stuckAfterMinutes * 60_000;
  const stuck = new Map<FluxObject, string>();
  const cycles = new Map<string, FluxObject[]>();
  const waitingBehind = new Map<string, FluxObject[]>();
  const evidence: Evidence[] = [];
  const blockerOf = blockerFinder(all);
  for (const f of all) {
    if (f.suspended) {
      evidence.push(fluxRow(f, 'spec.suspend', 'true (see flux.suspended)', 'pass'));
      continue;
    }
    const signals = stuckSignals(f, snapshot, thresholdMs);
    const blocker = f.state === 'waiting' ? blockerOf(f) : undefined;
    if (blocker && 'missing' in blocker) signals.push(`depends on missing ${kindName(f.kind)} ${blocker.missing}`);
    const cycle = blocker && 'cycle' in blocker ? canonicalCycle(blocker.cycle) : undefined;
    if (cycle?.includes(f)) {
      cycles.set(cycleText(cycle), cycle);
      signals.push(`dependsOn cycle: ${cycleText(cycle)}`);
    }
    if (signals.length) {
      const why = signals.join(', ');
      stuck.set(f, why);
      evidence.push(row(f.kind, f.object, 'stuck', `${why}; Ready ${describeCondition(f.ready)}`, 'fail'));
    } else if (cycle) {
      // Behind a cycle: it waits for ever too, but the cycle is what to fix.
      pushTo(waitingBehind, `the cycle through ${cycle[0].ref}`, f);
      evidence.push(row(f.kind, f.object, 'waiting on', `${kindName(cycle[0].kind)} ${cycle[0].ref} (in a dependsOn cycle)`, 'pending'));
    } else if (blocker && 'found' in blocker) {
      pushTo(waitingBehind, blocker.found.ref, f);
      evidence.push(row(f.kind, f.object, 'waiting on', `${kindName(blocker.found.kind)} ${blocker.found.ref}`, 'pending'));
    } else {
      evidence.push(readyRow(f, f.state === 'ready' ? 'pass' : 'pending'));
    }
  }
  const waits = [...waitingBehind].map(([root, list]) => `${list.length} waiting behind ${root}`);
  if (stuck.size === 0 && cycles.size === 0) {
    const summary = waits.length ? `nothing stuck; ${nameList(waits, 2)}` : 'nothing stuck';
    return verdict('pass', summary, evidence);
  }
  // A cycle first: no reconcile ends it, and every object in it would otherwise read "waiting".
  const cycleParts = [...cycles.keys()].map((text) => `dependsOn cycle: ${text}`);
  const inCycles = new Set([...cycles.values()].flat());
  const otherStuck = [...stuck.keys()].filter((f) => !inCycles.has(f));
  // Named signals (an unreconciled HelmChart, an epoch time) say more than "not Ready for 20m": first.
  const slow = (f: FluxObject) => (stuck.get(f)?.startsWith('not Ready for') ? 1 : 0);
  const parts = [...cycleParts];
  if (otherStuck.length) {
    const g = groupLabel(
      otherStuck.sort((a, b) => slow(a) - slow(b)),
      (f) => `${f.ref} (${stuck.get(f)})`,
    );
    parts.push(`${g.noun} stuck: ${nameList(g.names, 2)}`);
  }
  const summary = [...parts, ...waits.slice(0, 2)].join('; ');
  return verdict('fail', summary, evidence, {
    fixes: otherStuck.length ? ['flux-reconcile-stuck', 'flux-reconcile'] : [],
    gitHint: cycles.size ? CYCLE_HINT : undefined,
  });
}

/** A Ready message of this shape is cured in Git, not by a reconcile (seed issue 4). */
export const IMMUTABLE = /is immutable/i;

/** Inventory id `<namespace>_<name>_<group>_<kind>` as "Kind namespace/name". */
function describeInventoryId(id: string): string {
  const [ns, name, , ...kind] = id.split('_');
  const kindName = kind.join('_') === 'PersistentVolumeClaim' ? 'PVC' : kind.join('_') || '?';
  return `${kindName} ${ns ? `${ns}/` : ''}${name ?? id}`;
}

export const IMMUTABLE_HINT = [
  'Seed issue 4: a shared resource (like the Kopia repository PVC) inside a Kustomize component that',
  'every app includes makes every app Kustomization apply it. Remove it from the component, e.g.',
  'kubernetes/components/volsync/kustomization.yaml:',
  '  resources:',
  '    - ./externalsecret.yaml',
  '    # kopia-repository-pvc.yaml MUST NOT be here - managed manually',
  '    - ./pvc.yaml',
  '    - ./replicationdestination.yaml',
  '    - ./replicationsource.yaml',
  'and manage the shared resource in one place only.',
].join('\n');

const inventories = new WeakMap<FluxObject, string[]>();

/** The ids of a Kustomization's inventory, each once, read once per object. */
function inventoryIds(f: FluxObject): string[] {
  let ids = inventories.get(f);
  if (!ids) {
    ids = [...new Set(arr(at(f.object, 'status', 'inventory', 'entries')).map((e) => str(at(e, 'id'))))].filter((id): id is string => Boolean(id));
    inventories.set(f, ids);
  }
  return ids;
}

const flux_immutable_conflict: Check = {
  id: 'flux.immutable-conflict',
  panel: 'flux',
  title: 'No immutable-field or shared-object conflict',
  scope: 'status',
  inputs: ['kustomizations'],
  evaluate(snapshot) {
    const kustomizations = listObjects(snapshot, 'kustomizations');
    const owners = new Map<string, string[]>();
    const evidence: Evidence[] = [];
    const immutable: string[] = [];
    for (const ks of kustomizations) {
      const f = classify('kustomizations', ks);
      const failing = f.ready?.status !== 'True' && IMMUTABLE.test(f.ready?.message ?? '');
      if (failing) immutable.push(f.ref);
      evidence.push(fluxRow(f, 'Ready', describeCondition(f.ready), failing ? 'fail' : 'pass'));
      for (const id of inventoryIds(f)) pushTo(owners, id, f.ref);
    }
    const shared = [...owners].filter(([, list]) => list.length > 1);
    for (const [id, list] of shared) {
      evidence.unshift({ kind: 'Inventory', name: describeInventoryId(id), field: 'applied by', value: list.join(', '), status: 'fail' });
    }
    const parts: string[] = [];
    if (shared.length) {
      const [id, list] = shared[0];
      parts.push(`${describeInventoryId(id)} applied by ${list.length} Kustomizations (${nameList(list, 2)})`);
      if (shared.length > 1) parts.push(`${shared.length - 1} more shared objects`);
    }
    if (immutable.length) parts.push(`${immutable.length} fail on an immutable field: ${nameList(immutable, 2)}`);
    if (!parts.length) return verdict('pass', `no conflicts across ${plural(kustomizations.length, 'Kustomization')}`, evidence);
    return verdict('fail', parts.join('; '), evidence, { gitHint: IMMUTABLE_HINT });
  },
};

const flux_suspended: Check = {
  id: 'flux.suspended',
  panel: 'flux',
  title: 'No Flux object suspended',
  scope: 'spec',
  ...FLUX_INPUTS,
  evaluate(snapshot) {
    const all = fluxObjects(snapshot);
    return memoParts(suspendedMemo, [facesOf(all)], () => judgeSuspended(all));
  },
};

function judgeSuspended(all: readonly FluxObject[]): Verdict {
  const suspended = all.filter((f) => f.suspended);
  const evidence = all.map((f) => fluxRow(f, 'spec.suspend', String(f.suspended), f.suspended ? 'warn' : 'pass'));
  if (!suspended.length) return verdict('pass', `none of ${plural(all.length, 'Flux object')} suspended`, evidence);
  const g = groupLabel(suspended, (f) => f.ref);
  return verdict('warn', `${g.noun} suspended (ignore reconciles until resumed): ${nameList(g.names)}`, evidence);
}

const foundation_storage: Check = {
  id: 'foundation.storage',
  panel: 'flux',
  title: 'Storage classes and snapshot class exist',
  scope: 'status',
  inputs: ['storageclasses', 'volumesnapshotclasses'],
  evaluate(snapshot, config) {
    const wanted: Array<[KindKey, string]> = [
      ...config.foundation.storageClasses.map((n): [KindKey, string] => ['storageclasses', n]),
      ['volumesnapshotclasses', config.foundation.volumeSnapshotClass],
    ];
    const missing: string[] = [];
    const evidence = wanted.map(([kind, name]) => {
      const object = getObject(snapshot, kind, undefined, name);
      if (object) return row(kind, object, 'exists', 'yes', 'pass');
      missing.push(`${kindName(kind)} ${name}`);
      return missingRow(kind, name);
    });
    if (!missing.length) return verdict('pass', `${wanted.length}/${wanted.length} storage classes present`, evidence);
    return verdict('fail', `missing: ${nameList(missing)} (ceph-csi not deployed yet?)`, evidence);
  },
};

function isRunningPod(pod: KubeObject): boolean {
  return str(at(pod, 'status', 'phase')) === 'Running';
}

const foundation_operators: Check = {
  id: 'foundation.operators',
  panel: 'flux',
  title: 'Ceph-CSI pods and VolSync operator running',
  scope: 'status',
  inputs: ['pods', 'deployments'],
  evaluate(snapshot, config) {
    const { cephCsiNamespace, minCephCsiPods, volsyncOperator } = config.foundation;
    const pods = listObjects(snapshot, 'pods').filter((p) => namespaceOf(p) === cephCsiNamespace);
    const running = pods.filter(isRunningPod).length;
    const podsOk = running >= minCephCsiPods;
    const evidence = pods.map((p) => row('pods', p, 'status.phase', str(at(p, 'status', 'phase')) ?? 'unknown', isRunningPod(p) ? 'pass' : 'warn'));
    const volsync = deploymentFinding(snapshot, volsyncOperator);
    evidence.push(volsync.evidence);
    const problems = [!podsOk && `${cephCsiNamespace}: ${running}/${minCephCsiPods} CSI pods Running`, volsync.problem].filter((p): p is string => Boolean(p));
    if (!problems.length) return verdict('pass', `${running} CSI pods Running in ${cephCsiNamespace}; ${volsyncOperator} available`, evidence);
    return verdict('fail', problems.join('; '), evidence);
  },
};

/** The Flux panel's checks, in display order. */
export const FLUX_CHECKS: readonly Check[] = [
  flux_ready,
  flux_essential,
  flux_stuck,
  flux_immutable_conflict,
  flux_suspended,
  foundation_storage,
  foundation_operators,
];
