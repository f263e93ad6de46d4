/**
 * The audit log as a stream of records per attempt, read back folded: an attempt with no outcome
 * reads as interrupted, logs of the older one-line format still read, torn or hand-broken lines are
 * skipped, Secret bodies never reach the file.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AuditLog, foldAudit, NO_OUTCOME, parseAuditLines, type AuditIntent, type AuditRecord } from '../../src/state/audit-log.js';

const work = mkdtempSync(join(tmpdir(), 'drdeck-audit-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshLog = () => new AuditLog(join(work, `state-${n++}`));

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const base = (attempt: string, s: number) => ({ attempt, time: at(s), context: 'home', fixId: 'restores-trigger' });
const intent = (attempt: string, names: string[]): AuditIntent => ({
  record: 'intent',
  ...base(attempt, 0),
  user: 'admin',
  targets: names.map((name) => `default/${name}`),
  requests: names.map((name) => ({ verb: 'patch', kind: 'replicationdestinations', namespace: 'default', name, body: { spec: { trigger: { manual: 't' } } } })),
  dryRun: 'ok',
});
const request = (attempt: string, name: string, s: number, error?: string): AuditRecord => ({
  record: 'request',
  ...base(attempt, s),
  verb: 'patch',
  kind: 'replicationdestinations',
  namespace: 'default',
  name,
  ok: error === undefined,
  ...(error ? { error } : {}),
});

test('an attempt folds into one entry: the intent, the requests as they landed, the outcome', () => {
  const log = freshLog();
  for (const record of [
    intent('a1', ['plex-dst', 'sonarr-dst']),
    request('a1', 'plex-dst', 1),
    request('a1', 'sonarr-dst', 2, 'not found'),
    {
      record: 'outcome',
      ...base('a1', 90),
      outcome: 'failed',
      message: '1 restored, 1 not triggered',
      sent: ['patch replicationdestinations default/plex-dst'],
    },
  ] as AuditRecord[])
    log.append(record);
  const [entry, ...rest] = log.read();
  assert.deepEqual(rest, []);
  assert.deepEqual(
    [entry.attempt, entry.time, entry.endedAt, entry.user, entry.outcome, entry.message, entry.reason],
    ['a1', at(0), at(90), 'admin', 'failed', '1 restored, 1 not triggered', undefined],
  );
  assert.deepEqual(entry.targets, ['default/plex-dst', 'default/sonarr-dst']);
  assert.deepEqual(
    entry.sent?.map((s) => [s.name, s.ok, s.error]),
    [
      ['plex-dst', true, undefined],
      ['sonarr-dst', false, 'not found'],
    ],
  );
});

test('an attempt whose records end without an outcome reads as interrupted (no outcome recorded)', () => {
  const log = freshLog();
  log.append(intent('k9', ['a-dst', 'b-dst', 'c-dst']));
  log.append(request('k9', 'a-dst', 1));
  log.append(request('k9', 'b-dst', 2));
  const [entry] = log.read();
  assert.deepEqual([entry.outcome, entry.reason], ['interrupted', NO_OUTCOME]);
  assert.equal(entry.message, 'no outcome recorded (drdeck was killed, or is still running it): 2 of 3 requests sent');
});

test('two drdecks on one log: their records interleave and still fold apart; the first outcome of an attempt wins', () => {
  const records: AuditRecord[] = [
    intent('x', ['a-dst']),
    intent('y', ['b-dst']),
    request('y', 'b-dst', 1),
    request('x', 'a-dst', 2),
    {
      record: 'outcome',
      ...base('x', 3),
      outcome: 'interrupted',
      reason: 'SIGHUP',
      message: 'interrupted (SIGHUP)',
      sent: ['patch replicationdestinations default/a-dst'],
    },
    { record: 'outcome', ...base('x', 4), outcome: 'done', message: 'late', sent: [] },
  ];
  const entries = foldAudit(records);
  assert.deepEqual(
    entries.map((e) => [e.attempt, e.outcome, e.reason, e.sent?.map((s) => s.name)]),
    [
      ['x', 'interrupted', 'SIGHUP', ['a-dst']],
      ['y', 'interrupted', NO_OUTCOME, ['b-dst']],
    ],
  );
});

test('a log of the older format (one line per attempt) reads as it did, beside new records', () => {
  const log = freshLog();
  const old = {
    time: at(5),
    context: 'home',
    user: 'admin',
    fixId: 'kopia-reclaim',
    targets: ['default/kopia'],
    requests: [{ verb: 'delete', kind: 'persistentvolumeclaims', namespace: 'default', name: 'kopia' }],
    dryRun: 'ok',
    outcome: 'done',
    message: 'PVC default/kopia Bound',
  };
  log.append(intent('new', ['a-dst']));
  appendFileSync(log.file, `${JSON.stringify(old)}\n`);
  const entries = log.read();
  assert.deepEqual(entries[1], old);
  assert.deepEqual([entries[0].attempt, entries[0].outcome], ['new', 'interrupted']);
});

test('lines torn by a crash or broken by hand are skipped; the rest reads', () => {
  const log = freshLog();
  log.append(intent('ok', ['a-dst']));
  appendFileSync(log.file, '{"record":"request","attempt":"ok","ti\n');
  appendFileSync(
    log.file,
    `${JSON.stringify({ record: 'intent', attempt: 'bad', time: at(1), context: 'home', fixId: 'f', user: 'u', targets: 'all', requests: [], dryRun: 'ok' })}\n`,
  );
  appendFileSync(log.file, `${JSON.stringify({ record: 'mystery', attempt: 'ok' })}\n[1,2]\nnull\n`);
  log.append({ record: 'outcome', ...base('ok', 9), outcome: 'done', message: 'fine', sent: [] });
  assert.equal(parseAuditLines(readFileSync(log.file, 'utf8')).length, 2);
  assert.deepEqual(
    log.read().map((e) => [e.attempt, e.outcome]),
    [['ok', 'done']],
  );
});

test('a Secret body in an intent is written redacted', () => {
  const log = freshLog();
  log.append({
    ...intent('s', []),
    requests: [
      { verb: 'create', kind: 'secrets', namespace: 'default', name: 'kopia', body: { metadata: { name: 'kopia' }, data: { KOPIA_PASSWORD: 'c2VjcmV0' } } },
    ],
  });
  const text = readFileSync(log.file, 'utf8');
  assert.ok(!text.includes('c2VjcmV0'), text);
  assert.deepEqual(log.read()[0].requests[0].body, { metadata: { name: 'kopia' }, data: '(redacted)' });
});
