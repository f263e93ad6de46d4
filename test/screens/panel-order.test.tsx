/**
 * A panel lists what is wrong worst first: failing checks before warning ones before undecided ones,
 * and under them the objects behind the findings, every failing object before any warning one,
 * whichever check each comes from.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import type { CheckResult, CheckStatus, Evidence } from '../../src/checks/types.js';
import { defaultConfig } from '../../src/config/schema.js';
import { DeckContext } from '../../src/hooks/use-deck.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { badEvidence, Panel } from '../../src/screens/Panel.js';
import { fitFindings, panelFindings } from '../../src/screens/panel-rows.js';
import { createDeckStore } from '../../src/store/deck-store.js';
import { emptyBatch } from '../../src/store/resources-slice.js';
import { stripAnsi, WAIT_MS } from './render.js';

const rd = (name: string, value: string, status: CheckStatus): Evidence => ({
  kind: 'ReplicationDestination',
  namespace: 'default',
  name,
  field: 'f',
  value,
  status,
});

function result(id: string, status: CheckStatus, summary: string, evidence: Evidence[]): CheckResult {
  return { id, panel: 'restores', status, summary, evidence, fixes: [] };
}

/** A failing check whose own warnings come before the next failing check's failure, in table order. */
const RESULTS: CheckResult[] = [
  result('restores.copy-method', 'fail', 'copy fails', [rd('a', 'no copyMethod', 'fail'), rd('b', 'restic mover', 'warn'), rd('c', 'restic mover', 'warn')]),
  result('restores.ssa-if-not-present', 'warn', 'ssa warns', [rd('d', 'IfNotPresent', 'warn')]),
  result('restores.secrets', 'fail', 'secret fails', [rd('e', 'Secret missing', 'fail')]),
  result('restores.progress', 'pending', 'progress pending', []),
  result('restores.count', 'unknown', 'count unknown', []),
];

test('badEvidence: every failing object before any warning one, each check in its order', () => {
  assert.deepEqual(
    badEvidence(RESULTS).map((l) => `${l.status} ${l.text}`),
    [
      'fail default/a: no copyMethod',
      'fail default/e: Secret missing',
      'warn default/b: restic mover',
      'warn default/c: restic mover',
      'warn default/d: IfNotPresent',
    ],
  );
});

test('a panel makes only the findings it can show, and still counts and words the rest as the whole list does', () => {
  const many = result(
    'restores.other-pvcs',
    'fail',
    'secrets fail',
    Array.from({ length: 5000 }, (_, i) => rd(`s${i}`, 'Secret missing', i % 2 ? 'warn' : 'fail')),
  );
  const passing = result('restores.count', 'pass', 'count passes', []);
  const all = panelFindings([...RESULTS, many, passing]);
  assert.equal(all.head.length, all.total);
  assert.equal(all.total, 6 + 5005 + 1, 'six checks not passing, their 5,005 objects, one passing check');
  for (const room of [0, 1, 3, 8, 20]) {
    const some = panelFindings([...RESULTS, many, passing], room + 1);
    assert.equal(some.head.length, room + 1, `room ${room}`);
    assert.deepEqual(some.head, all.head.slice(0, room + 1), `room ${room}`);
    assert.deepEqual(fitFindings(some, room, 60), fitFindings(all, room, 60), `room ${room}`);
  }
  // Only passing checks left over: said as passing, with the limit as without.
  const fewBad = [result('restores.copy-method', 'fail', 'copy fails', []), ...['a', 'b', 'c'].map((id) => result(`x.${id}`, 'pass', `${id} passes`, []))];
  assert.equal(fitFindings(panelFindings(fewBad, 3), 2, 60).more, fitFindings(panelFindings(fewBad), 2, 60).more);
  assert.match(fitFindings(panelFindings(fewBad, 3), 2, 60).more, /3 more passing$/);
});

test('the Restores panel: failures, then warnings, then undecided checks; failing objects first', async () => {
  const store = createDeckStore({ config: defaultConfig(), clusterName: 'test', now: Date.parse('2025-12-02T12:00:00Z') });
  const batch = emptyBatch();
  for (const key of KIND_KEYS) batch.sync.set(key, { phase: 'synced', since: 1 });
  store.getState().applyBatch(batch);
  store.setState({ results: { ...store.getState().results, ...Object.fromEntries(RESULTS.map((r) => [r.id, r])) } });
  const ui = render(
    <DeckContext.Provider value={store}>
      <Panel panel="restores" width={60} height={14} focused={false} />
    </DeckContext.Provider>,
  );
  try {
    let frame = '';
    for (const deadline = Date.now() + WAIT_MS; !(frame = stripAnsi(ui.lastFrame())).includes('default/');) {
      assert.ok(Date.now() < deadline, `no object lines in:\n${frame}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const rows = frame
      .split('\n')
      .map((line) => line.replace(/^[│┃]\s?|\s*[│┃]$/g, '').trim())
      .filter((line) => /^[✗!?…·✓ ]/.test(line) && !/^[╭╰]/.test(line));
    const summaries = rows.filter((line) => /(fails|warns|pending|unknown)$/.test(line)).map((line) => line.replace(/^\S+ /, ''));
    assert.deepEqual(summaries.slice(0, 5), ['copy fails', 'secret fails', 'ssa warns', 'count unknown', 'progress pending']);
    const objects = rows.filter((line) => line.includes('default/')).map((line) => line.replace(/^\S+ /, ''));
    assert.deepEqual(objects.slice(0, 3), ['default/a: no copyMethod', 'default/e: Secret missing', 'default/b: restic mover']);
  } finally {
    ui.unmount();
  }
});
