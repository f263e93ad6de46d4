/**
 * A context's timeline on disk: `<state dir>/timeline-<context>.json`, so that it survives a
 * restart of drdeck or a dropped SSH session. Written atomically; read back validated. Private:
 * 0600 in a 0700 folder, tightened when found looser.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenFile } from '../state/private-files.js';
import { PHASE_IDS, type PhaseId } from './phases.js';
import type { PhaseRecord, TimelineState } from './timeline.js';

const time = z.number().finite();

const recordSchema = z.object({
  completedAt: time.optional(),
  regressions: z.array(z.object({ from: time, to: time.optional() })).optional(),
  uncertain: z.boolean().optional(),
});

const stateSchema = z.object({
  version: z.literal(1),
  context: z.string(),
  t0: time.optional(),
  startedAt: time,
  sessions: z.array(time),
  finishedAt: time.optional(),
  // Any key: a phase this version does not know (saved by a newer drdeck) is dropped, not an error.
  phases: z.record(z.string(), recordSchema),
});

const SAFE = /[^A-Za-z0-9._-]/g;
const MAX_NAME = 100;

/**
 * The file for a context. Characters outside `[A-Za-z0-9._-]` become `_`; when that changed the
 * name (or it was cut to length), a short hash of the real name keeps two contexts apart
 * ("a/b" and "a_b", EKS ARNs).
 */
export function timelineFile(dir: string, context: string): string {
  let safe = context.replace(SAFE, '_').replace(/^\.+/, '_');
  if (safe !== context || safe.length > MAX_NAME || safe === '') {
    const hash = createHash('sha256').update(context).digest('hex').slice(0, 8);
    safe = `${safe.slice(0, MAX_NAME)}-${hash}`;
  }
  return join(dir, `timeline-${safe}.json`);
}

const TMP_MARK = '.tmp-';

/** drdeck's own temporary files, and nothing else: `timeline-<name>.json.tmp-<pid>-<8 hex>`. */
const TEMP_FILE = /^timeline-[A-Za-z0-9._-]+\.json\.tmp-(\d+)-[0-9a-f]{8}$/;

/**
 * How old a temporary file must be to be stale even when its pid runs. Why: a temporary file lives
 * for one write (milliseconds); a pid that runs may be another program's now (pids are reused, and
 * in a container drdeck often gets the same low pid every start).
 */
export const STALE_TEMP_MS = 60_000;

/** The folders swept by this process: once each, at the first save (the demo never loads). */
const swept = new Set<string>();

/**
 * Writes the timeline atomically: a temporary file in the same directory, fsync, rename over the
 * file, fsync the directory. Why: a rename within one file system replaces the name in one step,
 * so a reader (or a drdeck killed mid-write) sees the old file or the new one, never half of one;
 * the fsyncs make the data reach the disk before the name points at it. Returns the file's path.
 */
export function saveTimeline(dir: string, state: TimelineState): string {
  const file = timelineFile(dir, state.context);
  ensurePrivateDir(dir);
  if (!swept.has(dir)) removeStaleTempFiles(dir);
  const tmp = `${file}${TMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
  // The rename carries the temporary file's mode over, so the timeline is 0600 whatever it was.
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  syncDir(dir);
  return file;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can open or fsync a directory (Windows); the rename is still atomic.
  }
}

export interface LoadedTimeline {
  /** Undefined when there is no file, or it was corrupt. */
  state?: TimelineState;
  /** Set when the file was corrupt and moved aside. */
  warning?: string;
}

/**
 * The saved timeline of a context: `{}` when there is none; when the file does not parse or has
 * the wrong shape it is moved aside to `<file>.corrupt-<time>` and a warning says so. Stale
 * temporary files in the folder (see removeStaleTempFiles) are removed first.
 */
export function loadTimeline(dir: string, context: string, now: number = Date.now()): LoadedTimeline {
  const file = timelineFile(dir, context);
  // Why not `now`: it may be the demo's scenario clock; a file's age is on the wall clock.
  removeStaleTempFiles(dir);
  tightenFile(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed = parse(text, context);
  if (parsed.ok) return { state: parsed.state };
  const aside = moveAside(file, now);
  return { warning: `${basename(file)} was corrupt (${parsed.problem}); moved aside to ${aside}; a fresh timeline starts` };
}

type Parsed = { ok: true; state: TimelineState } | { ok: false; problem: string };

function parse(text: string, context: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const result = stateSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, problem: `${issue.path.join('.') || 'top level'}: ${issue.message}` };
  }
  const data = result.data;
  if (data.context !== context) return { ok: false, problem: `holds context ${JSON.stringify(data.context)}` };
  const phases: Partial<Record<PhaseId, PhaseRecord>> = {};
  for (const id of PHASE_IDS) {
    const record = data.phases[id];
    if (record) phases[id] = record;
  }
  return { ok: true, state: { ...data, phases } };
}

/** `<file>.corrupt-20251202T120000Z`, with a counter if that name is taken. */
function moveAside(file: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  let target = `${file}.corrupt-${stamp}`;
  for (let n = 2; existsSync(target); n++) target = `${file}.corrupt-${stamp}-${n}`;
  renameSync(file, target);
  return target;
}

/**
 * Removes the temporary files a drdeck killed mid-write left in `dir` (kill -9, a machine that went
 * down): only names of drdeck's own pattern, only regular files, and only when their writer's pid
 * is not running or they are older than STALE_TEMP_MS. Anything else is left alone. Best effort: a
 * file that cannot be removed stays. Returns the names removed.
 */
export function removeStaleTempFiles(dir: string, now: number = Date.now()): string[] {
  swept.add(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_FILE.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    try {
      const stat = lstatSync(path);
      if (!stat.isFile()) continue;
      const pid = Number(match[1]);
      const writing = pid === process.pid || isAlive(pid);
      if (writing && now - stat.mtimeMs < STALE_TEMP_MS) continue;
      rmSync(path, { force: true });
      removed.push(name);
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
