/** What the confirm screen shows of a prepared fix: everything it will send, and why. Pure. */
import { KINDS } from '../kinds.js';
import type { Prepared } from '../fixes/runner.js';
import { wrapRows } from './text.js';
import { ROUTER_NO_DRY_RUN } from '../fixes/send.js';

export interface ConfirmLine {
  key: string;
  text: string;
  tone?: 'heading' | 'warning' | 'ok' | 'error' | 'command' | 'git';
}

const where = (r: { namespace?: string; name: string }) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

function compact(body: unknown): string {
  if (body === undefined) return '';
  const text = JSON.stringify(body);
  return text.length > 400 ? `${text.slice(0, 399)}…` : text;
}

/** The confirm lines as screen rows of `width`, each keeping its line's tone. */
export function confirmRows(prepared: Prepared, width: number): ConfirmLine[] {
  return confirmLines(prepared).flatMap((line) => wrapRows(line.text, width).map((text, i) => ({ key: `${line.key}.${i}`, text, tone: line.tone })));
}

export function confirmLines(prepared: Prepared): ConfirmLine[] {
  const { plan, dryRun } = prepared;
  const lines: ConfirmLine[] = [];
  const push = (text: string, tone?: ConfirmLine['tone']) => lines.push({ key: `${lines.length}`, text, tone });

  push(`${plan.targets.length} target${plan.targets.length === 1 ? '' : 's'}: ${plan.targets.map(where).join(', ') || '-'}`);
  if (plan.warnings.length) {
    push('Before you confirm', 'heading');
    for (const w of plan.warnings) push(`! ${w}`, 'warning');
  }
  if (plan.details.length) {
    push('Details', 'heading');
    for (const d of plan.details) push(`  ${d}`);
  }
  const routerRequests = plan.routerRequests ?? [];
  if (plan.requests.length || !routerRequests.length) push(`Requests (${plan.requests.length}), each checked by a server-side dry run`, 'heading');
  plan.requests.forEach((r, i) => {
    const result = dryRun[i];
    const verdict = result?.error ? `✗ ${result.error}` : result?.note ? `✓ (${result.note})` : '✓';
    const kind = KINDS[r.kind].kind;
    const sub = r.subresource ? `/${r.subresource}` : '';
    push(
      `${verdict.startsWith('✗') ? '✗' : '✓'} ${r.verb.toUpperCase()} ${kind}${sub} ${where(r)}${r.patchType ? ` (${r.patchType})` : ''} ${compact(r.body)}`,
      result?.error ? 'error' : 'ok',
    );
    if (result?.error || result?.note) push(`    ${result.error ?? result.note}`, result.error ? 'error' : undefined);
  });
  if (routerRequests.length) {
    // Each request exactly as sent: method, path, JSON body.
    push(`Router requests (${routerRequests.length}) to ${prepared.routerLabel ?? 'the router'}`, 'heading');
    push(`  ${ROUTER_NO_DRY_RUN}`);
    routerRequests.forEach((r, i) => {
      const error = prepared.routerCheck?.[i]?.error;
      push(`${error ? '✗' : '✓'} ${r.method} ${r.path} ${JSON.stringify(r.body)}`, error ? 'error' : 'ok');
      if (error) push(`    ${error}`, 'error');
    });
  }
  if (plan.commands.length) {
    // Router plans give RouterOS terminal commands, which are not shell lines.
    const routerOnly = routerRequests.length > 0 && !plan.requests.length;
    push(routerOnly ? "The same by hand, in the router's terminal" : 'The same by hand', 'heading');
    for (const c of plan.commands) for (const line of c.split('\n')) push(routerOnly ? `  ${line}` : `  $ ${line}`, 'command');
  }
  if (plan.gitChange) {
    push('And in Git (Flux undoes a live change until Git has it)', 'heading');
    for (const line of plan.gitChange.split('\n')) push(`  ${line}`, 'git');
  }
  return lines;
}
