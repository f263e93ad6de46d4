import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTimeline, saveTimeline, timelineFile } from '../../src/timeline/store-file.js';
import { advance, createTimeline } from '../../src/timeline/timeline.js';
import { T0, at, holding } from './helpers.js';
import { writtenVersion } from './write-loop.js';

const NOW = Date.parse('2025-12-02T12:00:00Z');
const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drdeck-timeline-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('file names: one per context, sanitized, distinct', () => {
  assert.equal(basename(timelineFile('/s', 'prod')), 'timeline-prod.json');
  const arn = basename(timelineFile('/s', 'arn:aws:eks:eu-west-1:123456789012:cluster/prod'));
  assert.match(arn, /^timeline-arn_aws_eks_eu-west-1_123456789012_cluster_prod-[0-9a-f]{8}\.json$/);
  assert.notEqual(timelineFile('/s', 'a/b'), timelineFile('/s', 'a_b'));
  assert.notEqual(timelineFile('/s', 'a/b'), timelineFile('/s', 'a:b'));
  assert.match(basename(timelineFile('/s', '../../etc/passwd')), /^timeline-_[^/]*\.json$/);
  assert.ok(basename(timelineFile('/s', 'x'.repeat(400))).length < 130);
});

test('save then load: the same timeline; no file: nothing', () => {
  const dir = join(freshDir(), 'not-yet-created');
  assert.deepEqual(loadTimeline(dir, 'prod', NOW), {});
  const state = advance(createTimeline('prod', T0 - 5_000, T0), holding('flux-deployed', 'infrastructure-ready'), at(18));
  const file = saveTimeline(dir, state);
  assert.equal(file, timelineFile(dir, 'prod'));
  assert.deepEqual(loadTimeline(dir, 'prod', NOW), { state });
  assert.deepEqual(readdirSync(dir), ['timeline-prod.json'], 'no temporary file left');
  assert.deepEqual(loadTimeline(dir, 'staging', NOW), {}, 'another context has its own file');
});

test('a phase this version does not know is dropped, not an error', () => {
  const dir = freshDir();
  const state = createTimeline('prod', T0, T0);
  writeFileSync(
    timelineFile(dir, 'prod'),
    JSON.stringify({ ...state, phases: { 'flux-deployed': { completedAt: T0 }, 'from-the-future': { completedAt: T0 } } }),
  );
  assert.deepEqual(loadTimeline(dir, 'prod', NOW), { state: { ...state, phases: { 'flux-deployed': { completedAt: T0 } } } });
});

test('a corrupt file is moved aside with a warning, and a fresh timeline can start', () => {
  const valid = JSON.stringify(createTimeline('prod', T0, T0));
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', 'not json at all {', /not JSON/],
    ['torn', valid.slice(0, valid.length / 2), /not JSON/],
    ['wrong shape', JSON.stringify({ version: 1, context: 'prod', startedAt: 'yesterday', sessions: [], phases: {} }), /startedAt/],
    ['another version', JSON.stringify({ ...JSON.parse(valid), version: 2 }), /version/],
    ['another context', JSON.stringify({ ...JSON.parse(valid), context: 'staging' }), /context "staging"/],
    [
      'a regression without a start',
      JSON.stringify({ ...JSON.parse(valid), phases: { 'flux-deployed': { regressions: [{ to: 5 }] } } }),
      /phases\.flux-deployed\.regressions\.0\.from/,
    ],
  ];
  for (const [name, text, problem] of cases) {
    const dir = freshDir();
    const file = timelineFile(dir, 'prod');
    writeFileSync(file, text);
    const loaded = loadTimeline(dir, 'prod', NOW);
    assert.equal(loaded.state, undefined, name);
    const aside = `${file}.corrupt-20251202T120000Z`;
    assert.equal(
      loaded.warning,
      `timeline-prod.json was corrupt (${loaded.warning?.match(/\((.*?)\); moved/)?.[1]}); moved aside to ${aside}; a fresh timeline starts`,
      name,
    );
    assert.match(loaded.warning ?? '', problem, name);
    assert.equal(existsSync(file), false, `${name}: the corrupt file is gone`);
    assert.equal(readFileSync(aside, 'utf8'), text, `${name}: kept as it was`);
    assert.deepEqual(loadTimeline(dir, 'prod', NOW), {}, `${name}: next load starts fresh`);
  }
});

test('two corrupt files in the same second do not overwrite each other', () => {
  const dir = freshDir();
  const file = timelineFile(dir, 'prod');
  writeFileSync(file, 'first');
  loadTimeline(dir, 'prod', NOW);
  writeFileSync(file, 'second');
  const { warning } = loadTimeline(dir, 'prod', NOW);
  assert.match(warning ?? '', /corrupt-20251202T120000Z-2; a fresh/);
  assert.equal(readFileSync(`${file}.corrupt-20251202T120000Z`, 'utf8'), 'first');
  assert.equal(readFileSync(`${file}.corrupt-20251202T120000Z-2`, 'utf8'), 'second');
});

const WRITER = fileURLToPath(new URL('./write-loop.ts', import.meta.url));

/** Starts the writer at version `first`, kills it `delayMs` after its first write, resolves on exit. */
function writeThenKill(dir: string, first: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, 'prod', String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`))));
  });
}

test('a writer killed mid-write leaves a valid file: one of the versions it wrote', async () => {
  const dir = freshDir();
  // Kill moments spread over the loop (fixed, so a failure can be replayed).
  const delays = [3, 27, 61, 94, 150];
  let first = 0;
  let lastSeen = -1;
  for (const delay of delays) {
    await writeThenKill(dir, first, delay);
    const { state, warning } = loadTimeline(dir, 'prod', NOW);
    assert.equal(warning, undefined, `killed after ${delay} ms: ${warning}`);
    assert.ok(state, `killed after ${delay} ms: a timeline`);
    const version = state.startedAt;
    assert.deepEqual(state, writtenVersion('prod', version), `killed after ${delay} ms: version ${version} intact`);
    assert.ok(version >= first && version > lastSeen, `version ${version} from this run (started at ${first})`);
    assert.deepEqual(readdirSync(dir), ['timeline-prod.json'], "the dead writer's temporary file is cleaned up");
    lastSeen = version;
    first = version + 1;
  }
});
