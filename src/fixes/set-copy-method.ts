/**
 * `restores-set-copy-method`: add `copyMethod: Snapshot` to ReplicationDestinations that lack it
 * (seed issue 3), live, with the template change for Git: without it Flux may revert the field, and
 * every RD recreated from Git lacks it again.
 */
import type { KubeObject } from '../cluster.js';
import { COPY_METHOD_HINT, moverOf, replicationDestinations } from '../checks/restores.js';
import type { Snapshot } from '../checks/types.js';
import { at, condition, describeCondition, getObject, namespaceOf, refOf, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import type { Fix, Plan } from './types.js';
import { count, kubectlCommand, matchesTarget, mergePatch, noPlan, parseTarget, remaining, sendEach, targetOf, waitQuietly } from './util.js';

const TIMEOUT_MS = 60_000;

/** The template file the seed names, in the Git repository the cluster is built from. */
export const RD_TEMPLATE = 'kubernetes/components/volsync/replicationdestination.yaml';

function lacking(snapshot: Snapshot, config: Config): KubeObject[] {
  return replicationDestinations(snapshot, config).filter((rd) => str(at(moverOf(rd)?.spec, 'copyMethod')) !== 'Snapshot');
}

export const setCopyMethod: Fix = {
  id: 'restores-set-copy-method',
  title: 'Set copyMethod: Snapshot on the RDs',
  dangerous: false,
  panel: 'restores',
  key: 'm',
  label: 'copyMethod',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    return lacking(snapshot, config).map((rd) => targetOf('replicationdestinations', rd));
  },

  plan(snapshot, config, options) {
    let rds = lacking(snapshot, config);
    if (options.target) {
      const parsed = parseTarget(options.target);
      const all = replicationDestinations(snapshot, config).filter((rd) => matchesTarget(parsed, 'replicationdestinations', rd));
      if (!all.length) return noPlan(`no ReplicationDestination ${options.target}`);
      rds = rds.filter((rd) => all.includes(rd));
      if (!rds.length) return noPlan(`nothing to do: ${refOf(all[0])} already has copyMethod: Snapshot`);
    }
    if (!rds.length) return noPlan('nothing to do: every ReplicationDestination has copyMethod: Snapshot');
    const requests = rds.map((rd) => {
      const mover = moverOf(rd)?.mover ?? 'kopia';
      return mergePatch(
        'replicationdestinations',
        namespaceOf(rd),
        rd.metadata.name,
        { spec: { [mover]: { copyMethod: 'Snapshot' } } },
        `set spec.${mover}.copyMethod: Snapshot on ${refOf(rd)}`,
      );
    });
    const plan: Plan = {
      fixId: 'restores-set-copy-method',
      title: `Set copyMethod: Snapshot on ${count(rds.length, 'ReplicationDestination')}`,
      targets: rds.map((rd) => targetOf('replicationdestinations', rd)),
      requests,
      commands: requests.map(kubectlCommand),
      warnings: [
        `Git must change too (${RD_TEMPLATE}): until the template has copyMethod: Snapshot, Flux may revert this and every RD recreated from Git lacks it again`,
      ],
      details: rds.map(
        (rd) =>
          `${refOf(rd)}: copyMethod ${str(at(moverOf(rd)?.spec, 'copyMethod')) ?? 'unset'}; Synchronizing ${describeCondition(condition(rd, 'Synchronizing'))}`,
      ),
      confirm: { kind: 'yes' },
      gitChange: COPY_METHOD_HINT,
    };
    return plan;
  },

  async run(plan, context) {
    const start = context.now();
    const { sent, errors } = await sendEach(plan.requests, context);
    const read = (snapshot: Snapshot) => sent.map((r) => getObject(snapshot, r.kind, r.namespace, r.name));
    const has = (rd: KubeObject | undefined) => str(at(moverOf(rd ?? { metadata: { name: '' } })?.spec, 'copyMethod')) === 'Snapshot';
    const seen = await waitQuietly(context, 'copyMethod set', remaining(context, start, TIMEOUT_MS), (snapshot) => {
      const rds = read(snapshot);
      return rds.every(has) ? rds : undefined;
    });
    const rds = seen ?? read(context.snapshot());
    const set = rds.filter(has).length;
    const details = rds.map((rd, i) => `${sent[i].namespace}/${sent[i].name}: copyMethod ${has(rd) ? 'Snapshot' : 'not set'}`);
    const parts = [`copyMethod: Snapshot on ${set}/${plan.requests.length} RDs`];
    if (errors.length) parts.push(`${errors.length} failed: ${errors.join('; ')}`);
    if (set < sent.length) parts.push(`${sent.length - set} not seen yet`);
    if (set > 0) parts.push('next: trigger their restores; change Git too');
    return { ok: errors.length === 0 && set === sent.length, message: parts.join('; '), details: [...details, ...errors] };
  },
};
