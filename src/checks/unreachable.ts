/**
 * "The API server cannot be reached": every watched kind is retrying for a reason that means the
 * server does not answer (refused, name not resolved, TLS, timeout, credentials). Then no check can
 * tell anything, and every screen says so instead of verdicts on data that is missing or stale.
 * Pure: a function of the watchers' sync states.
 */
import type { SyncState } from '../cluster.js';
import { KIND_KEYS } from '../kinds.js';
import type { InputKey } from './types.js';

/** ClusterError reasons that mean "the API server does not answer us" (src/k8s/http.ts names them). */
export const UNREACHABLE_REASONS: ReadonlySet<string> = new Set(['ConnectionRefused', 'Unreachable', 'TLSError', 'Timeout', 'Unauthorized']);

/** How every unreachable verdict and note begins: what tells them apart from the others. */
export const UNREACHABLE_PREFIX = 'cannot reach the API server';

export interface Unreachable {
  /** The reason most watchers failed with ('ConnectionRefused', ...). */
  reason: string;
  /** That failure in a few words: "connection refused", "timed out after 10 s", "cannot resolve api.home.lan". */
  error: string;
  /** When data last came from the server (ms since epoch), if it ever did. */
  lastFresh?: number;
}

/** A watcher's detail without the retry countdown and the request it failed on. */
function errorWords(state: SyncState): string {
  if (state.reason === 'ConnectionRefused') return 'connection refused';
  return (state.detail ?? state.reason ?? 'no answer')
    .replace(/; retrying in \d+ s$/, '')
    .replace(/ \((GET|POST|PUT|PATCH|DELETE) \/\S*\)$/, '')
    .replace(/: (GET|POST|PUT|PATCH|DELETE) \/\S*$/, '');
}

/** True while some input is still in its first LIST (or first DNS answer): state still arriving. */
export function stillListing(sync: Readonly<Partial<Record<InputKey, SyncState>>> | undefined): boolean {
  return Object.values(sync ?? {}).some((state) => state?.phase === 'connecting');
}

/**
 * Whether the API server cannot be reached, and why. True when no watched kind is synced or still
 * connecting, none retries for another reason, and at least one retries for an unreachable reason;
 * a kind last seen forbidden or not installed does not contradict it (it has not asked again yet).
 */
export function apiUnreachable(sync: Readonly<Partial<Record<InputKey, SyncState>>> | undefined): Unreachable | undefined {
  const failing: SyncState[] = [];
  for (const key of KIND_KEYS) {
    const state = sync?.[key];
    if (!state || state.phase === 'synced' || state.phase === 'connecting') return undefined;
    if (state.phase !== 'retrying') continue;
    if (!state.reason || !UNREACHABLE_REASONS.has(state.reason)) return undefined;
    failing.push(state);
  }
  if (!failing.length) return undefined;
  const counts = new Map<string, number>();
  for (const s of failing) counts.set(s.reason!, (counts.get(s.reason!) ?? 0) + 1);
  const reason = [...counts].sort((a, b) => b[1] - a[1])[0][0];
  const fresh = failing.map((s) => s.since).filter((t): t is number => t !== undefined);
  return {
    reason,
    error: errorWords(failing.find((s) => s.reason === reason)!),
    ...(fresh.length ? { lastFresh: Math.max(...fresh) } : {}),
  };
}

/** "18:02:11", as the other notes on screen give times (UTC). */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The one line every check and panel says: "cannot reach the API server https://…: connection refused (since 18:02:11)". */
export function unreachableLine(unreachable: Unreachable, server?: string, since = unreachable.lastFresh): string {
  return `${UNREACHABLE_PREFIX}${server ? ` ${server}` : ''}: ${unreachable.error}${since !== undefined ? ` (since ${clockTime(since)})` : ''}`;
}
