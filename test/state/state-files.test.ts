/**
 * drdeck's state on disk is the operator's alone, and the demo's is kept apart from the real one:
 * folders it creates are 0700, the audit log and timelines 0600 (tightened when found looser), and
 * `demo` writes under `<state dir>/demo/`, so the real audit log never gets a demo entry.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect } from '../../src/commands/connect.js';
import { waitForSync } from '../../src/session.js';
import { AuditLog, type AuditRecord } from '../../src/state/audit-log.js';
import { stateDir } from '../../src/state/paths.js';
import { createTimeline } from '../../src/timeline/index.js';
import { loadTimeline, saveTimeline, timelineFile } from '../../src/timeline/store-file.js';

const work = mkdtempSync(join(tmpdir(), 'drdeck-state-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
/** A path under the test's folder that does not exist yet. */
const fresh = (name: string) => join(work, `${name}-${n++}`);
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** The intent of a new attempt. */
const entry = (fixId: string): AuditRecord => ({
  record: 'intent',
  attempt: `attempt-${n++}`,
  time: '2026-01-01T00:00:00.000Z',
  context: 'home',
  user: 'admin',
  fixId,
  targets: [],
  requests: [],
  dryRun: 'ok',
});

test('the audit log: a new state folder is 0700 (parents too), the log 0600', () => {
  const dir = join(fresh('audit'), 'nested', 'drdeck');
  const log = new AuditLog(dir);
  log.append(entry('flux-reconcile'));
  assert.equal(modeOf(dir), 0o700);
  assert.equal(modeOf(join(dir, '..')), 0o700);
  assert.equal(modeOf(log.file), 0o600);
  assert.deepEqual(
    log.read().map((e) => e.fixId),
    ['flux-reconcile'],
  );
});

test('an audit log found readable by others is made 0600 when drdeck appends to it, or reads it', () => {
  const dir = fresh('loose-audit');
  const first = new AuditLog(dir);
  first.append(entry('a'));
  chmodSync(first.file, 0o644);
  new AuditLog(dir).append(entry('b'));
  assert.equal(modeOf(first.file), 0o600, 'tightened on append');
  chmodSync(first.file, 0o664);
  assert.equal(new AuditLog(dir).read().length, 2);
  assert.equal(modeOf(first.file), 0o600, 'tightened on read');
});

test('a timeline is saved 0600 in a 0700 folder; one found looser is tightened on load', () => {
  const dir = fresh('timeline');
  const file = saveTimeline(dir, createTimeline('home', Date.now()));
  assert.equal(modeOf(dir), 0o700);
  assert.equal(modeOf(file), 0o600);
  chmodSync(file, 0o644);
  assert.ok(loadTimeline(dir, 'home').state);
  assert.equal(modeOf(file), 0o600);
  // And a save over a loose file leaves a private one (the rename brings the new file's mode).
  chmodSync(file, 0o666);
  saveTimeline(dir, createTimeline('home', Date.now()));
  assert.equal(modeOf(timelineFile(dir, 'home')), 0o600);
});

test('an existing state folder named by --state-dir is not changed (it may not be ours)', () => {
  const dir = fresh('shared');
  new AuditLog(dir).append(entry('x'));
  chmodSync(dir, 0o755);
  new AuditLog(dir).append(entry('y'));
  assert.equal(modeOf(dir), 0o755);
  assert.equal(modeOf(join(dir, 'audit.jsonl')), 0o600);
});

test('$XDG_STATE_HOME is used when absolute, ignored when relative (the XDG spec)', () => {
  assert.equal(stateDir(undefined, { XDG_STATE_HOME: '/srv/state' }), '/srv/state/drdeck');
  assert.notEqual(stateDir(undefined, { XDG_STATE_HOME: 'state' }), join(process.cwd(), 'state', 'drdeck'));
  assert.match(stateDir(undefined, { XDG_STATE_HOME: 'state' }), /\/\.local\/state\/drdeck$/);
});

test('the demo keeps its timeline and audit log in <state dir>/demo: the real audit log gets no demo entry', async () => {
  const state = fresh('demo-state');
  // A real cluster's audit log, already there.
  const real = new AuditLog(state);
  real.append(entry('flux-reconcile'));
  const before = readFileSync(real.file, 'utf8');
  const config = join(work, `empty-${n++}.yaml`);
  writeFileSync(config, '# empty: the demo defaults\n');

  const { session, audit } = await connect({ demo: true, speed: 3000, stateDir: state, config });
  try {
    await waitForSync(session, 10_000);
    session.buffer.flush();
    const { store } = session;
    await store.getState().requestFix('kopia-reclaim');
    store.getState().typeConfirm('kopia');
    await store.getState().confirmFix();
    assert.equal(store.getState().fixes['kopia-reclaim']?.phase, 'done');
  } finally {
    session.close();
  }
  const demoDir = join(state, 'demo');
  assert.equal(audit.file, join(demoDir, 'audit.jsonl'));
  assert.deepEqual(
    audit.read().map((e) => [e.context, e.fixId, e.outcome]),
    [['demo', 'kopia-reclaim', 'done']],
  );
  assert.equal(readFileSync(real.file, 'utf8'), before, 'the real audit log is untouched');
  assert.deepEqual(readdirSync(state).sort(), ['audit.jsonl', 'demo']);
  assert.ok(existsSync(timelineFile(demoDir, 'demo')), "the demo's timeline is in its folder");
  assert.equal(modeOf(demoDir), 0o700);
  for (const name of readdirSync(demoDir)) assert.equal(modeOf(join(demoDir, name)), 0o600, name);
});
