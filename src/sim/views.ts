/**
 * The object views in the demo: the simulated objects as YAML, their Events and the logs of the
 * controllers that act on them, all from the simulation itself. Events are what the controllers
 * record when a condition changes (as Flux, VolSync and Cilium do: the condition's reason and
 * message); the controllers' pods log those changes and what the simulated controllers do (their
 * log lines), at the scenario's clock. No mover pod is simulated: a restore's log is what VolSync records in the
 * ReplicationDestination's status, as on a cluster where the mover's Job is gone.
 */
import {
  ClusterError,
  type EventRow,
  type EventsHandler,
  type KubeObject,
  type LogHandler,
  type LogOptions,
  type LogSource,
  type LogSources,
  type ObjectViews,
  type PodQuery,
} from '../cluster.js';
import { KIND_KEYS, KINDS, type KindKey } from '../kinds.js';
import { sortEvents } from '../views/event-rows.js';
import { FLUX_CONTROLLER } from '../views/log-targets.js';
import { appendBounded, LOG_BUFFER_LINES } from '../views/log-lines.js';
import type { SimCluster } from './object-store.js';

/** Who records a kind's events, as the real controllers name themselves. */
const REPORTER: Partial<Record<KindKey, string>> = {
  ...FLUX_CONTROLLER,
  replicationdestinations: 'volsync',
  gateways: 'cilium-operator',
  deployments: 'deployment-controller',
  persistentvolumeclaims: 'persistentvolume-controller',
  persistentvolumes: 'persistentvolume-controller',
  pods: 'kubelet',
};

/** The simulated controllers as pods: namespace/deployment, container, and which log lines are theirs. */
const CONTROLLER_PODS: ReadonlyArray<{ namespace: string; deployment: string; container: string; hears: (line: string) => boolean }> = [
  {
    namespace: 'flux-system',
    deployment: 'kustomize-controller',
    container: 'manager',
    hears: (l) => l.startsWith('flux:') && !/HelmRelease|HelmChart|Repository/.test(l),
  },
  { namespace: 'flux-system', deployment: 'helm-controller', container: 'manager', hears: (l) => l.startsWith('flux:') && /HelmRelease/.test(l) },
  { namespace: 'flux-system', deployment: 'source-controller', container: 'manager', hears: (l) => l.startsWith('flux:') && /HelmChart|Repository/.test(l) },
  { namespace: 'kube-system', deployment: 'cilium-operator', container: 'cilium-operator', hears: (l) => l.startsWith('cilium:') || l.startsWith('lb-ipam:') },
  { namespace: 'volsync-system', deployment: 'volsync', container: 'manager', hears: (l) => l.startsWith('volsync:') },
];

/** A stable pod name suffix, as a ReplicaSet's hash and a pod's would look. */
function suffix(seed: string): string {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 15; i++) {
    out += alphabet[h % alphabet.length];
    h = Math.imul(h ^ i, 16777619) >>> 0;
  }
  return `${out.slice(0, 10)}-${out.slice(10)}`;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

const conditionsOf = (object: KubeObject): Condition[] =>
  Array.isArray(object.status?.conditions) ? object.status.conditions.filter((c: unknown): c is Condition => !!c && typeof c === 'object') : [];

/** Whether a condition is news an operator must look at (a Warning event) or progress (Normal). */
function eventType(c: Condition): string {
  const words = `${c.reason ?? ''} ${c.message ?? ''}`;
  if (/fail|error|not ?found|invalid|backoff|stalled|conflict|immutable/i.test(words)) return 'Warning';
  if (c.type === 'Stalled' && c.status === 'True') return 'Warning';
  return 'Normal';
}

/** A log line's time, as controllers print it. */
const stampOf = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

const objectKeyOf = (kind: KindKey, namespace: string | undefined, name: string) => `${kind}|${namespace ?? ''}|${name}`;

/** The demo's object views, on a SimCluster. */
export class SimViews implements ObjectViews {
  private readonly recorded = new Map<string, EventRow[]>();
  private readonly seen = new Map<string, string>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly logs = new Map<string, string[]>();
  private readonly logListeners = new Map<string, Set<(lines: string[]) => void>>();
  private nextUid = 0;

  constructor(private readonly cluster: SimCluster) {
    // What the controllers recorded before the demo starts: one event per condition, at its time.
    for (const kind of KIND_KEYS) {
      if (!REPORTER[kind]) continue;
      for (const object of cluster.listNow(kind)) this.observe(kind, object, true);
    }
    this.writePending();
    const stop = cluster.watch(
      KIND_KEYS.filter((k) => REPORTER[k]),
      cluster.resourceVersion,
      (kind, event) => {
        if (event.type !== 'DELETED') this.observe(kind, event.object, false);
      },
    );
    cluster.onClose(stop);
  }

  /** A simulated controller's log line (`volsync: RD …`), into its pod's log at the scenario's time. */
  controllerLog(line: string): void {
    const stamp = stampOf(this.cluster.now());
    for (const pod of CONTROLLER_PODS) {
      if (pod.hears(line)) this.write(pod, `${stamp} ${/fail|error|not found/i.test(line) ? 'ERROR' : 'INFO'} ${line.replace(/^[a-z-]+: /, '')}`);
    }
  }

  /** Records an event for each condition whose status, reason or message changed. */
  /** Controller log lines from condition changes, written in time order once a batch is seen. */
  private pending: Array<{ at: number; pod: string; text: string }> = [];

  private writePending(): void {
    const lines = this.pending.sort((a, b) => a.at - b.at);
    this.pending = [];
    for (const { at, pod, text } of lines) {
      const controller = CONTROLLER_PODS.find((p) => p.deployment === pod);
      if (controller) this.write(controller, `${stampOf(at)} ${text}`);
    }
  }

  private write(pod: (typeof CONTROLLER_PODS)[number], text: string): void {
    const key = `${pod.namespace}/${pod.deployment}`;
    this.logs.set(key, appendBounded(this.logs.get(key) ?? [], [text], LOG_BUFFER_LINES));
    for (const listener of this.logListeners.get(key) ?? []) listener([text]);
  }

  private observe(kind: KindKey, object: KubeObject, initial: boolean): void {
    const key = objectKeyOf(kind, object.metadata.namespace, object.metadata.name);
    let changed = false;
    for (const c of conditionsOf(object)) {
      const seenKey = `${key}|${c.type}`;
      const state = `${c.status}|${c.reason ?? ''}|${c.message ?? ''}`;
      if (this.seen.get(seenKey) === state) continue;
      this.seen.set(seenKey, state);
      if (!c.reason && !c.message) continue;
      const at = initial ? Date.parse(c.lastTransitionTime ?? '') || this.cluster.now() : this.cluster.now();
      const rows = [...(this.recorded.get(key) ?? [])];
      const same = rows.findIndex((r) => r.reason === (c.reason ?? c.type) && r.message === (c.message ?? ''));
      // The epoch times of seed issue 7 would read "20000d ago": such a condition is as old as the demo.
      const lastTime = at > 86_400_000 ? at : this.cluster.now();
      if (same >= 0) rows[same] = { ...rows[same], count: rows[same].count + 1, lastTime };
      else
        rows.push({
          uid: `sim-event-${++this.nextUid}`,
          type: eventType(c),
          reason: c.reason || c.type,
          message: c.message ?? '',
          count: 1,
          lastTime,
          source: REPORTER[kind] ?? '',
        });
      this.recorded.set(key, rows);
      changed = true;
      // The controller that set the condition logs it too, as Flux's, VolSync's and Cilium's do.
      const where = `${KINDS[kind].kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
      const level = eventType(c) === 'Warning' ? 'ERROR' : 'INFO';
      this.pending.push({
        at: lastTime,
        pod: REPORTER[kind] ?? '',
        text: `${level} ${where}: ${c.type}=${c.status} ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`,
      });
    }
    if (!initial) this.writePending();
    if (changed) for (const listener of this.listeners.get(key) ?? []) listener();
  }

  async object(kind: KindKey, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.cluster.get(kind, namespace, name);
  }

  events(object: KubeObject, handler: EventsHandler): () => void {
    const kind = KIND_KEYS.find((k) => KINDS[k].kind === object.kind);
    if (!kind) {
      queueMicrotask(() => handler.error(new ClusterError(`no events for a ${String(object.kind)}`, 404, 'NotFound')));
      return () => {};
    }
    const key = objectKeyOf(kind, object.metadata.namespace, object.metadata.name);
    const send = () => handler.rows(sortEvents(this.recorded.get(key) ?? []));
    let listeners = this.listeners.get(key);
    if (!listeners) this.listeners.set(key, (listeners = new Set()));
    listeners.add(send);
    queueMicrotask(send);
    return () => listeners.delete(send);
  }

  async logSources(queries: readonly PodQuery[]): Promise<LogSources> {
    const sources: LogSource[] = [];
    const notes: string[] = [];
    for (const query of queries) {
      const controller = CONTROLLER_PODS.find((p) => p.namespace === query.namespace && p.deployment === query.deployment);
      if (controller) {
        const pod = `${controller.deployment}-${suffix(`${controller.namespace}/${controller.deployment}`)}`;
        sources.push({
          namespace: controller.namespace,
          pod,
          container: controller.container,
          containers: [controller.container],
          why: query.why,
          restarts: 0,
        });
        continue;
      }
      const labels = Object.entries(query.labels ?? {});
      const matches = (p: KubeObject) => (!query.pod || p.metadata.name === query.pod) && labels.every(([k, v]) => p.metadata.labels?.[k] === v);
      const pods = query.deployment ? [] : this.cluster.listNow('pods', query.namespace).filter(matches);
      for (const pod of pods) {
        const containers: string[] = (pod.spec?.containers ?? []).map((c: { name?: string }) => c.name).filter(Boolean);
        if (containers.length)
          sources.push({ namespace: query.namespace, pod: pod.metadata.name, container: containers[0], containers, why: query.why, restarts: 0 });
      }
      if (!pods.length) {
        const selector = query.deployment ? `Deployment ${query.deployment}` : labels.map(([k, v]) => `${k}=${v}`).join(',');
        notes.push(`no pod now for the ${query.why} (${selector} in ${query.namespace})`);
      }
    }
    return { sources, notes };
  }

  log(source: LogSource, options: LogOptions, handler: LogHandler): () => void {
    const controller = CONTROLLER_PODS.find((p) => p.namespace === source.namespace && source.pod.startsWith(`${p.deployment}-`));
    const key = controller ? `${controller.namespace}/${controller.deployment}` : '';
    let open = true;
    queueMicrotask(() => {
      if (!open) return;
      // The simulated containers never restarted: there is no previous one, as the API server says.
      if (options.previous) {
        handler.end(new ClusterError(`previous terminated container "${source.container}" in pod "${source.pod}" not found`, 400, 'BadRequest'));
        return;
      }
      const lines = this.logs.get(key) ?? [];
      handler.lines(lines.slice(-options.tailLines));
      if (!options.follow) return handler.end();
      // A simulated app container prints nothing: its log stays open and empty.
      if (!controller) return;
      let set = this.logListeners.get(key);
      if (!set) this.logListeners.set(key, (set = new Set()));
      set.add(handler.lines);
    });
    return () => {
      open = false;
      this.logListeners.get(key)?.delete(handler.lines);
    };
  }
}
