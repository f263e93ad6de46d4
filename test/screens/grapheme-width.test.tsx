/**
 * Text whose graphemes Ink's own truncation measures differently from its layout (musical symbols
 * with spacing combining marks, wide forms) still fits the terminal: a line drawn 82 columns wide
 * in an 80-column terminal wraps and pushes the frame to 25 rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

// Why first and dynamic: chalk decides on colour when it loads (see hostile-text.test.tsx).
process.env.FORCE_COLOR = '0';
const { parseConfig } = await import('../../src/config/load.js');
const { KIND_KEYS } = await import('../../src/kinds.js');
const { createRebuildScenario } = await import('../../src/sim/index.js');
const { createDeckStore } = await import('../../src/store/deck-store.js');
const { FeedBuffer } = await import('../../src/store/feed-buffer.js');
const { KEYS, renderDeck } = await import('./render.js');
const { frameProblems } = await import('./frame-checks.js');

test('a router label of musical symbols and wide forms: every detail line fits 80 columns', async () => {
  const t0 = Date.UTC(2026, 0, 10, 9, 0, 0);
  const scenario = createRebuildScenario({ t0 });
  const now = t0 + scenario.startOffset;
  const store = createDeckStore({ config: parseConfig(scenario.config, 'test'), clusterName: 'test', now });
  const buffer = new FeedBuffer(store, 3_600_000);
  const ui = await renderDeck(store, 80, 24);
  try {
    for (const kind of KIND_KEYS) {
      buffer.reset(
        kind,
        scenario.objects.filter((o) => o.kind === kind).map((o) => o.object),
      );
      buffer.sync(kind, { phase: 'synced', since: now });
    }
    buffer.sync('dns', { phase: 'synced', since: now });
    // U+1D1BA U+1D165, U+FF40, U+AC00, U+1D158 U+1D165 U+1D171, U+111E4: 10 columns to string-width.
    buffer.routerRecords({
      label: '\u{1d1ba}\u{1d165}\uff40\uac00\u{1d158}\u{1d165}\u{1d171},\u{111e4}',
      count: 2142200198,
      drdeck: 1998096804,
      checkedAt: now,
    });
    buffer.flush();
    store.setState({ focus: 'dns' });
    await ui.press(KEYS.enter);
    const frame = await ui.waitFor('static records');
    assert.deepEqual(frameProblems(ui.frames.at(-1)!, 80, 24), [], frame);
  } finally {
    ui.unmount();
    buffer.close();
  }
});

test('a router label of spacing vowel signs and wide characters: every dashboard line fits 80 columns', async () => {
  const t0 = Date.UTC(2026, 0, 10, 9, 0, 0);
  const scenario = createRebuildScenario({ t0 });
  const now = t0 + scenario.startOffset;
  const store = createDeckStore({ config: parseConfig(scenario.config, 'test'), clusterName: 'test', now });
  const buffer = new FeedBuffer(store, 3_600_000);
  const ui = await renderDeck(store, 80, 24);
  try {
    for (const kind of KIND_KEYS) {
      buffer.reset(
        kind,
        scenario.objects.filter((o) => o.kind === kind).map((o) => o.object),
      );
      buffer.sync(kind, { phase: 'synced', since: now });
    }
    buffer.sync('dns', { phase: 'synced', since: now });
    // U+0DDF (a Sinhala vowel sign, one column to string-width) then U+8B8E (two).
    buffer.routerRecords({ label: `\ua5fd: ${'\u0ddf\u8b8e'.repeat(40)}`, count: 3, drdeck: 1, checkedAt: now });
    buffer.flush();
    // The DNS panel, expanded, says what the router holds.
    await ui.waitFor('LoadBalancers');
    for (let i = 0; i < 5; i++) await ui.press('j');
    await ui.waitFor('── DNS ');
    const frame = await ui.waitFor('router');
    assert.deepEqual(frameProblems(ui.frames.at(-1)!, 80, 24), [], frame);
  } finally {
    ui.unmount();
    buffer.close();
  }
});
