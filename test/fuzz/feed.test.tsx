/**
 * Fuzz: random, oversized and hostile objects of every kind drdeck watches (the demo's rebuild with
 * random fields replaced, and objects made up whole), DNS answers, router records and sync states,
 * through the feed buffer, the store and its checks, the `check` table, and a render of the
 * dashboard and of a panel's detail at 80x24. Nothing may throw; every check answers; every frame
 * comes within its budget, fits the terminal and carries no control character.
 *
 * Seeded and bounded: the same runs every time; `FC_SEED=n` (and `FC_RUNS=n`, `FC_RUNS_RENDER=n`) to
 * explore others, `FUZZ_TRACE=1` to print the CPU of every frame. A failure prints the seed and the
 * path that replay it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DnsAnswer, KubeObject, RouterRecords, SyncPhase, SyncState, WatchEventType } from '../../src/cluster.js';

// Why first and dynamic: chalk decides on colour when it loads; with colour off Ink writes no
// escape sequence of its own, so any one in a frame came from the data.
process.env.FORCE_COLOR = '0';
const { ALL_CHECKS } = await import('../../src/checks/index.js');
const { parseConfig } = await import('../../src/config/load.js');
const { buildReport, formatTable } = await import('../../src/headless/check-output.js');
const { KIND_KEYS, KINDS } = await import('../../src/kinds.js');
const { createRebuildScenario } = await import('../../src/sim/index.js');
const { orderedResults } = await import('../../src/store/checks-slice.js');
const { createDeckStore } = await import('../../src/store/deck-store.js');
const { FeedBuffer } = await import('../../src/store/feed-buffer.js');
const { RECORD_LIMITS } = await import('../../src/text/sanitize.js');
const { KEYS, renderDeck } = await import('../screens/render.js');
const { cpuMs, frameProblems } = await import('../screens/frame-checks.js');

type KindKey = (typeof KIND_KEYS)[number];

const SEED = Number(process.env.FC_SEED ?? 1_020_304);
/** CPU a frame may cost, the checks it follows included (a frame costs tens of ms here). */
const FRAME_BUDGET_MS = Number(process.env.FUZZ_FRAME_BUDGET_MS ?? 250);

const T0 = Date.UTC(2026, 0, 10, 9, 0, 0);
const SCENARIO = createRebuildScenario({ t0: T0 });
const NOW = T0 + SCENARIO.startOffset;
const CONFIG = parseConfig(SCENARIO.config, 'fuzz');
const CHECK_IDS = ALL_CHECKS.map((c) => c.id);
const HOSTNAMES = SCENARIO.dns.map((r) => r.name);

// --- What the cluster might hold -----------------------------------------------------------------

const PAYLOADS = [
  '\u001b]0;pwned\u0007',
  '\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\',
  '\u001b[32mALL CHECKS PASS\u001b[0m',
  '\u001b[2J\u001b[H',
  '\u009b31m',
  '\u202eevil\u202c',
  'nul\u0000byte',
  'lone \ud800 surrogate \udfff',
  'line\nbreak\r\nand\ttab\u2028',
  '\u200b\ufeff\u00ad',
  'Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a',
  '👨‍👩‍👧 界 ü',
  'fd00:101::1b:125,10.101.27.125',
  'emby.sulibot.com,mosquitto.sulibot.com',
  '1970-01-01T00:00:00Z',
  'True',
  'False',
  'Unknown',
  'LoadBalancer',
  'Snapshot',
  'latest generation of object has not been reconciled',
  'field is immutable',
  '',
];

/** A string as long as anything the API server lets through (1.5 MB objects), of a repeated unit. */
const oversized = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('x', '界', 'ü', '\u001b[31m', 'a b ', 'fd00::1,', '\u0301', '\ud83d\ude00'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
    ),
    fc.integer({ min: 4_000, max: 120_000 }),
  )
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PAYLOADS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...PAYLOADS), { maxLength: 5 }).map((parts) => parts.join(' ')) },
  { weight: 1, arbitrary: oversized },
);

/**
 * `{a: {a: ...}}` or `[[...]]`, far deeper than any real object, up to the most the API server
 * decodes (Go's JSON decoder refuses nesting past 10,000).
 */
const deep = fc.tuple(fc.integer({ min: 20, max: 10_000 }), fc.boolean(), text).map(([depth, asArray, leaf]) => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
});

const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'message', 'status', 'conditions', 'lbipam.cilium.io/ips'), text);

/** Any JSON-ish value, of the wrong type as often as not. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    deep,
  ),
}));

/** Where checks look: a replaced value here reaches a verdict, not just the store. */
const HOT_PATHS: Array<Array<string | number>> = [
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['metadata', 'annotations', 'lbipam.cilium.io/ips'],
  ['metadata', 'annotations', 'external-dns.alpha.kubernetes.io/hostname'],
  ['metadata', 'managedFields'],
  ['metadata', 'generation'],
  ['metadata', 'ownerReferences'],
  ['spec'],
  ['spec', 'type'],
  ['spec', 'suspend'],
  ['spec', 'dependsOn'],
  ['spec', 'dependsOn', 0, 'name'],
  ['spec', 'healthChecks'],
  ['spec', 'hostnames'],
  ['spec', 'parentRefs'],
  ['spec', 'ipFamilies'],
  ['spec', 'ipFamilyPolicy'],
  ['spec', 'kopia', 'copyMethod'],
  ['spec', 'kopia', 'repository'],
  ['spec', 'trigger', 'manual'],
  ['spec', 'csi', 'volumeHandle'],
  ['spec', 'dataSourceRef', 'name'],
  ['spec', 'volumeName'],
  ['status'],
  ['status', 'phase'],
  ['status', 'conditions'],
  ['status', 'conditions', 0, 'message'],
  ['status', 'conditions', 0, 'status'],
  ['status', 'conditions', 0, 'reason'],
  ['status', 'conditions', 0, 'lastTransitionTime'],
  ['status', 'observedGeneration'],
  ['status', 'loadBalancer', 'ingress'],
  ['status', 'loadBalancer', 'ingress', 0, 'ip'],
  ['status', 'addresses'],
  ['status', 'parents'],
  ['status', 'lastManualSync'],
  ['status', 'latestImage'],
  ['status', 'latestMoverStatus', 'logs'],
];

type Mutation = { object: number; path: Array<string | number> | number[]; hot: boolean; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ object: fc.nat(), path: fc.constantFrom(...HOT_PATHS), hot: fc.constant(true), value }),
  fc.record({ object: fc.nat(), path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), hot: fc.constant(false), value }),
);

const madeUp = fc.record({
  kind: fc.constantFrom(...KIND_KEYS),
  object: fc.record({ metadata: fc.oneof(fc.record({ name: text, namespace: text, annotations: value, labels: value }), value), spec: value, status: value }),
});

const syncState: fc.Arbitrary<SyncState> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<SyncState>({ phase: 'synced', since: NOW }) },
  {
    weight: 1,
    arbitrary: fc.record({
      phase: fc.constantFrom<SyncPhase>('connecting', 'retrying', 'forbidden', 'not-installed'),
      detail: text,
      reason: fc.oneof(fc.constantFrom('ConnectionRefused', 'Unreachable', 'Timeout', 'Forbidden'), text),
      since: fc.constant(NOW - 60_000),
    }),
  },
);

const dnsAnswer: fc.Arbitrary<DnsAnswer> = fc.record(
  {
    name: fc.oneof(fc.constantFrom(...HOSTNAMES), text),
    a: fc.array(fc.oneof(fc.constantFrom('10.101.27.125', '10.101.27.129'), text), { maxLength: 3 }),
    aaaa: fc.array(fc.oneof(fc.constantFrom('fd00:101::1b:125'), text), { maxLength: 3 }),
    error: text,
    checkedAt: fc.constant(NOW),
  },
  { requiredKeys: ['name', 'a', 'aaaa', 'checkedAt'] },
);

const routerRecords: fc.Arbitrary<RouterRecords> = fc.record(
  { label: text, count: fc.nat(), drdeck: fc.nat(), error: text, checkedAt: fc.constant(NOW) },
  { requiredKeys: ['label'] },
);

const event = fc.record({
  object: fc.nat(),
  type: fc.constantFrom<WatchEventType>('ADDED', 'MODIFIED', 'DELETED'),
  mutation: fc.option(mutation, { nil: undefined }),
  broken: fc.option(fc.constantFrom(null, 'not an object', 42, ['an', 'array']), { nil: undefined, freq: 8 }),
});

const feed = fc.record({
  mutations: fc.array(mutation, { minLength: 1, maxLength: 25 }),
  extra: fc.array(madeUp, { maxLength: 6 }),
  events: fc.array(event, { maxLength: 6 }),
  sync: fc.dictionary(fc.constantFrom<string>(...KIND_KEYS, 'dns'), syncState, { maxKeys: 4 }),
  dns: fc.array(dnsAnswer, { maxLength: 6 }),
  router: fc.option(routerRecords, { nil: undefined }),
  panel: fc.nat(5),
  keys: fc.array(fc.constantFrom('j', 'j', 'k', 'G', 'g'), { minLength: 1, maxLength: 3 }),
  /**
   * A failing Flux object with an oversized message, where the Flux panel and its detail show it.
   * Why its own field: a random path rarely lands on text a screen shows, and this is the shape that
   * froze the TUI for 11 minutes (a 100 KB message) and made each key take 4-6 s (a 32 KB one).
   */
  failing: fc.array(fc.record({ object: fc.nat(), message: oversized }), { maxLength: 2 }),
});

type Feed = typeof feed extends fc.Arbitrary<infer T> ? T : never;

// --- Applying it ---------------------------------------------------------------------------------

const put = (node: Record<string | number, unknown>, at: string | number, item: unknown) =>
  Object.defineProperty(node, at, { value: item, enumerable: true, writable: true, configurable: true });

/**
 * A shallow copy of a container (own keys, `__proto__` included). Why not structuredClone of the
 * whole object: it overflows the stack on values nested 2,000 deep, and the API sends up to 10,000.
 */
function copyOf(node: object): Record<string | number, unknown> {
  const out = (Array.isArray(node) ? [] : {}) as Record<string | number, unknown>;
  for (const [k, v] of Object.entries(node)) put(out, k, v);
  return out;
}

/** Sets `value` at `path` in a copy of `root`, copying the containers on the way (replacing what is not one). */
function setAt(root: Record<string, unknown>, path: ReadonlyArray<string | number>, item: unknown): Record<string, unknown> {
  const top = copyOf(root);
  let node = top;
  for (const [i, step] of path.entries()) {
    if (i === path.length - 1) {
      put(node, step, item);
      break;
    }
    const next = node[step];
    const made = next === null || typeof next !== 'object' ? (typeof path[i + 1] === 'number' ? [] : {}) : copyOf(next);
    put(node, step, made);
    node = made as Record<string | number, unknown>;
  }
  return top;
}

/** In a copy of `root`, follows existing fields by index (`step % count`) and replaces the value it ends on. */
function walkAndSet(root: Record<string, unknown>, steps: readonly number[], item: unknown): Record<string, unknown> {
  const top = copyOf(root);
  let node: unknown = top;
  let container: Record<string | number, unknown> | undefined;
  let at: string | number | undefined;
  for (const step of steps) {
    if (node === null || typeof node !== 'object') break;
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (!keys.length) break;
    if (container && at !== undefined) put(container, at, (node = copyOf(node)));
    container = node as Record<string | number, unknown>;
    at = keys[step % keys.length];
    node = container[at];
  }
  if (container && at !== undefined) put(container, at, item);
  return top;
}

/** `object` with `m` applied, copied along the way: the original and what it shares are left as they were. */
function mutated(object: KubeObject, m: Mutation): KubeObject {
  const root = object as unknown as Record<string, unknown>;
  return (m.hot ? setAt(root, m.path, m.value) : walkAndSet(root, m.path as number[], m.value)) as unknown as KubeObject;
}

/** The demo's rebuild with the feed's changes: every kind, real shapes, hostile fields. */
function objectsOf(input: Feed): Array<{ kind: KindKey; object: KubeObject }> {
  const objects = SCENARIO.objects.map(({ kind, object }) => ({ kind, object }));
  for (const m of input.mutations) {
    const target = objects[m.object % objects.length];
    target.object = mutated(target.object, m);
  }
  for (const { kind, object } of input.extra) objects.push({ kind, object: object as unknown as KubeObject });
  const flux = objects.filter((o) => o.kind === 'kustomizations' || o.kind === 'helmreleases');
  for (const { object: at, message } of input.failing) {
    const target = flux[at % flux.length];
    const condition = { type: 'Ready', status: 'False', reason: 'BuildFailed', message, lastTransitionTime: new Date(NOW - 60_000).toISOString() };
    target.object = mutated(target.object, { object: 0, path: ['status', 'conditions'], hot: true, value: [condition] });
  }
  return objects;
}

/** Everything in `input` through the buffer, as one flush. */
function feedInto(buffer: InstanceType<typeof FeedBuffer>, input: Feed): void {
  const objects = objectsOf(input);
  for (const kind of KIND_KEYS) {
    buffer.reset(
      kind,
      objects.filter((o) => o.kind === kind).map((o) => o.object),
    );
    buffer.sync(kind, { phase: 'synced', since: NOW });
  }
  for (const e of input.events) {
    const { kind, object } = objects[e.object % objects.length];
    const changed = e.mutation ? mutated(object, e.mutation) : copyOf(object);
    buffer.event(kind, { type: e.type, object: (e.broken === undefined ? changed : e.broken) as KubeObject });
  }
  for (const [kind, state] of Object.entries(input.sync)) buffer.sync(kind as KindKey, state);
  buffer.sync('dns', { phase: 'synced', since: NOW });
  buffer.dns(input.dns);
  if (input.router) buffer.routerRecords(input.router);
  buffer.flush();
}

function freshStore() {
  const store = createDeckStore({ config: CONFIG, clusterName: 'fuzz', now: NOW });
  // Why a huge flush interval: the test flushes by hand, so each feed is exactly one store update.
  return { store, buffer: new FeedBuffer(store, 3_600_000) };
}

function assertEveryCheckAnswers(results: Record<string, { status: string; summary: unknown }>): void {
  for (const id of CHECK_IDS) {
    const r = results[id];
    assert.ok(r, `${id} has no result`);
    assert.match(r.status, /^(pass|warn|fail|pending|unknown)$/, id);
    assert.equal(typeof r.summary, 'string', id);
    assert.doesNotMatch(r.summary as string, /^check failed:/, `${id} threw: ${r.summary}`);
  }
}

// eslint-disable-next-line no-control-regex
const TABLE_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const ESCAPED = /\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|u\{[0-9a-f]+\})/g;
/** Room for the cut marker, " … [cut: 120000 chars]". */
const MARKER = 40;

/**
 * Where `value` holds a string or key longer than the store keeps ("status.conditions.0.message
 * (120000 chars)"), counting an escape as the one character it stands for; undefined if nowhere.
 */
function overLimit(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') {
    const limit = /(^|\.)conditions\.\d+\.message$/.test(path) ? RECORD_LIMITS.maxConditionMessage : RECORD_LIMITS.maxString;
    const length = value.replace(ESCAPED, '.').length;
    return length > limit + MARKER ? `${path} (${length} chars)` : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > RECORD_LIMITS.maxDepth + 1) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.replace(ESCAPED, '.').length > RECORD_LIMITS.maxKey + MARKER) return `a key of ${k.length} chars at ${path}`;
    const found = overLimit(v, path ? `${path}.${k}` : k, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * How a failure is told: the seed, the path that replays it and what went wrong, never the
 * counterexample. Why: it holds 100 KB strings and values nested thousands deep, and fast-check's
 * own report of it overflows the stack before it says anything.
 */
function runOptions(numRuns: number): fc.Parameters<[Feed]> {
  return {
    seed: SEED,
    numRuns,
    endOnFailure: true,
    asyncReporter: async (run) => {
      if (!run.failed) return;
      const error = run.errorInstance;
      // Not `cause`: the runner would print its `actual`, which may be the 100 KB value.
      const told =
        error instanceof Error ? `${error.message.slice(0, 2_000)}\n${error.stack?.split('\n').slice(1, 8).join('\n')}` : String(error).slice(0, 2_000);
      throw new Error(`property failed: FC_SEED=${run.seed} FC_PATH=${run.counterexamplePath}: ${told}`);
    },
  };
}

// --- The properties ------------------------------------------------------------------------------

test('fuzz: feed buffer -> store -> checks -> check table: no throw, every check answers, nothing unbounded', { timeout: 120_000 }, async (t) => {
  const costs: number[] = [];
  await fc.assert(
    fc.asyncProperty(feed, async (input) => {
      const { store, buffer } = freshStore();
      // Why close: a feed that throws half-way leaves the buffer's hour-long flush timer behind.
      costs.push(await cpuMs(async () => feedInto(buffer, input)).finally(() => buffer.close()));
      const state = store.getState();
      assertEveryCheckAnswers(state.results);
      for (const kind of KIND_KEYS) {
        for (const object of state.objects[kind].values()) {
          const json = JSON.stringify(object);
          assert.ok(json.length < 400_000, `a ${KINDS[kind].kind} of ${json.length} characters in the store`);
          const long = overLimit(object);
          assert.equal(long, undefined, `a ${KINDS[kind].kind} keeps ${long} uncapped`);
        }
      }
      const table = formatTable(buildReport(orderedResults(state.results)), 100);
      assert.doesNotMatch(table, TABLE_CONTROL);
    }),
    runOptions(Number(process.env.FC_RUNS ?? 300)),
  );
  costs.sort((a, b) => a - b);
  t.diagnostic(`feed + checks: median ${costs[costs.length >> 1].toFixed(0)} ms, worst ${costs.at(-1)!.toFixed(0)} ms of CPU over ${costs.length} runs`);
  assert.ok(costs.at(-1)! < FRAME_BUDGET_MS * 2, `a feed took ${costs.at(-1)!.toFixed(0)} ms of CPU`);
});

/** Quiet time after which the app has drawn all an action causes. */
const QUIET_MS = 50;

/**
 * Resolves once no frame has come for QUIET_MS. Why not "until the next frame": a key that changes
 * nothing (k on the first line) draws none, and polling 5 s for it cost 200 ms of CPU in the poll
 * alone. Ink in debug mode draws as React commits, within the task that changed the store, so a
 * frame an action causes is there before the first poll.
 */
async function settled(frames: readonly string[]): Promise<void> {
  let count = frames.length;
  let since = Date.now();
  for (const deadline = since + 5_000; ;) {
    await new Promise((r) => setTimeout(r, 10));
    if (frames.length !== count) [count, since] = [frames.length, Date.now()];
    else if (Date.now() - since >= QUIET_MS) return;
    if (Date.now() > deadline) throw new Error('the app kept drawing for 5 s after one action');
  }
}

test('fuzz: the dashboard and a detail render every feed within a frame budget, fitting 80x24, no control character', { timeout: 300_000 }, async (t) => {
  const { store, buffer } = freshStore();
  const initial = store.getState();
  const ui = await renderDeck(store, 80, 24);
  const frameCosts: number[] = [];
  /** Does `action`, then waits for the frame it causes; returns its CPU cost and checks the frame. */
  const framed = async (what: string, action: () => unknown) => {
    const cost = await cpuMs(async () => {
      await action();
      await settled(ui.frames);
    });
    frameCosts.push(cost);
    if (process.env.FUZZ_TRACE) console.error(`TRACE ${what} ${cost.toFixed(0)} ms`);
    const problems = frameProblems(ui.frames.at(-1)!, 80, 24);
    assert.deepEqual(problems, [], `${what}: ${problems.join('; ')}`);
    assert.ok(cost < FRAME_BUDGET_MS, `${what} took ${cost.toFixed(0)} ms of CPU (budget ${FRAME_BUDGET_MS} ms)`);
  };
  try {
    await ui.waitFor('LoadBalancers');
    // The demo's rebuild once, unmeasured: the first frames pay for compiling the code, not for the data.
    feedInto(buffer, { mutations: [], extra: [], events: [], sync: {}, dns: [], router: undefined, panel: 0, keys: [], failing: [] });
    await settled(ui.frames);
    await fc.assert(
      fc.asyncProperty(feed, async (input) => {
        // A fresh state on the same store and the same Ink app: the dashboard, nothing known yet.
        store.setState(initial, true);
        await ui.waitFor(/▶ Flux/);
        await framed('the dashboard', () => feedInto(buffer, input));
        assertEveryCheckAnswers(store.getState().results);
        store.setState({ focus: (['flux', 'kopia', 'restores', 'gateways', 'loadbalancers', 'dns'] as const)[input.panel] });
        await framed('opening the detail', () => ui.press(KEYS.enter));
        for (const key of input.keys) await framed(`key ${key} in the detail`, () => ui.press(key));
      }),
      runOptions(Number(process.env.FC_RUNS_RENDER ?? 120)),
    );
  } finally {
    ui.unmount();
    buffer.close();
  }
  frameCosts.sort((a, b) => a - b);
  t.diagnostic(
    `frames: median ${frameCosts[frameCosts.length >> 1].toFixed(0)} ms, worst ${frameCosts.at(-1)!.toFixed(0)} ms of CPU over ${frameCosts.length} frames`,
  );
});
