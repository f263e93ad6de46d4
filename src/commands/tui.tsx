/** Runs the dashboard on a started session until the operator quits. */
import { render } from 'ink';
import { App } from '../screens/App.js';
import { DeckContext } from '../hooks/use-deck.js';
import type { Session } from '../session.js';

export async function runTui(session: Session): Promise<number> {
  const app = render(
    <DeckContext.Provider value={session.store}>
      <App />
    </DeckContext.Provider>,
    // Why: Ctrl-C is a key like any other (resolveKey maps it to quit) so the session closes cleanly.
    { exitOnCtrlC: false },
  );
  try {
    await app.waitUntilExit();
  } finally {
    session.close();
  }
  return 0;
}
