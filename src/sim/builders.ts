/**
 * Small builders for the shapes the simulated cluster serves (Deployment and Pod status, Flux
 * sources, inventories), so scenarios and simulated controllers write them the same way.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../cluster.js';
import { KINDS, type KindKey } from '../kinds.js';
import { timestamp } from './object-store.js';

/** A stable fake sha256 hex digest derived from `seed` (the same seed always gives the same digest). */
export function fakeDigest(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** A stable fake suffix like the ones ReplicaSets and DaemonSets give pods. */
export function fakeSuffix(seed: string, length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = createHash('sha1').update(seed).digest();
  return Array.from(bytes.subarray(0, length), (b) => alphabet[b % alphabet.length]).join('');
}

/** The labels kustomize-controller puts on every object it applies. */
export function fluxLabels(kustomization: string, namespace = 'flux-system'): Record<string, string> {
  return {
    'kustomize.toolkit.fluxcd.io/name': kustomization,
    'kustomize.toolkit.fluxcd.io/namespace': namespace,
  };
}

/** A Flux inventory entry: id `<namespace>_<name>_<group>_<kind>`, v the API version. */
export function inventoryEntry(kind: string, group: string, version: string, namespace: string | undefined, name: string) {
  return { id: `${namespace ?? ''}_${name}_${group}_${kind}`, v: version };
}

/** An inventory entry for one of the kinds drdeck watches. */
export function inventoryOf(kind: KindKey, namespace: string | undefined, name: string) {
  const info = KINDS[kind];
  return inventoryEntry(info.kind, info.group, info.version, namespace, name);
}

export function replicaSetName(deployment: string): string {
  return `${deployment}-${fakeSuffix(`rs/${deployment}`, 10).toLowerCase()}`;
}

/** Deployment status while its pods are not available yet. */
export function deploymentUnavailable(name: string, replicas: number, generation: number, now: number): Record<string, unknown> {
  const time = timestamp(now);
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    unavailableReplicas: replicas,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
        lastUpdateTime: time,
        lastTransitionTime: time,
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: `ReplicaSet "${replicaSetName(name)}" is progressing.`,
        lastUpdateTime: time,
        lastTransitionTime: time,
      },
    ],
  };
}

/** Deployment status once the rollout is complete and every replica is available. */
export function deploymentAvailable(name: string, replicas: number, generation: number, now: number): Record<string, unknown> {
  const time = timestamp(now);
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      {
        type: 'Available',
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
        lastUpdateTime: time,
        lastTransitionTime: time,
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${replicaSetName(name)}" has successfully progressed.`,
        lastUpdateTime: time,
        lastTransitionTime: time,
      },
    ],
  };
}

export interface DeploymentSeed {
  namespace: string;
  name: string;
  image: string;
  replicas: number;
  labels?: Record<string, string>;
  created: number;
  available: boolean;
}

export function deployment(seed: DeploymentSeed): KubeObject {
  const selector = { 'app.kubernetes.io/name': seed.name };
  return {
    metadata: {
      name: seed.name,
      namespace: seed.namespace,
      creationTimestamp: timestamp(seed.created),
      labels: { ...selector, ...seed.labels },
    },
    spec: {
      replicas: seed.replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: selector },
        spec: { containers: [{ name: seed.name, image: seed.image }] },
      },
    },
    status: (seed.available ? deploymentAvailable : deploymentUnavailable)(seed.name, seed.replicas, 1, seed.created),
  };
}

/** Pod status while the container is being created. */
export function podPending(container: string, image: string, node: string, now: number): Record<string, unknown> {
  const time = timestamp(now);
  return {
    phase: 'Pending',
    hostIP: nodeIp(node),
    startTime: time,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: time },
      { type: 'Initialized', status: 'True', lastTransitionTime: time },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${container}]`, lastTransitionTime: time },
      {
        type: 'ContainersReady',
        status: 'False',
        reason: 'ContainersNotReady',
        message: `containers with unready status: [${container}]`,
        lastTransitionTime: time,
      },
    ],
    containerStatuses: [{ name: container, image, ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
  };
}

/** Pod status once its container runs and is ready. */
export function podRunning(container: string, image: string, node: string, podIp: string, started: number, now: number): Record<string, unknown> {
  const time = timestamp(now);
  return {
    phase: 'Running',
    hostIP: nodeIp(node),
    podIP: podIp,
    startTime: timestamp(started),
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: timestamp(started) },
      { type: 'Initialized', status: 'True', lastTransitionTime: timestamp(started) },
      { type: 'Ready', status: 'True', lastTransitionTime: time },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: time },
    ],
    containerStatuses: [{ name: container, image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: time } } }],
  };
}

const NODE_IPS: Record<string, string> = { 'talos-01': '10.101.0.11', 'talos-02': '10.101.0.12', 'talos-03': '10.101.0.13' };

function nodeIp(node: string): string {
  return NODE_IPS[node] ?? '10.101.0.10';
}
