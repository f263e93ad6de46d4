/**
 * Stopping drdeck by a signal while a fix runs: SIGINT, SIGHUP (a dropped SSH session) and SIGTERM
 * record the fix as interrupted in the audit log, with what it had sent, before drdeck goes. One
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
 * interrupted (naming what it sent), let `last(signal, lines)` say so, close the session, and raise
 * the signal again with these handlers gone. Why synchronous to the end: nothing more may be sent
 * between the record and the exit. Why raise it again rather than exit: the parent (a shell, a
 * script) sees drdeck killed by the signal, as it would without these handlers, and a script stops
 * on Ctrl-C too; and Node's exit-time terminal reset, which aborts on a terminal that is gone, does
 * not run. On the dashboard Ink's own signal handling then restores the terminal, as before.
 */
export function interruptOnSignals(session: Session, last: (signal: NodeJS.Signals, lines: string[]) => void): () => void {
  const stop = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
  function handler(signal: NodeJS.Signals) {
    stop();
    const lines = session.store.getState().interruptFixes(signal);
    last(signal, lines);
    try {
      session.close();
    } catch {
      // Going anyway.
    }
    process.kill(process.pid, signal);
  }
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return stop;
}

/** The exit status a shell reports for a process killed by `signal`: 128 + its number. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
