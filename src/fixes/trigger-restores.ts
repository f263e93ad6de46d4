/**
 * `restores-trigger`: start the restores, as the seed's dr-3-trigger-restores.sh does (seed issue
 * 5), without its hang: one merge patch of `spec.trigger.manual` per ReplicationDestination with
 * one token for the whole run, skipping restores already running, then each followed to done
 * (lastManualSync equals the token, mover Successful, latestImage set) or failed. An RD whose
 * repository Secret does not exist yet would only fail ("secret ... not found") and is held: it is
 * triggered as soon as the Secret appears while the run follows the others (external-secrets syncs
 * it during a rebuild), or now, with a warning, when the operator names it with a target.
 */
import type { KubeObject } from '../cluster.js';
import { moverOf, replicationDestinations, restoreState } from '../checks/restores.js';
import type { Snapshot } from '../checks/types.js';
import { at, condition, describeCondition, getObject, nameOf, namespaceOf, parseRef, refOf, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import type { Fix, FixOutcome, Plan, PlannedRequest } from './types.js';
import { count, errorText, kubectlCommand, matchesTarget, mergePatch, noPlan, parseTarget, remaining, targetOf, waitQuietly } from './util.js';

const TIMEOUT_MS = 20 * 60_000;

/** The trigger value a run writes: the seed's `restore-<timestamp>`, one per run. */
export function triggerValue(token: string): string {
  return token.startsWith('restore-') ? token : `restore-${token}`;
}

/** An RD that would be triggered, but whose repository Secret does not exist yet. */
interface HeldRd {
  rd: KubeObject;
  secret: string;
  reason: string;
}

interface Sorted {
  trigger: KubeObject[];
  /** Would fail at once on the missing Secret: triggered once it exists (all of them, unless one is targeted). */
  held: HeldRd[];
  running: KubeObject[];
  /** Would fail at once: copyMethod is not Snapshot. */
  noCopyMethod: KubeObject[];
  done: KubeObject[];
  /** Secrets cannot be read (forbidden, not listed yet): whether a repository Secret exists is unknown. */
  secretsUnknown?: string;
}

/** The RD's repository Secret (`spec.kopia.repository`), when the RD names one. */
function repositorySecret(rd: KubeObject): string | undefined {
  return str(at(moverOf(rd)?.spec, 'repository'));
}

/** Whether the Secrets drdeck sees can be trusted to say one is missing: listed, even if stale. */
function secretsReadable(snapshot: Snapshot): boolean {
  const sync = snapshot.sync?.secrets;
  return sync?.phase === 'synced' || (sync?.phase === 'retrying' && sync.since !== undefined);
}

/** Why the RD must wait for its repository Secret, or undefined when it need not (or cannot be told). */
export function missingSecret(snapshot: Snapshot, rd: KubeObject): { secret: string; reason: string } | undefined {
  const secret = repositorySecret(rd);
  if (!secret || !secretsReadable(snapshot) || getObject(snapshot, 'secrets', namespaceOf(rd), secret)) return undefined;
  return { secret, reason: `Secret ${secret} not found (ExternalSecret not synced yet?)` };
}

function sort(snapshot: Snapshot, config: Config, target?: string): Sorted {
  const parsed = target ? parseTarget(target) : undefined;
  const sorted: Sorted = { trigger: [], held: [], running: [], noCopyMethod: [], done: [] };
  for (const rd of replicationDestinations(snapshot, config)) {
    if (parsed && !matchesTarget(parsed, 'replicationdestinations', rd)) continue;
    const { state } = restoreState(rd);
    const missing = missingSecret(snapshot, rd);
    if (state === 'running') sorted.running.push(rd);
    else if (str(at(moverOf(rd)?.spec, 'copyMethod')) !== 'Snapshot') sorted.noCopyMethod.push(rd);
    else if (state === 'done' && !parsed) sorted.done.push(rd);
    // Why not with a target: the operator named this RD, so it is sent now, with a warning.
    else if (missing && !parsed) sorted.held.push({ rd, ...missing });
    else sorted.trigger.push(rd);
  }
  if (!secretsReadable(snapshot)) {
    const sync = snapshot.sync?.secrets;
    sorted.secretsUnknown = `Secrets ${sync?.phase ?? 'not listed'}${sync?.detail ? `: ${sync.detail}` : ''}`;
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
    const { trigger, held, running, noCopyMethod, done } = sorted;
    const skipped = [
      running.length && `${count(running.length, 'restore')} running`,
      noCopyMethod.length && `${count(noCopyMethod.length, 'RD')} without copyMethod: Snapshot`,
      done.length && `${done.length} already restored`,
    ].filter(Boolean);
    const heldLines = held.map((h) => `held: ${refOf(h.rd)} — ${h.reason}`);
    if (!trigger.length) {
      if (options.target && running.length + noCopyMethod.length + done.length === 0) return noPlan(`no ReplicationDestination ${options.target}`);
      if (held.length) {
        // Nothing to send now: a run that only waits would hold the fix for nothing the operator can see.
        const why = [...heldLines, ...skipped].join('; ');
        return noPlan(`nothing to send: every restore left to trigger is held: ${why}; trigger one anyway with --target NAMESPACE/NAME`);
      }
      return noPlan(`no restore to trigger${skipped.length ? `: ${skipped.join(', ')}` : ''}`);
    }
    const value = triggerValue(options.token);
    const patchOf = (rd: KubeObject, summary: string) =>
      mergePatch('replicationdestinations', namespaceOf(rd), rd.metadata.name, { spec: { trigger: { manual: value } } }, summary);
    // The held ones last: they go out only once their Secret exists, while the run follows the others.
    const requests: PlannedRequest[] = [
      ...trigger.map((rd) => patchOf(rd, `trigger the restore of ${refOf(rd)}`)),
      ...held.map((h) => patchOf(h.rd, `trigger the restore of ${refOf(h.rd)} once Secret ${h.secret} exists (held)`)),
    ];
    const warnings: string[] = [];
    if (heldLines.length) {
      warnings.push(...heldLines);
      warnings.push(
        `${held.length === 1 ? 'it is' : 'they are'} triggered as soon as ${held.length === 1 ? 'its Secret appears' : "each one's Secret appears"} while this run follows the restores; --target NAMESPACE/NAME triggers one now`,
      );
    }
    if (running.length)
      warnings.push(`skipping ${count(running.length, 'restore')} already running (a new token would only queue another sync): ${list(running)}`);
    if (noCopyMethod.length) {
      warnings.push(`skipping ${count(noCopyMethod.length, 'RD')} without copyMethod: Snapshot (they fail at once; set it first): ${list(noCopyMethod)}`);
    }
    // Only a targeted RD is triggered without its Secret: the operator asked for it by name.
    for (const rd of trigger) {
      const missing = missingSecret(snapshot, rd);
      if (missing) warnings.push(`${refOf(rd)}: ${missing.reason}: triggered anyway, as asked; its restore fails at once unless the Secret appears first`);
    }
    if (sorted.secretsUnknown)
      warnings.push(`cannot tell whether the repository Secrets exist (${sorted.secretsUnknown}): an RD whose Secret is missing fails at once`);
    const kopia = kopiaProblem(snapshot, config);
    if (kopia) warnings.push(`${kopia}: the restores find no snapshots until the repository is reclaimed (seed issue 2; kopia-reclaim first)`);
    const details = trigger.map((rd) => {
      const { state, detail } = restoreState(rd);
      return `${refOf(rd)}: ${state} (${detail})`;
    });
    details.push(...held.map((h) => `${refOf(h.rd)}: held until Secret ${h.secret} exists`));
    if (done.length) details.push(`left alone, already restored: ${list(done)}`);
    const plan: Plan = {
      fixId: 'restores-trigger',
      title: `Trigger ${count(trigger.length, 'restore')} (${value})${held.length ? `; ${held.length} held until ${held.length === 1 ? 'its Secret exists' : 'their Secrets exist'}` : ''}`,
      targets: [...trigger, ...held.map((h) => h.rd)].map((rd) => targetOf('replicationdestinations', rd)),
      requests,
      commands: requests.map(kubectlCommand),
      warnings,
      details,
      confirm: { kind: 'yes' },
      token: value,
      ...(held.length ? { held: held.map((h) => ({ namespace: namespaceOf(h.rd), name: nameOf(h.rd), reason: h.reason })) } : {}),
    };
    return plan;
  },

  async run(plan, context) {
    const token = plan.token ?? '';
    const before = new Map<string, string>();
    const sendErrors: string[] = [];
    const sent: PlannedRequest[] = [];
    const heldKeys = new Set((plan.held ?? []).map(key));
    /** Held requests not sent yet; each goes out once its RD's Secret exists. */
    let waiting = plan.requests.filter((r) => heldKeys.has(key(r)));
    const late: string[] = [];
    const send = async (request: PlannedRequest) => {
      const rd = getObject(context.snapshot(), 'replicationdestinations', request.namespace, request.name);
      before.set(key(request), fingerprint(rd));
      context.progress(request.summary);
      try {
        await context.send(request);
        sent.push(request);
        return true;
      } catch (error) {
        sendErrors.push(`${request.namespace}/${request.name}: not triggered: ${errorText(error)}`);
        return false;
      }
    };
    for (const request of plan.requests) if (!heldKeys.has(key(request))) await send(request);

    let last = '';
    const read = (snapshot: Snapshot) =>
      sent.map((r) => follow(getObject(snapshot, 'replicationdestinations', r.namespace, r.name), token, before.get(key(r)) ?? ''));
    /** The held requests whose Secret is there now: seen, not merely unknown (Secrets unreadable). */
    const released = (snapshot: Snapshot) =>
      waiting.filter((r) => {
        const rd = getObject(snapshot, 'replicationdestinations', r.namespace, r.name);
        const secret = rd && repositorySecret(rd);
        return secret !== undefined && getObject(snapshot, 'secrets', r.namespace, secret) !== undefined;
      });
    const start = context.now();
    let states: Followed[] | undefined;
    // Why a loop: a held RD's Secret may appear while the others restore; the wait ends to send it,
    // then follows all of them again. It ends when everything sent has settled.
    for (;;) {
      const next = await waitQuietly(context, `${count(sent.length, 'restore')} finished`, remaining(context, start, TIMEOUT_MS), (snapshot) => {
        const ready = released(snapshot);
        if (ready.length) return { ready };
        const now = read(snapshot);
        const line = progressLine(now, waiting.length);
        if (line !== last) context.progress((last = line));
        return now.every((s) => s.state !== 'pending') ? { settled: now } : undefined;
      });
      if (!next) break;
      if ('settled' in next) {
        states = next.settled;
        break;
      }
      for (const request of next.ready) {
        waiting = waiting.filter((r) => r !== request);
        if (await send(request)) late.push(key(request));
      }
    }
    const snapshot = context.snapshot();
    const stillHeld = waiting.map((r) => {
      const rd = getObject(snapshot, 'replicationdestinations', r.namespace, r.name);
      const why = !rd ? 'the RD is gone' : (missingSecret(snapshot, rd)?.reason ?? (plan.held ?? []).find((h) => key(h) === key(r))?.reason ?? 'held');
      return { ref: key(r), app: appOf(r), why };
    });
    return summarise(sent, states ?? read(snapshot), sendErrors, new Set(late), stillHeld);
  },
};

const key = (r: { namespace?: string; name: string }) => `${r.namespace}/${r.name}`;

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

function progressLine(states: readonly Followed[], held: number): string {
  const n = (s: Followed['state']) => states.filter((x) => x.state === s).length;
  const running = states.filter((s) => s.detail === 'running').length;
  return `${n('done')}/${states.length} restored, ${n('failed')} failed, ${running} running${held ? `, ${held} held` : ''}`;
}

const appOf = (r: PlannedRequest) => r.name.replace(/-dst$/, '');

function summarise(
  sent: readonly PlannedRequest[],
  states: readonly Followed[],
  sendErrors: string[],
  late: ReadonlySet<string>,
  stillHeld: ReadonlyArray<{ ref: string; app: string; why: string }>,
): FixOutcome {
  const pairs = sent.map((r, i) => ({ ref: key(r), app: appOf(r), late: late.has(key(r)), ...states[i] }));
  const done = pairs.filter((p) => p.state === 'done');
  const failed = pairs.filter((p) => p.state === 'failed');
  const pending = pairs.filter((p) => p.state === 'pending');
  const parts = [`${done.length} restored`];
  if (failed.length) parts.push(`${failed.length} failed: ${failed.map((p) => `${p.app}: ${p.detail}`).join('; ')}`);
  if (pending.length) parts.push(`${pending.length} not finished: ${pending.map((p) => `${p.app} (${p.detail})`).join(', ')}`);
  if (sendErrors.length) parts.push(`${sendErrors.length} not triggered`);
  const lateOnes = pairs.filter((p) => p.late);
  if (lateOnes.length) parts.push(`triggered late, once their Secret appeared: ${lateOnes.map((p) => p.app).join(', ')}`);
  if (stillHeld.length) parts.push(`${stillHeld.length} still held, never triggered: ${stillHeld.map((h) => `${h.app} (${h.why})`).join('; ')}`);
  return {
    ok: failed.length === 0 && pending.length === 0 && sendErrors.length === 0 && stillHeld.length === 0,
    message: parts.join(', '),
    details: [
      ...pairs.map((p) => `${p.ref}: ${p.state}${p.late ? ' (triggered late)' : ''}: ${p.detail}`),
      ...stillHeld.map((h) => `${h.ref}: held, never triggered: ${h.why}`),
      ...sendErrors,
    ],
  };
}
