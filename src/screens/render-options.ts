/** How `drdeck` hands the App to Ink: shared with the screen test that holds the redraw budget. */

/** Ink's render options for the dashboard. */
export const TUI_RENDER_OPTIONS = {
  // Why: Ctrl-C is a key like any other (resolveKey maps it to quit) so the session closes cleanly.
  exitOnCtrlC: false,
  // Why off: Ink 6.8's line-by-line redraw left the old header on screen and the Git view a line
  // low in tmux (test/tmux/git-view.test.ts; upstream vadimdemedes/ink#1023, open). Each frame is
  // the whole screen again: few frames.
  incrementalRendering: false,
  // Why 30 and not fewer: over SSH every frame is the whole screen (about 3 KB at 80x24), but watch
  // traffic reaches the store at most 20 times a second (src/store/feed-buffer.ts), so a busy cluster
  // draws at most 20 frames (~60 KB/s); this ceiling is for a key, which then waits at most 33 ms
  // behind the frame before it instead of 100.
  maxFps: 30,
} as const;
