/**
 * drdeck's exit codes: one contract for `check`, `fix` and `preflight`, so that a script can tell
 * "all good" from "broken" from "drdeck could not look" from "could not tell" (README: Exit codes).
 */
export const EXIT = {
  /** Everything was decided and passed (warnings allowed); a fix was done, had nothing to do, or was a dry run. */
  ok: 0,
  /** A check failed; a fix ran and failed. */
  failed: 1,
  /** Could not run: a usage error, a bad config or kubeconfig, the cluster unreachable, credentials refused. */
  couldNotRun: 2,
  /**
   * Undecided: nothing failed, but a check could not be decided (unknown: forbidden, not installed;
   * or still pending); a fix was not applied (read-only, not allowed, not confirmed).
   */
  undecided: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of a set of verdicts. A failure wins over undecided: fail + unknown is 1. */
export function verdictExitCode(counts: { fail: number; unknown: number; pending: number }): ExitCode {
  if (counts.fail > 0) return EXIT.failed;
  return counts.unknown > 0 || counts.pending > 0 ? EXIT.undecided : EXIT.ok;
}

/** The contract in the words of `--help`. */
export const EXIT_CODES_HELP = `Exit codes (check, fix, preflight):
  0  everything was decided and passed (warnings allowed); a fix done, nothing to do, or --dry-run
  1  a check (or a preflight item) failed; a fix ran and failed
  2  could not run: usage error, bad config or kubeconfig, cluster unreachable, credentials refused,
     no repository or no single Flux entry in it (preflight)
  3  undecided: nothing failed, but a check could not be decided (forbidden, not installed, pending);
     a fix was not applied (read-only, not allowed, not confirmed without --yes)`;
