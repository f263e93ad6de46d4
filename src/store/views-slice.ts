/**
 * The object views (`y` YAML, `e` events, `l` logs) of the object selected in a detail, and the
 * `:` command line. The reads run through the cluster's `ObjectViews` (src/k8s, src/sim); this
 * slice keeps what the open view shows and ends its streams when it closes.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { ClusterError, EventRow, LogSource, ObjectViews } from '../cluster.js';
import type { FixId } from '../checks/types.js';
import { ALL_FIXES, fixById, parseTarget } from '../fixes/index.js';
import type { KindKey } from '../kinds.js';
import { eventLine } from '../views/event-rows.js';
import { objectYamlLines } from '../views/object-yaml.js';
import { appendBounded, LOG_BUFFER_LINES, LOG_TAIL_LINES } from '../views/log-lines.js';
import { podQueriesFor, recordedLog } from '../views/log-targets.js';
import type { DeckState } from './deck-store.js';
import type { Command } from './keys.js';

export type ViewKind = 'yaml' | 'events' | 'logs';

/** One log to read: a pod's container. */
export interface LogChoice {
  source: LogSource;
  container: string;
}

export interface OpenView {
  kind: ViewKind;
  /** The object, as `Kind/namespace/name`. */
  target: string;
  /** Lines above the stream: the YAML, or what the object records and where its pods were looked for. */
  head: readonly string[];
  /** The log's lines (the last LOG_BUFFER_LINES). */
  lines: readonly string[];
  events: readonly EventRow[];
  /** Loading, or why the view has nothing (one line, a 403 in RBAC's words); '' when fine. */
  status: string;
  /** The first line shown. */
  top: number;
  /** Logs: keep the newest line in view (k9s's autoscroll). */
  follow: boolean;
  /** Logs: the previous (crashed) container's log. */
  previous: boolean;
  choices: readonly LogChoice[];
  choice: number;
  /** The `/` filter: only lines containing it (case-insensitive). */
  search: string;
  searching: boolean;
  /** Long lines wrapped onto rows (k9s's `w`); otherwise cut at the width. */
  wrap: boolean;
}

export interface ViewsSlice {
  view: OpenView | null;
  /** Rows the view can show at once (a page), and the rows its lines take (wrapped), set by the screen. */
  viewPage: number;
  viewRowCount: number;
  /** What is typed after `:`, or null when the command line is closed. */
  commandLine: string | null;
  /** The last command's answer, shown in place of the help bar until the next key. */
  commandMessage: string;
  /** Handles the view and command-line commands, and the scroll and filter keys while a view is open. */
  handleViewCommand(command: Command): boolean;
  setViewPage(page: number, rowCount: number): void;
}

/** Every line a view shows, after its filter (events aged at `now`). */
export function viewLines(view: OpenView, now: number): readonly string[] {
  const all = view.kind === 'events' ? view.events.map((row) => eventLine(row, now)) : view.head.concat(view.lines);
  const needle = view.search.trim().toLowerCase();
  return needle ? all.filter((l) => l.toLowerCase().includes(needle)) : all;
}

/** The commands `:` knows, for Tab and for the "unknown command" line. */
export const COMMANDS = ['q', 'quit', 'fix', 'ctx', 'help'] as const;

/** Completes what was typed after `:` to the longest prefix all matches share (commands, then fix ids). */
export function completeCommand(typed: string): string {
  const fix = /^fix\s+(\S*)$/.exec(typed);
  const [pool, prefix, lead] = fix ? [ALL_FIXES.map((f) => f.id), fix[1], 'fix '] : [COMMANDS as readonly string[], typed, ''];
  const matches = pool.filter((c) => c.startsWith(prefix));
  if (!matches.length) return typed;
  let common = matches[0];
  for (const m of matches) while (!m.startsWith(common)) common = common.slice(0, -1);
  const done = matches.length === 1 ? `${common}${!fix && common === 'fix' ? ' ' : ''}` : common;
  return lead + (done.length >= prefix.length ? done : prefix);
}

const kindOf = (target: string): { kind?: KindKey; namespace?: string; name: string } => {
  const parsed = parseTarget(target);
  return { kind: parsed.kind === 'dns' ? undefined : parsed.kind, namespace: parsed.namespace, name: parsed.name };
};

const TITLES: Record<ViewKind, string> = { yaml: 'YAML', events: 'Events', logs: 'Logs' };

/** "YAML ReplicationDestination 3-home/thelounge". */
export function viewTitle(view: OpenView): string {
  return `${TITLES[view.kind]} ${view.target.replace('/', ' ')}`;
}

/** Why a flush interval: a chatty pod sends many chunks a second; the screen needs a few frames. */
const LOG_FLUSH_MS = 100;

export function createViewsSlice(views?: ObjectViews): StateCreator<DeckState, [], [], ViewsSlice> {
  return (set, get) => {
    /** Ends whatever the open view is reading. */
    let stopStream: () => void = () => {};
    /** Each open bumps it: answers for a view that was closed (or replaced) are dropped. */
    let generation = 0;

    const update = (gen: number, change: Partial<OpenView> | ((view: OpenView) => Partial<OpenView>)) => {
      const view = get().view;
      if (!view || gen !== generation) return;
      set({ view: { ...view, ...(typeof change === 'function' ? change(view) : change) } });
    };

    /** The last first-row: from the rows the screen last drew (a log in follow mode is kept at its end there). */
    const bottom = () => Math.max(0, get().viewRowCount - get().viewPage);

    const close = () => {
      generation++;
      stopStream();
      stopStream = () => {};
      set({ view: null });
    };

    /** Starts reading the chosen container's log (again, after `p` or `c`). */
    const streamLog = (gen: number) => {
      stopStream();
      const view = get().view;
      const choice = view?.choices[view.choice];
      if (!views || !view || !choice) return;
      let pending: string[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const flush = () => {
        timer = undefined;
        const more = pending;
        pending = [];
        update(gen, (v) => {
          const status = v.status.startsWith('reading') ? '' : v.status;
          return { lines: appendBounded(v.lines, more, LOG_BUFFER_LINES), status };
        });
      };
      const { source, container } = choice;
      update(gen, { lines: [], status: `reading ${view.previous ? 'the previous ' : ''}log of ${source.pod} (${container})…` });
      const stop = views.log(
        { ...source, container },
        { previous: view.previous, follow: !view.previous, tailLines: LOG_TAIL_LINES },
        {
          lines(lines) {
            if (gen !== generation) return;
            pending.push(...lines);
            if (pending.length > LOG_BUFFER_LINES) pending = pending.slice(-LOG_BUFFER_LINES);
            timer ??= setTimeout(flush, LOG_FLUSH_MS);
          },
          end(error?: ClusterError) {
            if (timer) {
              clearTimeout(timer);
              flush();
            }
            update(gen, { status: error ? error.message : view.previous ? '' : 'the log ended (the container stopped, or the server closed the stream)' });
          },
        },
      );
      stopStream = () => {
        if (timer) clearTimeout(timer);
        stop();
      };
    };

    const open = (kind: ViewKind) => {
      const state = get();
      const target = state.selection;
      if (!target) return set({ commandMessage: `${kind === 'yaml' ? 'y' : kind === 'events' ? 'e' : 'l'}: select an object's line first (j k)` });
      const ref = kindOf(target);
      if (!ref.kind) return set({ commandMessage: `${target.split('/')[0]} is not a Kubernetes object: no YAML, events or logs` });
      if (!views) return set({ commandMessage: 'this cluster cannot show object views' });
      close();
      const gen = generation;
      const kindKey = ref.kind;
      set({
        view: {
          kind,
          target,
          head: [],
          lines: [],
          events: [],
          status: 'reading…',
          top: 0,
          follow: true,
          previous: false,
          choices: [],
          choice: 0,
          search: '',
          searching: false,
          wrap: true,
        },
      });
      views.object(kindKey, ref.namespace, ref.name).then(
        async (object) => {
          if (gen !== generation) return;
          if (kind === 'yaml') return update(gen, { head: objectYamlLines(kindKey, object), status: '' });
          if (kind === 'events') {
            update(gen, { status: 'reading events…' });
            const stop = views.events(object, {
              rows: (rows) => update(gen, { events: rows, status: rows.length ? '' : 'no events (the API server keeps them about an hour)' }),
              error: (error) => update(gen, { status: error.message }),
            });
            stopStream = stop;
            return;
          }
          const queries = podQueriesFor(kindKey, object, get().config);
          const recorded = recordedLog(kindKey, object);
          const head = recorded ? [`── ${recorded.title}`, ...recorded.lines] : [];
          if (typeof queries === 'string') return update(gen, { head: [...head, queries], status: '' });
          const found = await views.logSources(queries);
          if (gen !== generation) return;
          const choices = found.sources.flatMap((source) =>
            [source.container, ...source.containers.filter((c) => c !== source.container)].map((container) => ({ source, container })),
          );
          const notes = found.notes.map((n) => `── ${n}`);
          update(gen, { head: [...head, ...notes, ...(choices.length ? [logHeading(choices[0])] : [])], choices, choice: 0, status: '' });
          if (choices.length) streamLog(gen);
        },
        (error: ClusterError) => update(gen, { status: error.message }),
      );
    };

    /** Switches to the next container (or pod), or between the current and previous container. */
    const relog = (change: Partial<OpenView>) => {
      const view = get().view;
      if (!view || view.kind !== 'logs' || !view.choices.length) return;
      const next = { ...view, ...change };
      const heading = logHeading(next.choices[next.choice], next.previous);
      set({ view: { ...next, head: [...view.head.filter((l) => !l.startsWith('── log of ')), heading], lines: [], top: 0 } });
      // A new generation: the stream just stopped may still end (or flush) after the new one starts.
      generation++;
      streamLog(generation);
    };

    const run = (text: string) => {
      const [word, ...args] = text.trim().split(/\s+/);
      const state = get();
      if (!word) return;
      if (word === 'q' || word === 'q!' || word === 'quit') return set({ quitRequested: true });
      if (word === 'help') return set({ helpOpen: true });
      if (word === 'ctx' || word === 'context') {
        const where = state.server ? ` (${state.server})` : '';
        if (state.clusterName === 'demo' && !state.server)
          return set({ commandMessage: "ctx: the demo's simulated cluster; `drdeck --context NAME` watches a real one" });
        return set({ commandMessage: `ctx: on "${state.clusterName}"${where}; drdeck watches one context: quit, then \`drdeck --context NAME\`` });
      }
      if (word === 'fix') {
        const id = args[0];
        const fix = id ? fixById(id) : undefined;
        if (!fix) return set({ commandMessage: `fix: ${id ? `no fix "${id}"` : 'which one?'}: ${ALL_FIXES.map((f) => f.id).join(', ')}` });
        close();
        set({ focus: fix.panel, confirmScroll: 0 });
        // No confirm screen after it: say why (fixes off, nothing to do, refused) on the bar.
        void state.requestFix(fix.id as FixId).then(() => {
          const after = get();
          if (after.confirming) return;
          const activity = after.fixes[fix.id as FixId];
          set({ commandMessage: `fix ${fix.id}: ${activity?.message ?? (after.readOnly ? 'read-only: fixes are off' : 'fixes are off here')}` });
        });
        return;
      }
      set({ commandMessage: `unknown command ":${word}": :q quits, :fix ID, :ctx, :help (Tab completes)` });
    };

    return {
      view: null,
      viewPage: 10,
      viewRowCount: 0,
      commandLine: null,
      commandMessage: '',
      setViewPage(page, rowCount) {
        if (page !== get().viewPage || rowCount !== get().viewRowCount) set({ viewPage: page, viewRowCount: rowCount });
      },
      handleViewCommand(command) {
        const state = get();
        if (state.commandMessage && command.type !== 'none') set({ commandMessage: '' });
        const typing = state.commandLine;
        switch (command.type) {
          case 'command-start':
            set({ commandLine: '' });
            return true;
          case 'command-type':
            set({ commandLine: (typing ?? '') + command.text });
            return true;
          case 'command-erase':
            // Backspace on an empty line closes it, as in k9s and vim.
            set({ commandLine: typing ? typing.slice(0, -1) : null });
            return true;
          case 'command-complete':
            set({ commandLine: completeCommand(typing ?? '') });
            return true;
          case 'command-cancel':
            set({ commandLine: null });
            return true;
          case 'command-run':
            set({ commandLine: null });
            run(typing ?? '');
            return true;
          case 'view-open':
            open(command.view);
            return true;
        }
        const view = state.view;
        if (!view) return false;
        const page = state.viewPage;
        const last = bottom();
        // A followed log is drawn at its end, whatever `top` was when autoscroll began.
        const top = view.kind === 'logs' && view.follow ? last : Math.min(view.top, last);
        const scrollTo = (top: number) => {
          const clamped = Math.max(0, Math.min(top, last));
          // Scrolling up leaves the newest lines: autoscroll stops, as in k9s; reaching the end resumes it.
          set({ view: { ...view, top: clamped, follow: view.kind === 'logs' ? clamped >= last : view.follow } });
        };
        switch (command.type) {
          case 'back':
            if (view.search) set({ view: { ...view, search: '', top: 0 } });
            else close();
            return true;
          case 'scroll':
            scrollTo(top + command.by);
            return true;
          case 'scroll-page':
            scrollTo(top + command.pages * Math.max(1, page - 1));
            return true;
          case 'scroll-to':
            scrollTo(command.where === 'top' ? 0 : last);
            return true;
          case 'filter-start':
            set({ view: { ...view, searching: true } });
            return true;
          case 'filter-type':
            set({ view: { ...view, search: view.search + command.text, top: 0 } });
            return true;
          case 'filter-erase':
            set({ view: { ...view, search: view.search.slice(0, -1), top: 0 } });
            return true;
          case 'filter-done':
            set({ view: { ...view, searching: false } });
            return true;
          case 'view-follow': {
            const follow = !view.follow;
            set({ view: { ...view, follow, top: follow ? last : top } });
            return true;
          }
          case 'view-wrap':
            set({ view: { ...view, wrap: !view.wrap, top: 0 } });
            return true;
          case 'view-previous':
            relog({ previous: !view.previous });
            return true;
          case 'view-container':
            relog({ choice: (view.choice + 1) % Math.max(1, view.choices.length) });
            return true;
          default:
            return false;
        }
      },
    };
  };
}

/** "── log of pod volsync-system/volsync-6d9f (manager) · the VolSync controller …". */
function logHeading(choice: LogChoice, previous = false): string {
  const { source, container } = choice;
  const restarts = source.restarts ? `, restarted ${source.restarts}x` : '';
  return `── log of ${previous ? 'the previous ' : ''}pod ${source.namespace}/${source.pod} (${container}${restarts}) · ${source.why}`;
}
