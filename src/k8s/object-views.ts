/**
 * The object views' reads on a real API server: one object afresh (YAML), its Events (list, then
 * watch), the pods behind it and their logs (a streamed GET of pods/log). Every request has a
 * deadline; the streams end when the view closes (an abort), and a 403 says what is missing in
 * RBAC's words ("needs get on pods/log in volsync-system").
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
import { KINDS, type KindKey } from '../kinds.js';
import { eventFieldSelector, eventRowOf, sortEvents } from '../views/event-rows.js';
import { LineSplitter } from '../views/log-lines.js';
import type { Discovery } from './discovery.js';
import { seconds, type ApiClient, type RequestSpec } from './http.js';
import { acceptFor, received, resourceName, resourcePath } from './resources.js';

/** Timings of the events watch; tests shorten them. */
export interface ViewTuning {
  /** The server ends each events watch after this many seconds; it is opened again from where it was. */
  watchSeconds: number;
  /** Retry delays after an error: doubling from the first to the cap. */
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_VIEW_TUNING: ViewTuning = { watchSeconds: 240, backoffInitialMs: 1_000, backoffMaxMs: 30_000 };

/** A 403 in RBAC's words; any other error as it is. */
export function forbidden(error: unknown, need: string): ClusterError {
  if (error instanceof ClusterError && error.code === 403) return new ClusterError(`needs ${need}`, 403, 'Forbidden');
  if (error instanceof ClusterError) return error;
  return new ClusterError((error as Error)?.message ?? String(error), 0, 'Error');
}

const inNamespace = (namespace: string | undefined): string => (namespace ? ` in ${namespace}` : '');

interface RawPod {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string; annotations?: Record<string, string> };
  spec?: { containers?: Array<{ name?: string }> };
  status?: { containerStatuses?: Array<{ name?: string; restartCount?: number }> };
}

/** A pod's log sources: its default container first (the kubectl annotation), with its restarts. */
function sourceOf(pod: RawPod, why: string): LogSource | undefined {
  const names = (pod.spec?.containers ?? []).map((c) => c.name).filter((n): n is string => typeof n === 'string');
  if (!pod.metadata?.name || !pod.metadata.namespace || !names.length) return undefined;
  const preferred = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  const container = preferred && names.includes(preferred) ? preferred : names[0];
  const restarts = pod.status?.containerStatuses?.find((s) => s.name === container)?.restartCount ?? 0;
  return { namespace: pod.metadata.namespace, pod: pod.metadata.name, container, containers: names, why, restarts };
}

export class KubeViews implements ObjectViews {
  constructor(
    private readonly api: () => Promise<ApiClient>,
    private readonly discovery: Discovery,
    private readonly tuning: ViewTuning = DEFAULT_VIEW_TUNING,
  ) {}

  async object(kind: KindKey, namespace: string | undefined, name: string): Promise<KubeObject> {
    const api = await this.api();
    const version = await this.discovery.version(kind);
    const path = resourcePath(kind, namespace, name, undefined, version);
    try {
      if (kind === 'secrets') {
        // A Secret is read as metadata only, and by a LIST of one: drdeck-viewer grants no `get` on
        // Secrets (see deploy/rbac), and its data never reaches drdeck.
        const list = await api.json<{ items?: KubeObject[] }>({
          method: 'GET',
          path: resourcePath(kind, namespace, undefined, undefined, version),
          query: { fieldSelector: `metadata.name=${name}` },
          accept: acceptFor(kind, true),
        });
        const found = list.items?.[0];
        if (!found) throw new ClusterError(`secrets "${name}" not found`, 404, 'NotFound');
        return received(kind, found, version);
      }
      return received(kind, await api.json<KubeObject>({ method: 'GET', path, accept: acceptFor(kind, false) }), version);
    } catch (error) {
      throw forbidden(error, `${kind === 'secrets' ? 'list' : 'get'} on ${resourceName(kind)}${inNamespace(KINDS[kind].namespaced ? namespace : undefined)}`);
    }
  }

  events(object: KubeObject, handler: EventsHandler): () => void {
    const stop = new AbortController();
    void this.followEvents(object, handler, stop.signal);
    return () => stop.abort();
  }

  /** List, then watch from the list's resourceVersion; after an error, back off and list again. */
  private async followEvents(object: KubeObject, handler: EventsHandler, signal: AbortSignal): Promise<void> {
    // Events of a cluster-scoped object (a PV) are written in "default"; any namespace is asked then.
    const namespace = object.metadata.namespace;
    const path = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events';
    const fieldSelector = eventFieldSelector(object);
    const rows = new Map<string, EventRow>();
    let failures = 0;
    while (!signal.aborted) {
      try {
        const api = await this.api();
        const list = await api.json<{ metadata?: { resourceVersion?: string }; items?: KubeObject[] }>({
          method: 'GET',
          path,
          query: { fieldSelector, limit: 500 },
          signal,
        });
        rows.clear();
        for (const item of list.items ?? []) rows.set(eventRowOf(item).uid, eventRowOf(item));
        if (signal.aborted) return;
        handler.rows(sortEvents(rows.values()));
        let rv = list.metadata?.resourceVersion;
        failures = 0;
        while (!signal.aborted && rv !== undefined) rv = await this.watchEvents(api, path, fieldSelector, rv, rows, handler, signal);
      } catch (error) {
        // Closed with the cluster (drdeck quitting): nothing to retry.
        if (signal.aborted || (error instanceof ClusterError && error.reason === 'Closed')) return;
        handler.error(forbidden(error, `list and watch on events${inNamespace(namespace)}`));
        const delay = Math.min(this.tuning.backoffMaxMs, this.tuning.backoffInitialMs * 2 ** failures++);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }

  /** One events watch; resolves with the resourceVersion to watch on from (undefined: list again). */
  private async watchEvents(
    api: ApiClient,
    path: string,
    fieldSelector: string,
    rv: string,
    rows: Map<string, EventRow>,
    handler: EventsHandler,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const spec: RequestSpec & { signal: AbortSignal } = {
      method: 'GET',
      path,
      query: { fieldSelector, watch: 'true', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: this.tuning.watchSeconds },
      signal,
    };
    const res = await api.stream(spec);
    let last: string | undefined = rv;
    const splitter = new LineSplitter();
    // Why a timer beyond the server's timeoutSeconds: a watch can go silent without an error (a dead
    // peer); bookmarks come about once a minute, so twice the watch's length means something is wrong.
    const silent = setTimeout(() => res.destroy(), (this.tuning.watchSeconds * 2 + 30) * 1000);
    try {
      for await (const chunk of res.setEncoding('utf8')) {
        for (const line of splitter.push(chunk as string)) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as { type?: string; object?: KubeObject & { code?: number; message?: string; reason?: string } };
          if (event.type === 'ERROR') {
            // 410 Gone: the history is compacted; a new list catches up.
            if (event.object?.code === 410) return undefined;
            throw new ClusterError(event.object?.message ?? 'the events watch failed', event.object?.code ?? 0, event.object?.reason ?? '');
          }
          if (!event.object?.metadata) continue;
          last = event.object.metadata.resourceVersion ?? last;
          if (event.type === 'BOOKMARK') continue;
          const row = eventRowOf(event.object);
          if (event.type === 'DELETED') rows.delete(row.uid);
          else rows.set(row.uid, row);
          handler.rows(sortEvents(rows.values()));
        }
      }
    } catch (error) {
      if (signal.aborted) return undefined;
      if (error instanceof SyntaxError) throw new ClusterError(`the API server sent an unreadable event: ${error.message}`, 0, 'InvalidResponse');
      throw api.streamError(error, spec);
    } finally {
      clearTimeout(silent);
    }
    return last;
  }

  async logSources(queries: readonly PodQuery[]): Promise<LogSources> {
    const api = await this.api();
    const sources: LogSource[] = [];
    const notes: string[] = [];
    for (const query of queries) {
      try {
        let labels = query.labels;
        if (query.deployment) {
          const path = resourcePath('deployments', query.namespace, query.deployment);
          const deployment = await api.json<KubeObject>({ method: 'GET', path }).catch((error) => {
            throw forbidden(error, `get on deployments.apps in ${query.namespace}`);
          });
          labels = deployment.spec?.selector?.matchLabels;
          if (!labels) {
            notes.push(`Deployment ${query.namespace}/${query.deployment} has no matchLabels selector`);
            continue;
          }
        }
        const labelSelector = Object.entries(labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        const list = await api
          .json<{ items?: RawPod[] }>({
            method: 'GET',
            path: `/api/v1/namespaces/${encodeURIComponent(query.namespace)}/pods`,
            query: { labelSelector: labelSelector || undefined, fieldSelector: query.pod ? `metadata.name=${query.pod}` : undefined, limit: 50 },
          })
          .catch((error) => {
            throw forbidden(error, `list on pods in ${query.namespace}`);
          });
        const pods = (list.items ?? []).sort((a, b) => Date.parse(b.metadata?.creationTimestamp ?? '') - Date.parse(a.metadata?.creationTimestamp ?? '') || 0);
        const found = pods.map((pod) => sourceOf(pod, query.why)).filter((s): s is LogSource => s !== undefined);
        if (!found.length) notes.push(`no pod now for the ${query.why}${labelSelector ? ` (${labelSelector} in ${query.namespace})` : ''}`);
        sources.push(...found);
      } catch (error) {
        notes.push(`${query.why}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { sources, notes };
  }

  log(source: LogSource, options: LogOptions, handler: LogHandler): () => void {
    const stop = new AbortController();
    void this.readLog(source, options, handler, stop.signal);
    return () => stop.abort();
  }

  private async readLog(source: LogSource, options: LogOptions, handler: LogHandler, closed: AbortSignal): Promise<void> {
    const timedOut = new AbortController();
    const signal = AbortSignal.any([closed, timedOut.signal]);
    const spec: RequestSpec & { signal: AbortSignal } = {
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(source.namespace)}/pods/${encodeURIComponent(source.pod)}/log`,
      query: {
        container: source.container,
        tailLines: options.tailLines,
        follow: options.follow ? 'true' : undefined,
        previous: options.previous ? 'true' : undefined,
      },
      accept: '*/*',
      signal,
    };
    let ended = false;
    const end = (error?: ClusterError) => {
      if (ended) return;
      ended = true;
      handler.end(error);
    };
    let api: ApiClient;
    try {
      api = await this.api();
    } catch (error) {
      return end(forbidden(error, `get on pods/log in ${source.namespace}`));
    }
    const timeoutMs = api.timeoutMs * 3;
    // Why a deadline only without follow: a followed log may stay quiet for hours; it ends on close.
    const deadline = options.follow
      ? undefined
      : setTimeout(() => {
          end(new ClusterError(`timed out after ${seconds(timeoutMs)}: GET ${spec.path}`, 0, 'Timeout'));
          timedOut.abort();
        }, timeoutMs);
    const splitter = new LineSplitter();
    try {
      const res = await api.stream(spec);
      signal.addEventListener('abort', () => res.destroy(), { once: true });
      for await (const chunk of res.setEncoding('utf8')) {
        if (ended || signal.aborted) break;
        const lines = splitter.push(chunk as string);
        if (lines.length) handler.lines(lines);
      }
      const rest = splitter.flush();
      if (rest.length && !ended) handler.lines(rest);
      end();
    } catch (error) {
      if (closed.aborted) return end();
      if (signal.aborted) return;
      end(forbidden(api.streamError(error, spec), `get on pods/log in ${source.namespace}`));
    } finally {
      if (deadline) clearTimeout(deadline);
    }
  }
}
