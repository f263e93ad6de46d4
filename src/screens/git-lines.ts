/**
 * What the Git view lists: the repository's Prevention Checklist (nine items, each with its evidence
 * at file:line) when one is read, else the live findings whose cure is in Git, so the view is never
 * empty. Pure, so tested as a table.
 */
import type { CheckResult, CheckStatus } from '../checks/types.js';
import type { GitState } from '../store/git-slice.js';
import { evidenceText } from './detail-lines.js';

/** One row of an entry's detail, before wrapping: a status symbol goes in front when there is one. */
export interface GitRow {
  text: string;
  status?: CheckStatus;
  /** Spaces before the row (and its wrapped continuation). */
  indent: number;
}

export interface GitEntry {
  key: string;
  status: CheckStatus;
  /** The list row: item number and title, or the check's id. */
  head: string;
  /** Under the list for the selected entry: its summary, then its evidence. */
  rows: GitRow[];
}

export interface GitView {
  /** The first line: which repository, when read, or why there is none. */
  title: string;
  /** A second line when something is wrong (no repository, an unreadable one), else ''. */
  notice: string;
  entries: GitEntry[];
}

/** Shown when drdeck knows no repository. */
export const NO_REPO = 'No repository: start drdeck with --repo DIR (or repo: in the config) to check the Git side';

/** The live checks that fail or warn and whose cure is a change in Git, as entries. */
function liveEntries(results: Readonly<Record<string, CheckResult>>): GitEntry[] {
  return Object.values(results)
    .filter((r) => (r.status === 'fail' || r.status === 'warn') && r.gitHint)
    .map((r) => ({
      key: r.id,
      status: r.status,
      head: `${r.id}  ${r.summary}`,
      rows: [
        { text: r.summary, indent: 0 },
        ...r.evidence.filter((e) => e.status !== 'pass').map((e) => ({ text: evidenceText(e), status: e.status, indent: 2 })),
        ...(r.gitHint ?? '').split('\n').map((line, i) => ({ text: i === 0 ? `in Git: ${line}` : line, indent: i === 0 ? 0 : 2 })),
      ],
    }));
}

/** The view for the git slice and the live results. `repoLabel` is how the repository is named on screen. */
export function gitView(git: GitState, results: Readonly<Record<string, CheckResult>>): GitView {
  const live = liveEntries(results);
  const liveTitle = `Git — ${live.length} live finding${live.length === 1 ? '' : 's'} cured in Git`;
  if (git.phase === 'off') return { title: liveTitle, notice: NO_REPO, entries: live };
  if (git.phase === 'error')
    return { title: liveTitle, notice: `Cannot read the repository ${git.repo}: ${git.message} (Ctrl-R reads it again)`, entries: live };
  if (!git.checklist) return { title: `Git — reading ${git.repo}…`, notice: '', entries: live };
  const items = git.checklist.items;
  const failing = items.filter((i) => i.status === 'fail').length;
  const state = git.phase === 'reading' ? 'reading again…' : `${failing} change${failing === 1 ? '' : 's'} left`;
  return {
    title: `Git — ${git.repo} · ${state}`,
    notice: '',
    entries: items.map((item) => ({
      key: String(item.id),
      status: item.status,
      head: `${item.id} ${item.title}`,
      rows: [
        { text: item.summary, indent: 0 },
        ...item.evidence.flatMap((e): GitRow[] => [
          { text: e.file ? `${e.file}${e.line ? `:${e.line}` : ''}` : e.what, status: e.status, indent: 2 },
          { text: e.file ? `${e.what}: ${e.value}` : e.value, indent: 6 },
        ]),
      ],
    })),
  };
}
