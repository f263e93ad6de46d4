/**
 * A generated GitOps repository for the preflight benchmark: a `clusters/bench` entry, APPS apps in
 * the `ks.yaml` + `app/` layout (HelmRelease with app-template LoadBalancer values, a PVC, a
 * ConfigMap), each using the shared VolSync component with post-build substitutions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes the repository under ROOT; returns how many files it holds. */
export function generatePreflightRepo(root: string, apps = 399): number {
  let files = 0;
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
    files++;
  };
  const ks = (name: string, path: string, extra = '') =>
    `---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ${path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
  write('clusters/bench/flux-system/gotk-sync.yaml', ks('flux-system', './clusters/bench'));
  write('clusters/bench/apps.yaml', ks('cluster-apps', './kubernetes/apps'));
  write(
    'kubernetes/components/volsync/kustomization.yaml',
    'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./replicationdestination.yaml\n',
  );
  write(
    'kubernetes/components/volsync/replicationdestination.yaml',
    'apiVersion: volsync.backube/v1alpha1\nkind: ReplicationDestination\nmetadata:\n  name: ${APP}-dst\nspec:\n  trigger:\n    manual: restore-once\n  kopia:\n    repository: ${APP}-volsync-secret\n    copyMethod: ${VOLSYNC_COPYMETHOD:=Snapshot}\n    capacity: ${VOLSYNC_CAPACITY:=5Gi}\n',
  );
  const entries: string[] = [];
  for (let i = 0; i < apps; i++) {
    const app = `app-${i}`;
    const dir = `kubernetes/apps/ns-${i % 20}/${app}`;
    entries.push(`  - ./ns-${i % 20}/${app}/ks.yaml`);
    write(
      `${dir}/ks.yaml`,
      ks(
        app,
        `./${dir}/app`,
        `  targetNamespace: ns-${i % 20}\n  components:\n    - ../../../../components/volsync\n  postBuild:\n    substitute:\n      APP: ${app}\n`,
      ),
    );
    write(
      `${dir}/app/kustomization.yaml`,
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\n  - ./pvc.yaml\n  - ./config.yaml\n',
    );
    write(
      `${dir}/app/helmrelease.yaml`,
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${app}\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: app-template\n      sourceRef:\n        kind: HelmRepository\n        name: bjw-s\n        namespace: flux-system\n  values:\n    service:\n      app:\n        type: LoadBalancer\n        annotations:\n          lbipam.cilium.io/ips: 10.0.${i % 250}.${i % 200},fd00::${i}\n        ipFamilyPolicy: RequireDualStack\n        ports:\n          http:\n            port: 80\n`,
    );
    write(
      `${dir}/app/pvc.yaml`,
      `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${app}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: \${VOLSYNC_CAPACITY:=5Gi}\n`,
    );
  }
  // Half the ConfigMaps are written; the rest of the 2,000 files are config.yaml of the apps.
  for (let i = 0; i < apps; i++)
    write(
      `kubernetes/apps/ns-${i % 20}/app-${i}/app/config.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${i}-config\ndata:\n  TZ: Europe/Paris\n`,
    );
  write('kubernetes/apps/kustomization.yaml', `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${entries.join('\n')}\n`);
  return files;
}
