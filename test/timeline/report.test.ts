import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldAudit, type AuditEntry, type AuditRecord } from '../../src/state/audit-log.js';
import { buildReport, formatMarkdown, formatSpan } from '../../src/timeline/report.js';
import { advance, createTimeline, resume, type TimelineState } from '../../src/timeline/timeline.js';
import { MIN, T0, allHolding, at, holding, result, type HoldKey } from './helpers.js';

function entry(minutes: number, fixId: string, targets: string[], outcome = 'done', context = 'prod'): AuditEntry {
  return { time: new Date(at(minutes)).toISOString(), context, user: 'ops', fixId, targets, requests: [], dryRun: 'ok', outcome, message: '' };
}

/** A rebuild that finishes at 42m: infra late (22m), the Gateways regressed once, restores 13m. */
function finishedRun(): TimelineState {
  const keys: HoldKey[] = [];
  const step = (s: TimelineState, minutes: number, key?: HoldKey) => {
    if (key) keys.push(key);
    return advance(s, holding(...keys), at(minutes));
  };
  let s = createTimeline('prod', T0 - 10_000, T0);
  s = step(s, 0, 'flux-deployed');
  s = step(s, 22, 'readiness-checked');
  s = step(s, 23, 'kopia-reclaimed');
  s = step(s, 25, 'gateways-programmed');
  s = advance(s, { ...holding(...keys), 'gateways.programmed': result('gateways.programmed', 'fail') }, at(25.5));
  s = step(s, 26);
  s = step(s, 26.5, 'restores-triggered');
  s = step(s, 39.5, 'restores-complete');
  s = step(s, 40, 'restores-verified');
  return advance(s, allHolding(), at(42));
}

const AUDIT: AuditEntry[] = [
  entry(-30, 'flux-reconcile', ['flux-system/old'], 'done'), // before this rebuild
  entry(12, 'flux-reconcile-stuck', ['ceph-csi/ceph-csi-cephfs', 'ceph-csi/ceph-csi-rbd']),
  entry(22.5, 'kopia-reclaim', ['default/kopia']),
  entry(24, 'gateways-restart-operator', ['kube-system/cilium-operator'], 'failed'),
  entry(24.2, 'kopia-reclaim', ['default/kopia'], 'done', 'staging'), // another context
  entry(26.2, 'restores-trigger', ['default/sonarr-dst|x', 'default/plex-dst']),
];

test('buildReport: phases against expected, total against the seed, fixes with times', () => {
  const report = buildReport(finishedRun(), AUDIT, at(60));
  assert.deepEqual(
    report.phases.map((p) => [p.id, p.expectedMin / MIN, p.expectedMax / MIN, p.actual! / MIN, p.delta! / MIN, p.late]),
    [
      ['flux-deployed', 0, 0, 0, 0, false],
      ['infrastructure-ready', 15, 20, 22, 2, true],
      ['readiness-checked', 1, 1, 0, -1, false],
      ['kopia-reclaimed', 1, 1, 1, 0, false],
      ['gateways-programmed', 0, 2, 2, 0, false],
      ['restores-triggered', 1, 1, 1.5, 0.5, true],
      ['restores-complete', 10, 15, 13, 0, false],
      ['restores-verified', 1, 1, 0.5, -0.5, false],
      ['apps-running', 1, 5, 2, 0, false],
    ],
  );
  assert.equal(report.phases.find((p) => p.id === 'gateways-programmed')?.regressions, 1);
  assert.equal(report.total, 42 * MIN);
  assert.equal(report.finishedAt, at(42));
  assert.equal(report.currentPhase, null);
  assert.deepEqual(report.expectedTotal, { min: 30 * MIN, max: 46 * MIN });
  assert.deepEqual([report.delta, report.projected], [0, null]);
  assert.deepEqual(report.versus, { best: 12 * MIN, typical: 2 * MIN, worst: -3 * MIN, rating: 'slower than typical' });
  assert.deepEqual(
    report.fixes.map((f) => [f.offsetMs! / MIN, f.fixId, f.targets.length, f.outcome, f.phase]),
    [
      [12, 'flux-reconcile-stuck', 2, 'done', 'infrastructure-ready'],
      [22.5, 'kopia-reclaim', 1, 'done', 'kopia-reclaimed'],
      [24, 'gateways-restart-operator', 1, 'failed', 'gateways-programmed'],
      [26.2, 'restores-trigger', 2, 'done', 'restores-triggered'],
    ],
  );
  assert.equal(report.fixes[0].time, '2025-12-02T11:12:00.000Z');
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(report)));
});

test('formatMarkdown: a post-mortem table, the total against the seed, the fixes', () => {
  const md = formatMarkdown(buildReport(finishedRun(), AUDIT, at(60)));
  const lines = md.split('\n');
  assert.equal(lines[0], '# Rebuild timeline: prod');
  assert.ok(lines.includes('- Flux deployed: 2025-12-02 11:00:00Z'));
  assert.ok(lines.includes('- Apps running: 2025-12-02 11:42:00Z (42m)'));
  const table = lines.slice(lines.indexOf('| Phase | Expected | Actual | Delta |'));
  assert.deepEqual(table.slice(0, 12), [
    '| Phase | Expected | Actual | Delta |',
    '| --- | --- | --- | --- |',
    '| Flux deployed | 0s | 0s | 0 |',
    '| Infrastructure ready | 15m–20m | 22m | +2m late |',
    '| Readiness check | 1m | 0s | -1m |',
    '| Kopia reclaim | 1m | 1m | 0 |',
    '| Gateways | 0s–2m | 2m (regressed 1×) | 0 |',
    '| Restores triggered | 1m | 1m 30s | +30s late |',
    '| Restores complete | 10m–15m | 13m | 0 |',
    '| Verification | 1m | 30s | -30s |',
    '| Apps running | 1m–5m | 2m | 0 |',
    '| **Total** | 30m–46m | **42m** | 0 |',
  ]);
  assert.ok(lines.includes('Total 42m against the runbook: best 30m (+12m), typical 35m–40m (+2m), worst 45m (-3m): slower than typical.'), md);
  const fixes = lines.slice(lines.indexOf('## Fixes'));
  assert.deepEqual(fixes.slice(2, 8), [
    '| Time | Fix | Targets | Outcome | Phase |',
    '| --- | --- | --- | --- | --- |',
    '| +12m (2025-12-02T11:12:00.000Z) | flux-reconcile-stuck | ceph-csi/ceph-csi-cephfs, ceph-csi/ceph-csi-rbd | done | Infrastructure ready |',
    '| +22m 30s (2025-12-02T11:22:30.000Z) | kopia-reclaim | default/kopia | done | Kopia reclaim |',
    '| +24m (2025-12-02T11:24:00.000Z) | gateways-restart-operator | kube-system/cilium-operator | failed | Gateways |',
    '| +26m 12s (2025-12-02T11:26:12.000Z) | restores-trigger | default/sonarr-dst\\|x, default/plex-dst | done | Restores triggered |',
  ]);
  assert.ok(!md.includes('staging') && !md.includes('flux-system/old'), 'other contexts and older fixes left out');
  assert.ok(md.endsWith('|\n'));
});

test('a report while running: current phase so far, uncertain phases as upper bounds, no fixes', () => {
  let state = advance(createTimeline('prod', T0 - 10_000, T0), holding('flux-deployed'), at(0));
  state = advance(state, holding('flux-deployed', 'readiness-checked'), at(17));
  state = resume(JSON.parse(JSON.stringify(state)) as TimelineState, at(30));
  state = advance(state, holding('flux-deployed', 'readiness-checked', 'kopia-reclaimed', 'gateways-programmed'), at(30) + 5_000);
  const report = buildReport(state, [], at(33));
  assert.equal(report.currentPhase, 'restores-triggered');
  assert.equal(report.finishedAt, null);
  assert.equal(report.total, 33 * MIN);
  const kopia = report.phases.find((p) => p.id === 'kopia-reclaimed')!;
  assert.deepEqual([kopia.uncertain, kopia.actual, kopia.late], [true, 13 * MIN + 5_000, false]);
  const current = report.phases.find((p) => p.id === 'restores-triggered')!;
  assert.deepEqual([current.status, current.actual, current.delta, current.late], ['current', 3 * MIN - 5_000, 2 * MIN - 5_000, true]);
  assert.deepEqual(report.phases.find((p) => p.id === 'apps-running')!.actual, null);

  const md = formatMarkdown(report);
  assert.match(md, /^- In progress: Restores triggered, 33m so far$/m);
  assert.match(md, /^\| Kopia reclaim \| 1m \| ≤ 13m 05s \| ≤ \+12m 05s \|$/m);
  assert.match(md, /^\| Restores triggered \| 1m \| 2m 55s \(so far\) \| \+1m 55s late \|$/m);
  assert.match(md, /^\| Apps running \| 1m–5m \| – \| – \|$/m);
  assert.match(md, /^\| \*\*Total\*\* \| 30m–46m \| \*\*33m\*\* \(so far\) \| – \|$/m);
  assert.match(md, /^≤: the phase was already complete when drdeck looked/m);
  // remaining after 33m: triggered 0 (late), complete 10-15, verified 1, apps 1-5
  assert.deepEqual(report.projected, { min: 45 * MIN, typical: 49.5 * MIN, max: 54 * MIN });
  assert.equal(report.delta, null);
  assert.match(md, /^Total 33m so far; projected 45m–54m \(typical 49m 30s\) against the runbook's best 30m, typical 35m–40m, worst 45m\.$/m);
  assert.match(md, /^No fixes applied through drdeck\.$/m);
});

test('formatSpan', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [45_000, '45s'],
    [60_000, '1m'],
    [22 * MIN + 10_000, '22m 10s'],
    [62 * MIN, '1h 02m'],
    [-90_000, '1m 30s'],
  ];
  for (const [ms, text] of cases) assert.equal(formatSpan(ms), text, String(ms));
});

test('an interrupted attempt is in the report with what it sent; one drdeck was killed before its outcome', () => {
  const records: AuditRecord[] = [];
  const attempt = (id: string, minutes: number, names: string[], landed: number, end?: { reason: string }) => {
    const base = { attempt: id, context: 'prod', fixId: 'restores-trigger' };
    records.push({
      record: 'intent',
      ...base,
      time: new Date(at(minutes)).toISOString(),
      user: 'ops',
      targets: names.map((n) => `default/${n}`),
      requests: names.map((name) => ({ verb: 'patch', kind: 'replicationdestinations', namespace: 'default', name })),
      dryRun: 'ok',
    });
    for (const name of names.slice(0, landed))
      records.push({
        record: 'request',
        ...base,
        time: new Date(at(minutes)).toISOString(),
        verb: 'patch',
        kind: 'replicationdestinations',
        namespace: 'default',
        name,
        ok: true,
      });
    if (end) {
      const sent = names.slice(0, landed).map((n) => `patch replicationdestinations default/${n}`);
      records.push({
        record: 'outcome',
        ...base,
        time: new Date(at(minutes + 3)).toISOString(),
        outcome: 'interrupted',
        reason: end.reason,
        message: 'x',
        sent,
      });
    }
  };
  const names = Array.from({ length: 22 }, (_, i) => `app${i}-dst`);
  attempt('hup', 26.2, names, 18, { reason: 'SIGHUP' });
  attempt('killed', 30, names, 3);
  const report = buildReport(finishedRun(), foldAudit(records), at(60));
  assert.deepEqual(
    report.fixes.map((f) => [f.offsetMs! / MIN, f.outcome, f.reason, f.sent, f.planned, f.phase]),
    [
      [26.2, 'interrupted', 'SIGHUP', 18, 22, 'restores-triggered'],
      [30, 'interrupted', 'no outcome recorded', 3, 22, 'restores-complete'],
    ],
  );
  const md = formatMarkdown(report);
  assert.doesNotMatch(md, /No fixes applied/);
  assert.match(
    md,
    /^\| \+26m 12s \([^)]+\) \| restores-trigger \| default\/app0-dst, [^|]+ \| interrupted \(SIGHUP\), 18\/22 requests sent \| Restores triggered \|$/m,
  );
  assert.match(md, /^\| \+30m \([^)]+\) \| restores-trigger \| [^|]+ \| interrupted \(no outcome recorded\), 3\/22 requests sent \| Restores complete \|$/m);
});
