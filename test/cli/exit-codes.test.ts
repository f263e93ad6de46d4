/**
 * The exit-code contract of `drdeck check` (src/commands/exit-codes.ts): 0 only when every check was
 * decided and none fails; a failure wins over undecided; unknown or pending without a failure is 3.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_CHECKS, evaluateAll } from '../../src/checks/index.js';
import type { CheckResult, CheckStatus, InputKey } from '../../src/checks/types.js';
import type { SyncState } from '../../src/cluster.js';
import { EXIT, verdictExitCode } from '../../src/commands/exit-codes.js';
import { buildReport, formatTable } from '../../src/headless/check-output.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { makeConfig, makeSnapshot } from '../checks/fixtures.js';

const result = (id: string, status: CheckStatus, summary = `${id} is ${status}`): CheckResult => ({
  id,
  panel: 'flux',
  status,
  summary,
  evidence: [],
  fixes: [],
});
const report = (...statuses: CheckStatus[]) => buildReport(statuses.map((s, i) => result(`check.${i}`, s)));

test('the contract, status by status', () => {
  const cases: Array<[CheckStatus[], number, boolean]> = [
    [['pass', 'pass'], EXIT.ok, true],
    [['pass', 'warn'], EXIT.ok, true],
    [['pass', 'fail'], EXIT.failed, true],
    [['fail', 'unknown'], EXIT.failed, false],
    [['fail', 'pending'], EXIT.failed, false],
    [['pass', 'unknown'], EXIT.undecided, false],
    [['warn', 'pending'], EXIT.undecided, false],
    [['unknown', 'unknown'], EXIT.undecided, false],
  ];
  for (const [statuses, code, decided] of cases) {
    const r = report(...statuses);
    assert.equal(r.exitCode, code, statuses.join(' + '));
    assert.equal(r.summary.decided, decided, statuses.join(' + '));
  }
  assert.deepEqual([EXIT.ok, EXIT.failed, EXIT.couldNotRun, EXIT.undecided], [0, 1, 2, 3]);
  assert.equal(verdictExitCode({ fail: 0, unknown: 0, pending: 0 }), 0);
});

test('a user forbidden everything: every check unknown, exit 3 and not 0, and the table says why', () => {
  const forbidden: SyncState = { phase: 'forbidden', detail: 'needs list' };
  const sync = Object.fromEntries([...KIND_KEYS, 'dns'].map((k) => [k, forbidden])) as Partial<Record<InputKey, SyncState>>;
  const results = Object.values(evaluateAll(makeSnapshot({}, { sync }), makeConfig()));
  assert.equal(results.length, ALL_CHECKS.length);
  const r = buildReport(results);
  assert.deepEqual(
    results.filter((c) => c.status !== 'unknown').map((c) => `${c.id}: ${c.status}`),
    [],
    'every check unknown',
  );
  assert.equal(r.exitCode, EXIT.undecided);
  assert.equal(r.summary.decided, false);
  const table = formatTable(r);
  assert.match(table, new RegExp(`^0 pass, 0 warn, 0 fail, 0 pending, ${ALL_CHECKS.length} unknown\\n`, 'm'));
  assert.match(table, new RegExp(`^undecided: nothing fails, but ${ALL_CHECKS.length} checks could not be decided \\(exit 3\\)$`, 'm'));
});

test('the table cuts summaries only to a given width', () => {
  const long = buildReport([result('flux.ready', 'fail', `13/47 Ready; ${'x'.repeat(300)}`)]);
  const full = formatTable(long);
  assert.ok(full.includes('x'.repeat(300)), 'no width: in full');
  const cut = formatTable(long, 80).split('\n')[0];
  assert.equal(cut.length, 80);
  assert.ok(cut.endsWith('…'));
});
