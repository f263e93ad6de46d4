/**
 * A TUI in a terminal of our own: a private tmux server (its socket in the run's temp folder, so no
 * one's sessions are touched), one session per program, the screen read back with capture-pane, and
 * the program's own process read from /proc (the pane runs it through `exec`, so the pane's pid is
 * the program's).
 *
 * Keys and screen reads go through one tmux control-mode client per session (`tmux -C`), not a
 * `tmux` process per command. Why: on 2 busy cores a process started per read took 10-30 ms, and
 * it was paid twice in every latency (the key sent, then each poll of the screen, which could only
 * run every 10-15 ms). In control mode tmux tells us each time the program writes (`%output`), and
 * the screen is read at once, over the same pipe.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
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

/** A command sent to a control-mode client, waiting for its %begin/%end block. */
interface Pending {
  resolve: (lines: string[]) => void;
  reject: (error: Error) => void;
}

/**
 * A tmux control-mode client attached to one session: commands in, each answered by a
 * `%begin … %end` (or `%error`) block in order; `%output` notifications whenever the pane's
 * program writes. A control client with no size of its own does not resize the session.
 */
class Control {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private block: string[] | undefined;
  private rest = '';
  private outputs: Array<() => void> = [];
  private closed = false;

  constructor(socket: string, session: string) {
    this.child = spawn('tmux', ['-S', socket, '-C', 'attach-session', '-t', session], { stdio: ['pipe', 'pipe', 'pipe'] });
    // The attach itself is answered by the first block.
    this.queue.push({ resolve: () => {}, reject: () => {} });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.read(chunk));
    this.child.on('exit', () => this.fail(new Error('tmux control client ended')));
    this.child.on('error', (error) => this.fail(error));
  }

  private read(chunk: string): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      if (this.block) {
        if (/^%(end|error) \d+ \d+ \d+$/.test(line)) {
          const done = this.queue.shift();
          const block = this.block;
          this.block = undefined;
          if (line.startsWith('%error')) done?.reject(new Error(`tmux: ${block.join(' ')}`));
          else done?.resolve(block);
        } else this.block.push(line);
      } else if (/^%begin \d+ \d+ \d+$/.test(line)) this.block = [];
      else if (line.startsWith('%output ')) {
        const waiting = this.outputs;
        this.outputs = [];
        for (const wake of waiting) wake();
      }
    }
  }

  private fail(error: Error): void {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(error);
    for (const wake of this.outputs.splice(0)) wake();
  }

  command(line: string): Promise<string[]> {
    if (this.closed) return Promise.reject(new Error('tmux control client ended'));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** Resolves at the pane's next output, or after `ms`. */
  nextOutput(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.outputs.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.closed = true;
    this.child.stdin.end();
    this.child.kill();
  }
}

/** A word as tmux's command parser reads it, whatever it holds. */
const tmuxWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class Terminal {
  private control: Control | undefined;

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
    this.control = new Control(this.socket, this.session);
    return Number((await this.tmux('display-message', '-p', '-t', this.session, '#{pane_pid}')).trim());
  }

  /** The session's control client: there is one from `start` until `kill`. */
  private get attached(): Control {
    if (!this.control) throw new Error(`${this.session}: not started`);
    return this.control;
  }

  async screen(): Promise<string> {
    return (await this.attached.command(`capture-pane -p -t ${tmuxWord(this.session)}`)).join('\n') + '\n';
  }

  async keys(...keys: string[]): Promise<void> {
    await this.attached.command(['send-keys', '-t', this.session, ...keys].map(tmuxWord).join(' '));
  }

  /**
   * Reads the screen each time the program writes (and, while it writes nothing, every `everyMs`
   * but at most 20 times a second) until `test` holds; returns when (performance.now()) it was first
   * seen and the screen, or undefined after `timeoutMs`.
   */
  async waitFor(test: (screen: string) => boolean, timeoutMs: number, everyMs = 15): Promise<{ at: number; screen: string } | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      // Armed before the read: output that lands while the screen is read wakes the next one.
      const written = this.attached.nextOutput(Math.max(everyMs, 50));
      const screen = await this.screen();
      const at = performance.now();
      if (test(screen)) return { at, screen };
      if (at > deadline) return undefined;
      await written;
    }
  }

  async kill(): Promise<void> {
    this.control?.close();
    this.control = undefined;
    await this.tmux('kill-session', '-t', this.session).catch(() => {});
  }
}

/** Ends the private tmux server (only ours: its own socket). */
export async function killServer(socket: string): Promise<void> {
  await execFileP('tmux', ['-S', socket, 'kill-server'], { timeout: 10_000 }).catch(() => {});
}
