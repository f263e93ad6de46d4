/** What the confirm screen shows of a prepared fix: everything it will send, and why. Pure. */
import { KINDS } from '../kinds.js';
import { changedFields } from '../fixes/changes.js';
import type { Prepared } from '../fixes/runner.js';
import type { PlannedRequest } from '../fixes/types.js';
import { wrapRows } from './text.js';
import { ROUTER_NO_DRY_RUN } from '../fixes/send.js';

export interface ConfirmLine {
  key: string;
  text: string;
  tone?: 'heading' | 'warning' | 'ok' | 'error' | 'command' | 'git';
  /** A shell line: too wide, it breaks between words with ` \` so it still pastes as printed. */
  shell?: boolean;
}

/** More requests than this share lines on the confirm screen's first page. */
const GROUP_OVER = 14;

const where = (r: { namespace?: string; name: string }) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

/** The confirm lines as screen rows of `width`, each keeping its line's tone. */
export function confirmRows(prepared: Prepared, width: number): ConfirmLine[] {
  return confirmLines(prepared).flatMap((line) =>
    (line.shell ? shellRows(line.text, width) : wrapRows(line.text, width)).map((text, i) => ({ key: `${line.key}.${i}`, text, tone: line.tone })),
  );
}

/** A shell line in rows of `width`: broken between words, each row but the last ending in ` \`. */
function shellRows(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const rows: string[] = [];
  let row = '';
  for (const word of text.split(' ')) {
    const next = row ? `${row} ${word}` : word;
    if (row && next.length > width - 2) {
      rows.push(`${row} \\`);
      row = `  ${word}`;
    } else row = next;
  }
  rows.push(row);
  // A word wider than the screen cannot break: the screen wraps it.
  return rows.flatMap((r) => wrapRows(r, width));
}

/**
 * The commands as lines to paste: flush left, no prompt. Inside a heredoc a line is data, not
 * shell: a JSON body is spread over lines (JSON allows it) rather than wrapped mid-string.
 */
function commandLines(commands: readonly string[]): Array<{ text: string; shell: boolean }> {
  const out: Array<{ text: string; shell: boolean }> = [];
  for (const command of commands) {
    let end: string | undefined;
    for (const line of command.split('\n')) {
      if (end !== undefined) {
        if (line === end) end = undefined;
        else if (line.startsWith('{')) {
          try {
            for (const part of JSON.stringify(JSON.parse(line), null, 2).split('\n')) out.push({ text: part, shell: false });
            continue;
          } catch {
            // Not JSON: the line as it is.
          }
        }
        out.push({ text: line, shell: false });
        continue;
      }
      out.push({ text: line, shell: true });
      end = /<<-?\s*'?"?(\w+)'?"?\s*$/.exec(line)?.[1];
    }
  }
  return out;
}

/**
 * The plan, the changes first: one line per request (verb, kind, name, the fields it changes) with
 * its dry-run verdict and the server's words when it refused, so the whole of it fits the first
 * screen; then what to know before confirming, and the full bodies below, to scroll to.
 */
export function confirmLines(prepared: Prepared): ConfirmLine[] {
  const { plan, dryRun } = prepared;
  const lines: ConfirmLine[] = [];
  const push = (text: string, tone?: ConfirmLine['tone']) => lines.push({ key: `${lines.length}`, text, tone });
  const routerRequests = plan.routerRequests ?? [];

  // Many targets are named by the changes, one a line: a list of them here would push those down.
  const named = plan.targets.length > 3 && plan.requests.length >= plan.targets.length - 1;
  if (!named) push(`${plan.targets.length} target${plan.targets.length === 1 ? '' : 's'}: ${plan.targets.map(where).join(', ') || '-'}`);
  // The same change on every object (a reconcile token, copyMethod) is said once, in the heading.
  const fields = plan.requests.map((r) => changedFields(r).join(', '));
  const same = fields.length > 1 && fields[0] !== '' && fields.every((f) => f === fields[0]) ? fields[0] : undefined;
  if (plan.requests.length || !routerRequests.length) {
    const refused = dryRun.filter((r) => r.error).length;
    const verdict = plan.requests.length ? (refused ? `${refused} refused` : 'all admitted') : '-';
    push(`Changes (${plan.requests.length})${same ? `, each ${same}` : ''}; server-side dry run: ${verdict}`, 'heading');
  }
  // Too many for a line each on the first screen (22 restores at 80x24): plain admitted requests
  // of one verb and kind, one after another, share a line that names each object.
  const group = plan.requests.length > GROUP_OVER;
  let i = 0;
  while (i < plan.requests.length) {
    const r = plan.requests[i];
    const result = dryRun[i];
    const held = plan.held?.find((h) => h.namespace === r.namespace && h.name === r.name);
    const plain = (k: number) =>
      !dryRun[k]?.error && !dryRun[k]?.note && !plan.held?.some((h) => h.namespace === plan.requests[k].namespace && h.name === plan.requests[k].name);
    let end = i + 1;
    if (group && plain(i)) {
      while (
        end < plan.requests.length &&
        plain(end) &&
        plan.requests[end].verb === r.verb &&
        plan.requests[end].kind === r.kind &&
        (same || fields[end] === fields[i])
      )
        end++;
    }
    if (end - i > 1) {
      const changes = same ? '' : `  ${fields[i]}`;
      push(`✓ ${r.verb.toUpperCase()} ${KINDS[r.kind].kind} ×${end - i}${changes}: ${plan.requests.slice(i, end).map(where).join(', ')}`, 'ok');
      i = end;
      continue;
    }
    const changes = same || !fields[i] ? '' : `  ${fields[i]}`;
    push(`${result?.error ? '✗' : '✓'} ${head(r, false)}${changes}${held ? `  (held: ${held.reason})` : ''}`, result?.error ? 'error' : 'ok');
    if (result?.error || result?.note) push(`    ${result.error ?? result.note}`, result.error ? 'error' : undefined);
    i++;
  }
  if (routerRequests.length) {
    push(`Router requests (${routerRequests.length}) to ${prepared.routerLabel ?? 'the router'}`, 'heading');
    push(`  ${ROUTER_NO_DRY_RUN}`);
    routerRequests.forEach((r, i) => {
      const error = prepared.routerCheck?.[i]?.error;
      // Each request exactly as sent: method, path, JSON body (short already).
      push(`${error ? '✗' : '✓'} ${r.method} ${r.path} ${JSON.stringify(r.body)}`, error ? 'error' : 'ok');
      if (error) push(`    ${error}`, 'error');
    });
  }
  if (plan.warnings.length) {
    push('Before you confirm', 'heading');
    for (const w of plan.warnings) push(`! ${w}`, 'warning');
  }
  if (plan.details.length) {
    push('Details', 'heading');
    for (const d of plan.details) push(`  ${d}`);
  }
  if (plan.requests.some((r) => r.body !== undefined)) {
    push('Bodies, as sent', 'heading');
    for (const r of plan.requests) {
      if (r.body === undefined) continue;
      push(head(r));
      push(`  ${JSON.stringify(r.body)}`);
    }
  }
  if (plan.commands.length) {
    // Router plans give RouterOS terminal commands, which are not shell lines.
    const routerOnly = routerRequests.length > 0 && !plan.requests.length;
    push(routerOnly ? "The same by hand, in the router's terminal" : 'The same by hand, to paste into a shell', 'heading');
    // Flush left and no prompt: a heredoc's lines and its EOF paste as printed.
    for (const { text, shell } of commandLines(plan.commands)) lines.push({ key: `${lines.length}`, text, tone: 'command', shell });
  }
  if (plan.gitChange) {
    push('And in Git (Flux undoes a live change until Git has it)', 'heading');
    for (const line of plan.gitChange.split('\n')) push(`  ${line}`, 'git');
  }
  return lines;
}

/** `PATCH HelmRelease/status flux-system/apps (merge)`; the summary leaves the patch type to the bodies. */
function head(r: PlannedRequest, patchType = true): string {
  const sub = r.subresource ? `/${r.subresource}` : '';
  return `${r.verb.toUpperCase()} ${KINDS[r.kind].kind}${sub} ${where(r)}${patchType && r.patchType ? ` (${r.patchType})` : ''}`;
}
