/** `drdeck report`: the recovery's post-mortem from the saved timeline and the audit log. */
import { loadConfig } from '../config/load.js';
import { resolveKubeconfig } from '../k8s/kubeconfig.js';
import { AuditLog } from '../state/audit-log.js';
import { demoStateDir, stateDir } from '../state/paths.js';
import { buildReport, formatMarkdown, loadTimeline, timelineSpec, type TimelineState } from '../timeline/index.js';
import { UsageError } from './errors.js';

export interface ReportOptions {
  format: string;
  context?: string;
  kubeconfig?: string;
  demo?: boolean;
  config?: string;
  stateDir?: string;
}

/** The latest moment the timeline knows of: the demo's scenario clock may run ahead of the wall clock. */
function latest(state: TimelineState): number {
  const times = Object.values(state.phases).flatMap((p) => [p?.completedAt ?? 0, ...(p?.regressions ?? []).flatMap((r) => [r.from, r.to ?? 0])]);
  return Math.max(Date.now(), state.finishedAt ?? 0, ...times);
}

export async function runReport(opts: ReportOptions): Promise<number> {
  if (opts.format !== 'md' && opts.format !== 'json') throw new UsageError(`--format must be md or json, not "${opts.format}"`);
  const { config, notices } = loadConfig({ file: opts.config });
  for (const notice of notices) process.stderr.write(`drdeck: ${notice}\n`);
  const context = opts.demo ? 'demo' : (opts.context ?? resolveKubeconfig({ kubeconfig: opts.kubeconfig }).contextName);
  // The demo keeps its timeline and audit log apart from the real ones (its scenario clock is not ours).
  const dir = opts.demo ? demoStateDir(stateDir(opts.stateDir)) : stateDir(opts.stateDir);
  const { state, warning } = loadTimeline(dir, context);
  if (warning) process.stderr.write(`drdeck: ${warning}\n`);
  if (!state) {
    const how = opts.demo ? 'run `drdeck demo` (or `drdeck demo --autopilot`) first' : `run drdeck on the context "${context}" first`;
    throw new UsageError(`no timeline for ${context} in ${dir}: ${how}`);
  }
  const report = buildReport(state, new AuditLog(dir).read(), latest(state), timelineSpec(config.timeline));
  process.stdout.write(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatMarkdown(report));
  return 0;
}
