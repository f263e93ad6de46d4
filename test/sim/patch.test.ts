import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, PatchError } from '../../src/sim/patch.js';

test('merge patch (RFC 7386): maps merge, null deletes, arrays replace', () => {
  const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2, 3] };
  const result = applyMergePatch(target, { a: null, b: { c: 9, e: 4 }, list: [7] });
  assert.deepEqual(result, { b: { c: 9, d: 3, e: 4 }, list: [7] });
  assert.deepEqual(target, { a: 1, b: { c: 2, d: 3 }, list: [1, 2, 3] }, 'input untouched');
});

test('merge patch: a non-object patch replaces the target', () => {
  assert.deepEqual(applyMergePatch({ a: 1 }, ['x']), ['x']);
  assert.deepEqual(applyMergePatch('s', { a: { b: null } }), { a: {} });
});

const annotated = { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'old' } }, spec: { items: ['a', 'b'] } };

test('json patch add/replace/remove with ~1 and ~0 escaping', () => {
  const result = applyJsonPatch(annotated, [
    { op: 'replace', path: '/metadata/annotations/reconcile.fluxcd.io~1requestedAt', value: 'new' },
    { op: 'add', path: '/metadata/annotations/a~0b', value: 'tilde' },
    { op: 'add', path: '/spec/items/1', value: 'x' },
    { op: 'add', path: '/spec/items/-', value: 'z' },
    { op: 'remove', path: '/spec/items/0' },
  ]);
  assert.deepEqual(result, {
    metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'new', 'a~b': 'tilde' } },
    spec: { items: ['x', 'b', 'z'] },
  });
  assert.equal(annotated.metadata.annotations['reconcile.fluxcd.io/requestedAt'], 'old', 'input untouched');
});

test('json patch test, move and copy', () => {
  const result = applyJsonPatch({ a: { b: 1 }, c: 2 }, [
    { op: 'test', path: '/a/b', value: 1 },
    { op: 'copy', from: '/a/b', path: '/d' },
    { op: 'move', from: '/c', path: '/a/c' },
  ]);
  assert.deepEqual(result, { a: { b: 1, c: 2 }, d: 1 });
});

test('json patch errors: failed test, missing paths, malformed operations', () => {
  const cases: unknown[] = [
    [{ op: 'test', path: '/spec/items/0', value: 'nope' }],
    [{ op: 'remove', path: '/spec/missing' }],
    [{ op: 'replace', path: '/nothing/here', value: 1 }],
    [{ op: 'add', path: '/spec/items/5', value: 1 }],
    [{ op: 'add', path: 'no-slash', value: 1 }],
    [{ op: 'add', path: '/spec/x' }],
    [{ op: 'frobnicate', path: '/spec' }],
    { op: 'add', path: '/a', value: 1 },
  ];
  for (const ops of cases) {
    assert.throws(() => applyJsonPatch(annotated, ops), PatchError, JSON.stringify(ops));
  }
});

test('json patch is atomic: a failing op leaves nothing half-applied', () => {
  const doc = { a: 1 };
  assert.throws(
    () =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/a', value: 2 },
        { op: 'test', path: '/a', value: 1 },
      ]),
    PatchError,
  );
  assert.deepEqual(doc, { a: 1 });
});
