/** Errors that are the user's to fix: shown as one clear line, never with a stack trace. */

export class UsageError extends Error {
  /**
   * @param hint a second line, e.g. where to look: `run "drdeck fix --help" for the fixes`.
   */
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Why by name and not `instanceof ConfigError`: importing src/config here would load the config
 * schema (zod, yaml) for `drdeck --help` too.
 */
export function isUserError(err: unknown): boolean {
  return err instanceof UsageError || (err instanceof Error && err.name === 'ConfigError');
}

/** Optimal string alignment distance (a transposition counts once), cut off past `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return Math.max(a.length, b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate nearest to a mistyped word, as commander suggests options: within 3 edits and
 * more alike than not; undefined when nothing is close.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate, 3);
    const length = Math.max(word.length, candidate.length);
    if ((length - distance) / length > 0.4 && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
