/**
 * Panel Kopia: the repository PVC is Bound, its PV holds the subvolume handle saved in Git with
 * reclaim policy Retain, and Flux does not manage the PVC (seed issue 2).
 */
import type { KubeObject } from '../cluster.js';
import type { Config } from '../config/schema.js';
import type { Check, Evidence, Snapshot, Verdict } from './types.js';
import { arr, at, getObject, labelOf, missingRow, parseRef, row, str, verdict } from './util.js';

/** Labels kustomize-controller and helm-controller put on what they apply. */
export const FLUX_LABELS = ['kustomize.toolkit.fluxcd.io/name', 'kustomize.toolkit.fluxcd.io/namespace', 'helm.toolkit.fluxcd.io/name'] as const;
const FLUX_MANAGERS = new Set(['kustomize-controller', 'helm-controller']);

function kopiaPvc(snapshot: Snapshot, config: Config): KubeObject | undefined {
  const { namespace, name } = parseRef(config.kopia.pvc);
  return getObject(snapshot, 'persistentvolumeclaims', namespace, name);
}

type Volume = { pvc: KubeObject; pv: KubeObject } | { problem: string; evidence: Evidence[] };

/** The Kopia PVC and the PV it is bound to, or why there is no PV to look at. */
function kopiaVolume(snapshot: Snapshot, config: Config): Volume {
  const ref = config.kopia.pvc;
  const pvc = kopiaPvc(snapshot, config);
  if (!pvc) return { problem: `PVC ${ref} missing`, evidence: [missingRow('persistentvolumeclaims', ref)] };
  const volumeName = str(at(pvc, 'spec', 'volumeName'));
  if (!volumeName) {
    return {
      problem: `PVC ${ref} is not bound to a PV (${str(at(pvc, 'status', 'phase')) ?? 'no phase'})`,
      evidence: [row('persistentvolumeclaims', pvc, 'spec.volumeName', 'unset', 'fail')],
    };
  }
  const pv = getObject(snapshot, 'persistentvolumes', undefined, volumeName);
  if (!pv) {
    return {
      problem: `PV ${volumeName} of PVC ${ref} missing`,
      evidence: [row('persistentvolumeclaims', pvc, 'spec.volumeName', volumeName, 'pass'), missingRow('persistentvolumes', volumeName)],
    };
  }
  return { pvc, pv };
}

/** Verdict `unknown` when there is no PV to inspect; the reclaim fix creates one. */
function withVolume(snapshot: Snapshot, config: Config, judge: (pvc: KubeObject, pv: KubeObject) => Verdict): Verdict {
  const volume = kopiaVolume(snapshot, config);
  if ('problem' in volume) return verdict('unknown', `no PV to inspect: ${volume.problem}`, volume.evidence, { fixes: ['kopia-reclaim'] });
  return judge(volume.pvc, volume.pv);
}

/** The shortest tails (at least 4 characters) that tell two handles apart: "…5f0c" vs "…9a1b". */
function distinctTails(a: string, b: string): [string, string] {
  let n = 4;
  while (n < Math.max(a.length, b.length) && a.slice(-n) === b.slice(-n)) n++;
  const tail = (s: string) => (s.length > n ? `…${s.slice(-n)}` : s);
  return [tail(a), tail(b)];
}

const pvcBound: Check = {
  id: 'kopia.pvc-bound',
  panel: 'kopia',
  title: 'Kopia repository PVC Bound',
  scope: 'status',
  inputs: ['persistentvolumeclaims'],
  evaluate(snapshot, config) {
    const ref = config.kopia.pvc;
    const pvc = kopiaPvc(snapshot, config);
    if (!pvc)
      return verdict('fail', `PVC ${ref} missing: reclaim it from the saved handle`, [missingRow('persistentvolumeclaims', ref)], { fixes: ['kopia-reclaim'] });
    const phase = str(at(pvc, 'status', 'phase')) ?? 'unknown';
    const volume = str(at(pvc, 'spec', 'volumeName'));
    const evidence = [row('persistentvolumeclaims', pvc, 'status.phase', phase, phase === 'Bound' ? 'pass' : 'fail')];
    if (phase === 'Bound') return verdict('pass', `Bound: ${ref} on ${volume ?? 'a PV'}`, evidence);
    return verdict('fail', `${phase}, not Bound: ${ref}${volume ? ` (volumeName ${volume})` : ''}`, evidence, { fixes: ['kopia-reclaim'] });
  },
};

const volumeHandle: Check = {
  id: 'kopia.volume-handle',
  panel: 'kopia',
  title: 'Kopia PV holds the handle saved in Git',
  scope: 'status',
  inputs: ['persistentvolumeclaims', 'persistentvolumes'],
  evaluate(snapshot, config) {
    const saved = config.kopia.savedVolumeHandle;
    const { handleUnknown, handleSecretFile, handleSecretKey } = config.kopia;
    // Why unknown, never fail, for an encrypted manifest: its ciphertext is not a handle to compare.
    if (!saved && handleUnknown) {
      return verdict('unknown', handleUnknown, [
        { kind: 'Git', name: handleSecretFile ?? 'saved handle', field: handleSecretKey, value: 'SOPS-encrypted', status: 'unknown' },
      ]);
    }
    if (!saved) return verdict('unknown', 'no saved handle configured (kopia.savedVolumeHandle or kopia.handleSecretFile)', []);
    return withVolume(snapshot, config, (_pvc, pv) => {
      const handle = str(at(pv, 'spec', 'csi', 'volumeHandle'));
      const pvName = str(at(pv, 'metadata', 'name')) ?? '?';
      if (handle === saved) {
        return verdict('pass', `handle matches Git (PV ${pvName})`, [row('persistentvolumes', pv, 'spec.csi.volumeHandle', handle, 'pass')]);
      }
      const evidence = [
        row('persistentvolumes', pv, 'spec.csi.volumeHandle', handle ?? 'none (not a CSI volume)', 'fail'),
        { kind: 'Git', name: 'saved handle', field: 'volumeHandle', value: saved, status: 'pass' as const },
      ];
      if (!handle) return verdict('fail', `no CSI volumeHandle on PV ${pvName}; Git says …${saved.slice(-4)}`, evidence, { fixes: ['kopia-reclaim'] });
      const [got, want] = distinctTails(handle, saved);
      return verdict('fail', `wrong subvolume: handle ${got}, Git says ${want} (PV ${pvName} is new and empty)`, evidence, { fixes: ['kopia-reclaim'] });
    });
  },
};

const reclaimPolicy: Check = {
  id: 'kopia.reclaim-policy',
  panel: 'kopia',
  title: 'Kopia PV reclaim policy Retain',
  scope: 'status',
  inputs: ['persistentvolumeclaims', 'persistentvolumes'],
  evaluate(snapshot, config) {
    return withVolume(snapshot, config, (_pvc, pv) => {
      const policy = str(at(pv, 'spec', 'persistentVolumeReclaimPolicy')) ?? 'unset';
      const ok = policy === 'Retain';
      const evidence = [row('persistentvolumes', pv, 'spec.persistentVolumeReclaimPolicy', policy, ok ? 'pass' : 'fail')];
      const pvName = str(at(pv, 'metadata', 'name')) ?? '?';
      if (ok) return verdict('pass', `Retain (PV ${pvName})`, evidence);
      return verdict('fail', `reclaim policy ${policy}, not Retain: deleting PVC deletes the backups (PV ${pvName})`, evidence, { fixes: ['kopia-reclaim'] });
    });
  },
};

export const NOT_FLUX_HINT = [
  'Seed issue 2: the Kopia repository PVC must not be managed by Flux. Remove kopia-repository-pvc.yaml',
  'from the resources of kubernetes/apps/6-data/kopia/app/kustomization.yaml and of',
  'kubernetes/components/volsync/kustomization.yaml; the PVC is created once by the reclaim step.',
].join('\n');

const notFluxManaged: Check = {
  id: 'kopia.not-flux-managed',
  panel: 'kopia',
  title: 'Kopia PVC not managed by Flux',
  scope: 'spec',
  inputs: ['persistentvolumeclaims'],
  evaluate(snapshot, config) {
    const pvc = kopiaPvc(snapshot, config);
    // In Git, a PVC that nothing applies is the cure itself: the reclaim step creates it once.
    if (!pvc && snapshot.source === 'git') {
      return verdict('pass', `not applied by any Flux Kustomization: ${config.kopia.pvc}`, [
        missingRow('persistentvolumeclaims', config.kopia.pvc, 'applied by', 'no Kustomization', 'pass'),
      ]);
    }
    if (!pvc)
      return verdict('unknown', `PVC ${config.kopia.pvc} missing`, [missingRow('persistentvolumeclaims', config.kopia.pvc)], { fixes: ['kopia-reclaim'] });
    const evidence: Evidence[] = [];
    for (const key of FLUX_LABELS) {
      const value = labelOf(pvc, key);
      if (value !== undefined) evidence.push(row('persistentvolumeclaims', pvc, `metadata.labels[${key}]`, value, 'fail'));
    }
    const managers = arr(at(pvc, 'metadata', 'managedFields')).map((m) => str(at(m, 'manager')));
    for (const manager of new Set(managers)) {
      if (manager && FLUX_MANAGERS.has(manager)) evidence.push(row('persistentvolumeclaims', pvc, 'metadata.managedFields', manager, 'fail'));
    }
    // Every object of the desired state is applied by Flux, owner labels or not.
    if (!evidence.length && snapshot.source === 'git') evidence.push(row('persistentvolumeclaims', pvc, 'applied by', 'a Flux Kustomization', 'fail'));
    if (!evidence.length) {
      return verdict('pass', `not managed by Flux: ${config.kopia.pvc}`, [row('persistentvolumeclaims', pvc, 'managed by', 'not Flux', 'pass')]);
    }
    const owner = labelOf(pvc, 'kustomize.toolkit.fluxcd.io/name');
    const ownerNs = labelOf(pvc, 'kustomize.toolkit.fluxcd.io/namespace');
    const by = owner ? `Kustomization ${ownerNs ? `${ownerNs}/` : ''}${owner}` : evidence.map((e) => e.value).join(', ');
    return verdict('fail', `managed by Flux (${by}): a prune or re-apply replaces ${config.kopia.pvc}`, evidence, {
      fixes: ['kopia-reclaim'],
      gitHint: NOT_FLUX_HINT,
    });
  },
};

/** The Kopia panel's checks, in display order. */
export const KOPIA_CHECKS: readonly Check[] = [pvcBound, volumeHandle, reclaimPolicy, notFluxManaged];
