/**
 * The table of `drdeck check` carries no control character of the cluster's: shown escaped, as on
 * screen. On a terminal each line is cut to its width in columns (wide characters count twice).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import type { CheckResult } from '../../src/checks/types.js';
import { buildReport, formatTable } from '../../src/headless/check-output.js';
import { orderedResults } from '../../src/store/checks-slice.js';
import { demoSession } from '../demo-session.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const result = (summary: string): CheckResult => ({ id: 'flux.ready', panel: 'flux', status: 'fail', summary, evidence: [], fixes: [] });

test('a summary with escape sequences is printed escaped, into a pipe and on a terminal', () => {
  const report = buildReport([result('failed: \u001b]0;pwned\u0007 \u001b[32mALL CHECKS PASS\u001b[0m \u009b2J \u202eevil nul\u0000')]);
  for (const table of [formatTable(report), formatTable(report, 100)]) {
    assert.doesNotMatch(table, CONTROL);
    assert.match(table, /FAIL {2}flux\.ready {2}failed: \\x1b\]0;pwned\\x07 \\x1b\[32mALL CHECKS PASS\\x1b\[0m \\x9b2J \\u202eevil/);
  }
});

test('on a terminal every line fits its columns, wide characters counted twice; into a pipe the summary is whole', () => {
  const summary = `名前 ${'界'.repeat(200)}`;
  const report = buildReport([result(summary)]);
  for (const line of formatTable(report, 80).split('\n')) assert.ok(stringWidth(line) <= 80, line);
  assert.ok(formatTable(report).includes(summary));
});

test('check on a cluster holding hostile text: the table and the JSON carry it escaped, and capped', async () => {
  const session = await demoSession();
  try {
    session.demo.cluster.patchNow(
      'kustomizations',
      'flux-system',
      'cert-manager',
      { status: { conditions: [{ type: 'Ready', status: 'False', reason: '\u001b[32mReady', message: `\u001b]0;pwned\u0007${'x'.repeat(100_000)}` }] } },
      'merge',
      { subresource: 'status' },
    );
    for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 5))) {
      session.buffer.flush();
      if (/pwned/.test(JSON.stringify(session.store.getState().results['flux.ready']))) break;
      if (Date.now() > deadline) throw new Error('the store never saw the change');
    }
    const report = buildReport(orderedResults(session.store.getState().results));
    const table = formatTable(report);
    assert.doesNotMatch(table, CONTROL);
    assert.match(table, /flux\.essential .*cert-manager failed \(\\x1b\[32mReady\)/);
    const json = JSON.stringify(report);
    assert.doesNotMatch(json, /\\u001b|\\u0007/, 'the JSON holds the escaped text, not the raw control');
    const evidence = report.checks.find((c) => c.id === 'flux.ready')!.evidence.find((e) => e.name === 'cert-manager')!;
    assert.match(
      evidence.value,
      /^False \\x1b\[32mReady: \\x1b\]0;pwned\\x07x+ … \[cut: 100010 chars\]$/,
      'a condition message: kept to 32 KB, the cut marked with the whole length',
    );
    assert.ok(evidence.value.length < 33_000, `${evidence.value.length}`);
  } finally {
    session.close();
  }
});
