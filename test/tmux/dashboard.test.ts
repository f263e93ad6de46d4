/**
 * The dashboard as an operator reads it in an 80x24 terminal (tmux, the screen read back as text):
 * every panel's row and the focused panel's findings whole (no line ends cut in "…", each failing
 * finding names its object as the check has it), `Next:` and the help bar whole; then `Next:`
 * followed alone, from the first frame of the demo (its bracketed key, the confirm accepted, again),
 * to an end state that names what is left in Git with its file. The tmux server is our own (a
 * private socket): only its one session is killed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import stringWidth from 'string-width';
import { DRDECK_BIN } from '../built-cli.js';
import { writeScenario } from '../cluster/scenario.js';
import { skipWithoutGo, startE2eCluster } from '../e2e/harness.js';
import { PANEL_TITLE_LIST } from '../screens/dashboard-text.js';
import { drdeckCommand, skipWithoutTmux, Terminal } from './terminal.js';

const execFileP = promisify(execFile);
const TITLES = PANEL_TITLE_LIST;

const lines = (screen: string) => screen.replace(/\n+$/, '').split('\n');

/** The `Next:` line and its continuation rows, joined as one text. */
export function nextText(screen: string): string {
  const rows = lines(screen);
  const start = rows.findIndex((l) => l.startsWith('Next: '));
  if (start < 0) return '';
  const out = [rows[start]];
  for (const row of rows.slice(start + 1)) {
    if (!row.startsWith('  ') || TITLES.some((t) => row.startsWith(`  ${t} `))) break;
    out.push(row.trim());
  }
  return out.join(' ');
}

/** Each failing or warning finding of the expanded panel: its rows joined as one text. */
export function expandedFindings(screen: string): string[] {
  const rows = lines(screen);
  const top = rows.findIndex((l) => l.startsWith('── '));
  const items: string[] = [];
  for (const row of rows.slice(top + 1, -1)) {
    if (/^ *[✗!?…✓] /.test(row)) items.push(row.trim());
    else if (/^ {4}/.test(row) && items.length) items[items.length - 1] += ` ${row.trim()}`;
  }
  return items;
}

/**
 * What the operator must be able to read on any dashboard screen: nothing wider than 80 columns; no
 * line that ends cut ("…"), in the panels' rows, the expanded panel or `Next:`; the help bar whole.
 */
export function assertReadable(screen: string): void {
  const rows = lines(screen);
  assert.ok(rows.length <= 24, `${rows.length} rows:\n${screen}`);
  for (const row of rows) assert.ok(stringWidth(row) <= 80, `wider than the terminal: ${row}`);
  for (const row of rows) assert.doesNotMatch(row, /…$/, `a line cut:\n${screen}`);
  for (const title of TITLES)
    assert.ok(
      rows.some((r) => new RegExp(`^[▶ ] ${title} +\\S`).test(r)),
      `no ${title} row:\n${screen}`,
    );
  const bar = rows.filter((r) => r.trim()).at(-1) ?? '';
  assert.match(bar, /\? help · q quit$/, `the help bar: ${bar}`);
}

/** `drdeck check --json` (or `--demo`): each check's summary and the objects its evidence names. */
export async function checkResults(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Array<{ id: string; status: string; summary: string; names: string[] }>> {
  const run = await execFileP(process.execPath, [DRDECK_BIN, 'check', '--json', ...args], { env, timeout: 60_000 }).catch((e: { stdout?: string }) => ({
    stdout: e.stdout ?? '',
  }));
  const report = JSON.parse(run.stdout) as {
    checks: Array<{ id: string; status: string; summary: string; evidence: Array<{ namespace?: string; name: string; value: string }> }>;
  };
  return report.checks.map((c) => ({
    id: c.id,
    status: c.status,
    summary: c.summary,
    // The objects: each evidence row's, and those its value names ("Secret thelounge-volsync-secret missing").
    names: c.evidence.flatMap((e) => [
      e.namespace ? `${e.namespace}/${e.name}` : e.name,
      ...(/^(?:Secret|PVC|PV|Service|Gateway) (\S+)/.exec(e.value)?.slice(1) ?? []),
    ]),
  }));
}

const shape = (text: string) => text.replace(/\d+/g, 'N').replace(/\s+/g, ' ');

/**
 * Every failing finding of every panel, each focused in turn: whole (its text is a check's summary,
 * or an object's line), and naming its object as the check result has it.
 */
export async function assertFindingsWhole(term: Terminal, checks: Awaited<ReturnType<typeof checkResults>>): Promise<number> {
  let seen = 0;
  for (const [i, title] of TITLES.entries()) {
    if (i > 0) await term.send('j');
    const screen = await term.waitFor(new RegExp(`^▶ ${title} `, 'm'));
    assertReadable(screen);
    for (const item of expandedFindings(screen).filter((f) => f.startsWith('✗ '))) {
      const text = item.slice(2);
      // A check's summary (numbers may move while the demo plays), whole, with one of its objects.
      const check = checks.find((c) => shape(c.summary) === shape(text));
      if (check) {
        const names = check.names.length ? check.names : [];
        if (names.length)
          assert.ok(
            names.some((n) => text.includes(n.split('/').at(-1)!)),
            `${check.id} names none of its objects: ${text}`,
          );
      } else {
        // An object's line: "namespace/name: value", the object as the check names it.
        assert.ok(
          checks.some((c) => c.names.some((n) => text.startsWith(`${n}: `))),
          `neither a whole summary nor an object's line (cut?): ${text}\n${screen}`,
        );
      }
      seen++;
    }
  }
  return seen;
}

test('tmux 80x24, the demo: every finding whole; Next: followed alone reaches an end state naming what is left in Git', async (t) => {
  if (skipWithoutTmux(t)) return;
  const state = mkdtempSync(join(tmpdir(), 'drdeck-tmux-dash-'));
  const config = join(state, 'drdeck.yaml');
  writeFileSync(config, '# empty: the demo defaults\n');
  const term = new Terminal(join(state, 'tmux.sock'));
  try {
    const checks = await checkResults(['--demo', '--config', config]);
    // Fast enough to finish here, slow enough that a phase is seen: 60 scenario minutes a minute.
    await term.start(drdeckCommand(state, ['demo', '--speed', '60', '--state-dir', state, '--config', config]), state);
    let screen = await term.waitFor(/^Next: /m);
    assertReadable(screen);
    assert.ok(nextText(screen).length > 'Next: '.length, 'Next: says something');
    const seen = await assertFindingsWhole(term, checks);
    assert.ok(seen >= 6, `${seen} failing findings read`);

    // From the last panel (DNS), Next's key still works: it focuses its own panel.
    const keys: string[] = [];
    const deadline = Date.now() + 240_000;
    for (;;) {
      screen = await term.screen();
      const next = nextText(screen);
      if (/apps running/.test(next) && !/\[[a-zA-Z]\]/.test(next)) break;
      const key = /\[([a-zA-Z])\]/.exec(next)?.[1];
      assert.ok(Date.now() < deadline, `no end state after keys ${keys.join(' ')}; the screen:\n${screen}`);
      if (!key) {
        // Nothing to press: the demo plays on (Flux reconciles, restores run).
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      assertReadable(screen);
      keys.push(key);
      await term.send(key);
      // Its confirm opens, or the fix answers on its panel without one (refused, nothing to do) and
      // Next moves on.
      const confirm = await term.waitFor((s) => /y apply|Type "[^"]+" and Enter/.test(s) || (/^Next: /m.test(s) && !nextText(s).includes(`[${key}]`)), 30_000);
      const name = /Type "([^"]+)" and Enter/.exec(confirm)?.[1];
      if (name) {
        await term.send(name, true);
        await term.send('Enter');
      } else if (/y apply/.test(confirm)) await term.send('y');
      // The confirm closes; the fix runs on the dashboard until the step it did is behind (pressed
      // again while it runs, its key would only say it is running).
      await term.waitFor((s) => /^Next: /m.test(s) && !/y apply|Type "/.test(s), 30_000);
      await term.waitFor((s) => !nextText(s).includes(`[${key}]`), 90_000).catch(() => {});
    }
    t.diagnostic(`Next: keys pressed: ${keys.join(' ')}`);
    assert.ok(keys.length >= 3, `followed Next: ${keys.join(' ')}`);
    // The end state: the apps run; what is red and why, Git's changes with their files. Never "done".
    screen = await term.waitFor((s) => /changes? left in Git \(g\): .*\.ya?ml/.test(nextText(s)), 60_000);
    assertReadable(screen);
    const next = nextText(screen);
    assert.match(next, /apps running, still red: ✗\d+ /);
    assert.doesNotMatch(screen, /\bdone\b/);
    await term.send('q');
    await term.waitFor('[drdeck exited with 0]', 10_000);
  } finally {
    await term.close();
    rmSync(state, { recursive: true, force: true });
  }
});

test('tmux 80x24, the test API server with the rebuild scenario: every finding whole, naming its object; Next: and the bar whole', async (t) => {
  if (skipWithoutTmux(t) || skipWithoutGo(t)) return;
  const env = await startE2eCluster('tmux-dashboard');
  const dir = env.cluster.dir;
  const term = new Terminal(join(dir, 'tmux.sock'));
  try {
    const written = await writeScenario(dir, 'rebuild');
    const onCluster = ['--kubeconfig', env.cluster.kubeconfig, '--config', written.config];
    const checks = await checkResults(onCluster);
    assert.ok(
      checks.some((c) => c.status === 'fail'),
      'the scenario fails checks',
    );
    await term.start(drdeckCommand(dir, [...onCluster, '--state-dir', join(dir, 'state')]), dir);
    // Every watch synced: no panel still counts a pending check (…N) or says "connecting…".
    const settled = (s: string) => !/^[▶ ] \S+ +(?:[✗!✓?]\d+ )*…\d/m.test(s) && !/connecting…/.test(s);
    const screen = await term.waitFor((s) => /^Next: /m.test(s) && /^[▶ ] DNS +[✗!✓]/m.test(s) && settled(s), 60_000);
    assertReadable(screen);
    const seen = await assertFindingsWhole(term, checks);
    t.diagnostic(`${seen} failing findings read whole`);
    assert.ok(seen >= 6, `${seen} failing findings read`);
    await term.send('q');
    await term.waitFor('[drdeck exited with', 10_000);
  } finally {
    await term.close();
    await env.stop();
  }
});
