/**
 * The Git view the way an operator sees it: `drdeck demo` (no flag: it reads its own repository,
 * demo/repo) in a real terminal (tmux, 80x24), `g` pressed, the checklist read back as text, an
 * item's evidence with file:line, Esc back. The tmux server is our own (a private socket): only its
 * one session is killed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { drdeckCommand, skipWithoutTmux, Terminal } from './terminal.js';

function assertFits(text: string): void {
  for (const line of text.split('\n')) assert.ok([...line].length <= 80, `wider than the terminal: ${line}`);
}

test('tmux 80x24: drdeck demo, g opens the Git view on the demo repository; an item with file:line; Esc back', async (t) => {
  if (skipWithoutTmux(t)) return;
  const state = mkdtempSync(join(tmpdir(), 'drdeck-tmux-git-'));
  const config = join(state, 'drdeck.yaml');
  writeFileSync(config, '# empty: the demo defaults\n');
  const term = new Terminal(join(state, 'tmux.sock'));
  try {
    await term.start(drdeckCommand(state, ['demo', '--speed', '1', '--state-dir', state, '--config', config]), state);
    let text = await term.waitFor(/ · g git\b/);
    assertFits(text);

    await term.send('g');
    text = await term.waitFor(/^Git — demo\/repo \(shipped with drdeck\) · \d+ changes? left/m);
    assertFits(text);
    assert.match(text, /^✗ 4 Every ReplicationDestination has copyMethod: Snapshot/m);
    assert.match(text, /^[✗!] 8 The Gateways Kustomization health-checks them/m);
    assert.match(text, /esc back/);

    // Item 4: the first RD without copyMethod, at its file:line, its name whole on the row below.
    for (let i = 0; i < 3; i++) await term.send('j');
    text = await term.waitFor('kubernetes/apps/3-home/atuin/app/replicationdestination.yaml:2');
    assertFits(text);
    assert.match(text, /ReplicationDestination default\/atuin-dst: spec\.kopia\.copyMethod: unset/);

    await term.send('Escape');
    await term.waitFor(/^[▶ ] Restores /m);
    await term.send('q');
    await term.waitFor('[drdeck exited with 0]', 10_000);
  } finally {
    await term.close();
    rmSync(state, { recursive: true, force: true });
  }
});
