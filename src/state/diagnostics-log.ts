/**
 * `--log FILE`: what drdeck did and ran into, for the operator to read afterwards — the watchers'
 * relists, retries and restarts, the inputs' sync changes, DNS and router errors, fix progress —
 * one line each behind an ISO timestamp, appended to a 0600 file. Never the terminal: the
 * dashboard owns the screen. Lines are drdeck's own words about names and states; no object is
 * ever written whole, so no Secret value can get here.
 */
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { resolve } from 'node:path';
import type { DeckState } from '../store/deck-store.js';
import { PRIVATE_FILE_MODE, tightenFd } from './private-files.js';

/** The log file could not be opened; the message names it and why. */
export class LogFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogFileError';
  }
}

/** An append-only diagnostics file. Writing after `close()` (a watcher's last words) does nothing. */
export class DiagnosticsLog {
  readonly file: string;
  private fd: number | undefined;
  private readonly clock: () => Date;
  private readonly onError: (message: string) => void;

  /**
   * Opens (or creates, 0600) `file` for appending; a looser existing file is tightened. Throws a
   * LogFileError naming the file when it cannot be opened, or when it is a terminal.
   */
  constructor(file: string, options: { clock?: () => Date; onError?: (message: string) => void } = {}) {
    this.file = resolve(file);
    this.clock = options.clock ?? (() => new Date());
    this.onError = options.onError ?? (() => {});
    let fd: number;
    try {
      fd = openSync(this.file, 'a', PRIVATE_FILE_MODE);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such folder' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
      throw new LogFileError(`--log ${file}: cannot open it for appending (${why})`);
    }
    if (isatty(fd)) {
      closeSync(fd);
      throw new LogFileError(`--log ${file} is a terminal: the log goes to a file, never to the screen`);
    }
    if (fstatSync(fd).isFile()) tightenFd(fd);
    this.fd = fd;
  }

  /** Appends `<ISO time> <line>`; a line with line breaks is kept on one line. */
  write(line: string): void {
    if (this.fd === undefined) return;
    const text = `${this.clock().toISOString()} ${line.replace(/\s*[\r\n]+\s*/g, ' ⏎ ')}\n`;
    try {
      writeSync(this.fd, text);
    } catch (error) {
      // A full disk must not take the dashboard down: stop logging, and say so once.
      this.close();
      this.onError(`cannot write the log ${this.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; logging stopped`);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // Already gone.
    }
  }
}

/** `retrying: connection refused…` or `synced`. */
function syncText(state: { phase: string; detail?: string }): string {
  return state.detail ? `${state.phase}: ${state.detail}` : state.phase;
}

/**
 * The operational lines between two store states: an input changing phase, a name's DNS error
 * appearing or clearing, the router failing or answering again, a fix moving on, a notice. Only
 * changes, so a steady state writes nothing. Pure.
 */
export function operationalLines(previous: DeckState, next: DeckState): string[] {
  const lines: string[] = [];
  if (next.sync !== previous.sync) {
    for (const [key, state] of Object.entries(next.sync)) {
      const before = (previous.sync as Record<string, { phase: string } | undefined>)[key];
      // Why phase changes only: the watchers log every retry themselves, with its delay.
      if (state.phase !== before?.phase) lines.push(`sync ${key}: ${syncText(state)}`);
    }
  }
  if (next.dns !== previous.dns) {
    for (const [name, answer] of next.dns) {
      const before = previous.dns.get(name)?.error;
      if (answer.error === before) continue;
      if (answer.error) lines.push(`dns ${name}: ${answer.error}`);
      else if (before) lines.push(`dns ${name}: answered again`);
    }
  }
  const router = next.routerRecords;
  if (router && router !== previous.routerRecords && router.error !== previous.routerRecords?.error) {
    if (router.error !== undefined) lines.push(`router ${router.label}: ${router.error}`);
    else if (previous.routerRecords?.error !== undefined && router.count !== undefined)
      lines.push(`router ${router.label}: answered again (${router.count} static records)`);
  }
  if (next.fixes !== previous.fixes) {
    for (const [id, activity] of Object.entries(next.fixes)) {
      const before = previous.fixes[id as keyof DeckState['fixes']];
      if (!activity || (before && before.phase === activity.phase && before.message === activity.message)) continue;
      lines.push(`fix ${id}: ${activity.phase}${activity.message ? `: ${activity.message}` : ''}`);
    }
  }
  if (next.timelineNotice && next.timelineNotice !== previous.timelineNotice) lines.push(`timeline: ${next.timelineNotice}`);
  if (next.notices !== previous.notices) for (const notice of next.notices.filter((n) => !previous.notices.includes(n))) lines.push(`notice: ${notice}`);
  return lines;
}

/** Writes the store's operational lines to `write` as they happen; returns the unsubscribe. */
export function followOperations(
  store: { subscribe(listener: (state: DeckState, previous: DeckState) => void): () => void },
  write: (line: string) => void,
): () => void {
  return store.subscribe((state, previous) => {
    for (const line of operationalLines(previous, state)) write(line);
  });
}
