/** The lines of a panel's detail screen, and the `/` filter over them. Pure, so tested as a table. */
import type { CheckResult, CheckStatus, Evidence } from '../checks/types.js';

export interface DetailLine {
  key: string;
  kind: 'check' | 'evidence' | 'fix' | 'git' | 'spacer';
  text: string;
  status?: CheckStatus;
  /** For an evidence line: the object, as `Kind/namespace/name` (what a fix key acts on). */
  target?: string;
}

export function evidenceText(e: Evidence): string {
  const where = e.namespace ? `${e.namespace}/${e.name}` : e.name;
  return `${e.kind} ${where}  ${e.field}: ${e.value}`;
}

function linesOf(result: CheckResult): { head: DetailLine; body: DetailLine[] } {
  const head: DetailLine = { key: result.id, kind: 'check', status: result.status, text: `${result.id}  ${result.summary}` };
  const body: DetailLine[] = result.evidence.map((e, i) => ({
    key: `${result.id}#${i}`,
    kind: 'evidence',
    status: e.status,
    text: evidenceText(e),
    target: `${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}`,
  }));
  if (result.fixes.length) body.push({ key: `${result.id}#fix`, kind: 'fix', text: `fix: ${result.fixes.join(', ')}` });
  if (result.gitHint) {
    result.gitHint.split('\n').forEach((line, i) => body.push({ key: `${result.id}#git${i}`, kind: 'git', text: i === 0 ? `in Git: ${line}` : `  ${line}` }));
  }
  return { head, body };
}

/**
 * Every check with its evidence, fixes and Git hint. With a filter (case-insensitive), a check
 * whose line matches keeps all its lines; otherwise only its matching lines stay, under its head.
 */
export function buildDetailLines(results: readonly CheckResult[], filter: string): DetailLine[] {
  const needle = filter.trim().toLowerCase();
  const out: DetailLine[] = [];
  for (const result of results) {
    const { head, body } = linesOf(result);
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
