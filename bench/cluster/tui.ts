/**
 * A TUI in a terminal of our own: a private tmux server (its socket in the run's temp folder, so no
 * one's sessions are touched), one session per program, the screen read back with capture-pane, and
 * the program's own process read from /proc (the pane runs it through `exec`, so the pane's pid is
 * the program's).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ: 100 on Linux). */
export const CLOCK_TICKS = 100;

/** VmRSS of a process in bytes, or undefined when it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The share of one core a process used over `ms` (0.05 = 5 %). */
export async function cpuShare(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (cpuSeconds(pid) - before) / ((performance.now() - t0) / 1000);
}

export class Terminal {
  constructor(
    private readonly socket: string,
    readonly session: string,
  ) {}

  private async tmux(...args: string[]): Promise<string> {
    const { stdout } = await execFileP('tmux', ['-S', this.socket, ...args], { timeout: 10_000 });
    return stdout;
  }

  /** Starts `argv` (exec'd, with exactly `env`) in a detached session of `width`x`height`; returns its pid. */
  async start(argv: readonly string[], env: Record<string, string>, width: number, height: number): Promise<number> {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = ['exec', 'env', '-i', ...Object.entries(env).map(([k, v]) => quote(`${k}=${v}`)), ...argv.map(quote)].join(' ');
    await this.tmux('new-session', '-d', '-s', this.session, '-x', String(width), '-y', String(height), command);
    await this.tmux('set-option', '-t', this.session, 'remain-on-exit', 'on');
    return Number((await this.tmux('display-message', '-p', '-t', this.session, '#{pane_pid}')).trim());
  }

  screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', this.session, ...keys);
  }

  /**
   * Polls the screen every `everyMs` until `test` holds; returns when (performance.now()) it was
   * first seen and the screen, or undefined after `timeoutMs`.
   */
  async waitFor(test: (screen: string) => boolean, timeoutMs: number, everyMs = 15): Promise<{ at: number; screen: string } | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      const at = performance.now();
      if (test(screen)) return { at, screen };
      if (at > deadline) return undefined;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  async kill(): Promise<void> {
    await this.tmux('kill-session', '-t', this.session).catch(() => {});
  }
}

/** Ends the private tmux server (only ours: its own socket). */
export async function killServer(socket: string): Promise<void> {
  await execFileP('tmux', ['-S', socket, 'kill-server'], { timeout: 10_000 }).catch(() => {});
}
