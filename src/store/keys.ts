/**
 * Keys as commands: one table of bindings (the help screen and the help bar are drawn from it) and
 * one pure `resolveKey`. The app has a single input handler that resolves and dispatches.
 */

export type Screen = 'dashboard' | 'detail' | 'timeline' | 'git';

export interface KeyMode {
  screen: Screen;
  helpOpen: boolean;
  /** Typing into the detail filter: every printable key is text. */
  filtering: boolean;
  /** A fix's confirm screen is open: `y` to apply, or its name typed out. */
  confirm?: 'yes' | 'type';
  /** The fix keys the focused panel offers now. */
  fixKeys?: Readonly<Record<string, string>>;
  /** An object view is open (y e l); with `filtering`, its `/` search is being typed. */
  view?: 'yaml' | 'events' | 'logs';
  /** The `:` command line is open: every printable key is text. */
  commandLine?: boolean;
}

export type Command =
  | { type: 'focus'; direction: 'left' | 'right' | 'up' | 'down' }
  | { type: 'open' }
  | { type: 'back' }
  | { type: 'help' }
  | { type: 'quit' }
  | { type: 'scroll'; by: number }
  | { type: 'scroll-page'; pages: number }
  | { type: 'scroll-to'; where: 'top' | 'bottom' }
  | { type: 'filter-start' }
  | { type: 'filter-type'; text: string }
  | { type: 'filter-erase' }
  | { type: 'filter-done' }
  | { type: 'fix'; fixId: string }
  | { type: 'timeline' }
  | { type: 'git' }
  | { type: 'set-t0' }
  | { type: 'confirm-accept' }
  | { type: 'confirm-cancel' }
  | { type: 'confirm-type'; text: string }
  | { type: 'confirm-erase' }
  | { type: 'retry' }
  // Object views of the selected object, and the `:` command line (src/store/views-slice.ts).
  | { type: 'view-open'; view: 'yaml' | 'events' | 'logs' }
  | { type: 'view-follow' }
  | { type: 'view-wrap' }
  | { type: 'view-previous' }
  | { type: 'view-container' }
  | { type: 'command-start' }
  | { type: 'command-type'; text: string }
  | { type: 'command-erase' }
  | { type: 'command-complete' }
  | { type: 'command-run' }
  | { type: 'command-cancel' }
  | { type: 'none' };

/** The subset of Ink's Key that drdeck reads (kept structural so this file needs no Ink import). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  tab?: boolean;
}

export interface KeyBinding {
  keys: string;
  action: string;
  screens: readonly Screen[];
  /** Shown in the one-line help bar (the rest only in the `?` screen). */
  bar?: string;
}

/** Every binding, in the order the help screen lists them. */
export const KEY_BINDINGS: readonly KeyBinding[] = [
  { keys: '←↑↓→ / h j k l', action: 'move between panels', screens: ['dashboard'], bar: 'hjkl move' },
  { keys: 'Enter', action: "open the focused panel's detail", screens: ['dashboard'], bar: 'enter detail' },
  { keys: '↑↓ / j k', action: 'select the line (Git: item) above / below, in full below', screens: ['detail', 'git'], bar: 'jk select' },
  { keys: 'PgUp PgDn space g G', action: 'page, top / bottom (Git: space pages; a fix plan: Home End too)', screens: ['detail', 'git'] },
  { keys: '/', action: 'filter the findings (dashboard: every panel; Enter keeps it, Esc clears it)', screens: ['dashboard', 'detail'], bar: '/ filter' },
  { keys: 'Esc', action: 'back to the dashboard (also t from timeline, g from Git)', screens: ['detail', 'timeline', 'git'], bar: 'esc back' },
  { keys: 't', action: 'the timeline: phases against the expected durations, ETA, next step', screens: ['dashboard', 'detail', 'git'], bar: 't timeline' },
  { keys: 'g', action: 'the Git view: checklist of the repository, file:line', screens: ['dashboard'], bar: 'g git' },
  { keys: '0', action: 'Flux was deployed now: set t0 by hand (when no Flux object tells)', screens: ['timeline'] },
  { keys: 'letter in the bar', action: 'a fix of the focused panel: plan and dry run, then y (or the name typed) to apply', screens: ['dashboard', 'detail'] },
  // Object views (k9s's y, e, l) and the command line: in views-slice.ts.
  {
    keys: 'y e l',
    action: 'on the selected object: its YAML (managedFields folded, no Secret data), its Events (live), the logs of its pods',
    screens: ['detail'],
    bar: 'y/e/l views',
  },
  {
    keys: 'in y e l',
    action: 'jk PgUp PgDn g G scroll, / search, w wrap, Esc back; logs: s or f follow, p previous container, c next container',
    screens: ['detail'],
  },
  {
    keys: ':',
    action: 'command line: :q quit, :fix ID, :ctx the context, :help (Tab completes, Esc cancels)',
    screens: ['dashboard', 'detail', 'timeline', 'git'],
  },
  { keys: '[letter] after Next:', action: "the next step's fix, from any panel: focuses its panel and opens its plan", screens: ['dashboard'] },
  {
    keys: 'Ctrl-R',
    action: 'retry watches and DNS now; in Git: re-read the repo',
    screens: ['dashboard', 'detail', 'timeline', 'git'],
  },
  { keys: '?', action: 'show or hide this help', screens: ['dashboard', 'detail', 'timeline', 'git'], bar: '? help' },
  { keys: 'q / Ctrl-C', action: 'quit', screens: ['dashboard', 'detail', 'timeline', 'git'], bar: 'q quit' },
];

const NONE: Command = { type: 'none' };

/** Maps one key press to a command for the current mode. Pure: tested as a table. */
export function resolveKey(input: string, key: KeyInfo, mode: KeyMode): Command {
  if (key.ctrl && input === 'c') return { type: 'quit' };
  // Ctrl-R reloads in k9s; R alone is a fix key (reconcile stuck). It only retries, so it works everywhere.
  if (key.ctrl && input === 'r') return { type: 'retry' };
  if (mode.commandLine) {
    if (key.escape) return { type: 'command-cancel' };
    if (key.return) return { type: 'command-run' };
    if (key.tab) return { type: 'command-complete' };
    if (key.backspace || key.delete) return { type: 'command-erase' };
    if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return NONE;
    return input ? { type: 'command-type', text: input } : NONE;
  }
  if (mode.confirm === 'type') {
    if (key.escape) return { type: 'confirm-cancel' };
    if (key.return) return { type: 'confirm-accept' };
    if (key.backspace || key.delete) return { type: 'confirm-erase' };
    // Letters are the name being typed: the plan scrolls with the arrows and page keys only.
    if (key.upArrow) return { type: 'scroll', by: -1 };
    if (key.downArrow) return { type: 'scroll', by: 1 };
    if (key.pageUp) return { type: 'scroll', by: -10 };
    if (key.pageDown) return { type: 'scroll', by: 10 };
    if (key.home) return { type: 'scroll-to', where: 'top' };
    if (key.end) return { type: 'scroll-to', where: 'bottom' };
    if (key.ctrl || key.meta || key.tab || key.leftArrow || key.rightArrow) return NONE;
    return input ? { type: 'confirm-type', text: input } : NONE;
  }
  if (mode.confirm === 'yes') {
    if (input === 'y' || input === 'Y') return { type: 'confirm-accept' };
    if (input === 'n' || input === 'N' || key.escape || input === 'q') return { type: 'confirm-cancel' };
    if (key.upArrow || input === 'k') return { type: 'scroll', by: -1 };
    if (key.downArrow || input === 'j') return { type: 'scroll', by: 1 };
    if (key.pageUp) return { type: 'scroll', by: -10 };
    if (key.pageDown || input === ' ') return { type: 'scroll', by: 10 };
    if (key.home || input === 'g') return { type: 'scroll-to', where: 'top' };
    if (key.end || input === 'G') return { type: 'scroll-to', where: 'bottom' };
    return NONE;
  }
  if (mode.filtering) {
    if (key.escape) return { type: 'filter-done' };
    if (key.return) return { type: 'filter-done' };
    if (key.backspace || key.delete) return { type: 'filter-erase' };
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return NONE;
    return input ? { type: 'filter-type', text: input } : NONE;
  }
  if (mode.helpOpen) {
    if (input === '?' || key.escape || key.return) return { type: 'help' };
    if (input === 'q') return { type: 'quit' };
    // A short terminal scrolls the help rather than cutting it.
    if (key.upArrow || input === 'k') return { type: 'scroll', by: -1 };
    if (key.downArrow || input === 'j') return { type: 'scroll', by: 1 };
    return NONE;
  }
  if (input === '?') return { type: 'help' };
  if (input === 'q') return { type: 'quit' };
  if (input === ':') return { type: 'command-start' };
  if (mode.view) {
    if (key.escape || key.leftArrow || input === 'h') return { type: 'back' };
    if (key.upArrow || input === 'k') return { type: 'scroll', by: -1 };
    if (key.downArrow || input === 'j') return { type: 'scroll', by: 1 };
    if (key.pageUp) return { type: 'scroll-page', pages: -1 };
    if (key.pageDown || input === ' ') return { type: 'scroll-page', pages: 1 };
    if (key.home || input === 'g') return { type: 'scroll-to', where: 'top' };
    if (key.end || input === 'G') return { type: 'scroll-to', where: 'bottom' };
    if (input === '/') return { type: 'filter-start' };
    if (input === 'w') return { type: 'view-wrap' };
    if (mode.view === 'logs') {
      // k9s toggles autoscroll with s; f (follow, as tail -f) does the same here.
      if (input === 's' || input === 'f') return { type: 'view-follow' };
      if (input === 'p') return { type: 'view-previous' };
      if (input === 'c') return { type: 'view-container' };
    }
    return NONE;
  }
  if (mode.screen === 'timeline') {
    if (key.escape || input === 't') return { type: 'back' };
    if (input === '0') return { type: 'set-t0' };
    return NONE;
  }
  if (mode.screen === 'git') {
    // No fix keys here: the view is about the repository, which drdeck never writes.
    if (key.escape || input === 'g' || key.leftArrow || input === 'h') return { type: 'back' };
    if (key.upArrow || input === 'k') return { type: 'scroll', by: -1 };
    if (key.downArrow || input === 'j') return { type: 'scroll', by: 1 };
    if (key.pageUp) return { type: 'scroll-page', pages: -1 };
    if (key.pageDown || key.return || input === ' ') return { type: 'scroll-page', pages: 1 };
    if (input === 't') return { type: 'timeline' };
    return NONE;
  }
  const fixId = mode.fixKeys?.[input];
  if (fixId) return { type: 'fix', fixId };
  if (input === 't') return { type: 'timeline' };
  if (mode.screen === 'dashboard') {
    if (key.leftArrow || input === 'h') return { type: 'focus', direction: 'left' };
    if (key.rightArrow || input === 'l') return { type: 'focus', direction: 'right' };
    if (key.upArrow || input === 'k') return { type: 'focus', direction: 'up' };
    if (key.downArrow || input === 'j') return { type: 'focus', direction: 'down' };
    if (key.return) return { type: 'open' };
    if (input === '/') return { type: 'filter-start' };
    if (key.escape) return { type: 'back' };
    // Only here: inside the detail `g` is "top", as in less and vim.
    if (input === 'g') return { type: 'git' };
    return NONE;
  }
  if (key.escape) return { type: 'back' };
  if (input === 'y') return { type: 'view-open', view: 'yaml' };
  if (input === 'e') return { type: 'view-open', view: 'events' };
  if (input === 'l') return { type: 'view-open', view: 'logs' };
  if (key.upArrow || input === 'k') return { type: 'scroll', by: -1 };
  if (key.downArrow || input === 'j') return { type: 'scroll', by: 1 };
  if (key.pageUp) return { type: 'scroll-page', pages: -1 };
  if (key.pageDown || input === ' ') return { type: 'scroll-page', pages: 1 };
  if (input === 'g') return { type: 'scroll-to', where: 'top' };
  if (input === 'G') return { type: 'scroll-to', where: 'bottom' };
  if (input === '/') return { type: 'filter-start' };
  if (key.leftArrow || input === 'h') return { type: 'back' };
  return NONE;
}
