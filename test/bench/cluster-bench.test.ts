/**
 * The cluster benchmark's pure parts (bench/cluster): its arithmetic, the results.json schema, the
 * BENCHMARKS.md table, its options, the object mix, the k9s builder's go.mod reading, and the tmux
 * terminal the TUIs run in. Fast, no cluster: the benchmark itself is not part of `npm test`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseBenchArgs } from '../../bench/cluster/main.js';
import { benchObject, MIX } from '../../bench/cluster/load.js';
import { stripAnsi } from '../../bench/cluster/replay.js';
import {
  BEGIN,
  END,
  figure,
  fmt,
  k9sRows,
  markdownTable,
  ResultsSchema,
  resultsMarkdown,
  spliceMarkdown,
  targetRows,
  type Figure,
  type Results,
} from '../../bench/cluster/results.js';
import { median, percentile, slope } from '../../bench/cluster/stats.js';
import { killServer, Terminal } from '../../bench/cluster/tui.js';
import { requireAndReplaceLines } from '../tools/k9s.js';

describe('stats', () => {
  test('percentile by nearest rank: p50 and p99 of 1..100, and of a small sample', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 99), 99);
    assert.equal(percentile(hundred, 100), 100);
    // With 10 samples, p99 is the worst one: a single slow frame is never hidden.
    assert.equal(percentile([5, 1, 9, 3, 7, 2, 8, 4, 6, 400], 99), 400);
    assert.equal(percentile([42], 50), 42);
    assert.equal(percentile([], 50), undefined);
  });

  test('median of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), undefined);
  });

  test('slope: MB per minute of a growing and a flat series', () => {
    assert.equal(
      slope([
        [0, 100],
        [1, 110],
        [2, 120],
      ]),
      10,
    );
    assert.equal(
      slope([
        [0, 100],
        [1, 100],
        [2, 100],
      ]),
      0,
    );
    assert.equal(slope([[0, 100]]), 0);
  });
});

const f = (over: Partial<Figure> & Pick<Figure, 'metric'>): Figure =>
  figure({ tool: 'drdeck', n: 20000, rate: 0, path: 'server', unit: 'ms', runs: [1], load1: [1.5], ...over });

function sampleResults(figures: Figure[]): Results {
  return {
    schema: 1,
    startedAt: '2026-12-02T00:00:00.000Z',
    finishedAt: '2026-12-02T00:30:00.000Z',
    command: 'npm run bench -- --cluster --quick',
    machine: { nproc: 2, node: 'v20.20.2', commit: 'abc123', cpu: 'test cpu' },
    load: [{ n: 20000, created: 20000, seconds: 200, rate: 100 }],
    figures,
    notes: [],
  };
}

describe('results', () => {
  test('a figure is the median of its runs; the schema takes it and refuses one without runs', () => {
    const one = f({ metric: 'sync', runs: [9000, 7000, 8000], load1: [2, 2.5, 3] });
    assert.equal(one.median, 8000);
    assert.doesNotThrow(() => ResultsSchema.parse(sampleResults([one])));
    assert.throws(() => ResultsSchema.parse(sampleResults([{ ...one, runs: [] }])));
    assert.throws(() => ResultsSchema.parse(sampleResults([{ ...one, path: 'somewhere' as Figure['path'] }])));
  });

  test('targets: the sync ratio over the raw LIST, met and not met, and what was not measured', () => {
    const met = targetRows([f({ metric: 'first-frame-to-sync', runs: [6000] }), f({ tool: 'raw', metric: 'raw-list', runs: [4500] })]);
    const syncRow = met.find((r) => r[0].includes('synced'))!;
    assert.equal(syncRow[1], '1.33 x (6000 ms / 4500 ms)');
    assert.equal(syncRow[3], 'met');
    const notMet = targetRows([f({ metric: 'first-frame-to-sync', runs: [17000] }), f({ tool: 'raw', metric: 'raw-list', runs: [4500] })]);
    assert.equal(notMet.find((r) => r[0].includes('synced'))![3], 'not met');
    const rss = targetRows([f({ metric: 'rss-idle', unit: 'MB', runs: [355], load1: [3.2] })]).find((r) => r[0].includes('30 s idle'))!;
    assert.deepEqual([rss[1], rss[2], rss[3], rss[5]], ['355 MB', '≤ 250 MB', 'not met', '3.2']);
    const nothing = targetRows([]).find((r) => r[0].includes('CPU'))!;
    assert.deepEqual([nothing[1], nothing[3]], ['not measured', '—']);
  });

  test('a target says when the server took less than the rate asked', () => {
    const rows = targetRows([f({ metric: 'event-to-screen-p99', n: 5000, rate: 200, achievedRate: 62, runs: [1900] })]);
    assert.equal(rows.find((r) => r[0].includes('200 events/s: change → screen p99 (server)'))![4], 'server, runs 1, the server took 62.0/s');
  });

  test('a replay figure answers only the replay target, never the server one', () => {
    const rows = targetRows([f({ metric: 'event-to-frame-p99', n: 5000, rate: 200, path: 'replay', runs: [300] })]);
    assert.equal(rows.find((r) => r[0].includes('(replay)'))![3], 'met');
    assert.equal(rows.find((r) => r[0].includes('200 events/s: change → screen p99 (server)'))![1], 'not measured');
  });

  test('k9s rows: drdeck / k9s ratio, k9s first data beside drdeck sync', () => {
    const rows = k9sRows([
      f({ metric: 'sync', n: 5000, runs: [4000] }),
      f({ tool: 'k9s', metric: 'first-data', n: 5000, runs: [2000] }),
      f({ metric: 'rss-idle', n: 5000, unit: 'MB', runs: [200] }),
      f({ tool: 'k9s', metric: 'rss-idle', n: 5000, unit: 'MB', runs: [100] }),
      f({ metric: 'requests-15s', n: 5000, unit: 'count', path: 'proxy', runs: [80] }),
      f({ tool: 'k9s', metric: 'requests-15s', n: 5000, unit: 'count', path: 'proxy', runs: [16] }),
    ]);
    assert.deepEqual(
      rows.map((r) => [r[0], r[3], r[4], r[5]]),
      [
        ['first-data (drdeck: sync)', '4000 ms', '2000 ms', '2.00 x'],
        ['rss-idle', '200 MB', '100 MB', '2.00 x'],
        ['requests-15s', '80', '16', '5.00 x'],
      ],
    );
  });

  test('the markdown block replaces the last one in place and keeps what is around it', () => {
    const doc = `# Benchmarks\n\nHow to rerun.\n\n${BEGIN}\nold\n${END}\n\nAfter.\n`;
    const once = spliceMarkdown(doc, 'new table');
    assert.ok(once.includes('How to rerun.') && once.includes('After.') && once.includes('new table') && !once.includes('old'));
    assert.equal(spliceMarkdown(once, 'new table'), once);
    assert.ok(spliceMarkdown('# Benchmarks\n', 'first').endsWith(`${BEGIN}\n\nfirst\n${END}\n`));
    const md = resultsMarkdown(sampleResults([f({ metric: 'sync', runs: [1] })]));
    assert.match(md, /\| drdeck \| sync \| 20000 \| 0 \| server \| 1.00 ms \| 1.00 \| 1.5 \|/);
    assert.match(md, /k9s was not measured/);
  });

  test('table cells escape a pipe; numbers keep three significant digits', () => {
    assert.equal(markdownTable(['a'], [['x|y']]), '| a |\n|---|\n| x\\|y |');
    assert.equal(fmt(1234.5, 'ms'), '1235 ms');
    assert.equal(fmt(12.345, '%'), '12.3 %');
    assert.equal(fmt(0.1234, '%'), '0.12 %');
    assert.equal(fmt(41, 'count'), '41');
    assert.equal(fmt(undefined), '—');
  });
});

describe('options', () => {
  test('defaults: 1k/5k/20k, 3 runs, k9s, 10 min churn, rates 0/50/200; --quick and subsets', () => {
    const all = parseBenchArgs([]);
    assert.deepEqual([all.n, all.runs, all.k9s, all.churnMinutes, all.rates, all.idleSeconds], [[1000, 5000, 20000], 3, true, 10, [0, 50, 200], 30]);
    const quick = parseBenchArgs(['--quick', '--n', '5k,1000', '--no-k9s']);
    assert.deepEqual([quick.n, quick.runs, quick.k9s, quick.churnMinutes, quick.rates], [[1000, 5000], 1, false, 0, [0, 50]]);
    assert.equal(parseBenchArgs(['--quick', '--churn-minutes', '2']).churnMinutes, 2);
    assert.throws(() => parseBenchArgs(['--n', 'lots']), /positive integers/);
  });
});

describe('load mix', () => {
  test('100 consecutive objects follow the mix; names are unique and stable', () => {
    const counts = new Map<string, number>();
    const names = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const o = benchObject(i);
      counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
      names.add(`${o.kind}/${(o.body.metadata as { name: string }).name}`);
    }
    assert.deepEqual(Object.fromEntries(counts), Object.fromEntries(MIX));
    assert.equal(names.size, 100);
    assert.deepEqual(benchObject(7), benchObject(7));
    const service = benchObject(0).body as { spec: { type: string; allocateLoadBalancerNodePorts: boolean } };
    assert.deepEqual([service.spec.type, service.spec.allocateLoadBalancerNodePorts], ['LoadBalancer', false]);
  });
});

describe('k9s builder and replay helpers', () => {
  test("the helper go.mod takes k9s's require and replace lines, blocks and single lines", () => {
    const goMod = 'module x\n\ngo 1.24\n\nrequire (\n\ta v1\n\tb v2 // indirect\n)\n\nrequire c v3\n\nreplace d => e v4\n\nreplace (\n\tf => g v5\n)\n';
    const { require, replace } = requireAndReplaceLines(goMod);
    assert.equal(require, '\ta v1\n\tb v2 // indirect\n\tc v3');
    assert.equal(replace, '\tf => g v5\n\td => e v4');
    assert.deepEqual(requireAndReplaceLines('module x\n'), { require: '', replace: '' });
  });

  test('stripAnsi leaves the text Ink drew', () => {
    assert.equal(stripAnsi('\u001b[2K\u001b[1A\u001b[31m✗\u001b[39m 300/301 EXTERNAL-IP pending\u001b[?25l'), '✗ 300/301 EXTERNAL-IP pending');
  });
});

describe('the terminal the TUIs run in', () => {
  test('keys and screen reads go through tmux control mode: a shell echoes what was typed, read when it writes, and the session stays 80x24', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drdeck-term-'));
    const socket = join(dir, 'tmux.sock');
    const term = new Terminal(socket, 'shell');
    try {
      await term.start(['sh'], { PATH: process.env.PATH ?? '', PS1: '$ ', TERM: 'xterm-256color' }, 80, 24);
      // A quote and a dollar in a key reach the shell as typed.
      await term.keys("echo 'it''s' $((6*7))", 'Enter');
      const seen = await term.waitFor((s) => s.split('\n').includes('its 42'), 10_000);
      assert.ok(seen, 'the echo reached the screen');
      const size = execFileSync('tmux', ['-S', socket, 'display-message', '-p', '-t', 'shell', '#{window_width}x#{window_height}'], { encoding: 'utf8' });
      assert.equal(size.trim(), '80x24');
      assert.equal(await term.waitFor((s) => s.includes('never shown'), 200), undefined, 'a screen that never shows it times out');
    } finally {
      await term.kill();
      await killServer(socket);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
