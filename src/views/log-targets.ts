/**
 * Which pods' logs tell about an object (the `l` view), and what the object records of its own.
 * Pure: the cluster (src/k8s, src/sim) finds the pods the queries name.
 */
import type { KubeObject, PodQuery } from '../cluster.js';
import type { Config } from '../config/schema.js';
import type { KindKey } from '../kinds.js';
import { cleanText } from '../text/sanitize.js';

/** The Flux controller that reconciles each Flux kind (all in Flux's namespace). */
export const FLUX_CONTROLLER: Partial<Record<KindKey, string>> = {
  kustomizations: 'kustomize-controller',
  helmreleases: 'helm-controller',
  helmcharts: 'source-controller',
  gitrepositories: 'source-controller',
  ocirepositories: 'source-controller',
  helmrepositories: 'source-controller',
};

const split = (ref: string): { namespace: string; name: string } => {
  const [namespace, name] = ref.split('/');
  return { namespace, name };
};

const labelsOf = (value: unknown): Record<string, string> | undefined => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length ? Object.fromEntries(entries) : undefined;
};

/** `kind ns/name` as the view's lines name an object. */
const refText = (kindName: string, object: KubeObject): string =>
  `${kindName} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;

/**
 * The pods behind an object, most telling first: a ReplicationDestination's mover (the Job
 * `volsync-dst-<name>` VolSync runs in the RD's namespace), then the VolSync controller; a Gateway's
 * cilium-operator; a Flux object's controller; a Deployment's or Service's own pods by selector.
 * A string says why an object has no pods to read (a PVC, a PV).
 */
export function podQueriesFor(kind: KindKey, object: KubeObject, config: Pick<Config, 'flux' | 'foundation' | 'gateways'>): PodQuery[] | string {
  const ns = object.metadata.namespace ?? '';
  const name = object.metadata.name;
  const controller = FLUX_CONTROLLER[kind];
  if (controller) {
    return [
      { namespace: config.flux.namespace, deployment: controller, why: `${controller}, which reconciles ${refText(String(object.kind ?? kind), object)}` },
    ];
  }
  switch (kind) {
    case 'replicationdestinations': {
      const volsync = split(config.foundation.volsyncOperator);
      return [
        { namespace: ns, labels: { 'job-name': `volsync-dst-${name}` }, why: `mover of ReplicationDestination ${ns}/${name} (Job volsync-dst-${name})` },
        { namespace: volsync.namespace, deployment: volsync.name, why: `the VolSync controller (Deployment ${config.foundation.volsyncOperator})` },
      ];
    }
    case 'gateways': {
      const operator = split(config.gateways.ciliumOperator);
      return [{ namespace: operator.namespace, deployment: operator.name, why: `cilium-operator, which programs Gateway ${ns}/${name}` }];
    }
    case 'deployments':
      return [{ namespace: ns, deployment: name, why: `pod of Deployment ${ns}/${name}` }];
    case 'services': {
      const labels = labelsOf(object.spec?.selector);
      if (!labels) return `Service ${ns}/${name} has no selector: no pods behind it`;
      return [{ namespace: ns, labels, why: `pod behind Service ${ns}/${name}` }];
    }
    case 'pods':
      return [{ namespace: ns, pod: name, why: `pod ${ns}/${name}` }];
    default:
      return `no pods behind a ${String(object.kind ?? kind)}: y shows it, e its events`;
  }
}

/**
 * What the object records of its own that a log would tell: a ReplicationDestination's
 * `status.latestMoverStatus` (the last mover's result and the end of its log, kept by VolSync
 * after the mover pod is gone), and its Synchronizing condition when it is an error.
 */
export function recordedLog(kind: KindKey, object: KubeObject): { title: string; lines: string[] } | undefined {
  if (kind !== 'replicationdestinations') return undefined;
  const lines: string[] = [];
  const sync = Array.isArray(object.status?.conditions) ? object.status.conditions.find((c: any) => c?.type === 'Synchronizing') : undefined;
  if (sync && sync.status === 'False' && sync.reason === 'Error') lines.push(`Synchronizing: Error: ${cleanText(String(sync.message ?? ''), 2048)}`);
  const mover = object.status?.latestMoverStatus;
  if (mover && typeof mover === 'object') {
    lines.push(`latest mover: ${cleanText(String(mover.result ?? '?'), 64)}`);
    const logs = typeof mover.logs === 'string' ? cleanText(mover.logs, 16_384, { keep: 'tail', multiline: true }) : '';
    for (const line of logs.split('\n')) if (line.trim()) lines.push(`  ${line}`);
  }
  if (!lines.length) return undefined;
  return { title: `recorded by ReplicationDestination ${object.metadata.namespace}/${object.metadata.name} (status)`, lines };
}
