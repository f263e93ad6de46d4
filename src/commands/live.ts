/** `drdeck` on a kubeconfig: the dashboard on the current (or `--context`) kube context. */
import { connect } from './connect.js';
import { loadTui } from './load-tui.js';

export interface LiveOptions {
  context?: string;
  kubeconfig?: string;
  config?: string;
  readOnly?: boolean;
  stateDir?: string;
  log?: string;
  /** The GitOps repository checkout, for the Git view. */
  repo?: string;
}

export async function runLive(opts: LiveOptions): Promise<number> {
  // Why Ink first: the session's watchers start loading the Kubernetes client (about 0.6 s), which
  // cannot finish before the synchronous first paint of runTui, so "connecting" is on screen first.
  const { runTui } = await loadTui();
  const { session } = await connect({ ...opts, tui: true });
  return runTui(session);
}
