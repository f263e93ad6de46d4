/** `drdeck demo`: the dashboard on the embedded simulated cluster replaying the seed's rebuild. */
import { connect } from './connect.js';

export async function runDemo(opts: { speed: number; config?: string; readOnly?: boolean; stateDir?: string }): Promise<number> {
  const { session } = await connect({ ...opts, demo: true });
  const { runTui } = await import('./tui.js');
  return runTui(session);
}
