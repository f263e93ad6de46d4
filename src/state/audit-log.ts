/**
 * The audit log: every fix attempt appended as one JSON line to `<state dir>/audit.jsonl` — time,
 * context, user, fix id, targets, requests, dry-run result, outcome. Requests carry what drdeck
 * sends, and drdeck never sends a secret value; Secret bodies are replaced all the same. The file
 * is the operator's alone: created 0600 in a 0700 folder, tightened when found looser.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenFile } from './private-files.js';

export interface AuditEntry {
  time: string;
  context: string;
  user: string;
  fixId: string;
  targets: string[];
  requests: Array<{ verb: string; kind: string; namespace?: string; name: string; patchType?: string; body?: unknown }>;
  /** "ok", or the server's message; "skipped" when the run never got that far. */
  dryRun: string;
  /** "done", "failed", "refused", "cancelled", "dry-run" */
  outcome: string;
  message: string;
  /** The `startedAt` of the timeline the attempt belongs to (absent outside a session with one). */
  timeline?: number;
}

const REDACTED = '(redacted)';

/** A request body as it may be written down: a Secret's data never is. */
export function redact(kind: string, body: unknown): unknown {
  if (kind !== 'secrets' || typeof body !== 'object' || body === null) return body;
  const { data, stringData, ...rest } = body as Record<string, unknown>;
  return { ...rest, ...(data ? { data: REDACTED } : {}), ...(stringData ? { stringData: REDACTED } : {}) };
}

export class AuditLog {
  readonly file: string;
  /** Whether this instance has checked the mode of the file it appends to. */
  private opened = false;

  constructor(dir: string) {
    this.file = join(dir, 'audit.jsonl');
  }

  append(entry: AuditEntry): void {
    if (!this.opened) {
      ensurePrivateDir(dirname(this.file));
      tightenFile(this.file);
      this.opened = true;
    }
    const safe = { ...entry, requests: entry.requests.map((r) => ({ ...r, body: redact(r.kind, r.body) })) };
    // Why one appendFileSync per entry: each line is written whole (O_APPEND), so two drdecks on one
    // state dir never interleave inside a line, and a crash loses at most the attempt in flight.
    appendFileSync(this.file, `${JSON.stringify(safe)}\n`, { mode: PRIVATE_FILE_MODE });
  }

  /** Every entry, oldest first; lines that do not parse (a torn last line) are skipped. */
  read(): AuditEntry[] {
    if (!existsSync(this.file)) return [];
    tightenFile(this.file);
    const entries: AuditEntry[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // a line torn by a crash mid-write: the rest of the log is still good
      }
    }
    return entries;
  }
}
