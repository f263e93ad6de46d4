/**
 * Temporary files a drdeck killed mid-write leaves in the state folder are removed by the next
 * start: only drdeck's own (`timeline-*.json.tmp-<pid>-<hex>`), only when their writer is gone or
 * they are older than a minute; a file of any other name is never touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createTimeline } from '../../src/timeline/index.js';
import { loadTimeline, removeStaleTempFiles, saveTimeline, STALE_TEMP_MS } from '../../src/timeline/store-file.js';

const work = mkdtempSync(join(tmpdir(), 'drdeck-temp-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** A folder with stale temp files of drdeck's, young ones of a live writer, and files of other names. */
function stateWithLeftovers() {
  const dir = join(work, `state-${n++}`);
  mkdirSync(dir);
  const dead = deadPid();
  const old = (Date.now() - 2 * STALE_TEMP_MS) / 1000;
  const write = (name: string, mtime?: number) => {
    writeFileSync(join(dir, name), '{"torn":');
    if (mtime) utimesSync(join(dir, name), mtime, mtime);
    return name;
  };
  const stale = [
    write(`timeline-prod.json.tmp-${dead}-0a1b2c3d`),
    write(`timeline-demo.json.tmp-${dead}-deadbeef`),
    // Its pid runs (ours, as a reused pid would), but no write lasts a minute.
    write(`timeline-home.json.tmp-${process.pid}-00ff00ff`, old),
  ];
  const kept = [
    // A live writer's, young: it may be renamed any moment.
    write(`timeline-prod.json.tmp-${process.pid}-12345678`),
    // Not drdeck's pattern, however stale they look.
    write(`notes.json.tmp-${dead}-0a1b2c3d`, old),
    write(`timeline-prod.json.tmp-${dead}`, old),
    write(`timeline-prod.json.tmp-${dead}-XYZ12345`, old),
    write(`timeline-prod.json.bak`, old),
    write('audit.jsonl'),
  ];
  // A folder and a link of the right name are not regular files: left alone.
  mkdirSync(join(dir, `timeline-x.json.tmp-${dead}-aaaaaaaa`));
  symlinkSync(join(dir, 'audit.jsonl'), join(dir, `timeline-y.json.tmp-${dead}-bbbbbbbb`));
  kept.push(`timeline-x.json.tmp-${dead}-aaaaaaaa`, `timeline-y.json.tmp-${dead}-bbbbbbbb`);
  return { dir, stale, kept };
}

test('removeStaleTempFiles: the dead writers and the minute-old ones go; a live young one and other names stay', () => {
  const { dir, stale, kept } = stateWithLeftovers();
  assert.deepEqual(removeStaleTempFiles(dir).sort(), [...stale].sort());
  assert.deepEqual(readdirSync(dir).sort(), [...kept].sort());
  assert.deepEqual(removeStaleTempFiles(join(dir, 'no-such-folder')), []);
});

test('loading any timeline sweeps the whole folder (not only that context), and so does the first save of a fresh one', () => {
  const loaded = stateWithLeftovers();
  assert.deepEqual(loadTimeline(loaded.dir, 'staging'), {});
  assert.deepEqual(readdirSync(loaded.dir).sort(), [...loaded.kept].sort());

  // The demo starts a fresh timeline every run: it never loads, its first save sweeps.
  const saved = stateWithLeftovers();
  saveTimeline(saved.dir, createTimeline('demo', Date.now()));
  assert.deepEqual(readdirSync(saved.dir).sort(), [...saved.kept, 'timeline-demo.json'].sort());
});
