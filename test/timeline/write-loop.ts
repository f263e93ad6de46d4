/**
 * A child process for store-file.test.ts: saves version after version of a timeline, growing each
 * time, until it is killed. Prints "ready" once the first version is on disk.
 * Usage: node --import tsx test/timeline/write-loop.ts <dir> <context> <first version>
 */
import { pathToFileURL } from 'node:url';
import { saveTimeline } from '../../src/timeline/store-file.js';
import type { TimelineState } from '../../src/timeline/timeline.js';

/** Version `i`: startedAt is i, and it carries i + 1 sessions and i regressions, so it grows. */
export function writtenVersion(context: string, i: number): TimelineState {
  return {
    version: 1,
    context,
    t0: 1_000,
    startedAt: i,
    sessions: Array.from({ length: i + 1 }, (_, k) => k),
    phases: {
      'flux-deployed': { completedAt: 1_000 },
      'infrastructure-ready': { completedAt: 2_000, regressions: Array.from({ length: i }, (_, k) => ({ from: 3_000 + k, to: 4_000 + k })) },
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, context, first] = process.argv.slice(2);
  let i = Number(first);
  saveTimeline(dir, writtenVersion(context, i));
  process.stdout.write('ready\n');
  for (;;) saveTimeline(dir, writtenVersion(context, ++i));
}
