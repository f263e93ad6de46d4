/**
 * The command line. Why the dynamic imports: Ink costs about 0.5 s to load and the Kubernetes
 * client about 0.6 s, so `--help` and `--version` load neither, and each command loads only what
 * it uses.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { isUserError } from './commands/errors.js';

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

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command();
  program
    .name('drdeck')
    .description('The disaster-recovery checklist of a rebuilt Kubernetes cluster, live, as a terminal dashboard.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .option('--context <name>', 'kube context to use')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--config <file>', 'drdeck config file (default: ./drdeck.yaml, then $XDG_CONFIG_HOME/drdeck/config.yaml)')
    .option('--read-only', 'never offer or run a fix')
    .action(async () => {
      const { runLive } = await import('./commands/live.js');
      exitCode = await runLive(program.opts());
    });

  program
    .command('demo')
    .description('the dashboard on an embedded simulated cluster that replays the seed rebuild; needs no cluster')
    .option('--speed <n>', 'scenario minutes per real minute', positiveNumber, 10)
    .option('--config <file>', 'drdeck config file')
    .action(async (opts: { speed: number; config?: string }) => {
      const { runDemo } = await import('./commands/demo.js');
      exitCode = await runDemo(opts);
    });

  program
    .command('check')
    .description('evaluate every check once and print a table or JSON; exit 0 all pass, 1 something fails, 2 could not run')
    .option('--json', 'print JSON: {"checks":[...],"summary":{...}}')
    .option('--demo', 'check the embedded demo cluster at the start of its scenario')
    .option('--context <name>', 'kube context to use')
    .option('--kubeconfig <file>', 'kubeconfig file')
    .option('--config <file>', 'drdeck config file')
    .option('--timeout <seconds>', 'how long to wait for the cluster to answer', positiveNumber, 30)
    .action(async (opts: { json?: boolean; demo?: boolean; config?: string; context?: string; kubeconfig?: string; timeout: number }) => {
      const { runCheck } = await import('./commands/check.js');
      // Commander hands --context/--kubeconfig/--config to the program wherever they stand.
      exitCode = await runCheck({ ...program.opts(), ...opts });
    });

  await program.parseAsync(argv);
  return exitCode;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const error = err as Error;
    const known = isUserError(error);
    process.stderr.write(`drdeck: ${error?.message ?? String(err)}\n`);
    if (!known && process.env.DRDECK_DEBUG) process.stderr.write(`${error?.stack ?? ''}\n`);
    process.exitCode = 2;
  },
);
