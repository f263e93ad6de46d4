import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { slim } from '../../src/records.js';
import { cut, wrapRows } from '../../src/screens/text.js';
import { fitWidth, prefixFitting } from '../../src/text/cells.js';
import { capText, cleanText, escapeControls, RECORD_LIMITS, sanitizeValue, VIEW_LIMITS } from '../../src/text/sanitize.js';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\ufeff]/;

test('every control or formatting character is shown as its escape; line breaks become spaces', () => {
  const table: Array<[string, string]> = [
    ['\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ['\u001b]8;;http://x.example\u001b\\link\u001b]8;;\u001b\\', '\\x1b]8;;http://x.example\\x1b\\link\\x1b]8;;\\x1b\\'],
    ['\u001b[32mALL CHECKS PASS\u001b[0m', '\\x1b[32mALL CHECKS PASS\\x1b[0m'],
    ['\u009b31mred', '\\x9b31mred'],
    ['evil\u202etxt.exe', 'evil\\u202etxt.exe'],
    ['nul\u0000here', 'nul\\x00here'],
    ['del\u007f', 'del\\x7f'],
    ['zero\u200bwidth\ufeff', 'zero\\u200bwidth\\ufeff'],
    ['lone \ud800 surrogate', 'lone \\ud800 surrogate'],
    ['line one\nline two\ttab\r\nend', 'line one line two tab  end'],
    ['para\u2028sep', 'para sep'],
  ];
  for (const [raw, shown] of table) assert.equal(escapeControls(raw), shown, JSON.stringify(raw));
  for (const [raw] of table) assert.doesNotMatch(escapeControls(raw), RAW_CONTROL);
});

test('text that needs nothing is kept as it is: accents, CJK, emoji and their joiners', () => {
  for (const text of ['Bereitstellung fehlgeschlagen: Größe', '部署失败', 'ok 👍🏽', 'family 👨‍👩‍👧', 'a\\x1b literal backslash']) {
    assert.equal(escapeControls(text), text);
  }
});

test('multi-line for a view: LF and tab kept, CRLF one line end, the rest escaped as ever', () => {
  assert.equal(escapeControls('a\r\nb\tc\u001bd\re', true), 'a\nb\tc\\x1bd\ne');
});

test('a long string keeps its head, the cut marked with its length; a log keeps its tail', () => {
  const long = 'a'.repeat(5000);
  const head = capText(long, 4096);
  assert.ok(head.startsWith('a'.repeat(4096)));
  assert.match(head, / … \[cut: 5000 chars\]$/);
  const tail = capText(`${'x'.repeat(10_000)}ERROR: repository not found`, 100, 'tail');
  assert.match(tail, /^\[cut: 10027 chars\] … x+ERROR: repository not found$/);
  // A surrogate pair is never split.
  const emoji = capText('😀'.repeat(10), 5);
  assert.doesNotMatch(emoji, /[\ud800-\udbff](?![\udc00-\udfff])/);
});

test('cap first, then escape: the work and the result are bounded whatever the input', () => {
  const hostile = '\u001b'.repeat(1_000_000);
  const cleaned = cleanText(hostile);
  assert.ok(cleaned.length <= RECORD_LIMITS.maxString * 6 + 40, `${cleaned.length}`);
  assert.doesNotMatch(cleaned, RAW_CONTROL);
});

test('objects: every string and key capped and escaped, condition messages to 32 KB, logs by their tail, nesting bounded', () => {
  const object = {
    metadata: { name: 'x', annotations: { big: 'a'.repeat(100_000), 'k\u001b[31m': 'v' } },
    status: {
      conditions: [{ type: 'Ready', message: 'm'.repeat(40_000) }],
      message: 'n'.repeat(40_000),
      latestMoverStatus: { logs: `${'l'.repeat(9000)}the error` },
    },
  };
  const clean = sanitizeValue(object);
  assert.ok(clean.metadata.annotations.big.length < 4200);
  assert.deepEqual(Object.keys(clean.metadata.annotations), ['big', 'k\\x1b[31m']);
  assert.ok(clean.status.conditions[0].message.startsWith('m'.repeat(32768)), 'a condition message keeps 32 KB');
  assert.ok(clean.status.message.length < 4200, 'any other message keeps 4 KB');
  assert.match(clean.status.latestMoverStatus.logs, /the error$/);
  // The input is left alone.
  assert.equal(object.metadata.annotations.big.length, 100_000);

  let deep: unknown = 'bottom';
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  const cut = sanitizeValue(deep) as Record<string, unknown>;
  let depth = 0;
  for (let v: unknown = cut; typeof v === 'object' && v !== null; v = (v as { d: unknown }).d) depth++;
  assert.equal(depth, RECORD_LIMITS.maxDepth);
});

test('a clean object comes back as the same object (nothing copied)', () => {
  const object = { metadata: { name: 'a', labels: { app: 'b' } }, spec: { list: [1, 'two', null, { three: true }] } };
  assert.equal(sanitizeValue(object), object);
});

test('a __proto__ key stays a key and never becomes the prototype', () => {
  const object = JSON.parse('{"__proto__": {"polluted": "\\u001b"}, "a": "\\u001b"}');
  const clean = sanitizeValue(object) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(clean), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(clean, '__proto__')?.value, { polluted: '\\x1b' });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('the view limits keep more, and line breaks, for a view of one whole object', () => {
  const clean = sanitizeValue({ data: `${'a'.repeat(50_000)}\nsecond line\u001b` }, VIEW_LIMITS);
  assert.equal(clean.data.length, 50_000 + '\nsecond line\\x1b'.length);
});

test('slim: wrong types in metadata do not stop the feed', () => {
  for (const metadata of [null, 'name', 42, ['a'], { name: 7, annotations: 'not a map' }, { name: 'ok', annotations: ['x'] }]) {
    const record = slim('services', { metadata } as never);
    assert.equal(typeof record.metadata, 'object');
  }
});

test('cells: a line fits its columns, wide characters counted twice, without measuring the whole text', () => {
  assert.equal(prefixFitting('abc', 2), 2);
  assert.equal(prefixFitting('界界界', 5), 2 * 1); // two of them: 4 columns; a third would be 6
  assert.equal(fitWidth('界界界界', 5), '界界…');
  assert.equal(stringWidth(cut('界'.repeat(100_000), 80)), 79);
  assert.equal(cut('short', 80), 'short');
  const started = performance.now();
  for (let i = 0; i < 100; i++) cut(`${'ü'.repeat(100_000)}`, 80);
  assert.ok(performance.now() - started < 2000, 'cutting a 100 KB line costs what an 80-column one does');
});

test('wrapRows: rows fit the width in columns, break at spaces, and stop at maxRows with the rest in the last', () => {
  const rows = wrapRows('the quick brown fox jumps over the lazy dog again and again', 20);
  for (const row of rows) assert.ok(stringWidth(row) <= 20, row);
  assert.equal(rows.join(' ').replace(/\s+/g, ' '), 'the quick brown fox jumps over the lazy dog again and again');
  for (const row of wrapRows('界'.repeat(50), 20)) assert.ok(stringWidth(row) <= 20, row);
  const bounded = wrapRows('word '.repeat(100_000), 80, 4);
  assert.equal(bounded.length, 4);
  assert.equal(wrapRows('esc\u001b[31m', 80)[0], 'esc\\x1b[31m');
});
