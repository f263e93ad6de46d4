/**
 * `drdeck preflight --json` on the resolver's fixture repositories: each fixture with a
 * `checklist.json` beside its `expected.json` states the verdict of every item, a summary pattern and
 * the file:line rows it must name. Run with the built-in resolver, and with the flux CLI where it is
 * built (its rendering must give the same verdicts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { drdeck, scratch } from './cli-helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/repos/', import.meta.url));
const FLUX = process.env.DRDECK_FLUX ?? join(homedir(), '.cache', 'drdeck', 'tools', 'flux-v2.9.5', 'flux');

interface Expected {
  config: Record<string, unknown>;
  exitCode: number;
  items: Record<string, { status: string; summary: string; evidence?: string[] }>;
}

interface Report {
  items: Array<{ id: number; status: string; summary: string; evidence: Array<{ file?: string; line?: number }> }>;
  renderer: string;
  exitCode: number;
}

const fixtures = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'checklist.json')));

test('some fixtures state their checklist', () => assert.ok(fixtures.length >= 2, fixtures.join(', ')));

for (const name of fixtures) {
  const expected = JSON.parse(readFileSync(join(FIXTURES, name, 'checklist.json'), 'utf8')) as Expected;
  const config = join(scratch, `${name}.json`);
  writeFileSync(config, JSON.stringify(expected.config));

  const verify = (report: Report) => {
    assert.equal(report.exitCode, expected.exitCode);
    assert.deepEqual(
      report.items.map((i) => i.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    for (const item of report.items) {
      const want = expected.items[String(item.id)];
      assert.equal(item.status, want.status, `item ${item.id}: ${item.summary}`);
      assert.match(item.summary, new RegExp(want.summary), `item ${item.id}`);
      const rows = item.evidence.map((e) => `${e.file}:${e.line}`);
      for (const row of want.evidence ?? []) assert.ok(rows.includes(row), `item ${item.id} names ${row}; it names ${rows.join(', ')}`);
    }
  };

  test(`${name}: every item's verdict, summary and file:line (built-in resolver)`, () => {
    const run = drdeck(['preflight', '--repo', join(FIXTURES, name), '--json', '--renderer', 'built-in', '--config', config]);
    assert.equal(run.code, expected.exitCode, run.stderr);
    verify(JSON.parse(run.stdout) as Report);
  });

  test(`${name}: the same verdicts when the flux CLI renders`, { skip: !existsSync(FLUX) && 'flux not built (node --import tsx test/tools/build.ts)' }, () => {
    const run = drdeck(['preflight', '--repo', join(FIXTURES, name), '--json', '--renderer', 'flux', '--config', config], { DRDECK_FLUX: FLUX });
    const report = JSON.parse(run.stdout) as Report;
    assert.equal(report.renderer, 'flux');
    verify(report);
  });
}
