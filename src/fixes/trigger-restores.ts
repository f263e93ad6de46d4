/**
 * `restores-trigger`: start the restores, as the seed's dr-3-trigger-restores.sh does (seed issue
 * 5), without its hang: one merge patch of `spec.trigger.manual` per ReplicationDestination with
 * one token for the whole run, skipping restores already running, then each followed to done
 * (lastManualSync equals the token, mover Successful, latestImage set) or failed.
 */
import type { KubeObject } from '../cluster.js';
import { moverOf, replicationDestinations, restoreState } from '../checks/restores.js';
import type { Snapshot } from '../checks/types.js';
import { at, condition, describeCondition, getObject, namespaceOf, parseRef, refOf, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import type { Fix, FixOutcome, Plan, PlannedRequest } from './types.js';
import { count, errorText, kubectlCommand, matchesTarget, mergePatch, noPlan, parseTarget, targetOf, waitQuietly } from './util.js';

const TIMEOUT_MS = 20 * 60_000;

/** The trigger value a run writes: the seed's `restore-<timestamp>`, one per run. */
export function triggerValue(token: string): string {
  return token.startsWith('restore-') ? token : `restore-${token}`;
}

interface Sorted {
  trigger: KubeObject[];
  running: KubeObject[];
  /** Would fail at once: copyMethod is not Snapshot. */
  noCopyMethod: KubeObject[];
  done: KubeObject[];
}

function sort(snapshot: Snapshot, config: Config, target?: string): Sorted {
  const parsed = target ? parseTarget(target) : undefined;
  const sorted: Sorted = { trigger: [], running: [], noCopyMethod: [], done: [] };
  for (const rd of replicationDestinations(snapshot, config)) {
    if (parsed && !matchesTarget(parsed, 'replicationdestinations', rd)) continue;
    const { state } = restoreState(rd);
    if (state === 'running') sorted.running.push(rd);
    else if (str(at(moverOf(rd)?.spec, 'copyMethod')) !== 'Snapshot') sorted.noCopyMethod.push(rd);
    else if (state === 'done' && !parsed) sorted.done.push(rd);
    else sorted.trigger.push(rd);
  }
  return sorted;
}

/** Why the Kopia repository PVC is not on the subvolume saved in Git, if it is not (and a handle is configured). */
function kopiaProblem(snapshot: Snapshot, config: Config): string | undefined {
  const saved = config.kopia.savedVolumeHandle;
  if (!saved) return undefined;
  const { namespace, name } = parseRef(config.kopia.pvc);
  const pvc = getObject(snapshot, 'persistentvolumeclaims', namespace, name);
  if (!pvc) return `the Kopia repository PVC ${config.kopia.pvc} is missing`;
  const volume = str(at(pvc, 'spec', 'volumeName'));
  const pv = volume ? getObject(snapshot, 'persistentvolumes', undefined, volume) : undefined;
  if (str(at(pv, 'spec', 'csi', 'volumeHandle')) === saved && str(at(pvc, 'status', 'phase')) === 'Bound') return undefined;
  return `the Kopia repository PVC ${config.kopia.pvc} is not bound to the subvolume saved in Git`;
}

function list(rds: readonly KubeObject[], max = 4): string {
  const names = rds.map(refOf);
  return names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', ');
}

export const triggerRestores: Fix = {
  id: 'restores-trigger',
  title: 'Trigger the restores',
  dangerous: false,
  panel: 'restores',
  key: 'T',
  label: 'trigger restores',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    return sort(snapshot, config).trigger.map((rd) => targetOf('replicationdestinations', rd));
  },

  plan(snapshot, config, options) {
    const sorted = sort(snapshot, config, options.target);
    const { trigger, running, noCopyMethod, done } = sorted;
    const skipped = [
      running.length && `${count(running.length, 'restore')} running`,
      noCopyMethod.length && `${count(noCopyMethod.length, 'RD')} without copyMethod: Snapshot`,
      done.length && `${done.length} already restored`,
    ].filter(Boolean);
    if (!trigger.length) {
      if (options.target && trigger.length + running.length + noCopyMethod.length + done.length === 0)
        return noPlan(`no ReplicationDestination ${options.target}`);
      return noPlan(`no restore to trigger${skipped.length ? `: ${skipped.join(', ')}` : ''}`);
    }
    const value = triggerValue(options.token);
    const requests: PlannedRequest[] = trigger.map((rd) =>
      mergePatch('replicationdestinations', namespaceOf(rd), rd.metadata.name, { spec: { trigger: { manual: value } } }, `trigger the restore of ${refOf(rd)}`),
    );
    const warnings: string[] = [];
    if (running.length)
      warnings.push(`skipping ${count(running.length, 'restore')} already running (a new token would only queue another sync): ${list(running)}`);
    if (noCopyMethod.length) {
      warnings.push(`skipping ${count(noCopyMethod.length, 'RD')} without copyMethod: Snapshot (they fail at once; set it first): ${list(noCopyMethod)}`);
    }
    const missingSecrets = trigger.filter((rd) => {
      const secret = str(at(moverOf(rd)?.spec, 'repository'));
      return secret && !getObject(snapshot, 'secrets', namespaceOf(rd), secret);
    });
    if (missingSecrets.length) {
      const have = missingSecrets.length === 1 ? 'has' : 'have';
      warnings.push(
        `${count(missingSecrets.length, 'RD')} ${have} no repository Secret yet and will fail until external-secrets syncs it: ${list(missingSecrets)}`,
      );
    }
    const kopia = kopiaProblem(snapshot, config);
    if (kopia) warnings.push(`${kopia}: the restores find no snapshots until the repository is reclaimed (seed issue 2; kopia-reclaim first)`);
    const details = trigger.map((rd) => {
      const { state, detail } = restoreState(rd);
      return `${refOf(rd)}: ${state} (${detail})`;
    });
    if (done.length) details.push(`left alone, already restored: ${list(done)}`);
    const plan: Plan = {
      fixId: 'restores-trigger',
      title: `Trigger ${count(trigger.length, 'restore')} (${value})`,
      targets: trigger.map((rd) => targetOf('replicationdestinations', rd)),
      requests,
      commands: requests.map(kubectlCommand),
      warnings,
      details,
      confirm: { kind: 'yes' },
      token: value,
    };
    return plan;
  },

  async run(plan, context) {
    const token = plan.token ?? '';
    const before = new Map<string, string>();
    const sendErrors: string[] = [];
    const sent: PlannedRequest[] = [];
    for (const request of plan.requests) {
      const rd = getObject(context.snapshot(), 'replicationdestinations', request.namespace, request.name);
      before.set(key(request), fingerprint(rd));
      context.progress(request.summary);
      try {
        await context.send(request);
        sent.push(request);
      } catch (error) {
        sendErrors.push(`${request.namespace}/${request.name}: not triggered: ${errorText(error)}`);
      }
    }
    let last = '';
    const read = (snapshot: Snapshot) =>
      sent.map((r) => follow(getObject(snapshot, 'replicationdestinations', r.namespace, r.name), token, before.get(key(r)) ?? ''));
    const settled = await waitQuietly(context, `${count(sent.length, 'restore')} finished`, TIMEOUT_MS, (snapshot) => {
      const states = read(snapshot);
      const line = progressLine(states);
      if (line !== last) context.progress((last = line));
      return states.every((s) => s.state !== 'pending') ? states : undefined;
    });
    return summarise(sent, settled ?? read(context.snapshot()), sendErrors);
  },
};

const key = (r: PlannedRequest) => `${r.namespace}/${r.name}`;

/** What tells a new failure from an old one: the mover result and the Synchronizing condition. */
function fingerprint(rd: KubeObject | undefined): string {
  return JSON.stringify([at(rd, 'status', 'latestMoverStatus'), condition(rd, 'Synchronizing')]);
}

type Followed = { state: 'done' | 'failed' | 'pending'; detail: string };

/**
 * Done: the operator handled this token (lastManualSync), the mover succeeded and left an image.
 * Failed: a mover result or an Error condition that was not there before the trigger.
 */
export function follow(rd: KubeObject | undefined, token: string, before: string): Followed {
  if (!rd) return { state: 'failed', detail: 'the RD is gone' };
  const result = str(at(rd, 'status', 'latestMoverStatus', 'result'));
  const image = at(rd, 'status', 'latestImage');
  const sync = condition(rd, 'Synchronizing');
  if (str(at(rd, 'status', 'lastManualSync')) === token && result === 'Successful' && image && typeof image === 'object') {
    return { state: 'done', detail: `restored to ${str(at(image, 'name')) ?? 'a snapshot'}` };
  }
  const changed = fingerprint(rd) !== before;
  if (changed && sync?.status !== 'True' && (result === 'Failed' || (sync?.status === 'False' && sync.reason === 'Error'))) {
    const logs = str(at(rd, 'status', 'latestMoverStatus', 'logs'))
      ?.trim()
      .split('\n')
      .pop();
    return { state: 'failed', detail: (sync?.reason === 'Error' && sync.message) || logs || `mover result ${result}` };
  }
  return { state: 'pending', detail: sync?.status === 'True' ? 'running' : `not started (${describeCondition(sync)})` };
}

function progressLine(states: readonly Followed[]): string {
  const n = (s: Followed['state']) => states.filter((x) => x.state === s).length;
  const running = states.filter((s) => s.detail === 'running').length;
  return `${n('done')}/${states.length} restored, ${n('failed')} failed, ${running} running`;
}

function summarise(sent: readonly PlannedRequest[], states: readonly Followed[], sendErrors: string[]): FixOutcome {
  const pairs = sent.map((r, i) => ({ ref: key(r), app: r.name.replace(/-dst$/, ''), ...states[i] }));
  const done = pairs.filter((p) => p.state === 'done');
  const failed = pairs.filter((p) => p.state === 'failed');
  const pending = pairs.filter((p) => p.state === 'pending');
  const parts = [`${done.length} restored`];
  if (failed.length) parts.push(`${failed.length} failed: ${failed.map((p) => `${p.app}: ${p.detail}`).join('; ')}`);
  if (pending.length) parts.push(`${pending.length} not finished: ${pending.map((p) => `${p.app} (${p.detail})`).join(', ')}`);
  if (sendErrors.length) parts.push(`${sendErrors.length} not triggered`);
  return {
    ok: failed.length === 0 && pending.length === 0 && sendErrors.length === 0,
    message: parts.join(', '),
    details: [...pairs.map((p) => `${p.ref}: ${p.state}: ${p.detail}`), ...sendErrors],
  };
}
