/**
 * Stopping drdeck by a signal while a fix runs: SIGINT, SIGHUP (a dropped SSH session) and SIGTERM
 * record the fix as interrupted in the audit log, with what it had sent, before drdeck exits. One
 * place for the dashboard and `drdeck fix`.
 */
import { constants } from 'node:os';
import type { Session } from '../session.js';

/** The signals that stop drdeck; a fix in progress is recorded in the audit log first. */
export const STOP_SIGNALS = ['SIGINT', 'SIGHUP', 'SIGTERM'] as const;

/** Writes a line and never throws: after a SIGHUP the terminal may be gone (EIO). */
export function writeLine(stream: NodeJS.WriteStream, line: string): void {
  try {
    stream.write(`${line}\n`);
  } catch {
    // Nobody is there to read it; the audit log has it.
  }
}

/**
 * Until the returned function is called, SIGINT, SIGHUP and SIGTERM record every fix in progress as
 * interrupted (naming what it sent), let `last(signal, lines)` say so, close the session and exit
 * with 128 + the signal's number. Why synchronous to the end: nothing more may be sent between the
 * record and the exit.
 */
export function interruptOnSignals(session: Session, last: (signal: NodeJS.Signals, lines: string[]) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    const lines = session.store.getState().interruptFixes(signal);
    last(signal, lines);
    try {
      session.close();
    } catch {
      // Exiting anyway.
    }
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}
