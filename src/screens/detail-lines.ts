/** The lines of a panel's detail screen, and the `/` filter over them. Pure, so tested as a table. */
import type { CheckResult, CheckStatus, Evidence } from '../checks/types.js';
import type { SourceRef } from '../preflight/types.js';

/** Where an object (`Kind/namespace/name`) is written in the repository, when one is read. */
export type SourceOf = (target: string) => SourceRef | undefined;

export interface DetailLine {
  key: string;
  kind: 'check' | 'evidence' | 'source' | 'fix' | 'git' | 'spacer';
  text: string;
  status?: CheckStatus;
  /** For an evidence line: the object, as `Kind/namespace/name` (what a fix key acts on). */
  target?: string;
}

export function evidenceText(e: Evidence): string {
  const where = e.namespace ? `${e.namespace}/${e.name}` : e.name;
  return `${e.kind} ${where}  ${e.field}: ${e.value}`;
}

function linesOf(result: CheckResult, sourceOf?: SourceOf): { head: DetailLine; body: DetailLine[] } {
  const head: DetailLine = { key: result.id, kind: 'check', status: result.status, text: `${result.id}  ${result.summary}` };
  // A finding whose cure is in Git links each failing object to where the repository writes it.
  const cured = !!result.gitHint && result.status !== 'pass' && sourceOf;
  const body: DetailLine[] = result.evidence.flatMap((e, i): DetailLine[] => {
    const target = `${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
    const line: DetailLine = { key: `${result.id}#${i}`, kind: 'evidence', status: e.status, text: evidenceText(e), target };
    const source = cured && e.status !== 'pass' ? sourceOf(target) : undefined;
    return source ? [line, { key: `${result.id}#${i}@`, kind: 'source', text: `→ ${source.file}:${source.line}`, target }] : [line];
  });
  if (result.fixes.length) body.push({ key: `${result.id}#fix`, kind: 'fix', text: `fix: ${result.fixes.join(', ')}` });
  if (result.gitHint) {
    result.gitHint.split('\n').forEach((line, i) => body.push({ key: `${result.id}#git${i}`, kind: 'git', text: i === 0 ? `in Git: ${line}` : `  ${line}` }));
  }
  return { head, body };
}

/**
 * Every check with its evidence, fixes and Git hint. With a filter (case-insensitive), a check
 * whose line matches keeps all its lines; otherwise only its matching lines stay, under its head.
 * With `sourceOf` (a repository is read), the failing objects of a check cured in Git get a
 * `→ file:line` line under them.
 */
export function buildDetailLines(results: readonly CheckResult[], filter: string, sourceOf?: SourceOf): DetailLine[] {
  const needle = filter.trim().toLowerCase();
  const out: DetailLine[] = [];
  for (const result of results) {
    const { head, body } = linesOf(result, sourceOf);
    let kept = body;
    if (needle && !head.text.toLowerCase().includes(needle)) {
      kept = body.filter((l) => l.text.toLowerCase().includes(needle));
      if (kept.length === 0) continue;
    }
    if (out.length) out.push({ key: `${result.id}#spacer`, kind: 'spacer', text: '' });
    out.push(head, ...kept);
  }
  return out;
}
