/** The confirm screen's lines, pure: a refused request says so on its own line, in the server's words. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedFields } from '../../src/fixes/changes.js';
import { fixById } from '../../src/fixes/index.js';
import type { Prepared } from '../../src/fixes/runner.js';
import type { PlannedRequest } from '../../src/fixes/types.js';
import { confirmLines, confirmRows } from '../../src/screens/confirm-lines.js';

const patch = (name: string, body: unknown): PlannedRequest => ({
  verb: 'patch',
  kind: 'services',
  namespace: 'default',
  name,
  patchType: 'merge',
  body,
  summary: `patch ${name}`,
});

function prepared(requests: PlannedRequest[], errors: Array<string | undefined>): Prepared {
  return {
    refused: false,
    fix: fixById('loadbalancers-dual-stack')!,
    plan: {
      fixId: 'loadbalancers-dual-stack',
      title: 'Make Services dual-stack',
      targets: requests.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name })),
      requests,
      commands: [`kubectl patch service emby -n default --type merge -p '{"spec":{"ipFamilyPolicy":"RequireDualStack"}}'`],
      warnings: ['Git must change too'],
      details: [],
      confirm: { kind: 'yes' },
    },
    dryRun: requests.map((request, i) => ({ request, error: errors[i] })),
  };
}

test('each request on one line with what it changes; a refusal marked, its words below it, counted in the heading', () => {
  const body = { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } };
  const lines = confirmLines(
    prepared(
      [patch('emby', body), patch('smtp', { spec: { ipFamilyPolicy: 'PreferDualStack' } })],
      [undefined, 'admission webhook "x" denied the request: no'],
    ),
  );
  const text = lines.map((l) => l.text);
  assert.deepEqual(text.slice(0, 5), [
    '2 targets: default/emby, default/smtp',
    'Changes (2); server-side dry run: 1 refused',
    '✓ PATCH Service default/emby  ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6]',
    '✗ PATCH Service default/smtp  ipFamilyPolicy: PreferDualStack',
    '    admission webhook "x" denied the request: no',
  ]);
  assert.equal(lines[3].tone, 'error');
  assert.ok(text.indexOf('Before you confirm') > 4, 'warnings after the changes');
  assert.ok(text.includes('PATCH Service default/emby (merge)'), 'the bodies below, with their patch type');
});

test('a patch pins its object by uid and resourceVersion: those are not changes; a handle is read by its tail', () => {
  const pinned = patch('pv', { metadata: { uid: 'u-1', resourceVersion: '7' }, spec: { persistentVolumeReclaimPolicy: 'Retain' } });
  assert.deepEqual(changedFields(pinned), ['persistentVolumeReclaimPolicy: Retain']);
  const created: PlannedRequest = {
    verb: 'create',
    kind: 'persistentvolumes',
    name: 'kopia',
    body: {
      metadata: { name: 'kopia', labels: { a: 'b' } },
      spec: { capacity: { storage: '1Gi' }, csi: { driver: 'x', volumeHandle: '0001-0024-5b3e1f0a-9c7d-4e2b-8a61-2f4c9d7e1c73' } },
    },
    summary: 'create',
  };
  assert.deepEqual(changedFields(created), ['volumeHandle: …1c73', 'storage: 1Gi', 'driver: x']);
  assert.deepEqual(changedFields({ ...created, verb: 'delete' }), []);
});

test('the same by hand: a shell line too wide breaks with a backslash, flush left, no prompt', () => {
  const rows = confirmRows(prepared([patch('emby', {})], [undefined]), 60).map((r) => r.text);
  const at = rows.indexOf('The same by hand, to paste into a shell');
  const byHand = rows.slice(at + 1);
  assert.ok(byHand.length > 1, 'broken at 60 columns');
  for (const row of byHand.slice(0, -1)) assert.match(row, / \\$/);
  assert.equal(byHand.map((r) => r.replace(/ \\$/, '').replace(/^ {2}/, '')).join(' '), prepared([], []).plan.commands[0]);
  for (const row of byHand) assert.ok(row.length <= 60 && !row.startsWith('$'), row);
});

test('many requests (22 restores) share lines by verb and kind, naming each; a refused one keeps its own line', () => {
  const names = Array.from({ length: 20 }, (_, i) => `app${i}`);
  const errors = names.map((_, i) => (i === 10 ? 'the server said no' : undefined));
  const text = confirmLines(
    prepared(
      names.map((n) => patch(n, { spec: { ipFamilyPolicy: 'RequireDualStack' } })),
      errors,
    ),
  ).map((l) => l.text);
  // No list of targets above: the changes name each.
  assert.deepEqual(text.slice(0, 5), [
    'Changes (20), each ipFamilyPolicy: RequireDualStack; server-side dry run: 1 refused',
    `✓ PATCH Service ×10: ${names
      .slice(0, 10)
      .map((n) => `default/${n}`)
      .join(', ')}`,
    '✗ PATCH Service default/app10',
    '    the server said no',
    `✓ PATCH Service ×9: ${names
      .slice(11)
      .map((n) => `default/${n}`)
      .join(', ')}`,
  ]);
});
