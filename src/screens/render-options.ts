/** How `drdeck` hands the App to Ink: shared with the screen test that holds the redraw budget. */

/** Ink's render options for the dashboard. */
export const TUI_RENDER_OPTIONS = {
  // Why: Ctrl-C is a key like any other (resolveKey maps it to quit) so the session closes cleanly.
  exitOnCtrlC: false,
  // Why: over SSH every byte counts. Ink rewrites only the lines that changed (a spinner: one line),
  // not the whole screen, and never more than 10 frames a second when many updates arrive at once.
  incrementalRendering: true,
  maxFps: 10,
} as const;
