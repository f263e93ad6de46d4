/** The kinds drdeck reads as the API server spells them: names, URL paths, and the paginated LIST. */
import type { KubeObject, ListResult } from '../cluster.js';
import { apiVersionOf, KINDS, type KindKey } from '../kinds.js';
import { withoutLastApplied } from '../records.js';
import type { ApiClient } from './http.js';

/** `replicationdestinations.volsync.backube`, or `services` for the core group, as RBAC and kubectl name resources. */
export function resourceName(kind: KindKey): string {
  const { plural, group } = KINDS[kind];
  return group ? `${plural}.${group}` : plural;
}

/** `/api/v1` or `/apis/GROUP/VERSION`. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/**
 * The path of a kind's collection (all namespaces when `namespace` is undefined), or of one object
 * when `name` is given, or of its status subresource; at `version`, the one the server serves it at
 * (see Discovery), drdeck's own by default.
 */
export function resourcePath(kind: KindKey, namespace?: string, name?: string, subresource?: 'status', version = KINDS[kind].version): string {
  const info = KINDS[kind];
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
  return `${groupVersionPath(info.group, version)}${ns}/${info.plural}${object}`;
}

/**
 * What to ask the server for, in a LIST, a WATCH or a GET alike. Secrets are read as metadata only
 * (PartialObjectMetadata): drdeck only needs to know that a Secret exists, so its data never even
 * reaches drdeck's memory. Their annotations still come; `received` drops the one that copies the data.
 */
export function acceptFor(kind: KindKey, list: boolean): string {
  if (kind !== 'secrets') return 'application/json';
  return `application/json;as=${list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};g=meta.k8s.io;v=v1`;
}

/**
 * The objects as the API spells them: list items carry no apiVersion and kind; metadata-only Secrets
 * say PartialObjectMetadata. `version`: the one it was served at.
 */
export function withKind(kind: KindKey, object: KubeObject, version = KINDS[kind].version): KubeObject {
  const info = KINDS[kind];
  return { ...object, apiVersion: apiVersionOf(info, version), kind: info.kind };
}

/**
 * Every object as drdeck keeps it from the moment its JSON is parsed: its kind spelled out (see
 * `withKind`) and without `kubectl.kubernetes.io/last-applied-configuration`. Why drop it for every
 * kind: `kubectl apply` writes the whole manifest there, so on a Secret it holds the Secret's data
 * even in a metadata-only answer (the one thing PartialObjectMetadata does not protect), and on
 * any other object it is a second copy of the spec that nothing in drdeck reads.
 */
export function received(kind: KindKey, object: KubeObject, version?: string): KubeObject {
  return withoutLastApplied(withKind(kind, object, version));
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

/**
 * LISTs a kind (every namespace, or one) page by page, at the version the server serves it at
 * (`version`, drdeck's own by default). Every page is read at the first page's resourceVersion, so
 * the result is one consistent snapshot to watch from.
 */
export async function listAll(
  api: ApiClient,
  kind: KindKey,
  options: { namespace?: string; pageSize?: number; signal?: AbortSignal; version?: string } = {},
): Promise<ListResult> {
  const items: KubeObject[] = [];
  let resourceVersion = '';
  let token: string | undefined;
  do {
    const page = await api.json<ListPage>({
      method: 'GET',
      path: resourcePath(kind, options.namespace, undefined, undefined, options.version),
      query: { limit: options.pageSize ?? 500, continue: token },
      accept: acceptFor(kind, true),
      signal: options.signal,
    });
    for (const item of page.items ?? []) items.push(received(kind, item, options.version));
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    token = page.metadata?.continue || undefined;
  } while (token && !options.signal?.aborted);
  return { items, resourceVersion };
}
