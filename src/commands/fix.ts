/**
 * `drdeck fix ID`: one fix, headless, through the same runner as the fix keys: plan, access review,
 * server-side dry run, then (with --yes) the requests and the following of their effect.
 * Exit codes (./exit-codes.ts): 0 done (or nothing to do, or --dry-run), 1 the fix failed, 2 could
 * not run, 3 not applied (read-only, not allowed, or not confirmed without --yes). SIGINT, SIGHUP and
 * SIGTERM still end it (a shell says 128 + the signal's number), once the audit log says what was
 * already sent.
 *
 * Lines are printed as they happen, the requests and the following of their effect included: on
 * stdout, or on stderr with --json (stdout is then one JSON document, printed at the end).
 */
import { FIX_IDS, type FixId } from '../checks/types.js';
import { ALL_FIXES, fixById } from '../fixes/index.js';
import { dryRunText } from '../fixes/runner.js';
import { ROUTER_NO_DRY_RUN } from '../fixes/send.js';
import { UnreachableError, waitForSync } from '../session.js';
import type { FixActivity } from '../store/fixes-slice.js';
import { confirmLines } from '../screens/confirm-lines.js';
import { connect } from './connect.js';
import { interruptOnSignals, signalStatus, writeLine } from './signals.js';
import { nearest, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';

export interface FixCommandOptions {
  target?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  demo?: boolean;
  speed: number;
  context?: string;
  kubeconfig?: string;
  config?: string;
  readOnly?: boolean;
  stateDir?: string;
  timeout: number;
  force?: boolean;
  withSource?: boolean;
  log?: string;
}

/** Matches the fixes' own NoPlan wording for "already fine". */
const NOTHING_TO_DO = /^(nothing|no restore to trigger)/;

async function settled(get: () => FixActivity | undefined, phases: ReadonlySet<string>): Promise<FixActivity> {
  for (;;) {
    const activity = get();
    if (activity && phases.has(activity.phase)) return activity;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runFix(id: string, opts: FixCommandOptions): Promise<number> {
  const fix = fixById(id);
  if (!fix) {
    const known = ALL_FIXES.map((f) => f.id);
    if (FIX_IDS.includes(id as FixId)) throw new UsageError(`fix "${id}" is not available in this build; fixes: ${known.join(', ')}`);
    const like = nearest(id, known);
    throw new UsageError(
      `unknown fix "${id}"${like ? ` (did you mean ${like}?)` : `; fixes: ${known.join(', ')}`}`,
      'run "drdeck fix --help" for what each fix does',
    );
  }
  // The report of the run: streamed as it happens; with --json, to stderr beside the document.
  const say = (line: string) => writeLine(opts.json ? process.stderr : process.stdout, line);
  const { session, where, audit } = await connect({ ...opts, speed: opts.speed, loadClientFirst: true, flushMs: 20 });
  const { store } = session;
  const activity = () => store.getState().fixes[fix.id];
  let code: number;
  let result: Record<string, unknown> = { fix: fix.id };
  const stopSignals = interruptOnSignals(session, (signal, lines) => {
    const message = lines.length ? lines.map((l) => l.replace(`${fix.id}: `, '')).join('; ') : `interrupted (${signal})`;
    say(`\n${message}`);
    if (lines.length) say(`recorded in ${audit.file}`);
    if (opts.json) writeLine(process.stdout, JSON.stringify({ ...result, outcome: 'interrupted', message, exitCode: signalStatus(signal) }, null, 2));
  });
  // Each request as it lands and each step of the following, as the runner reports them.
  const unfollow = store.subscribe((state, previous) => {
    const now = state.fixes[fix.id];
    const before = previous.fixes[fix.id];
    if (now?.phase === 'running' && now.message !== before?.message && now.message !== 'sending…') say(`  ${now.message}`);
  });
  try {
    try {
      await waitForSync(session, opts.timeout * 1000, { untilFresh: !opts.demo });
    } catch (error) {
      if (error instanceof UnreachableError) throw error;
      throw new Error(`no answer from ${where} within ${opts.timeout} s`, { cause: error });
    }
    session.buffer.flush();
    void store.getState().requestFix(fix.id, opts.target, { force: opts.force, withSource: opts.withSource });
    const prepared = await settled(activity, new Set(['confirm', 'refused']));
    if (prepared.phase === 'refused') {
      const nothing = NOTHING_TO_DO.test(prepared.message);
      code = nothing ? EXIT.ok : /^(read-only|not allowed)/.test(prepared.message) ? EXIT.undecided : EXIT.couldNotRun;
      say(`${nothing ? 'nothing to do' : code === EXIT.undecided ? 'refused' : 'could not run'}: ${prepared.message}`);
      result = { ...result, outcome: nothing ? 'nothing-to-do' : 'refused', message: prepared.message };
    } else {
      const plan = prepared.prepared!.plan;
      say(`${plan.title} (${fix.id}) on ${where}`);
      // Commands flush left, as on the confirm screen: an indented EOF would not end its heredoc.
      for (const line of confirmLines(prepared.prepared!)) {
        say(line.tone === 'heading' ? `\n${line.text}:` : line.tone === 'command' ? line.text : `  ${line.text}`);
      }
      const routerRequests = plan.routerRequests ?? [];
      result = {
        ...result,
        plan: {
          title: plan.title,
          targets: plan.targets,
          requests: plan.requests,
          ...(routerRequests.length ? { routerRequests } : {}),
          commands: plan.commands,
          warnings: plan.warnings,
          gitChange: plan.gitChange,
        },
        dryRun: dryRunText(prepared.prepared!.dryRun, prepared.prepared!.routerCheck),
      };
      if (opts.dryRun) {
        store.getState().cancelFix({ dryRun: true });
        code = EXIT.ok;
        const checked = [
          plan.requests.length || !routerRequests.length ? 'the server accepted every request' : '',
          routerRequests.length ? ROUTER_NO_DRY_RUN : '',
        ]
          .filter(Boolean)
          .join('; ');
        say(`\ndry run: ${checked}; nothing was sent`);
        result.outcome = 'dry-run';
      } else if (!opts.yes) {
        store.getState().cancelFix();
        code = EXIT.undecided;
        say('\nnot confirmed: nothing was sent (add --yes to apply)');
        result.outcome = 'not-confirmed';
      } else {
        if (plan.confirm.kind === 'type') store.getState().typeConfirm(plan.confirm.text);
        say('\napplying…');
        await store.getState().confirmFix();
        const done = activity();
        code = done?.phase === 'done' ? EXIT.ok : EXIT.failed;
        say(`${code === EXIT.ok ? 'done' : 'failed'}: ${done?.message ?? ''}`);
        result = { ...result, outcome: code === EXIT.ok ? 'done' : 'failed', message: done?.message };
      }
    }
  } finally {
    unfollow();
    stopSignals();
    session.close();
  }
  if (opts.json) writeLine(process.stdout, JSON.stringify({ ...result, exitCode: code }, null, 2));
  return code;
}
