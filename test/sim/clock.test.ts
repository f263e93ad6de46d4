import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/sim/clock.js';

const T0 = Date.parse('2025-12-02T10:00:00Z');

test('manual clock stands still until advanced', () => {
  const clock = new SimClock({ start: T0, manual: true });
  assert.equal(clock.now(), T0);
  clock.advance(1500);
  assert.equal(clock.now(), T0 + 1500);
  clock.close();
});

test('advance fires due timers in time order, with now() at each due time', () => {
  const clock = new SimClock({ start: T0, manual: true });
  const fired: Array<[string, number]> = [];
  clock.at(T0 + 300, () => fired.push(['c', clock.now()]));
  clock.after(100, () => fired.push(['a', clock.now()]));
  clock.at(T0 + 100, () => fired.push(['b', clock.now()]));
  clock.at(T0 + 900, () => fired.push(['late', clock.now()]));
  clock.advance(500);
  assert.deepEqual(fired, [
    ['a', T0 + 100],
    ['b', T0 + 100],
    ['c', T0 + 300],
  ]);
  assert.equal(clock.now(), T0 + 500);
  assert.equal(clock.pending, 1);
  clock.close();
});

test('a timer scheduled by a callback inside the window fires in the same advance', () => {
  const clock = new SimClock({ start: T0, manual: true });
  const fired: number[] = [];
  clock.after(100, () => clock.after(100, () => fired.push(clock.now() - T0)));
  clock.advance(250);
  assert.deepEqual(fired, [200]);
  clock.close();
});

test('cancelled timers and a closed clock fire nothing', () => {
  const clock = new SimClock({ start: T0, manual: true });
  let count = 0;
  const cancel = clock.after(10, () => count++);
  clock.after(20, () => count++);
  cancel();
  clock.close();
  clock.advance(100);
  assert.equal(count, 0);
  assert.equal(clock.pending, 0);
  clock.after(1, () => count++);
  assert.equal(clock.pending, 0);
});

test('real mode runs at speed and fires timers in scenario time', async () => {
  const clock = new SimClock({ start: T0, speed: 1000 });
  const fired = await new Promise<number>((resolve) => clock.after(5000, () => resolve(clock.now())));
  // 5 scenario seconds at 1000x is 5 real ms.
  assert.ok(fired >= T0 + 5000, `fired at ${fired - T0}`);
  assert.ok(fired < T0 + 5000 + 1000 * 200, 'fired far too late');
  clock.close();
});

test('real mode advance skips ahead and fires what became due', () => {
  const clock = new SimClock({ start: T0, speed: 1 });
  let fired = false;
  clock.after(60_000, () => (fired = true));
  clock.advance(60_000);
  assert.equal(fired, true);
  assert.ok(clock.now() >= T0 + 60_000);
  clock.close();
});
