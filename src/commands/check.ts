/**
 * `drdeck check`: every check once, as a table or JSON. Exit (./exit-codes.ts): 0 every check decided
 * and none fails, 1 something fails, 2 could not run, 3 nothing fails but something is undecided.
 */
import type { SyncState } from '../cluster.js';
import { apiUnreachable } from '../checks/unreachable.js';
import { buildReport, formatTable } from '../headless/check-output.js';
import { UnreachableError, waitForSync, type Session } from '../session.js';
import { EXIT } from './exit-codes.js';
import { orderedResults } from '../store/checks-slice.js';
import { connect } from './connect.js';

export interface CheckOptions {
  json?: boolean;
  demo?: boolean;
  config?: string;
  context?: string;
  kubeconfig?: string;
  timeout: number;
  log?: string;
}

/** One line on why a live cluster did not answer in time: the watchers' last error when they have one. */
function unreachable(session: Session, where: string, timeoutSeconds: number): Error {
  const sync = session.store.getState().sync as Record<string, SyncState>;
  const stuck = Object.entries(sync).filter(([key, s]) => key !== 'dns' && (s.phase === 'connecting' || s.phase === 'retrying'));
  const detail = stuck
    .map(([, s]) => s.detail)
    .find(Boolean)
    ?.replace(/; retrying in \d+ s$/, '');
  const what = stuck.length === Object.keys(sync).length - 1 ? '' : ` for ${stuck.map(([key]) => key).join(', ')}`;
  return new Error(`no answer from ${where} within ${timeoutSeconds} s${what}${detail ? `: ${detail}` : ''}`);
}

export async function runCheck(opts: CheckOptions): Promise<number> {
  // The demo is checked exactly at the start of its scenario (manual clock), whatever the speed.
  const { session, where } = await connect({ ...opts, manual: true, readOnly: true, flushMs: 10, loadClientFirst: true, noTimeline: true, listOnly: true });
  try {
    // Every input, DNS included, must have answered (or said why not) before a verdict is printed;
    // on a real cluster, a kind still retrying has not answered.
    try {
      await waitForSync(session, opts.timeout * 1000, { untilFresh: !opts.demo });
    } catch (error) {
      if (opts.demo) throw error;
      // A script reading --json still gets every check, each saying it cannot reach the API server.
      session.buffer.flush();
      if (opts.json && apiUnreachable(session.store.getState().sync)) {
        const report = { ...buildReport(orderedResults(session.store.getState().results), opts.demo ? 'demo' : 'cluster'), exitCode: EXIT.couldNotRun };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      }
      if (error instanceof UnreachableError) throw error;
      throw unreachable(session, where, opts.timeout);
    }
    session.buffer.flush();
    const report = buildReport(orderedResults(session.store.getState().results), opts.demo ? 'demo' : 'cluster');
    // Cut to the terminal's width only on a terminal: a pipe or a file gets every summary in full.
    const width = process.stdout.isTTY ? process.stdout.columns || 100 : undefined;
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report, width)}\n`);
    return report.exitCode;
  } finally {
    session.close();
  }
}
