/**
 * An API server that cannot be reached, as the watchers report it (every kind retrying with the
 * reason of its last failure): the header, every panel, the next step and the timeline say so,
 * instead of "Flux not deployed yet — Bootstrap Flux from Git" and verdicts on data that never came.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncState } from '../../src/cluster.js';
import type { InputKey } from '../../src/checks/types.js';
import { defaultConfig } from '../../src/config/schema.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { createDeckStore, type DeckStore } from '../../src/store/deck-store.js';
import { emptyBatch } from '../../src/store/resources-slice.js';
import { createTimeline } from '../../src/timeline/index.js';
import { KEYS, renderDeck } from './render.js';

const SERVER = 'https://127.0.0.1:6443';
const STARTED = Date.parse('2025-12-02T18:02:11Z');
const TITLES = ['Flux', 'Kopia', 'Restores', 'Gateways', 'LoadBalancers', 'DNS'];

function store(): DeckStore {
  const s = createDeckStore({ config: defaultConfig(), clusterName: 'home', server: SERVER, now: STARTED });
  s.setState({ timeline: createTimeline('home', STARTED) });
  return s;
}

/** One batch of sync states, as the feed buffer hands the watchers' reports to the store. */
function feed(s: DeckStore, states: (key: InputKey) => SyncState): void {
  const batch = emptyBatch();
  for (const key of [...KIND_KEYS, 'dns'] as InputKey[]) batch.sync.set(key, states(key));
  s.getState().applyBatch(batch);
}

const refused = (key: InputKey): SyncState =>
  key === 'dns'
    ? { phase: 'not-installed' }
    : { phase: 'retrying', reason: 'ConnectionRefused', detail: `connection refused by 127.0.0.1:6443: GET /apis/x/v1/${key}; retrying in 2 s` };

/** A panel's row on the dashboard: `▶ Flux          ?7        ? cannot reach the API server; no data yet`. */
function panelRow(frame: string, title: string): string {
  const row = frame.split('\n').find((l) => new RegExp(`^[▶ ] ${title} `).test(l));
  assert.ok(row, `no ${title} row in:\n${frame}`);
  return row;
}

/** The focused panel, expanded under its rule: its rows joined by spaces, up to the help bar. */
function expandedText(frame: string, title: string): string {
  const lines = frame.split('\n');
  const top = lines.findIndex((l) => l.startsWith(`── ${title} `));
  assert.ok(top >= 0, `${title} is not expanded in:\n${frame}`);
  return lines
    .slice(top + 1, -1)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

test('never reached: the header, all six panels and the next step say "cannot reach the API server", nothing says Flux is missing', async () => {
  const s = store();
  feed(s, refused);
  const ui = await renderDeck(s, 80, 24);
  try {
    // At 80 columns the header keeps the error; the address and the time are on the lines below.
    const frame = await ui.waitFor(/^drdeck · home · cannot reach the API server: connection refused +\?27$/m);
    const lines = frame.split('\n');
    for (const line of lines) assert.ok([...line].length <= 80, `too wide: ${line}`);
    assert.match(frame, /^Next: reach the API server https:\/\/127\.0\.0\.1:6443: is it running\?/m);
    // Every panel's row says so, and that no data ever came (nothing is "stale" that never was fresh).
    for (const title of TITLES) assert.match(panelRow(frame, title), /\? cannot reach the API server; no data yet$/, title);
    // Each panel, focused and expanded, says it whole: the error, since when, and its checks unknown.
    for (const [i, title] of TITLES.entries()) {
      if (i > 0) await ui.press('j');
      const text = expandedText(await ui.waitFor(`── ${title} `), title);
      assert.match(text, /cannot reach the API server: connection refused \(since 18:02:11\)/, `${title}: ${text}`);
      assert.match(text, /\? \d+ checks? unknown until it answers/, `${title}: ${text}`);
      assert.doesNotMatch(ui.lastFrame(), /Flux not deployed|Bootstrap Flux|missing|waiting for .* to sync|not installed/);
    }
    assert.doesNotMatch(frame, /Flux not deployed|Bootstrap Flux|missing|waiting for .* to sync/);

    // Wide enough, the header names the server too.
    ui.resize(160, 40);
    const wide = await ui.waitFor(`cannot reach the API server ${SERVER}: connection refused (since 18:02:11)`);
    assert.match(wide.split('\n')[0], /^drdeck · home · cannot reach the API server https:\/\/127\.0\.0\.1:6443: connection refused \(since 18:02:11\)/);

    // The timeline's next step says it as well.
    await ui.press('t');
    const timeline = await ui.waitFor(/^Timeline — /m);
    assert.match(timeline, /^Next: reach the API server https:\/\/127\.0\.0\.1:6443/m);
    assert.doesNotMatch(timeline, /Bootstrap Flux/);
    await ui.press(KEYS.escape);

    // The server answers: the panels are back to their checks, the header to the timeline.
    feed(s, (key) => (key === 'dns' ? { phase: 'not-installed' } : { phase: 'synced', since: STARTED + 5000 }));
    const back = await ui.waitFor(/Flux not deployed yet/);
    assert.doesNotMatch(back, /cannot reach the API server/);
    assert.match(back, /^Next: Bootstrap Flux from Git/m);
  } finally {
    ui.unmount();
  }
});

test('lost after data came: "since" is the last fresh data; one kind still answering is not an outage', async () => {
  const s = store();
  const fresh = Date.parse('2025-12-02T18:10:42Z');
  feed(s, (key) =>
    key === 'dns'
      ? { phase: 'not-installed' }
      : { phase: 'retrying', reason: 'Timeout', since: fresh - 1000, detail: `timed out after 10 s: GET /api/v1/${key}; retrying in 4 s` },
  );
  s.getState().applyBatch({
    ...emptyBatch(),
    sync: new Map([['pods', { phase: 'retrying', reason: 'Timeout', since: fresh, detail: 'timed out after 10 s: GET /api/v1/pods; retrying in 8 s' }]]),
  });
  const ui = await renderDeck(s, 80, 24);
  try {
    const frame = await ui.waitFor(/^drdeck · home · cannot reach the API server: timed out after 10 s +\?27$/m);
    assert.match(expandedText(frame, 'Flux'), /cannot reach the API server: timed out after 10 s \(since 18:10:42\)/);
    // Data came once: each row says since when it is stale.
    for (const title of TITLES) assert.match(panelRow(frame, title), /\? cannot reach the API server; stale since 18:10:42$/, title);
    assert.match(frame, /^Next: reach the API server https:\/\/127\.0\.0\.1:6443: it does not answer in time/m);

    // The Services watch answers again while the others still time out: the server is there.
    s.getState().applyBatch({ ...emptyBatch(), sync: new Map([['services', { phase: 'synced', since: fresh + 2000 }]]) });
    const partly = await ui.waitFor(/✗\d+ !\d+ ✓\d+$/m);
    assert.doesNotMatch(partly, /cannot reach the API server/);
    assert.match(partly, /stale since 18:10:41 \(/, 'the panels say their data is stale, kind by kind, as before');
  } finally {
    ui.unmount();
  }
});
