import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveKey, type Command, type KeyInfo, type KeyMode } from '../../src/store/keys.js';
import { movedFocus } from '../../src/store/ui-slice.js';

const dashboard: KeyMode = { screen: 'dashboard', helpOpen: false, filtering: false };
const detail: KeyMode = { screen: 'detail', helpOpen: false, filtering: false };
const help: KeyMode = { screen: 'dashboard', helpOpen: true, filtering: false };
const filtering: KeyMode = { screen: 'detail', helpOpen: false, filtering: true };

const git: KeyMode = { screen: 'git', helpOpen: false, filtering: false };

const cases: Array<[string, string, KeyInfo, KeyMode, Command]> = [
  ['g on the dashboard opens the Git view', 'g', {}, dashboard, { type: 'git' }],
  ['g in the detail is still the top', 'g', {}, detail, { type: 'scroll-to', where: 'top' }],
  ['g in the Git view goes back', 'g', {}, git, { type: 'back' }],
  ['esc in the Git view goes back', '', { escape: true }, git, { type: 'back' }],
  ['j in the Git view selects the next item', 'j', {}, git, { type: 'scroll', by: 1 }],
  ['space in the Git view pages the evidence', ' ', {}, git, { type: 'scroll-page', pages: 1 }],
  ['enter in the Git view pages the evidence', '', { return: true }, git, { type: 'scroll-page', pages: 1 }],
  ['ctrl-r in the Git view is the retry command (it re-reads there)', 'r', { ctrl: true }, git, { type: 'retry' }],
  ['no fix keys in the Git view', 'r', {}, { ...git, fixKeys: { r: 'flux-reconcile' } }, { type: 'none' }],
  ['h moves left', 'h', {}, dashboard, { type: 'focus', direction: 'left' }],
  ['l moves right', 'l', {}, dashboard, { type: 'focus', direction: 'right' }],
  ['k moves up', 'k', {}, dashboard, { type: 'focus', direction: 'up' }],
  ['j moves down', 'j', {}, dashboard, { type: 'focus', direction: 'down' }],
  ['arrow left moves left', '', { leftArrow: true }, dashboard, { type: 'focus', direction: 'left' }],
  ['arrow down moves down', '', { downArrow: true }, dashboard, { type: 'focus', direction: 'down' }],
  ['enter opens detail', '', { return: true }, dashboard, { type: 'open' }],
  ['? toggles help', '?', {}, dashboard, { type: 'help' }],
  ['q quits', 'q', {}, dashboard, { type: 'quit' }],
  ['ctrl-c quits while filtering', 'c', { ctrl: true }, filtering, { type: 'quit' }],
  ['esc in detail goes back', '', { escape: true }, detail, { type: 'back' }],
  ['j in detail scrolls', 'j', {}, detail, { type: 'scroll', by: 1 }],
  ['k in detail scrolls up', 'k', {}, detail, { type: 'scroll', by: -1 }],
  ['G goes to the bottom', 'G', {}, detail, { type: 'scroll-to', where: 'bottom' }],
  ['page down pages', '', { pageDown: true }, detail, { type: 'scroll-page', pages: 1 }],
  ['/ starts the filter', '/', {}, detail, { type: 'filter-start' }],
  ['/ filters the dashboard too (k9s)', '/', {}, dashboard, { type: 'filter-start' }],
  ['esc on the dashboard is back (clears its filter)', '', { escape: true }, dashboard, { type: 'back' }],
  ['letters are filter text while filtering', 'q', {}, filtering, { type: 'filter-type', text: 'q' }],
  ['backspace erases while filtering', '', { backspace: true }, filtering, { type: 'filter-erase' }],
  ['esc ends filtering', '', { escape: true }, filtering, { type: 'filter-done' }],
  ['enter ends filtering', '', { return: true }, filtering, { type: 'filter-done' }],
  ['esc closes help', '', { escape: true }, help, { type: 'help' }],
  ['panel keys do nothing under help', 'l', {}, help, { type: 'none' }],
  ['fix keys do nothing under help', 'r', {}, { ...help, fixKeys: { r: 'flux-reconcile' } }, { type: 'none' }],
  ['j scrolls the help', 'j', {}, help, { type: 'scroll', by: 1 }],
  ['ctrl-r retries now', 'r', { ctrl: true }, dashboard, { type: 'retry' }],
  ['ctrl-r retries now in the detail', 'r', { ctrl: true }, detail, { type: 'retry' }],
  ['ctrl-r retries now while filtering, not filter text', 'r', { ctrl: true }, filtering, { type: 'retry' }],
  ['ctrl-r retries now under help', 'r', { ctrl: true }, help, { type: 'retry' }],
  ['ctrl-r is not the r fix key', 'r', { ctrl: true }, { ...dashboard, fixKeys: { r: 'flux-reconcile' } }, { type: 'retry' }],
  ['r alone is still the fix key', 'r', {}, { ...dashboard, fixKeys: { r: 'flux-reconcile' } }, { type: 'fix', fixId: 'flux-reconcile' }],
  ['ctrl-r is not a typed letter on the confirm screen', 'r', { ctrl: true }, { ...dashboard, confirm: 'type' }, { type: 'retry' }],
  ['G on a y-confirm plan goes to its bottom', 'G', {}, { ...dashboard, confirm: 'yes' }, { type: 'scroll-to', where: 'bottom' }],
  ['g on a y-confirm plan goes to its top', 'g', {}, { ...dashboard, confirm: 'yes' }, { type: 'scroll-to', where: 'top' }],
  ['End on a plan whose name is typed goes to its bottom', '', { end: true }, { ...dashboard, confirm: 'type' }, { type: 'scroll-to', where: 'bottom' }],
  ['Home on a plan whose name is typed goes to its top', '', { home: true }, { ...dashboard, confirm: 'type' }, { type: 'scroll-to', where: 'top' }],
  ['g while a name is typed is a letter of it', 'g', {}, { ...dashboard, confirm: 'type' }, { type: 'confirm-type', text: 'g' }],
];

for (const [name, input, key, mode, expected] of cases) {
  test(`resolveKey: ${name}`, () => assert.deepEqual(resolveKey(input, key, mode), expected));
}

test('movedFocus walks the one column of panels and stops at the ends', () => {
  assert.equal(movedFocus('flux', 'right'), 'kopia');
  assert.equal(movedFocus('flux', 'down'), 'kopia');
  assert.equal(movedFocus('kopia', 'down'), 'restores');
  assert.equal(movedFocus('restores', 'left'), 'kopia');
  assert.equal(movedFocus('dns', 'down'), 'dns');
  assert.equal(movedFocus('dns', 'up'), 'loadbalancers');
  assert.equal(movedFocus('flux', 'up'), 'flux');
  assert.equal(movedFocus('flux', 'left'), 'flux');
});

test('the Git view: Ctrl-R reads the repository again (not the watches); elsewhere it retries the watches', async () => {
  const { createDeckStore } = await import('../../src/store/deck-store.js');
  const { defaultConfig } = await import('../../src/config/schema.js');
  let retried = 0;
  let reread = 0;
  const store = createDeckStore({ config: defaultConfig(), clusterName: 'test', now: 0, retryNow: () => retried++ });
  store.setState({ rereadRepo: () => reread++ });
  store.getState().dispatch({ type: 'retry' });
  assert.deepEqual([retried, reread], [1, 0]);
  store.getState().dispatch({ type: 'git' });
  assert.equal(store.getState().screen, 'git');
  store.getState().dispatch({ type: 'retry' });
  assert.deepEqual([retried, reread], [1, 1]);
  store.getState().dispatch({ type: 'back' });
  assert.equal(store.getState().screen, 'dashboard');
});
