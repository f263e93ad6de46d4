/**
 * `drdeck preflight --repo DIR`: the Prevention Checklist over the GitOps repository, before the next
 * rebuild, as a table or JSON; with `--diff`, the mechanical long-term fixes as a patch for
 * `git apply` (drdeck never writes the repository). Exit (./exit-codes.ts): 0 every item decided and
 * none fails, 1 an item fails, 2 could not run, 3 nothing fails but an item is undecided.
 */
import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { buildChecklist, diskFiles, type Checklist, type ItemStatus } from '../preflight/checklist.js';
import { longTermFixes } from '../preflight/diff.js';
import { readDesiredState, RepoError } from '../preflight/repo.js';
import { snapshotOf } from '../preflight/snapshot.js';
import { findTool } from '../preflight/tools.js';
import type { DesiredState } from '../preflight/types.js';
import { bound, fitWidth, UNITS_PER_CELL } from '../text/cells.js';
import { escapeControls } from '../text/sanitize.js';
import { UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';

export interface PreflightOptions {
  repo?: string;
  cluster?: string;
  json?: boolean;
  diff?: boolean;
  config?: string;
  renderer?: string;
}

const RENDERERS = ['built-in', 'flux', 'kubectl'] as const;
type Renderer = (typeof RENDERERS)[number];

/** The renderer asked for, else flux when it can be found, else the built-in resolver. */
function chooseRenderer(asked: string | undefined): Renderer {
  if (asked === undefined) return findTool('flux') ? 'flux' : 'built-in';
  if (!(RENDERERS as readonly string[]).includes(asked)) {
    throw new UsageError(`--renderer ${asked}: must be one of ${RENDERERS.join(', ')}`, 'run "drdeck preflight --help" for usage');
  }
  return asked as Renderer;
}

/** The checklist as JSON: items with their evidence, the spec checks' results (source git), notes. */
export function checklistJson(list: Checklist): unknown {
  return {
    items: list.items,
    checks: list.checks,
    notes: list.notes,
    renderer: list.renderer,
    summary: list.summary,
    exitCode: list.exitCode,
  };
}

const LABEL: Record<ItemStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', unknown: '????' };

function verdictLine(list: Checklist): string {
  const s = list.summary;
  if (list.exitCode === EXIT.failed) return `failed: ${s.fail} ${s.fail === 1 ? 'item fails' : 'items fail'} (exit 1)`;
  if (list.exitCode === EXIT.undecided) return `undecided: nothing fails, but ${s.unknown} ${s.unknown === 1 ? 'item' : 'items'} could not be decided (exit 3)`;
  return 'passed: every item decided, none fails (exit 0)';
}

/**
 * The checklist for people: one line per item (status, number, summary), then, under each item that
 * does not pass, its evidence with file:line. With a `width` (a terminal's) each line is cut to it and
 * at most 5 evidence rows are shown per item; without, everything in full.
 */
export function formatChecklist(list: Checklist, width?: number): string {
  const lines: string[] = [];
  const push = (line: string) => {
    const safe = escapeControls(line);
    lines.push(width === undefined ? safe : fitWidth(bound(safe, width * UNITS_PER_CELL + 1), width));
  };
  for (const item of list.items) {
    push(`${LABEL[item.status]}  ${item.id}  ${item.title}: ${item.summary}`);
    const shown = item.status === 'pass' ? item.evidence.filter((e) => e.file).slice(0, 1) : item.evidence;
    const limit = width === undefined ? shown.length : 5;
    for (const e of shown.slice(0, limit)) push(`         ${e.file ? `${e.file}${e.line ? `:${e.line}` : ''}  ` : ''}${e.what}: ${e.value}`);
    if (shown.length > limit) push(`         … ${shown.length - limit} more (--json lists every one)`);
  }
  const warnings = list.notes.filter((n) => n.level === 'warn');
  if (warnings.length) {
    lines.push('');
    for (const n of warnings) push(`note: ${n.file ? `${n.file}${n.line ? `:${n.line}` : ''}: ` : ''}${n.message}`);
  }
  const s = list.summary;
  lines.push('', `${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.unknown} unknown (rendered by ${list.renderer})`, verdictLine(list));
  return lines.join('\n');
}

async function readState(opts: PreflightOptions, renderer: Renderer): Promise<DesiredState | undefined> {
  try {
    return await readDesiredState(opts.repo!, { cluster: opts.cluster, renderer });
  } catch (error) {
    if (!(error instanceof RepoError)) throw error;
    process.stderr.write(`drdeck preflight: ${error.message}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ error: error.message, exitCode: EXIT.couldNotRun }, null, 2)}\n`);
    return undefined;
  }
}

export async function runPreflight(opts: PreflightOptions): Promise<number> {
  if (!opts.repo) throw new UsageError('drdeck preflight: --repo DIR is required (the GitOps repository checkout)', 'run "drdeck preflight --help" for usage');
  const renderer = chooseRenderer(opts.renderer);
  const { config } = loadConfig({ file: opts.config });
  const state = await readState(opts, renderer);
  if (!state) return EXIT.couldNotRun;
  const list = buildChecklist(state, snapshotOf(state, Date.now()), config as Config, diskFiles(state.repo));
  if (opts.diff) {
    const patch = longTermFixes(state, list, config, diskFiles(state.repo));
    process.stdout.write(patch.diff);
    for (const line of patch.skipped) process.stderr.write(`drdeck preflight --diff: ${line}\n`);
    return list.exitCode;
  }
  const width = process.stdout.isTTY ? process.stdout.columns || 100 : undefined;
  process.stdout.write(opts.json ? `${JSON.stringify(checklistJson(list), null, 2)}\n` : `${formatChecklist(list, width)}\n`);
  return list.exitCode;
}
