/**
 * The build lock of test/tools/build.ts: two builds of one tool never run at once, and a lock left
 * by a killed build does not block the next one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withLock } from './build.js';

describe('withLock', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'drdeck-lock-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs one holder at a time and releases the lock', { timeout: 60_000 }, async () => {
    const lock = join(dir, 'a.lock');
    const events: string[] = [];
    const logs: string[] = [];
    const hold = (name: string) => async () => {
      events.push(`${name} start`);
      assert.equal(readFileSync(lock, 'utf8').trim(), String(process.pid));
      await new Promise((resolve) => setTimeout(resolve, 300));
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([withLock(lock, hold('first'), (l) => logs.push(l)), withLock(lock, hold('second'), (l) => logs.push(l))]);
    assert.deepEqual(results, ['first', 'second']);
    assert.deepEqual(events, ['first start', 'first end', 'second start', 'second end']);
    assert.match(logs.join('\n'), new RegExp(`waiting for process ${process.pid}`));
    assert.equal(existsSync(lock), false);
  });

  it('releases the lock when the build fails', { timeout: 60_000 }, async () => {
    const lock = join(dir, 'b.lock');
    await assert.rejects(
      withLock(
        lock,
        () => Promise.reject(new Error('go build failed')),
        () => {},
      ),
      /go build failed/,
    );
    assert.equal(existsSync(lock), false);
  });

  it('takes over a lock whose owner has exited', { timeout: 60_000 }, async () => {
    const lock = join(dir, 'c.lock');
    const gone = spawnSync('true').pid; // has exited by the time spawnSync returns
    writeFileSync(lock, `${gone}\n`);
    const logs: string[] = [];
    assert.equal(
      await withLock(
        lock,
        async () => 'built',
        (l) => logs.push(l),
      ),
      'built',
    );
    assert.deepEqual(logs, [`taking over ${lock}: process ${gone} has exited`]);
  });
});
