/** How `drdeck` hands the App to Ink: shared with the screen test that holds the redraw budget. */

/** Ink's render options for the dashboard. */
export const TUI_RENDER_OPTIONS = {
  // Why: Ctrl-C is a key like any other (resolveKey maps it to quit) so the session closes cleanly.
  exitOnCtrlC: false,
  // Why off: Ink 6.8's line-by-line redraw left the old header on screen and the Git view a line
  // low in tmux (test/tmux/git-view.test.ts; upstream vadimdemedes/ink#1023, open). Each frame is
  // the whole screen again: few frames.
  incrementalRendering: false,
  // Why: over SSH every frame is the whole screen; a burst of updates draws at most 10 a second.
  maxFps: 10,
} as const;
