/** Kubernetes Events as the events view shows them: read from core/v1 Events, newest first, one line each. Pure. */
import type { EventRow, KubeObject } from '../cluster.js';
import { cleanText } from '../text/sanitize.js';

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const time = (value: unknown): number => {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : 0;
};

/**
 * One core/v1 Event as a row. Its time is the first the Event has of: a series' last observation,
 * lastTimestamp, eventTime, its creation; its source, the reporting component or controller.
 */
export function eventRowOf(event: KubeObject): EventRow {
  const raw = event as KubeObject & Record<string, any>;
  const lastTime = time(raw.series?.lastObservedTime) || time(raw.lastTimestamp) || time(raw.eventTime) || time(raw.metadata?.creationTimestamp);
  const count = Number(raw.series?.count ?? raw.count ?? 1);
  return {
    uid: str(raw.metadata?.uid) || `${str(raw.metadata?.namespace)}/${str(raw.metadata?.name)}`,
    type: cleanText(str(raw.type) || 'Normal', 32),
    reason: cleanText(str(raw.reason), 128),
    message: cleanText(str(raw.message), 2048),
    count: Number.isFinite(count) && count > 0 ? count : 1,
    lastTime,
    source: cleanText(str(raw.reportingComponent) || str(raw.source?.component) || str(raw.reportingController), 128),
  };
}

/** The rows newest first (ties: the more frequent first, then by reason, so the order is stable). */
export function sortEvents(rows: Iterable<EventRow>): EventRow[] {
  return [...rows].sort((a, b) => b.lastTime - a.lastTime || b.count - a.count || a.reason.localeCompare(b.reason) || a.uid.localeCompare(b.uid));
}

/** "42s", "7m", "3h", "2d": the age column, as kubectl prints it. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** The header of the events list. */
export const EVENT_HEADER = `${'TYPE'.padEnd(8)}${'REASON'.padEnd(24)}${'AGE'.padStart(5)}  ${'COUNT'.padStart(5)}  MESSAGE`;

/** One row: type, reason, age, count, message (the message last, so a narrow screen cuts only it). */
export function eventLine(row: EventRow, now: number): string {
  const reason = row.reason.length > 23 ? `${row.reason.slice(0, 22)}…` : row.reason;
  const when = row.lastTime ? age(now - row.lastTime) : '?';
  return `${row.type.padEnd(8)}${reason.padEnd(24)}${when.padStart(5)}  ${`x${row.count}`.padStart(5)}  ${row.message}${row.source ? ` (${row.source})` : ''}`;
}

/**
 * The field selector of an object's Events, as `kubectl describe` asks: its kind, name and
 * namespace, and its uid when known (so events of an earlier object by that name stay out).
 */
export function eventFieldSelector(object: KubeObject): string {
  const parts = [`involvedObject.kind=${object.kind ?? ''}`, `involvedObject.name=${object.metadata.name}`];
  if (object.metadata.namespace) parts.push(`involvedObject.namespace=${object.metadata.namespace}`);
  if (object.metadata.uid) parts.push(`involvedObject.uid=${object.metadata.uid}`);
  return parts.join(',');
}
