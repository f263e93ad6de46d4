/**
 * The command line. Why the dynamic imports: Ink costs about 0.5 s to load and the Kubernetes
 * client about 0.6 s, so `--help` and `--version` load neither, and each command loads only what
 * it uses (scripts/build.mjs keeps each import() a chunk of its own, and refuses a build that
 * would break this).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isUserError, nearest, UsageError } from './commands/errors.js';
import { EXIT, EXIT_CODES_HELP } from './commands/exit-codes.js';
import type { DemoOptions } from './commands/demo.js';
import type { FixCommandOptions } from './commands/fix.js';
import type { PreflightOptions } from './commands/preflight.js';

/** Kept as text here so `--help` loads no fix code. */
const FIX_LIST =
  'flux-reconcile, flux-reconcile-stuck, kopia-reclaim, restores-trigger, restores-set-copy-method, restores-recreate, gateways-restart-operator, loadbalancers-dual-stack, dns-add-records';

/** The demo's GitOps repository, shipped in the package (the same depth from src/ and dist/). */
const DEMO_REPO = fileURLToPath(new URL('../demo/repo', import.meta.url));

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** "unknown command 'chek' (did you mean check?)", or the list of commands when nothing is close. */
function unknownCommand(program: Command, word: string): never {
  const known = program.commands.map((c) => c.name());
  const like = nearest(word, known);
  program.error(`error: unknown command '${word}'${like ? ` (did you mean ${like}?)` : `; commands: ${known.join(', ')}`}`, {
    code: 'commander.unknownCommand',
  });
}

/**
 * Commander's error in one line, named after the command: "drdeck fix: unknown option '--yess'
 * (did you mean --yes?)", then where to look. Never the whole help: it would push the error out
 * of sight on a small terminal.
 */
function usageLines(command: string, text: string): string {
  const line = text
    .trim()
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)')
    .replace(/ is invalid\. /, ' is invalid: ');
  return `${command}: ${line}\nrun "${command} --help" for usage\n`;
}

async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command();
  program
    .name('drdeck')
    .description('The disaster-recovery checklist of a rebuilt Kubernetes cluster, live, as a terminal dashboard.')
    .version(packageVersion(), '-V, --version')
    // Usage errors are exit 2 (1 is "a check failed"): commander throws, main() decides the code.
    .exitOverride()
    // Why: the program's own options (for the TUI) must not swallow a subcommand's --config.
    .enablePositionalOptions()
    .option('--context <name>', 'kube context to use')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--config <file>', 'drdeck config file (default: $DRDECK_CONFIG, then $XDG_CONFIG_HOME/drdeck/config.yaml; never ./drdeck.yaml by itself)')
    .option('--read-only', 'never offer or run a fix')
    .option('--state-dir <dir>', 'where the audit log and timelines live (default: $XDG_STATE_HOME/drdeck)')
    .option('--log <file>', 'append diagnostics (watch retries and relists, DNS and router errors, fix progress) to FILE (0600); never to the screen')
    .option('--repo <dir>', 'the GitOps repository checkout: the Git view (g) and file:line on findings cured in Git (or repo: in the config)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async () => {
      // Anything left over is a command drdeck does not have (commander would call it an excess argument).
      const [word] = program.args;
      if (word !== undefined) unknownCommand(program, word);
      const { runLive } = await import('./commands/live.js');
      exitCode = await runLive(program.opts());
    });

  program
    .command('demo')
    .description('the dashboard on an embedded simulated cluster that replays the seed rebuild; needs no cluster')
    .option('--speed <n>', 'scenario minutes per real minute', positiveNumber, 10)
    .option('--config <file>', 'drdeck config file')
    .option('--read-only', 'never offer or run a fix')
    .option('--state-dir <dir>', 'where the audit log and timelines live (the demo uses its demo/ folder)')
    .option('--log <file>', 'append diagnostics (watch retries and relists, DNS and router errors, fix progress) to FILE (0600); never to the screen')
    .option('--autopilot', 'apply each fix as soon as it is offered, print the report, exit (0 when every phase was reached)')
    .option('--repo <dir>', "the GitOps repository for the Git view (g) (default: the demo's own, demo/repo in the package)")
    .action(async (opts: DemoOptions) => {
      const { runDemo } = await import('./commands/demo.js');
      exitCode = await runDemo({ ...opts, defaultRepo: DEMO_REPO });
    });

  program
    .command('check')
    .description('evaluate every check once and print a table or JSON; exit 0 all decided and none fails, 1 something fails, 2 could not run, 3 undecided')
    .option('--json', 'print JSON: {"checks":[...],"summary":{...,"decided":true},"exitCode":0}')
    .option('--demo', 'check the embedded demo cluster at the start of its scenario')
    .option('--context <name>', 'kube context to use')
    .option('--kubeconfig <file>', 'kubeconfig file')
    .option('--config <file>', 'drdeck config file')
    .option('--timeout <seconds>', 'how long to wait for the cluster to answer', positiveNumber, 30)
    .option('--log <file>', 'append diagnostics (watch retries and relists, DNS and router errors, fix progress) to FILE (0600); never to the screen')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (opts: { json?: boolean; demo?: boolean; config?: string; context?: string; kubeconfig?: string; timeout: number; log?: string }) => {
      const { runCheck } = await import('./commands/check.js');
      exitCode = await runCheck(opts);
    });

  program
    .command('preflight')
    .description(
      'the Prevention Checklist over the GitOps repository, read the way Flux applies it; exit 0 all decided and none fails, 1 an item fails, 2 could not run, 3 undecided',
    )
    .option('--repo <dir>', 'the GitOps repository checkout')
    .option('--cluster <name|path>', "the cluster's folder (clusters/NAME) or the flux-system Kustomization's path, when the repository has several")
    .option('--json', 'print JSON: {"items":[...],"checks":[...],"notes":[...],"renderer":"...","summary":{...},"exitCode":0}')
    .option('--diff', 'print the mechanical long-term fixes as a patch for git apply (drdeck never writes the repository)')
    .option('--renderer <built-in|flux|kubectl>', 'who builds each Kustomization (default: flux when found, else built-in)')
    .option('--config <file>', 'drdeck config file')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (opts: PreflightOptions) => {
      const { runPreflight } = await import('./commands/preflight.js');
      exitCode = await runPreflight(opts);
    });

  program
    .command('report')
    .description("the recovery's post-mortem: phase, expected, actual, delta; the fixes applied; the total against best/typical/worst")
    .option('--format <md|json>', 'Markdown or JSON', 'md')
    .option('--context <name>', 'the kube context whose timeline to report (default: the current one)')
    .option('--kubeconfig <file>', 'kubeconfig file (to find the current context)')
    .option('--demo', "the demo's timeline")
    .option('--config <file>', 'drdeck config file (expected durations)')
    .option('--state-dir <dir>', 'where the timelines and the audit log live')
    .action(async (opts: { format: string; context?: string; kubeconfig?: string; demo?: boolean; config?: string; stateDir?: string }) => {
      const { runReport } = await import('./commands/report.js');
      exitCode = await runReport(opts);
    });

  program
    .command('fix')
    .description('run one fix headless: plan, access review, server-side dry run, then apply with --yes')
    .argument('<id>', 'the fix id (drdeck fix --help lists them)')
    .option('--target <namespace/name>', 'the one object to fix (default: every object the fix applies to)')
    .option('--dry-run', 'show the plan and the server-side dry run; send nothing')
    .option('--yes', 'apply without asking (destructive fixes too)')
    .option('--json', 'print the plan, the dry run and the outcome as JSON')
    .option('--demo', 'fix the embedded demo cluster (its scenario starts afresh)')
    .option('--speed <n>', 'demo scenario speed while following the fix', positiveNumber, 60)
    .option('--force', 'flux-reconcile of a HelmRelease: also force and reset')
    .option('--with-source', "flux-reconcile: reconcile the object's source first")
    .option('--context <name>', 'kube context to use')
    .option('--kubeconfig <file>', 'kubeconfig file')
    .option('--config <file>', 'drdeck config file')
    .option('--read-only', 'refuse (exit 3): for scripts that must never write')
    .option('--state-dir <dir>', 'where the audit log lives')
    .option('--timeout <seconds>', 'how long to wait for the cluster to answer', positiveNumber, 30)
    .option('--log <file>', 'append diagnostics (watch retries and relists, DNS and router errors, fix progress) to FILE (0600); never to the screen')
    .addHelpText('after', `\nFixes: ${FIX_LIST}\n\n${EXIT_CODES_HELP}`)
    .action(async (id: string, opts: FixCommandOptions) => {
      const { runFix } = await import('./commands/fix.js');
      exitCode = await runFix(id, opts);
    });

  // `drdeck help fix` as well as `drdeck fix --help`. Commander offers its own only without a root action.
  program
    .command('help')
    .description('help for a command')
    .argument('[command]')
    .action((name?: string) => {
      const command = name === undefined ? program : program.commands.find((c) => c.name() === name);
      if (!command) unknownCommand(program, name!);
      command.help();
    });

  // Set after the subcommands, which would inherit it: only the dashboard's own action sees leftovers.
  program.allowExcessArguments();
  for (const command of [program, ...program.commands]) {
    const name = command === program ? 'drdeck' : `drdeck ${command.name()}`;
    command.configureOutput({ outputError: (text, write) => write(usageLines(name, text)) });
  }

  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Commander has printed its message (help, version, or the usage error) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.couldNotRun;
    throw error;
  }
  return exitCode;
}

// `drdeck check | head`: a reader that stops early is not an error worth a stack trace. A terminal
// gone under drdeck (EIO: the SSH session dropped) is a hang-up, whichever of the two comes first:
// SIGHUP's handling applies (a fix in progress is recorded as interrupted first).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EIO') return void process.kill(process.pid, 'SIGHUP');
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? EXIT.ok);
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const error = err as Error;
    const known = isUserError(error);
    process.stderr.write(`drdeck: ${error?.message ?? String(err)}\n`);
    if (error instanceof UsageError && error.hint) process.stderr.write(`${error.hint}\n`);
    if (!known && process.env.DRDECK_DEBUG) process.stderr.write(`${error?.stack ?? ''}\n`);
    process.exitCode = EXIT.couldNotRun;
  },
);
