/**
 * `restores-recreate`: delete one ReplicationDestination so that Flux recreates it from Git, the
 * seed's short-term fix for issue 9 (an RD labelled `ssa: IfNotPresent` is never updated by Flux,
 * so a field added to Git later, like copyMethod, never reaches it). The owning Kustomization is
 * asked to reconcile at once instead of at its next interval.
 */
import type { KubeObject } from '../cluster.js';
import { COPY_METHOD_HINT, moverOf, replicationDestinations, restoreState, SSA_HINT, SSA_LABEL } from '../checks/restores.js';
import type { Snapshot } from '../checks/types.js';
import { at, getObject, labelOf, listObjects, namespaceOf, refOf, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import { REQUESTED_AT } from './flux-requests.js';
import { RD_TEMPLATE } from './set-copy-method.js';
import type { Fix, Plan, PlannedRequest } from './types.js';
import {
  annotateCommand,
  deleteRequest,
  kubectlCommand,
  matchesTarget,
  mergePatch,
  noPlan,
  parseTarget,
  remaining,
  targetOf,
  trySend,
  waitQuietly,
} from './util.js';

const TIMEOUT_MS = 3 * 60_000;

const lacksCopyMethod = (rd: unknown) => str(at(moverOf(rd as KubeObject)?.spec, 'copyMethod')) !== 'Snapshot';
const ifNotPresent = (rd: unknown) => labelOf(rd, SSA_LABEL) === 'IfNotPresent';

/** RDs Flux will not put right by itself: no copyMethod, or labelled IfNotPresent. */
function candidates(snapshot: Snapshot, config: Config): KubeObject[] {
  return replicationDestinations(snapshot, config).filter((rd) => lacksCopyMethod(rd) || ifNotPresent(rd));
}

/** The Kustomization that applied the RD, from the labels kustomize-controller sets. */
function owner(snapshot: Snapshot, rd: KubeObject): KubeObject | undefined {
  const name = labelOf(rd, 'kustomize.toolkit.fluxcd.io/name');
  const namespace = labelOf(rd, 'kustomize.toolkit.fluxcd.io/namespace');
  return name && namespace ? getObject(snapshot, 'kustomizations', namespace, name) : undefined;
}

/** App PVCs that restore from the RD (dataSourceRef), with their phase. */
function dependentPvcs(snapshot: Snapshot, rd: KubeObject): string[] {
  return listObjects(snapshot, 'persistentvolumeclaims')
    .filter((p) => namespaceOf(p) === namespaceOf(rd) && str(at(p, 'spec', 'dataSourceRef', 'kind')) === 'ReplicationDestination')
    .filter((p) => str(at(p, 'spec', 'dataSourceRef', 'name')) === rd.metadata.name)
    .map((p) => `${refOf(p)} (${str(at(p, 'status', 'phase')) ?? 'no phase'})`);
}

export const recreateRestore: Fix = {
  id: 'restores-recreate',
  title: 'Delete an RD so that Flux recreates it from Git',
  dangerous: true,
  panel: 'restores',
  key: 'D',
  label: 'recreate RD',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    return candidates(snapshot, config).map((rd) => targetOf('replicationdestinations', rd));
  },

  plan(snapshot, config, options) {
    let rd: KubeObject | undefined;
    if (options.target) {
      const parsed = parseTarget(options.target);
      rd = replicationDestinations(snapshot, config).find((o) => matchesTarget(parsed, 'replicationdestinations', o));
      if (!rd) return noPlan(`no ReplicationDestination ${options.target}`);
    } else {
      rd = candidates(snapshot, config)[0];
      if (!rd) return noPlan('nothing to do: every RD has copyMethod: Snapshot and none is labelled IfNotPresent');
    }
    const ref = refOf(rd);
    const requests: PlannedRequest[] = [deleteRequest('replicationdestinations', rd, `delete ReplicationDestination ${ref} (Flux recreates it)`)];
    const commands = [kubectlCommand(requests[0])];
    const warnings = [
      `deletes ReplicationDestination ${ref}: Flux recreates it from Git as Git has it, so fix Git first (${RD_TEMPLATE}): a template without copyMethod: Snapshot, or still labelled ssa: IfNotPresent, gives the same RD again`,
    ];
    const ks = owner(snapshot, rd);
    if (ks) {
      const ksNs = namespaceOf(ks) ?? '';
      const annotations = { [REQUESTED_AT]: options.token };
      requests.push(
        mergePatch(
          'kustomizations',
          ksNs,
          ks.metadata.name,
          { metadata: { annotations } },
          `annotate Kustomization ${refOf(ks)} to reconcile (recreates the RD now, not at its next interval)`,
        ),
      );
      commands.push(
        annotateCommand('kustomizations', ksNs, ks.metadata.name, annotations),
        `# or: flux reconcile kustomization ${ks.metadata.name} -n ${ksNs}`,
      );
    } else {
      warnings.push(`no Flux Kustomization found for ${ref} (labels kustomize.toolkit.fluxcd.io/name and namespace): nothing may recreate it`);
    }
    const image = str(at(rd, 'status', 'latestImage', 'name'));
    if (image) warnings.push(`its restored image (VolumeSnapshot ${image}) may be deleted with it: app PVCs not yet populated from it wait for a new restore`);

    const state = restoreState(rd);
    const why = [lacksCopyMethod(rd) && 'no copyMethod: Snapshot', ifNotPresent(rd) && `labelled ${SSA_LABEL}: IfNotPresent`].filter(Boolean).join(', ');
    const pvcs = dependentPvcs(snapshot, rd);
    const details = [
      `will delete ReplicationDestination ${ref}: uid ${rd.metadata.uid ?? '?'}${why ? `; ${why}` : ''}`,
      `  restore: ${state.state} (${state.detail})`,
      `  owner: ${ks ? `Kustomization ${refOf(ks)}` : 'none found'}`,
      `  app PVCs restoring from it: ${pvcs.length ? pvcs.join(', ') : 'none'}`,
    ];
    const hints = [lacksCopyMethod(rd) && COPY_METHOD_HINT, ifNotPresent(rd) && SSA_HINT].filter((h): h is string => Boolean(h));
    const plan: Plan = {
      fixId: 'restores-recreate',
      title: `Recreate ReplicationDestination ${ref} from Git`,
      targets: [targetOf('replicationdestinations', rd), ...(ks ? [targetOf('kustomizations', ks)] : [])],
      requests,
      commands,
      warnings,
      details,
      confirm: { kind: 'type', text: rd.metadata.name },
      gitChange: (hints.length ? hints : [SSA_HINT]).join('\n\n'),
      token: options.token,
    };
    return plan;
  },

  async run(plan, context) {
    const start = context.now();
    const [del, ...rest] = plan.requests;
    const old = getObject(context.snapshot(), 'replicationdestinations', del.namespace, del.name);
    const ref = `${del.namespace}/${del.name}`;
    context.progress(del.summary);
    const failed = await trySend(context, del);
    if (failed) return { ok: false, message: failed };
    const notes: string[] = [];
    for (const request of rest) {
      context.progress(request.summary);
      const error = await trySend(context, request);
      if (error) notes.push(error);
    }
    context.progress(`waiting for Flux to recreate ${ref}`);
    const recreated = await waitQuietly(context, `${ref} recreated`, remaining(context, start, TIMEOUT_MS), (snapshot) => {
      const rd = getObject(snapshot, 'replicationdestinations', del.namespace, del.name);
      return rd && rd.metadata.uid !== old?.metadata.uid ? rd : undefined;
    });
    if (!recreated) {
      const reason = notes.length ? ` (${notes.join('; ')})` : '';
      return {
        ok: false,
        message: `Flux did not recreate ${ref} yet within ${Math.round(TIMEOUT_MS / 60_000)} min${reason}: reconcile its Kustomization, or check that Git still has it`,
        details: notes,
      };
    }
    // Why only a missing copyMethod fails the run: it is what blocks the restore. The IfNotPresent
    // label coming back is expected until Git changes; it is said, not counted as a failure.
    if (lacksCopyMethod(recreated)) {
      return { ok: false, message: `${ref} recreated by Flux but still lacks copyMethod: Snapshot: Git has not changed yet (${RD_TEMPLATE})`, details: notes };
    }
    const label = ifNotPresent(recreated) ? `; still labelled IfNotPresent until Git changes (${RD_TEMPLATE})` : '';
    return { ok: true, message: `${ref} recreated by Flux from Git (new uid ${recreated.metadata.uid ?? '?'})${label}`, details: notes };
  },
};
