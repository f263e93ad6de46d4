/**
 * What the cluster benchmark records (bench/results.json, checked with zod) and the table it writes
 * into BENCHMARKS.md: every figure with its N, its write rate, the path it came from, the median
 * and each run, and the 1-minute load average beside it; the issue's targets beside the figures;
 * drdeck/k9s ratios. Pure, apart from the two file helpers at the end.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { median } from './stats.js';

export const TOOLS = ['drdeck', 'k9s', 'raw'] as const;
/**
 * Where a figure came from: `server` the real API server and the TUI in tmux; `replay` recorded
 * watch events fed in-process through watcher → buffer → store → Ink (drdeck alone); `proxy` the
 * counting proxy in front of the server.
 */
export const PATHS = ['server', 'replay', 'proxy'] as const;
export const UNITS = ['ms', 'MB', '%', 'count', 'MB/min', 'x'] as const;

export const FigureSchema = z.object({
  tool: z.enum(TOOLS),
  metric: z.string().min(1),
  n: z.number().int().nonnegative(),
  /** Write load in events per second asked for (0: none). */
  rate: z.number().nonnegative(),
  /** The rate the server took, when it took less than asked. */
  achievedRate: z.number().nonnegative().optional(),
  path: z.enum(PATHS),
  unit: z.enum(UNITS),
  /** Median of `runs`. */
  median: z.number(),
  runs: z.array(z.number()).min(1),
  /** 1-minute load average when each run was taken. */
  load1: z.array(z.number().nonnegative()).min(1),
  note: z.string().optional(),
});
export type Figure = z.infer<typeof FigureSchema>;

export const LoadStepSchema = z.object({ n: z.number().int(), created: z.number().int(), seconds: z.number(), rate: z.number() });

export const ResultsSchema = z.object({
  schema: z.literal(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  command: z.string(),
  machine: z.object({ nproc: z.number().int().positive(), node: z.string(), commit: z.string(), cpu: z.string(), k9s: z.string().optional() }),
  load: z.array(LoadStepSchema),
  figures: z.array(FigureSchema),
  notes: z.array(z.string()),
});
export type Results = z.infer<typeof ResultsSchema>;

/** Builds a figure from its runs (the median is taken here). */
export function figure(f: Omit<Figure, 'median'>): Figure {
  return { ...f, median: median(f.runs) ?? Number.NaN };
}

/** A target of issue 13: which figure, the limit, and how to read it. */
export interface Target {
  label: string;
  metric: string;
  /** The N the target is about; 0: the largest N measured. */
  n: number;
  rate: number;
  /** The figure to compare, or (for a ratio) the numerator; `over` the denominator. */
  over?: { metric: string; tool: Figure['tool'] };
  limit: number;
  unit: string;
  path?: Figure['path'];
}

/** The issue's table, as targets on the figures the benchmark records. */
export const TARGETS: readonly Target[] = [
  {
    label: '20k: first frame → all panels synced, over the raw LIST',
    metric: 'first-frame-to-sync',
    n: 20000,
    rate: 0,
    over: { metric: 'raw-list', tool: 'raw' },
    limit: 1.5,
    unit: 'x',
  },
  { label: '20k: RSS after sync', metric: 'rss-synced', n: 20000, rate: 0, limit: 250, unit: 'MB' },
  { label: '20k: RSS after 30 s idle', metric: 'rss-idle', n: 20000, rate: 0, limit: 250, unit: 'MB' },
  { label: '20k: CPU while nothing changes (the 30 s after sync)', metric: 'idle-cpu', n: 20000, rate: 0, limit: 1, unit: '%' },
  { label: '20k: CPU while nothing changes (60 s from 90 s after sync)', metric: 'idle-cpu-settled', n: 20000, rate: 0, limit: 1, unit: '%' },
  { label: '5k, 50 events/s: change → screen p99', metric: 'event-to-screen-p99', n: 5000, rate: 50, limit: 250, unit: 'ms', path: 'server' },
  { label: '5k, 200 events/s: change → screen p99 (replay)', metric: 'event-to-frame-p99', n: 5000, rate: 200, limit: 500, unit: 'ms', path: 'replay' },
  { label: '5k, 200 events/s: change → screen p99 (server)', metric: 'event-to-screen-p99', n: 5000, rate: 200, limit: 500, unit: 'ms', path: 'server' },
  { label: '5k, 50 events/s: key → frame p99', metric: 'key-to-frame-p99', n: 5000, rate: 50, limit: 100, unit: 'ms' },
  { label: '20k, 50 events/s: change → screen p99', metric: 'event-to-screen-p99', n: 20000, rate: 50, limit: 250, unit: 'ms', path: 'server' },
  { label: '20k, 50 events/s: key → frame p99', metric: 'key-to-frame-p99', n: 20000, rate: 50, limit: 100, unit: 'ms' },
  { label: '5k, 50 events/s churn: RSS growth (end − start)', metric: 'churn-rss-growth', n: 5000, rate: 50, limit: 10, unit: 'MB' },
  { label: '5k, 50 events/s churn: RSS growth over the second half', metric: 'churn-rss-growth-late', n: 5000, rate: 50, limit: 10, unit: 'MB' },
  { label: 'one-shot `check` at the largest N: watch requests (LIST only)', metric: 'check-watches', n: 0, rate: 0, limit: 0, unit: 'count', path: 'proxy' },
];

const find = (figures: readonly Figure[], metric: string, n: number, rate: number, tool: Figure['tool'] = 'drdeck', path?: Figure['path']) =>
  figures.find((f) => f.tool === tool && f.metric === metric && f.n === n && f.rate === rate && (path ? f.path === path : f.path !== 'replay'));

/** A number as the table shows it: 3 significant digits at most, no exponent. */
export function fmt(value: number | undefined, unit = ''): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = unit === 'count' || abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toFixed(digits);
  return unit && unit !== 'count' ? `${text} ${unit}` : text;
}

const loadText = (f: Figure | undefined): string => (f ? f.load1.map((l) => l.toFixed(1)).join(' / ') : '—');

/** One row per target: the figure, the limit, met or not, the load average beside it. */
export function targetRows(figures: readonly Figure[]): string[][] {
  const largest = Math.max(0, ...figures.map((f) => f.n));
  return TARGETS.map((target) => {
    const t = target.n === 0 ? { ...target, n: largest } : target;
    const f = find(figures, t.metric, t.n, t.rate, 'drdeck', t.path);
    let value = f?.median;
    let detail = f ? `${fmt(f.median, t.unit)}` : 'not measured';
    if (t.over) {
      const d = find(figures, t.over.metric, t.n, t.rate, t.over.tool);
      value = f && d ? f.median / d.median : undefined;
      detail = f && d ? `${fmt(value, 'x')} (${fmt(f.median, f.unit)} / ${fmt(d.median, d.unit)})` : 'not measured';
    }
    const met = value === undefined ? '—' : value <= t.limit ? 'met' : 'not met';
    const took = f?.achievedRate !== undefined && f.achievedRate < f.rate - 0.5 ? `, the server took ${fmt(f.achievedRate)}/s` : '';
    // Beside a change → screen figure: what the server alone took to deliver the change to a watch.
    const watch = t.metric === 'event-to-screen-p99' ? find(figures, 'event-to-watch-p99', t.n, t.rate, 'raw', 'server') : undefined;
    const server = watch ? `; the server to a plain watch: p99 ${fmt(watch.median, watch.unit)}` : '';
    return [t.label, detail, `≤ ${fmt(t.limit, t.unit)}`, met, f ? `${f.path}, runs ${f.runs.length}${took}${server}` : '', loadText(f)];
  });
}

/** drdeck beside k9s, for every figure both have at the same N and rate; ratio drdeck / k9s. */
export function k9sRows(figures: readonly Figure[]): string[][] {
  const rows: string[][] = [];
  for (const k of figures.filter((f) => f.tool === 'k9s')) {
    const mine = find(figures, k.metric === 'first-data' ? 'sync' : k.metric, k.n, k.rate, 'drdeck', k.path);
    const ratio = mine && k.median > 0 ? mine.median / k.median : undefined;
    rows.push([
      `${k.metric}${k.metric === 'first-data' ? ' (drdeck: sync)' : ''}`,
      String(k.n),
      String(k.rate),
      fmt(mine?.median, k.unit),
      fmt(k.median, k.unit),
      fmt(ratio, 'x'),
      `${loadText(mine)} · ${loadText(k)}`,
    ]);
  }
  return rows;
}

/** Every figure, as recorded. */
export function figureRows(figures: readonly Figure[]): string[][] {
  return figures.map((f) => [
    f.tool,
    f.metric,
    String(f.n),
    f.achievedRate !== undefined && Math.abs(f.achievedRate - f.rate) > 0.5 ? `${f.rate} (took ${fmt(f.achievedRate)})` : String(f.rate),
    f.path,
    fmt(f.median, f.unit),
    f.runs.map((r) => fmt(r)).join(', '),
    loadText(f),
  ]);
}

/** A Markdown table; `|` in cells is escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** The generated part of BENCHMARKS.md. */
export function resultsMarkdown(results: Results): string {
  const m = results.machine;
  const lines = [
    `Run ${results.startedAt} → ${results.finishedAt}: \`${results.command}\``,
    `on ${m.nproc} cores (${m.cpu}), Node ${m.node}, commit ${m.commit}${m.k9s ? `, k9s ${m.k9s}` : ''}.`,
    '',
    '### Targets (issue 13)',
    '',
    markdownTable(['target', 'drdeck', 'limit', 'met?', 'path', 'load avg (1 min) per run'], targetRows(results.figures)),
    '',
    '### drdeck beside k9s (same server, same minutes)',
    '',
    k9sRows(results.figures).length
      ? markdownTable(['figure', 'N', 'events/s', 'drdeck', 'k9s', 'drdeck / k9s', 'load avg drdeck · k9s'], k9sRows(results.figures))
      : 'k9s was not measured in this run (`--no-k9s`, or its build was not ready: see the notes).',
    '',
    '### Loading',
    '',
    markdownTable(
      ['N', 'created', 'seconds', 'objects/s the server took'],
      results.load.map((l) => [String(l.n), String(l.created), fmt(l.seconds), fmt(l.rate)]),
    ),
    '',
    '### Every figure',
    '',
    markdownTable(['tool', 'figure', 'N', 'events/s', 'path', 'median', 'runs', 'load avg (1 min)'], figureRows(results.figures)),
    '',
    ...(results.notes.length ? ['### Notes from the run', '', ...results.notes.map((n) => `- ${n}`), ''] : []),
  ];
  return lines.join('\n');
}

export const BEGIN = '<!-- bench:cluster:begin (written by `npm run bench -- --cluster`; do not edit by hand) -->';
export const END = '<!-- bench:cluster:end -->';

/** Replaces the generated part of a BENCHMARKS.md text (or appends it when missing). */
export function spliceMarkdown(document: string, generated: string): string {
  const start = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  const block = `${BEGIN}\n\n${generated}\n${END}`;
  if (start >= 0 && end > start) return document.slice(0, start) + block + document.slice(end + END.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}

/** Rewrites the tables of BENCHMARKS.md from a results.json (after the table writer changed). */
export function rewriteTables(jsonFile: string, markdownFile: string): Promise<void> {
  return writeResults(ResultsSchema.parse(JSON.parse(readFileSync(jsonFile, 'utf8'))), jsonFile, markdownFile);
}

/** Writes results.json (after checking it against the schema) and the table into BENCHMARKS.md. */
export async function writeResults(results: Results, jsonFile: string, markdownFile: string): Promise<void> {
  const checked = ResultsSchema.parse(results);
  // Formatted as the repository's prettier settings want, so `npm run lint` passes on a fresh result.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(jsonFile)) ?? {};
  writeFileSync(jsonFile, await prettier.format(JSON.stringify(checked), { ...options, filepath: jsonFile }));
  let document: string;
  try {
    document = readFileSync(markdownFile, 'utf8');
  } catch {
    document = '# Benchmarks\n';
  }
  writeFileSync(markdownFile, spliceMarkdown(document, resultsMarkdown(checked)));
}
