/** Runs the dashboard on a started session until the operator quits. */
import { render } from 'ink';
import { App } from '../screens/App.js';
import { DeckContext } from '../hooks/use-deck.js';
import { TUI_RENDER_OPTIONS } from '../screens/render-options.js';
import type { Session } from '../session.js';
import { interruptOnSignals } from './signals.js';

export async function runTui(session: Session): Promise<number> {
  const app = render(
    <DeckContext.Provider value={session.store}>
      <App />
    </DeckContext.Provider>,
    TUI_RENDER_OPTIONS,
  );
  // A dropped SSH session (SIGHUP), a kill (SIGTERM, SIGINT) while a fix runs: the audit log says
  // what was sent before drdeck exits; Ink restores the terminal on the way out, as it does on exit.
  const stopSignals = interruptOnSignals(session, () => {});
  try {
    await app.waitUntilExit();
  } finally {
    stopSignals();
    // Quitting while a fix runs stops following it: said so in the audit log, with what was sent.
    session.store.getState().interruptFixes('quit');
    session.close();
  }
  return 0;
}
