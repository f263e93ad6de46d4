/** Loads the dashboard (Ink and React) for a terminal. */

/**
 * Why: Ink decides when it is imported whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION), and then
 * draws nothing until exit — meant for logs, not for an operator's terminal. A bastion's shell may
 * well carry such a variable; when stdout is a terminal, drdeck is interactive whatever it says.
 */
export async function loadTui(): Promise<typeof import('./tui.js')> {
  if (process.stdout.isTTY) {
    for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
  }
  return import('./tui.js');
}
