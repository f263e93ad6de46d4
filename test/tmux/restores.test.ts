/**
 * The restores of the runbook, the way an operator does them: `drdeck demo` in a real terminal
 * (tmux, 80x24), keys sent one by one, the screen read back as text. The restores need the Kopia
 * repository reclaimed and copyMethod set first, so those two fixes come first, each from its
 * panel's key. The tmux server is our own (a private socket): only its one session is killed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { drdeckCommand, skipWithoutTmux, Terminal } from './terminal.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The last line with text: the help bar. */
const helpBar = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .at(-1) ?? '';

test('tmux 80x24: reclaim Kopia (c, name typed), set copyMethod (m, y), trigger the restores (T, y): 22/22 restored', async (t) => {
  if (skipWithoutTmux(t)) return;
  const state = mkdtempSync(join(tmpdir(), 'drdeck-tmux-'));
  // An empty config of our own: the demo's defaults, whatever the user's ./drdeck.yaml says.
  const config = join(state, 'drdeck.yaml');
  writeFileSync(config, '# empty: the demo defaults\n');
  const term = new Terminal(join(state, 'tmux.sock'));
  const started = Date.now();
  try {
    // remain-on-exit: a drdeck that exits or crashes leaves its last screen to read.
    await term.start(drdeckCommand(state, ['demo', '--speed', '600', '--state-dir', state, '--config', config]), root);

    let text = await term.waitFor(/^[▶ ] Restores /m);
    t.diagnostic(`first dashboard after ${Date.now() - started} ms`);
    for (const line of text.split('\n')) assert.ok([...line].length <= 80, `wider than the terminal: ${line}`);

    // Kopia: the reclaim deletes a PVC, so its name is typed out.
    await term.send('l');
    text = await term.waitFor('▶ Kopia');
    assert.match(helpBar(text), /^c reclaim · /);
    await term.send('c');
    await term.waitFor('Type "kopia" and Enter to apply, Esc to cancel:');
    await term.send('kopia', true);
    await term.waitFor('Esc to cancel: kopia█');
    await term.send('Enter');
    text = await term.waitFor('✓ reclaim: PVC default/kopia Bound');
    assert.match(text, /^▶ Kopia +✓4 +✓ all 4 pass$/m, 'every Kopia check passes');

    // Restores: copyMethod first (y), then the restores (y).
    await term.send('j');
    text = await term.waitFor('▶ Restores');
    assert.match(helpBar(text), /^T trigger restores · m copyMethod · /);
    await term.send('m');
    text = await term.waitFor('Fix: Set copyMethod: Snapshot on 8 ReplicationDestinations');
    assert.match(text, /y apply · n or Esc cancel/);
    await term.send('y');
    await term.waitFor(/✓ copyMethod: /);
    await term.send('T');
    text = await term.waitFor('Fix: Trigger 22 restores');
    assert.match(text, /^Changes \(22\), each manual: /m);
    assert.match(text, /^✓ PATCH ReplicationDestination ×\d+: default\/atuin-dst, /m);
    await term.send('y');
    await term.waitFor(/✓ trigger restores: 22 restored/, 60_000);

    // The detail says it too: the progress check, found with the filter.
    await term.send('Enter');
    await term.waitFor('Restores — ');
    await term.send('/');
    await term.send('progress', true);
    await term.send('Enter');
    text = await term.waitFor(/PASS +restores\.progress +22\/22 restored/);
    t.diagnostic(`22/22 restored after ${Date.now() - started} ms`);

    // q quits cleanly.
    await term.send('q');
    await term.waitFor('[drdeck exited with 0]', 10_000);
  } finally {
    // Only our session, on our own server, which exits with its last session.
    await term.close();
    rmSync(state, { recursive: true, force: true });
  }
});
