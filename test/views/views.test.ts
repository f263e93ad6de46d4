/** The object views' pure parts: the YAML text, event rows, which pods tell about an object, the log buffer, the keys, `:` completion. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import { resolveKey, type Command, type KeyInfo, type KeyMode } from '../../src/store/keys.js';
import { completeCommand } from '../../src/store/views-slice.js';
import { eventFieldSelector, eventLine, eventRowOf, sortEvents } from '../../src/views/event-rows.js';
import { appendBounded, LineSplitter } from '../../src/views/log-lines.js';
import { podQueriesFor, recordedLog } from '../../src/views/log-targets.js';
import { objectYamlLines } from '../../src/views/object-yaml.js';

const config = parseConfig({}, 'test');

test('YAML: managedFields folded to one line, last-applied dropped, the rest as the server has it', () => {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: 'pv-1',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{}}', keep: 'me' },
      managedFields: [
        { manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } },
        { manager: 'drdeck', operation: 'Update', fieldsV1: { 'f:metadata': {} } },
        { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' },
        { manager: 'csi', operation: 'Update' },
      ],
    },
    spec: { csi: { volumeHandle: '0001-abc' }, persistentVolumeReclaimPolicy: 'Retain' },
  };
  const text = objectYamlLines('persistentvolumes', object).join('\n');
  assert.match(text, /^ {2}managedFields: 4 entries \(folded\)$/m);
  assert.doesNotMatch(text, /f:spec|fieldsV1|last-applied/);
  assert.match(text, /^ {4}keep: me$/m);
  assert.match(text, /^ {4}volumeHandle: 0001-abc$/m);
  const one = objectYamlLines('persistentvolumes', { ...object, metadata: { name: 'x', managedFields: [{ manager: 'a' }] } });
  assert.ok(one.includes('  managedFields: 1 entry (folded)'));
});

test('YAML: a Secret shows its metadata and type only, whatever was read; its values never', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'kopia', namespace: 'volsync-system', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"c2VjcmV0"}}' } },
    type: 'Opaque',
    data: { password: 'c2VjcmV0' },
    stringData: { password: 'secret' },
  } as KubeObject;
  const text = objectYamlLines('secrets', secret).join('\n');
  assert.doesNotMatch(text, /c2VjcmV0|secret\b(?!s)|password/);
  assert.match(text, /^type: Opaque$/m);
  assert.match(text, /^# data: not shown/m);
});

test('YAML: control characters in a value are escaped, not sent to the terminal', () => {
  const text = objectYamlLines('services', { kind: 'Service', metadata: { name: 'x', labels: { evil: 'a\u001b[2Jb' } } }).join('\n');
  assert.ok(!text.includes('\u001b'), text);
});

const event = (name: string, fields: Record<string, unknown>): KubeObject => ({
  metadata: { name, namespace: 'apps', uid: name, creationTimestamp: '2026-01-01T00:10:00Z' },
  ...fields,
});

test('events: the time an Event says, newest first, one line with type, reason, age, count, message, source', () => {
  const rows = sortEvents(
    [
      event('old', {
        type: 'Warning',
        reason: 'SecretNotFound',
        message: 'secret x not found',
        count: 3,
        lastTimestamp: '2026-01-01T00:00:00Z',
        source: { component: 'volsync' },
      }),
      event('new', { type: 'Normal', reason: 'Restored', message: 'ok', eventTime: '2026-01-01T00:05:00.000000Z', reportingComponent: 'volsync' }),
      event('series', { type: 'Warning', reason: 'BackOff', message: 'again', series: { count: 7, lastObservedTime: '2026-01-01T00:07:00Z' } }),
    ].map(eventRowOf),
  );
  assert.deepEqual(
    rows.map((r) => [r.reason, r.count]),
    [
      ['BackOff', 7],
      ['Restored', 1],
      ['SecretNotFound', 3],
    ],
  );
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(eventLine(rows[2], now), 'Warning SecretNotFound            10m     x3  secret x not found (volsync)');
  assert.match(eventLine(rows[0], now), /^Warning BackOff +3m +x7 {2}again$/);
});

test('events: the field selector names the object as kubectl describe does, its uid when known', () => {
  assert.equal(
    eventFieldSelector({ kind: 'ReplicationDestination', metadata: { name: 'rd', namespace: 'apps', uid: 'u-1' } }),
    'involvedObject.kind=ReplicationDestination,involvedObject.name=rd,involvedObject.namespace=apps,involvedObject.uid=u-1',
  );
  assert.equal(eventFieldSelector({ kind: 'PersistentVolume', metadata: { name: 'pv' } }), 'involvedObject.kind=PersistentVolume,involvedObject.name=pv');
});

test('logs: the pods behind each kind of object', () => {
  const rd: KubeObject = { kind: 'ReplicationDestination', metadata: { name: 'thelounge-dst', namespace: 'apps' } };
  assert.deepEqual(podQueriesFor('replicationdestinations', rd, config), [
    {
      namespace: 'apps',
      labels: { 'job-name': 'volsync-dst-thelounge-dst' },
      why: 'mover of ReplicationDestination apps/thelounge-dst (Job volsync-dst-thelounge-dst)',
    },
    { namespace: 'volsync-system', deployment: 'volsync', why: 'the VolSync controller (Deployment volsync-system/volsync)' },
  ]);
  const gateway = podQueriesFor('gateways', { kind: 'Gateway', metadata: { name: 'gateway-external', namespace: 'network' } }, config);
  assert.deepEqual(gateway, [
    { namespace: 'kube-system', deployment: 'cilium-operator', why: 'cilium-operator, which programs Gateway network/gateway-external' },
  ]);
  for (const [kind, controller] of [
    ['kustomizations', 'kustomize-controller'],
    ['helmreleases', 'helm-controller'],
    ['gitrepositories', 'source-controller'],
    ['helmcharts', 'source-controller'],
  ] as const) {
    const [query] = podQueriesFor(kind, { kind: 'X', metadata: { name: 'a', namespace: 'flux-system' } }, config) as Array<{
      deployment?: string;
      namespace: string;
    }>;
    assert.deepEqual([query.namespace, query.deployment], ['flux-system', controller], kind);
  }
  assert.deepEqual(
    podQueriesFor('services', { kind: 'Service', metadata: { name: 'emby', namespace: 'media' }, spec: { selector: { app: 'emby' } } }, config),
    [{ namespace: 'media', labels: { app: 'emby' }, why: 'pod behind Service media/emby' }],
  );
  assert.match(String(podQueriesFor('services', { kind: 'Service', metadata: { name: 'ext', namespace: 'media' }, spec: {} }, config)), /has no selector/);
  assert.match(
    String(podQueriesFor('persistentvolumeclaims', { kind: 'PersistentVolumeClaim', metadata: { name: 'kopia', namespace: 'default' } }, config)),
    /^no pods behind a PersistentVolumeClaim/,
  );
});

test('logs: what a ReplicationDestination records of its last mover, and its error', () => {
  const rd: KubeObject = {
    kind: 'ReplicationDestination',
    metadata: { name: 'thelounge-dst', namespace: 'apps' },
    status: {
      conditions: [{ type: 'Synchronizing', status: 'False', reason: 'Error', message: 'mover failed: No snapshots found for thelounge@apps' }],
      latestMoverStatus: { result: 'Failed', logs: 'Connected to Kopia repository\nNo snapshots found for thelounge@apps' },
    },
  };
  assert.deepEqual(recordedLog('replicationdestinations', rd)?.lines, [
    'Synchronizing: Error: mover failed: No snapshots found for thelounge@apps',
    'latest mover: Failed',
    '  Connected to Kopia repository',
    '  No snapshots found for thelounge@apps',
  ]);
  assert.equal(recordedLog('replicationdestinations', { kind: 'ReplicationDestination', metadata: { name: 'x', namespace: 'a' } }), undefined);
  assert.equal(recordedLog('gateways', rd), undefined);
});

test('log lines: chunks cut into whole lines, control characters escaped, the buffer bounded to the newest', () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push('one\ntw'), ['one']);
  assert.deepEqual(splitter.push('o\r\nthree\u001b[2J\n'), ['two', 'three\\x1b[2J']);
  assert.deepEqual(splitter.flush(), []);
  splitter.push('tail without newline');
  assert.deepEqual(splitter.flush(), ['tail without newline']);
  const lines = Array.from({ length: 4998 }, (_, i) => `l${i}`);
  const kept = appendBounded(lines, ['a', 'b', 'c', 'd'], 5000);
  assert.equal(kept.length, 5000);
  assert.equal(kept[0], 'l2');
  assert.equal(kept.at(-1), 'd');
});

const detail: KeyMode = { screen: 'detail', helpOpen: false, filtering: false };
const logs: KeyMode = { ...detail, view: 'logs' };
const yaml: KeyMode = { ...detail, view: 'yaml' };
const typing: KeyMode = { screen: 'dashboard', helpOpen: false, filtering: false, commandLine: true };

const keyCases: Array<[string, string, KeyInfo, KeyMode, Command]> = [
  ['y in the detail opens the YAML', 'y', {}, detail, { type: 'view-open', view: 'yaml' }],
  ['e in the detail opens the events', 'e', {}, detail, { type: 'view-open', view: 'events' }],
  ['l in the detail opens the logs', 'l', {}, detail, { type: 'view-open', view: 'logs' }],
  ['l on the dashboard still moves right', 'l', {}, { ...detail, screen: 'dashboard' }, { type: 'focus', direction: 'right' }],
  ['esc in a view goes back', '', { escape: true }, yaml, { type: 'back' }],
  ['j in a view scrolls', 'j', {}, yaml, { type: 'scroll', by: 1 }],
  ['G in a view goes to the end', 'G', {}, yaml, { type: 'scroll-to', where: 'bottom' }],
  ['/ in a view searches', '/', {}, yaml, { type: 'filter-start' }],
  ['w in a view wraps', 'w', {}, yaml, { type: 'view-wrap' }],
  ['s in logs toggles autoscroll, as in k9s', 's', {}, logs, { type: 'view-follow' }],
  ['f in logs toggles follow', 'f', {}, logs, { type: 'view-follow' }],
  ['p in logs: the previous container', 'p', {}, logs, { type: 'view-previous' }],
  ['c in logs: the next container, not the Kopia fix', 'c', {}, { ...logs, fixKeys: { c: 'kopia-reclaim' } }, { type: 'view-container' }],
  ['p in the YAML does nothing', 'p', {}, yaml, { type: 'none' }],
  ['a fix key does nothing in a view', 'T', {}, { ...yaml, fixKeys: { T: 'restores-trigger' } }, { type: 'none' }],
  [': opens the command line on the dashboard', ':', {}, { ...detail, screen: 'dashboard' }, { type: 'command-start' }],
  [': opens the command line in the timeline', ':', {}, { ...detail, screen: 'timeline' }, { type: 'command-start' }],
  ['letters are command text', 'q', {}, typing, { type: 'command-type', text: 'q' }],
  ['enter runs the command', '', { return: true }, typing, { type: 'command-run' }],
  ['tab completes', '', { tab: true }, typing, { type: 'command-complete' }],
  ['esc cancels the command line', '', { escape: true }, typing, { type: 'command-cancel' }],
  ['backspace erases', '', { backspace: true }, typing, { type: 'command-erase' }],
  [': is text in the detail filter', ':', {}, { ...detail, filtering: true }, { type: 'filter-type', text: ':' }],
  [': does nothing on a confirm screen', ':', {}, { ...detail, confirm: 'yes' }, { type: 'none' }],
];

for (const [name, input, key, mode, expected] of keyCases) {
  test(`keys: ${name}`, () => assert.deepEqual(resolveKey(input, key, mode), expected));
}

test(': completion: commands, then fix ids, to the longest shared prefix', () => {
  assert.equal(completeCommand('fi'), 'fix ');
  assert.equal(completeCommand('c'), 'ctx');
  assert.equal(completeCommand('q'), 'q');
  assert.equal(completeCommand('fix kop'), 'fix kopia-reclaim');
  assert.equal(completeCommand('fix restores-t'), 'fix restores-trigger');
  assert.equal(completeCommand('fix restores-'), 'fix restores-');
  assert.equal(completeCommand('zzz'), 'zzz');
});
