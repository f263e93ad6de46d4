/**
 * The Git view's content and the detail's file:line links, as pure functions: the checklist's items
 * with their evidence rows, the live findings cured in Git when no repository is read, words wrapped
 * whole; and `repo:` in the config, relative to the config's folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CheckResult } from '../../src/checks/types.js';
import { loadConfig } from '../../src/config/load.js';
import type { Checklist } from '../../src/preflight/checklist.js';
import { buildDetailLines } from '../../src/screens/detail-lines.js';
import { gitView, NO_REPO } from '../../src/screens/git-lines.js';
import { wrapWords } from '../../src/screens/Git.js';
import { gitSourceOf } from '../../src/store/selectors.js';

const copyMethod: CheckResult = {
  id: 'restores.copy-method',
  panel: 'restores',
  status: 'fail',
  summary: '1/2 RDs lack copyMethod: Snapshot',
  evidence: [
    { kind: 'ReplicationDestination', namespace: 'default', name: 'atuin-dst', field: 'spec.kopia.copyMethod', value: 'unset', status: 'fail' },
    { kind: 'ReplicationDestination', namespace: 'default', name: 'plex-dst', field: 'spec.kopia.copyMethod', value: 'Snapshot', status: 'pass' },
  ],
  fixes: ['restores-set-copy-method'],
  gitHint: 'add copyMethod: Snapshot to the RD template',
};
const programmed: CheckResult = { id: 'gateways.programmed', panel: 'gateways', status: 'fail', summary: '0/2 Programmed', evidence: [], fixes: [] };

const checklist = {
  items: [
    {
      id: 4,
      title: 'Every ReplicationDestination has copyMethod: Snapshot',
      status: 'fail',
      summary: '1/2 RDs lack copyMethod: Snapshot',
      evidence: [
        {
          file: 'kubernetes/apps/atuin/app/rd.yaml',
          line: 2,
          what: 'ReplicationDestination default/atuin-dst',
          value: 'spec.kopia.copyMethod: unset',
          status: 'fail',
        },
      ],
      source: 'git',
      checks: ['restores.copy-method'],
    },
    { id: 9, title: 'Validation exists', status: 'pass', summary: 'drdeck check replaces it', evidence: [], source: 'git', checks: [] },
  ],
} as unknown as Checklist;

const sources = { 'ReplicationDestination/default/atuin-dst': { file: 'kubernetes/apps/atuin/app/rd.yaml', line: 2 } };

test('no repository: the hint, and only the live findings cured in Git (a status-only failure is not one)', () => {
  const view = gitView({ phase: 'off' }, { [copyMethod.id]: copyMethod, [programmed.id]: programmed });
  assert.equal(view.notice, NO_REPO);
  assert.deepEqual(
    view.entries.map((e) => e.key),
    ['restores.copy-method'],
  );
  const rows = view.entries[0].rows.map((r) => r.text);
  assert.ok(rows.includes('ReplicationDestination default/atuin-dst  spec.kopia.copyMethod: unset'));
  assert.ok(!rows.some((r) => r.includes('plex-dst')), 'a passing object is no finding');
  assert.equal(rows.at(-1), 'in Git: add copyMethod: Snapshot to the RD template');
});

test('a broken repository: one line naming it, the live findings kept', () => {
  const view = gitView({ phase: 'error', repo: 'ops', message: 'ops: no such folder', readAt: 0 }, { [copyMethod.id]: copyMethod });
  assert.equal(view.notice, 'Cannot read the repository ops: ops: no such folder (Ctrl-R reads it again)');
  assert.equal(view.entries.length, 1);
});

test('a repository read: the items, each evidence at file:line with the object on the row below; failing items counted', () => {
  const view = gitView({ phase: 'ready', repo: 'ops', checklist, readAt: 0, sources }, {});
  assert.equal(view.title, 'Git — ops · 1 change left');
  assert.deepEqual(
    view.entries.map((e) => [e.status, e.head]),
    [
      ['fail', '4 Every ReplicationDestination has copyMethod: Snapshot'],
      ['pass', '9 Validation exists'],
    ],
  );
  assert.deepEqual(view.entries[0].rows.slice(1), [
    { text: 'kubernetes/apps/atuin/app/rd.yaml:2', status: 'fail', indent: 2 },
    { text: 'ReplicationDestination default/atuin-dst: spec.kopia.copyMethod: unset', indent: 6 },
  ]);
  // Reading again keeps what was read on screen.
  assert.equal(gitView({ phase: 'reading', repo: 'ops', checklist, readAt: 0, sources }, {}).entries.length, 2);
});

test('the detail: a Git-cured failing object gets → file:line under it, a passing one and a status check none', () => {
  const git = { phase: 'ready' as const, repo: 'ops', checklist, readAt: 0, sources };
  const lines = buildDetailLines([copyMethod, programmed], '', (target) => gitSourceOf({ git }, target));
  const at = lines.findIndex((l) => l.text.startsWith('ReplicationDestination default/atuin-dst'));
  assert.deepEqual(lines[at + 1], {
    key: 'restores.copy-method#0@',
    kind: 'source',
    text: '→ kubernetes/apps/atuin/app/rd.yaml:2',
    target: 'ReplicationDestination/default/atuin-dst',
  });
  assert.equal(lines.filter((l) => l.kind === 'source').length, 1);
  // Without a repository: no link lines at all.
  assert.equal(buildDetailLines([copyMethod], '').filter((l) => l.kind === 'source').length, 0);
});

test('wrapWords: a path moves whole to the next row; only a word wider than a row is broken', () => {
  const path = 'kubernetes/apps/6-data/kopia/app/kopia-repository-subvolume-secret.yaml:2,';
  assert.deepEqual(wrapWords(`saved in ${path} what drdeck reads`, 80), ['saved in', `  ${path}`, '  what drdeck reads']);
  const long = 'x'.repeat(30);
  const rows = wrapWords(long, 12);
  assert.equal(rows.join('').replace(/ /g, ''), long);
  for (const row of rows) assert.ok(row.length <= 12, row);
});

test("repo: in the config resolves against the config file's folder", () => {
  const home = mkdtempSync(join(tmpdir(), 'drdeck-config-repo-'));
  mkdirSync(join(home, 'conf'));
  writeFileSync(join(home, 'conf', 'drdeck.yaml'), 'repo: ../home-ops\n');
  const { config } = loadConfig({ cwd: tmpdir(), file: join(home, 'conf', 'drdeck.yaml'), env: { XDG_CONFIG_HOME: home } });
  assert.equal(config.repo, join(home, 'home-ops'));
});
