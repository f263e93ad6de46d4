/**
 * The audit log, `<state dir>/audit.jsonl`: every fix attempt as a stream of JSON lines sharing an
 * attempt id, written as it happens so that a dropped SSH session, a Ctrl-C or a kill -9 never
 * leaves a change unrecorded:
 *
 * - `intent`, before the first request: time, context, user, fix id, targets, the planned requests,
 *   the dry-run result;
 * - `request`, one per request as it lands: verb, kind, namespace/name, ok or the server's error;
 * - `outcome`, at the end: done, failed, refused, cancelled, dry-run or interrupted, with what was
 *   sent and, after a run, how its effect went.
 *
 * Readers fold the records by attempt (`foldAudit`); an attempt with no outcome reads as
 * interrupted (no outcome recorded). Lines of the older one-line-per-attempt format are read as
 * they are. Requests carry what drdeck sends, and drdeck never sends a secret value; Secret bodies
 * are replaced all the same. The file is the operator's alone: created 0600 in a 0700 folder,
 * tightened when found looser.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenFile } from './private-files.js';

/** A request as planned: what the intent lists (bodies redacted for Secrets). */
export interface AuditRequest {
  verb: string;
  kind: string;
  namespace?: string;
  name: string;
  patchType?: string;
  body?: unknown;
}

/** What every record carries, so that any line alone says whose attempt it belongs to. */
interface RecordBase {
  /** Shared by the records of one attempt. */
  attempt: string;
  /** ISO time of the record (the cluster's clock: the demo's scenario time in the demo). */
  time: string;
  context: string;
  fixId: string;
  /** The `startedAt` of the timeline the attempt belongs to (absent outside a session with one). */
  timeline?: number;
}

/** Written before anything is sent. */
export interface AuditIntent extends RecordBase {
  record: 'intent';
  user: string;
  targets: string[];
  requests: AuditRequest[];
  /** "ok", or the server's message; "skipped" when the run never got that far. */
  dryRun: string;
}

/** One request as it landed. */
export interface AuditRequestRecord extends RecordBase {
  record: 'request';
  verb: string;
  kind: string;
  namespace?: string;
  name: string;
  ok: boolean;
  /** The server's (or the router's) refusal, one line. */
  error?: string;
}

export type AuditOutcomeKind = 'done' | 'failed' | 'refused' | 'cancelled' | 'dry-run' | 'interrupted';

/** The end of an attempt. */
export interface AuditOutcome extends RecordBase {
  record: 'outcome';
  outcome: AuditOutcomeKind;
  message: string;
  /** Interrupted: what ended it (`SIGHUP`, `SIGINT`, `SIGTERM`, `quit`). */
  reason?: string;
  /** Requests the server (or router) accepted, as `verb kind namespace/name`. */
  sent: string[];
  /** Requests it refused, with its error. */
  rejected?: string[];
  /** Interrupted: requests sent but not answered yet; they may have been applied. */
  inFlight?: string[];
  /** After a run: one line per object followed. */
  details?: string[];
}

/** One line of the audit log. */
export type AuditRecord = AuditIntent | AuditRequestRecord | AuditOutcome;

/** A request of an attempt as it landed, as `foldAudit` gives it back. */
export interface AuditSent {
  time: string;
  verb: string;
  kind: string;
  namespace?: string;
  name: string;
  ok: boolean;
  error?: string;
}

/**
 * One attempt as read back: the records of one attempt folded, or a line of the older format. The
 * outcome of an attempt whose records end without one is `interrupted`, with `reason`
 * "no outcome recorded".
 */
export interface AuditEntry {
  /** Absent for lines of the older format. */
  attempt?: string;
  /** When the attempt started (its intent); for the older format, when it ended. */
  time: string;
  context: string;
  user: string;
  fixId: string;
  targets: string[];
  /** As planned. */
  requests: AuditRequest[];
  /** "ok", or the server's message; "skipped" when the run never got that far. */
  dryRun: string;
  /** "done", "failed", "refused", "cancelled", "dry-run", "interrupted" */
  outcome: string;
  message: string;
  /** Interrupted: by what, or "no outcome recorded". */
  reason?: string;
  /** Every request as it landed, in order (absent for the older format). */
  sent?: AuditSent[];
  /** Interrupted: requests sent and never answered. */
  inFlight?: string[];
  details?: string[];
  /** When the outcome was recorded. */
  endedAt?: string;
  timeline?: number;
}

/** The reason of an attempt whose records end without an outcome (killed, the machine went down). */
export const NO_OUTCOME = 'no outcome recorded';

const REDACTED = '(redacted)';

/** A request body as it may be written down: a Secret's data never is. */
export function redact(kind: string, body: unknown): unknown {
  if (kind !== 'secrets' || typeof body !== 'object' || body === null) return body;
  const { data, stringData, ...rest } = body as Record<string, unknown>;
  return { ...rest, ...(data ? { data: REDACTED } : {}), ...(stringData ? { stringData: REDACTED } : {}) };
}

/** `patch replicationdestinations default/plex-dst`: a request as the outcome lists it. */
export function requestText(r: { verb: string; kind: string; namespace?: string; name: string }): string {
  return `${r.verb} ${r.kind} ${r.namespace ? `${r.namespace}/${r.name}` : r.name}`;
}

// What a line must hold to be read; anything more is kept. Why a schema: the file may have been
// edited by hand or torn by a crash, and a report must not throw on it.
const text = z.string();
const strings = z.array(z.string());
const base = { attempt: text, time: text, context: text, fixId: text, timeline: z.number().optional() };
const requestSchema = z.object({ verb: text, kind: text, namespace: text.optional(), name: text }).passthrough();
const recordSchema = z.discriminatedUnion('record', [
  z.object({ record: z.literal('intent'), ...base, user: text, targets: strings, requests: z.array(requestSchema), dryRun: text }).passthrough(),
  z.object({ record: z.literal('request'), ...base, verb: text, kind: text, namespace: text.optional(), name: text, ok: z.boolean(), error: text.optional() }),
  z
    .object({
      record: z.literal('outcome'),
      ...base,
      outcome: text,
      message: text,
      reason: text.optional(),
      sent: strings,
      rejected: strings.optional(),
      inFlight: strings.optional(),
      details: strings.optional(),
    })
    .passthrough(),
]);
const legacySchema = z
  .object({
    time: text,
    context: text,
    user: text,
    fixId: text,
    targets: strings,
    requests: z.array(requestSchema),
    dryRun: text,
    outcome: text,
    message: text,
    timeline: z.number().optional(),
  })
  .passthrough();

/** A parsed line: a record, or an attempt of the older format. */
export type AuditLine = { record: AuditRecord } | { legacy: AuditEntry };

/** The lines of an audit log; lines that do not parse (a line torn by a crash) are skipped. */
export function parseAuditLines(content: string): AuditLine[] {
  const lines: AuditLine[] = [];
  for (const line of content.split('\n')) {
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue; // a line torn by a crash mid-write: the rest of the log is still good
    }
    const hasRecord = typeof json === 'object' && json !== null && 'record' in json;
    if (hasRecord) {
      const parsed = recordSchema.safeParse(json);
      if (parsed.success) lines.push({ record: parsed.data as AuditRecord });
    } else {
      const parsed = legacySchema.safeParse(json);
      if (parsed.success) lines.push({ legacy: parsed.data as AuditEntry });
    }
  }
  return lines;
}

/**
 * The attempts of a log, in the order they started: each attempt's records folded into one entry.
 * Records may come without their intent (a torn line): the entry is made of what there is.
 */
export function foldAudit(lines: ReadonlyArray<AuditLine | AuditRecord>): AuditEntry[] {
  const entries: AuditEntry[] = [];
  const byAttempt = new Map<string, AuditEntry & { ended: boolean }>();
  for (const line of lines) {
    if ('legacy' in line) {
      entries.push(line.legacy);
      continue;
    }
    // A line of the log ({record}) or a record as a sink received it.
    const r = typeof line.record === 'object' ? line.record : (line as AuditRecord);
    let entry = byAttempt.get(r.attempt);
    if (!entry) {
      entry = {
        attempt: r.attempt,
        time: r.time,
        context: r.context,
        user: '',
        fixId: r.fixId,
        targets: [],
        requests: [],
        dryRun: 'skipped',
        outcome: 'interrupted',
        message: '',
        reason: NO_OUTCOME,
        sent: [],
        ...(r.timeline !== undefined ? { timeline: r.timeline } : {}),
        ended: false,
      };
      byAttempt.set(r.attempt, entry);
      entries.push(entry);
    }
    if (r.record === 'intent') {
      Object.assign(entry, { time: r.time, user: r.user, targets: r.targets, requests: r.requests, dryRun: r.dryRun });
    } else if (r.record === 'request') {
      const { verb, kind, namespace, name, ok, error, time } = r;
      entry.sent!.push({ time, verb, kind, ...(namespace !== undefined ? { namespace } : {}), name, ok, ...(error !== undefined ? { error } : {}) });
    } else if (!entry.ended) {
      // The first outcome wins: a run that ends after it was recorded as interrupted writes none.
      entry.ended = true;
      entry.outcome = r.outcome;
      entry.message = r.message;
      entry.endedAt = r.time;
      delete entry.reason;
      if (r.reason !== undefined) entry.reason = r.reason;
      if (r.inFlight?.length) entry.inFlight = r.inFlight;
      if (r.details?.length) entry.details = r.details;
    }
  }
  for (const entry of byAttempt.values()) {
    if (!entry.ended) {
      const sent = entry.sent!.filter((s) => s.ok).length;
      entry.message = `no outcome recorded (drdeck was killed, or is still running it): ${sent} of ${entry.requests.length} requests sent`;
    }
    delete (entry as { ended?: boolean }).ended;
  }
  return entries;
}

export class AuditLog {
  readonly file: string;
  /** Whether this instance has checked the mode of the file it appends to. */
  private opened = false;

  constructor(dir: string) {
    this.file = join(dir, 'audit.jsonl');
  }

  /**
   * Appends one record as one line and flushes it to the disk. Why one write per line on an
   * O_APPEND descriptor: each line lands whole, so two drdecks on one state dir never interleave
   * inside a line, and a kill loses at most the record being written. Why fdatasync: a record
   * says what was sent to a cluster; it must outlive a machine that goes down right after (the
   * cost, a few milliseconds, is paid a few dozen times per fix at most).
   */
  append(record: AuditRecord): void {
    if (!this.opened) {
      ensurePrivateDir(dirname(this.file));
      tightenFile(this.file);
      this.opened = true;
    }
    const safe = record.record === 'intent' ? { ...record, requests: record.requests.map((r) => ({ ...r, body: redact(r.kind, r.body) })) } : record;
    const fd = openSync(this.file, 'a', PRIVATE_FILE_MODE);
    try {
      writeFileSync(fd, `${JSON.stringify(safe)}\n`);
      try {
        fdatasyncSync(fd);
      } catch {
        // A file system without fsync (some network mounts): the line is written all the same.
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Every line, oldest first; lines that do not parse are skipped. */
  lines(): AuditLine[] {
    if (!existsSync(this.file)) return [];
    tightenFile(this.file);
    return parseAuditLines(readFileSync(this.file, 'utf8'));
  }

  /** Every attempt, in the order they started, its records folded (see `foldAudit`). */
  read(): AuditEntry[] {
    return foldAudit(this.lines());
  }
}
