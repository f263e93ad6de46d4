import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkById } from '../../src/checks/index.js';
import { PHASES, PHASE_IDS, describePhases, phaseHolds, timelineConfigSchema, timelineSpec, type PhaseId } from '../../src/timeline/phases.js';
import {
  FIRST_LOOK_MS,
  advance,
  createTimeline,
  currentPhase,
  eta,
  nextStep,
  phaseProgress,
  resume,
  totalMs,
  versus,
  type TimelineState,
} from '../../src/timeline/timeline.js';
import { MIN, T0, allHolding, at, holding, nothing, result, type HoldKey, type Results } from './helpers.js';

const phase = (id: PhaseId) => PHASES.find((p) => p.id === id)!;
const progressOf = (state: TimelineState, now: number, id: PhaseId) => phaseProgress(state, now).find((p) => p.id === id)!;

/** A timeline started 10 s before t0 (watching from the start), advanced through `steps` in order. */
function play(steps: Array<[minutes: number, results: Results]>, start = createTimeline('prod', T0 - 10_000, T0)): TimelineState {
  return steps.reduce((s, [minutes, results]) => advance(s, results, at(minutes)), start);
}

/** The seed's runbook played at given minutes: each step adds one more phase. */
function inOrder(minutes: number[]): Array<[number, Results]> {
  const keys: HoldKey[] = [];
  return minutes.map((m, i) => {
    keys.push(PHASE_IDS[i] as HoldKey);
    return [m, holding(...keys)];
  });
}

test('every check a phase names exists', () => {
  for (const p of PHASES) {
    for (const id of [...p.conditions.map((c) => c.check), ...p.blockers]) assert.ok(checkById(id), `${p.id}: ${id}`);
  }
  assert.deepEqual(
    PHASES.map((p) => p.id),
    [...PHASE_IDS],
  );
});

test('the seed table: phases sum to 30-46 minutes', () => {
  const min = PHASES.reduce((s, p) => s + p.expected.minMs, 0);
  const max = PHASES.reduce((s, p) => s + p.expected.maxMs, 0);
  assert.equal(min, 30 * MIN);
  assert.equal(max, 46 * MIN);
  assert.deepEqual(phase('infrastructure-ready').expected, { minMs: 15 * MIN, maxMs: 20 * MIN });
  assert.deepEqual(phase('restores-complete').expected, { minMs: 10 * MIN, maxMs: 15 * MIN });
});

test('phaseHolds: a definite no wins; pending, missing and unreadable results decide nothing', () => {
  const cases: Array<{ name: string; phase: PhaseId; results: Results; want: string }> = [
    { name: 'all pass', phase: 'gateways-programmed', results: holding('gateways-programmed'), want: 'holds' },
    {
      name: 'one fails',
      phase: 'gateways-programmed',
      results: { ...holding('gateways-programmed'), 'gateways.operator': result('gateways.operator', 'fail') },
      want: 'fails',
    },
    {
      name: 'warn is not done',
      phase: 'infrastructure-ready',
      results: { ...holding('infrastructure-ready'), 'flux.essential': result('flux.essential', 'warn') },
      want: 'fails',
    },
    {
      name: 'pending',
      phase: 'gateways-programmed',
      results: { ...holding('gateways-programmed'), 'gateways.operator': result('gateways.operator', 'pending') },
      want: 'undetermined',
    },
    { name: 'missing result', phase: 'gateways-programmed', results: { 'gateways.programmed': result('gateways.programmed', 'pass') }, want: 'undetermined' },
    { name: 'fail beats missing', phase: 'gateways-programmed', results: { 'gateways.programmed': result('gateways.programmed', 'fail') }, want: 'fails' },
    {
      name: 'unknown (forbidden) is undetermined',
      phase: 'gateways-programmed',
      results: { ...holding('gateways-programmed'), 'gateways.programmed': result('gateways.programmed', 'unknown') },
      want: 'undetermined',
    },
    {
      name: 'no saved handle configured does not hold Kopia',
      phase: 'kopia-reclaimed',
      results: { ...holding('kopia-reclaimed'), 'kopia.volume-handle': result('kopia.volume-handle', 'unknown') },
      want: 'holds',
    },
    {
      name: 'no DNS resolver configured does not hold verification',
      phase: 'restores-verified',
      results: { ...holding('restores-verified'), 'dns.records': result('dns.records', 'unknown') },
      want: 'holds',
    },
    {
      name: 'Flux deployed: objects exist, none Ready',
      phase: 'flux-deployed',
      results: { 'flux.ready': result('flux.ready', 'fail', ['Ready']) },
      want: 'holds',
    },
    { name: 'Flux deployed: no Flux objects yet', phase: 'flux-deployed', results: { 'flux.ready': result('flux.ready', 'warn') }, want: 'fails' },
    { name: 'triggered: running and done', phase: 'restores-triggered', results: holding('restores-triggered'), want: 'holds' },
    {
      name: 'triggered: one failed is still triggered',
      phase: 'restores-triggered',
      results: { 'restores.progress': result('restores.progress', 'fail', ['done', 'failed']) },
      want: 'holds',
    },
    {
      name: 'triggered: one not triggered',
      phase: 'restores-triggered',
      results: { 'restores.progress': result('restores.progress', 'warn', ['triggered', 'not triggered']) },
      want: 'fails',
    },
    { name: 'triggered: no RDs yet', phase: 'restores-triggered', results: { 'restores.progress': result('restores.progress', 'warn') }, want: 'fails' },
  ];
  for (const c of cases) assert.equal(phaseHolds(phase(c.phase), c.results), c.want, c.name);
});

test('in order: each phase recorded when it first holds, actual = end minus previous end', () => {
  const state = play(inOrder([0, 18, 18.5, 19.5, 20, 21, 33, 34, 37]));
  assert.equal(state.phases['flux-deployed']?.completedAt, T0, 'Flux deployed is t0');
  assert.equal(state.phases['restores-complete']?.completedAt, at(33));
  assert.equal(state.finishedAt, at(37));
  assert.equal(currentPhase(state), undefined);
  const actual = phaseProgress(state, at(50)).map((p) => [p.id, p.actualMs! / MIN, p.status, p.late]);
  assert.deepEqual(actual, [
    ['flux-deployed', 0, 'done', false],
    ['infrastructure-ready', 18, 'done', false],
    ['readiness-checked', 0.5, 'done', false],
    ['kopia-reclaimed', 1, 'done', false],
    ['gateways-programmed', 0.5, 'done', false],
    ['restores-triggered', 1, 'done', false],
    ['restores-complete', 12, 'done', false],
    ['restores-verified', 1, 'done', false],
    ['apps-running', 3, 'done', false],
  ]);
  assert.equal(totalMs(state, at(50)), 37 * MIN, 'the total stops at the finish');
  assert.equal(versus(totalMs(state, at(50))).rating, 'typical');
});

test('the current phase: elapsed since the previous end, late past its maximum', () => {
  const state = play(inOrder([0]));
  assert.equal(currentPhase(state), 'infrastructure-ready');
  const at12 = progressOf(state, at(12), 'infrastructure-ready');
  assert.deepEqual([at12.status, at12.actualMs, at12.late], ['current', 12 * MIN, false]);
  const at21 = progressOf(state, at(21), 'infrastructure-ready');
  assert.deepEqual([at21.actualMs, at21.late], [21 * MIN, true]);
  assert.equal(progressOf(state, at(21), 'kopia-reclaimed').status, 'waiting');
  assert.equal(progressOf(state, at(21), 'kopia-reclaimed').actualMs, undefined);

  const done = play(inOrder([0, 22]));
  const infra = progressOf(done, at(30), 'infrastructure-ready');
  assert.deepEqual([infra.status, infra.actualMs, infra.late], ['done', 22 * MIN, true]);
});

test('out of order: a phase done early keeps its own time and counts 0 once the earlier ones are done', () => {
  let state = play([
    [0, holding('flux-deployed')],
    [5, holding('flux-deployed', 'gateways-programmed')],
  ]);
  assert.equal(state.phases['gateways-programmed']?.completedAt, at(5));
  assert.equal(currentPhase(state), 'infrastructure-ready');
  const early = progressOf(state, at(6), 'gateways-programmed');
  assert.equal(early.status, 'done');
  assert.equal(early.actualMs, undefined, 'not measurable while earlier phases run');

  state = play(
    [
      [18, holding('flux-deployed', 'gateways-programmed', 'readiness-checked')],
      [20, holding('flux-deployed', 'gateways-programmed', 'readiness-checked', 'kopia-reclaimed')],
    ],
    state,
  );
  assert.equal(state.phases['gateways-programmed']?.completedAt, at(5), 'recorded once, never moved');
  assert.equal(currentPhase(state), 'restores-triggered');
  const gateways = progressOf(state, at(21), 'gateways-programmed');
  assert.deepEqual([gateways.actualMs, gateways.endsAt], [0, at(20)]);
  assert.equal(progressOf(state, at(21), 'readiness-checked').actualMs, 0, 'infra and readiness completed together');
  assert.equal(progressOf(state, at(21), 'restores-triggered').actualMs, 1 * MIN, 'current runs from the cumulative end');
});

test('a phase that regresses keeps its first time, is not complete while failing, and completes again', () => {
  const infra: HoldKey[] = ['flux-deployed', 'readiness-checked'];
  let state = play([
    [0, holding('flux-deployed')],
    [18, holding(...infra)],
    [19, holding(...infra, 'kopia-reclaimed')],
  ]);
  assert.equal(currentPhase(state), 'gateways-programmed');

  // ceph-csi goes unready again at 25m
  const broken = { ...holding(...infra, 'kopia-reclaimed'), 'flux.essential': result('flux.essential', 'fail', [], ['flux-reconcile']) };
  state = advance(state, broken, at(25));
  assert.equal(state.phases['infrastructure-ready']?.completedAt, at(18));
  assert.deepEqual(state.phases['infrastructure-ready']?.regressions, [{ from: at(25) }]);
  assert.deepEqual(state.phases['readiness-checked']?.regressions, [{ from: at(25) }]);
  assert.equal(currentPhase(state), 'infrastructure-ready');
  const p = progressOf(state, at(26), 'infrastructure-ready');
  assert.deepEqual([p.status, p.actualMs, p.regressedForMs], ['regressed', 18 * MIN, 1 * MIN]);
  assert.deepEqual(nextStep(state, broken), {
    phase: 'infrastructure-ready',
    text: phase('infrastructure-ready').step,
    fixId: 'flux-reconcile',
    waitingOn: ['flux.essential'],
  });
  assert.equal(advance(state, broken, at(26)), state, 'still failing: nothing new');

  state = advance(state, holding(...infra, 'kopia-reclaimed'), at(27));
  assert.deepEqual(state.phases['infrastructure-ready']?.regressions, [{ from: at(25), to: at(27) }]);
  assert.equal(state.phases['infrastructure-ready']?.completedAt, at(18));
  assert.equal(currentPhase(state), 'gateways-programmed');
  assert.equal(progressOf(state, at(28), 'infrastructure-ready').regressions, 1);

  // a second regression opens a second entry
  state = advance(state, broken, at(30));
  assert.equal(state.phases['infrastructure-ready']?.regressions?.length, 2);
});

test('finishedAt: a regression during the rebuild delays it, one after it does not', () => {
  let state = play(inOrder([0, 18, 18, 19, 19, 20, 30]));
  const broken = {
    ...holding('flux-deployed', 'readiness-checked', 'kopia-reclaimed', 'restores-triggered', 'restores-complete'),
    'gateways.programmed': result('gateways.programmed', 'fail'),
  };
  state = advance(state, broken, at(31));
  state = play([[34, allHolding()]], state);
  assert.equal(state.finishedAt, at(34), 'everything held at once only when the Gateways came back');
  state = advance(state, { ...allHolding(), 'gateways.programmed': result('gateways.programmed', 'fail') }, at(50));
  assert.equal(state.finishedAt, at(34));
  assert.equal(totalMs(state, at(60)), 34 * MIN);
  assert.equal(currentPhase(state), 'gateways-programmed');
});

test('a restart in the middle: state from disk, advance continues, completions at first look are uncertain', () => {
  let state = play(inOrder([0, 18, 18.5]));
  const fromDisk = JSON.parse(JSON.stringify(state)) as TimelineState;
  state = resume(fromDisk, at(40));
  assert.deepEqual(state.sessions, [T0 - 10_000, at(40)]);

  // right after the restart every check is pending: nothing changes
  const pending = Object.fromEntries(Object.entries(allHolding()).map(([id, r]) => [id, { ...r, status: 'pending' as const, evidence: [] }]));
  assert.equal(advance(state, pending, at(40)), state);
  assert.equal(advance(state, {}, at(40)), state, 'no results at all: nothing changes');

  // Kopia and Gateways were done while drdeck was away
  const seen = holding('flux-deployed', 'readiness-checked', 'kopia-reclaimed', 'gateways-programmed');
  state = advance(state, seen, at(40) + 2_000);
  assert.equal(state.phases['infrastructure-ready']?.completedAt, at(18), 'earlier records kept');
  assert.deepEqual(state.phases['kopia-reclaimed'], { completedAt: at(40) + 2_000, uncertain: true });
  const kopia = progressOf(state, at(41), 'kopia-reclaimed');
  assert.equal(kopia.uncertain, true);
  assert.equal(kopia.late, false, 'at most 21.5 minutes: not known to be late');
  assert.equal(currentPhase(state), 'restores-triggered');

  // after the first look, completions are certain again
  state = advance(state, { ...seen, ...holding('restores-triggered') }, at(40) + FIRST_LOOK_MS + 1_000);
  assert.deepEqual(state.phases['restores-triggered'], { completedAt: at(40) + FIRST_LOOK_MS + 1_000 });
});

test('a fresh timeline on a cluster already done: every phase uncertain, finished when first seen', () => {
  const state = advance(createTimeline('prod', at(60), T0), allHolding(), at(60) + 1_000);
  assert.equal(state.finishedAt, at(60) + 1_000);
  assert.equal(state.phases['flux-deployed']?.uncertain, undefined, 't0 comes from the cluster');
  assert.equal(state.phases['apps-running']?.uncertain, true);
  assert.equal(phaseProgress(state, at(61)).filter((p) => p.late).length, 0);
});

test('t0 unknown until Flux appears; given later, taken once', () => {
  let state = createTimeline('prod', at(-5));
  state = advance(state, nothing(), at(-4));
  assert.equal(state.t0, undefined);
  assert.equal(currentPhase(state), 'flux-deployed');
  assert.equal(progressOf(state, at(-4), 'flux-deployed').actualMs, undefined);
  assert.equal(totalMs(state, at(-4)), 0);
  state = advance(state, holding('flux-deployed'), at(0) + 3_000, T0);
  assert.equal(state.t0, T0);
  assert.equal(state.phases['flux-deployed']?.completedAt, T0);
  assert.equal(advance(state, holding('flux-deployed'), at(1), T0 + 99).t0, T0, 'never moved');

  const noT0 = advance(createTimeline('prod', at(0)), holding('flux-deployed'), at(2));
  assert.equal(noT0.t0, at(2), 'no creation time from the cluster: t0 is when Flux was seen');
});

test('t0 later than now (server clock ahead): nothing negative', () => {
  const skewed = T0 + 3 * MIN;
  let state = createTimeline('prod', T0, skewed);
  state = advance(state, holding('flux-deployed', 'infrastructure-ready'), T0 + 1 * MIN);
  for (const p of phaseProgress(state, T0 + 1 * MIN)) {
    if (p.actualMs !== undefined) assert.ok(p.actualMs >= 0, `${p.id} ${p.actualMs}`);
  }
  assert.equal(progressOf(state, T0 + 1 * MIN, 'infrastructure-ready').actualMs, 0);
  assert.equal(totalMs(state, T0 + 1 * MIN), 0);
  const e = eta(state, T0 + 1 * MIN);
  assert.ok(e.remaining.minMs > 0 && e.total.minMs >= e.remaining.minMs);
});

test('eta: remaining expected ranges, the current phase less its elapsed time', () => {
  const state = play(inOrder([0]));
  const e = eta(state, at(10));
  // infra 5-10 left (15-20 less 10), then 1, 1, 0-2, 1, 10-15, 1, 1-5
  assert.deepEqual(e.remaining, { minMs: 20 * MIN, typicalMs: 28 * MIN, maxMs: 36 * MIN });
  assert.deepEqual(e.total, { minMs: 30 * MIN, typicalMs: 38 * MIN, maxMs: 46 * MIN });
  assert.equal(e.done, false);
  // a late current phase contributes nothing more, never less than 0
  assert.equal(eta(state, at(25)).remaining.maxMs, 26 * MIN);
  // phases done out of order are not expected again
  const early = play([[5, holding('flux-deployed', 'gateways-programmed')]], state);
  assert.equal(eta(early, at(10)).remaining.maxMs, 34 * MIN);
  const finished = play(inOrder([0, 18, 18, 19, 19, 20, 30, 31, 33]));
  assert.deepEqual(eta(finished, at(40)), {
    remaining: { minMs: 0, typicalMs: 0, maxMs: 0 },
    total: { minMs: 33 * MIN, typicalMs: 33 * MIN, maxMs: 33 * MIN },
    done: true,
  });
});

test('versus the seed: best 30, typical 35-40, worst 45', () => {
  const cases: Array<[number, string, number, number, number]> = [
    [29, 'best', -1, -6, -16],
    [30, 'best', 0, -5, -15],
    [33, 'faster than typical', 3, -2, -12],
    [37, 'typical', 7, 0, -8],
    [42, 'slower than typical', 12, 2, -3],
    [50, 'over worst', 20, 10, 5],
  ];
  for (const [minutes, rating, best, typical, worst] of cases) {
    const v = versus(minutes * MIN);
    assert.deepEqual([v.rating, v.best / MIN, v.typical / MIN, v.worst / MIN], [rating, best, typical, worst], `${minutes}m`);
  }
});

test('nextStep: the current phase, the fix a failing check offers, blockers first', () => {
  const base = play(inOrder([0, 18, 18.5]));
  const kopiaBroken = { ...holding('flux-deployed', 'readiness-checked'), 'kopia.volume-handle': result('kopia.volume-handle', 'fail', [], ['kopia-reclaim']) };
  assert.deepEqual(nextStep(base, kopiaBroken), {
    phase: 'kopia-reclaimed',
    text: phase('kopia-reclaimed').step,
    fixId: 'kopia-reclaim',
    waitingOn: ['kopia.pvc-bound', 'kopia.volume-handle', 'kopia.reclaim-policy', 'kopia.not-flux-managed'],
  });

  const atRestores = play([[20, holding('flux-deployed', 'readiness-checked', 'kopia-reclaimed', 'gateways-programmed')]], base);
  const notTriggered = {
    ...holding('flux-deployed', 'readiness-checked', 'kopia-reclaimed', 'gateways-programmed'),
    'restores.progress': result('restores.progress', 'warn', ['not triggered'], ['restores-trigger']),
  };
  assert.equal(nextStep(atRestores, notTriggered).fixId, 'restores-trigger');
  const noCopyMethod = {
    ...notTriggered,
    'restores.copy-method': result('restores.copy-method', 'fail', [], ['restores-set-copy-method', 'restores-recreate']),
  };
  assert.equal(nextStep(atRestores, noCopyMethod).fixId, 'restores-set-copy-method', 'a blocker comes first');
  const waiting = { ...notTriggered, 'restores.progress': result('restores.progress', 'warn', ['not triggered']) };
  assert.equal(nextStep(atRestores, waiting).fixId, undefined, 'no fix offered: just the step');

  const gatewaysDown = {
    ...holding('flux-deployed', 'readiness-checked', 'kopia-reclaimed'),
    'gateways.programmed': result('gateways.programmed', 'fail', [], ['gateways-restart-operator']),
  };
  const atGateways = play([[19, gatewaysDown]], base);
  assert.equal(nextStep(atGateways, gatewaysDown).fixId, 'gateways-restart-operator');

  const finished = play(inOrder([0, 18, 18, 19, 19, 20, 30, 31, 33]));
  assert.deepEqual(nextStep(finished, allHolding()), { text: 'Every phase complete: apps running', waitingOn: [] });
});

test('advance returns the same state when nothing changed', () => {
  const state = play(inOrder([0, 18]));
  assert.equal(advance(state, holding('flux-deployed', 'infrastructure-ready'), at(19)), state);
  assert.equal(advance(state, holding('flux-deployed', 'infrastructure-ready'), at(19), T0 + 5), state, 't0 already known');
});

test('timelineConfigSchema: the seed by default, any subset of phases overridden, bad ranges refused', () => {
  const defaults = timelineConfigSchema.parse(undefined);
  assert.deepEqual(defaults, { phases: {}, bestMinutes: 30, typicalMinutes: { min: 35, max: 40 }, worstMinutes: 45 });
  assert.deepEqual(timelineSpec(defaults), timelineSpec());

  const spec = timelineSpec(timelineConfigSchema.parse({ phases: { 'infrastructure-ready': { min: 10, max: 25 } }, worstMinutes: 60 }));
  assert.deepEqual(spec.phases.find((p) => p.id === 'infrastructure-ready')?.expected, { minMs: 10 * MIN, maxMs: 25 * MIN });
  assert.deepEqual(spec.phases.find((p) => p.id === 'apps-running')?.expected, { minMs: 1 * MIN, maxMs: 5 * MIN });
  assert.equal(spec.totals.worstMs, 60 * MIN);
  const late = play(inOrder([0, 22]));
  assert.equal(phaseProgress(late, at(30), spec)[1].late, false, 'the configured maximum decides lateness');

  for (const bad of [
    { phases: { 'infrastructure-ready': { min: 20, max: 15 } } },
    { phases: { 'no-such-phase': { min: 1, max: 2 } } },
    { phases: { 'apps-running': { min: -1, max: 2 } } },
    { typo: 1 },
  ]) {
    assert.equal(timelineConfigSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('describePhases: the mapping as plain data for the help screen', () => {
  const rows = describePhases();
  assert.equal(rows.length, PHASE_IDS.length);
  const kopia = rows.find((r) => r.id === 'kopia-reclaimed')!;
  assert.deepEqual(kopia.fixes, ['kopia-reclaim']);
  assert.ok(kopia.conditions.some((c) => c.startsWith('kopia.volume-handle: ')));
  assert.match(rows.find((r) => r.id === 'gateways-programmed')!.step, /cilium-operator/);
  assert.doesNotThrow(() => JSON.stringify(rows));
});

test('restores triggered, read from the real restores.progress evidence', async () => {
  const { evaluate, makeSnapshot, rd } = await import('../checks/fixtures.js');
  const triggered = phase('restores-triggered');
  const progress = (...rds: ReturnType<typeof rd>[]) => ({
    'restores.progress': evaluate('restores.progress', makeSnapshot({ replicationdestinations: rds })),
  });
  const done = { trigger: 'restore-2', lastManualSync: 'restore-2', result: 'Successful', image: true };
  assert.equal(phaseHolds(triggered, progress(rd('default/a-dst', done), rd('default/b-dst', { trigger: 'restore-2' }))), 'holds');
  assert.equal(phaseHolds(triggered, progress(rd('default/a-dst', done), rd('default/b-dst'))), 'fails', 'b has no trigger');
  // seed issue 2: the template's restore-once ran against an empty repository
  const emptyRun = { trigger: 'restore-once', lastManualSync: 'restore-once', result: 'Successful' };
  assert.equal(phaseHolds(triggered, progress(rd('default/a-dst', emptyRun))), 'fails');
  assert.equal(
    phaseHolds(phase('restores-complete'), { ...progress(rd('default/a-dst', done)), 'restores.app-pvcs': result('restores.app-pvcs', 'pass') }),
    'holds',
  );
});
