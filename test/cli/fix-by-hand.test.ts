/** `drdeck fix --dry-run` headless: "the same by hand" pastes into a shell exactly as printed. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DRDECK_BIN } from '../built-cli.js';

/** The lines under "The same by hand, to paste into a shell:", up to the blank line before the next heading. */
function pasteBlock(stdout: string): string {
  const lines = stdout.split('\n');
  const start = lines.indexOf('The same by hand, to paste into a shell:');
  assert.ok(start >= 0, `no "same by hand" block in:\n${stdout}`);
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '') break;
    block.push(line);
  }
  return block.join('\n') + '\n';
}

for (const id of ['kopia-reclaim', 'restores-recreate']) {
  test(`fix ${id} --dry-run --demo: the printed commands parse as shell, every heredoc closed`, () => {
    const home = mkdtempSync(join(tmpdir(), 'drdeck-by-hand-'));
    const r = spawnSync(process.execPath, [DRDECK_BIN, 'fix', id, '--dry-run', '--demo', '--state-dir', join(home, 'state')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(home, 'config') },
    });
    assert.equal(r.status, 0, r.stderr);
    const block = pasteBlock(r.stdout);
    assert.match(block, /^kubectl /m);
    // bash -n warns "here-document ... delimited by end-of-file" when an EOF line does not match.
    const sh = spawnSync('bash', ['-n'], { input: block, encoding: 'utf8' });
    assert.equal(sh.status, 0, sh.stderr);
    assert.doesNotMatch(sh.stderr, /here-document/, block);
    // Every heredoc opened is closed by a flush-left EOF.
    assert.equal((block.match(/<<'EOF'$/gm) ?? []).length, (block.match(/^EOF$/gm) ?? []).length, block);
  });
}
