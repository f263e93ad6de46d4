/** The dashboard's `/` filter over findings: pure, so every panel and its count read the same. */
import type { CheckResult } from '../checks/types.js';

/**
 * The results whose text holds `filter` (case-insensitive): a check whose id or summary matches
 * stays whole; otherwise it stays with only the objects that match and are findings themselves, failing
 * or warning (a passing or pending Service among a check's list does not bring its failing neighbours along), or goes.
 */
export function filterResults(results: readonly CheckResult[], filter: string): CheckResult[] {
  const needle = filter.trim().toLowerCase();
  if (!needle) return [...results];
  const has = (text: string | undefined) => !!text && text.toLowerCase().includes(needle);
  return results.flatMap((r) => {
    if (has(r.id) || has(r.summary)) return [r];
    const evidence = r.evidence.filter((e) => (e.status === 'fail' || e.status === 'warn') && (has(e.kind) || has(e.namespace) || has(e.name) || has(e.value)));
    return evidence.length ? [{ ...r, evidence }] : [];
  });
}
