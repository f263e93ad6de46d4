/**
 * Text the cluster holds can neither freeze the screen (a 100 KB annotation, a 32 KB Flux message)
 * nor forge it (terminal escape sequences, C1 controls, bidi overrides, NUL in a status message).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

// Why first and dynamic: chalk decides on colour when it loads. With colour off Ink writes no escape
// sequence of its own, so any one in a frame came from the cluster's data.
process.env.FORCE_COLOR = '0';
const { demoSession } = await import('../demo-session.js');
const { KEYS, renderDeck } = await import('./render.js');
const { cpuMs, frameProblems } = await import('./frame-checks.js');

type DemoSession = Awaited<ReturnType<typeof demoSession>>;

/**
 * CPU a key may cost, the render included. Why this much: a key costs tens of ms here; before the
 * text was bounded one cost seconds (minutes with any non-ASCII character in a 32 KB message).
 */
const KEY_BUDGET_MS = 400;

/** A kustomize-controller build failure, as long as the API lets a condition message be (32 KB). */
function buildError(bytes: number): string {
  const one =
    "kustomize build failed: accumulating resources: accumulation err='accumulating resources from './apps/media': " +
    "'/tmp/kustomization-2215/apps/media' must resolve to a file’ — recursed merging from path '/tmp/kustomization-2215/apps': ";
  return `${one.repeat(Math.ceil(bytes / one.length))}`.slice(0, bytes);
}

function setReady(session: DemoSession, name: string, message: string): void {
  session.demo.cluster.patchNow(
    'kustomizations',
    'flux-system',
    name,
    {
      status: {
        conditions: [{ type: 'Ready', status: 'False', reason: 'BuildFailed', message, lastTransitionTime: new Date(session.demo.clock.now()).toISOString() }],
      },
    },
    'merge',
    { subresource: 'status' },
  );
}

/** The longest string anywhere in a value. */
function longest(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (!value || typeof value !== 'object') return 0;
  return Math.max(0, ...Object.values(value).map(longest));
}

/** Flushes the feed until the store holds what the cluster was given (the demo delivers its watch events asynchronously). */
async function until(session: DemoSession, probe: (state: ReturnType<DemoSession['store']['getState']>) => boolean): Promise<void> {
  for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 5))) {
    session.buffer.flush();
    if (probe(session.store.getState())) return;
    if (Date.now() > deadline) throw new Error('the store never saw the change');
  }
}

/** The Ready message the store holds for a Kustomization in flux-system. */
const readyMessage = (state: ReturnType<DemoSession['store']['getState']>, name: string): string | undefined =>
  state.objects.kustomizations.get(`flux-system/${name}`)?.status?.conditions?.[0]?.message;

test('a 100 KB annotation and a 32 KB Flux message: capped in the store, and each key answers within a frame', async (t) => {
  const session = await demoSession();
  const annotation = `fd00:101::1b:125, ${'x‐'.repeat(50 * 1024)}`;
  session.demo.cluster.patchNow('services', 'default', 'emby', { metadata: { annotations: { 'lbipam.cilium.io/ips': annotation } } }, 'merge');
  setReady(session, 'cert-manager', buildError(32 * 1024));
  let ui: Awaited<ReturnType<typeof renderDeck>> | undefined;
  try {
    await until(
      session,
      (state) =>
        readyMessage(state, 'cert-manager')?.startsWith('kustomize build failed') === true &&
        state.objects.services.get('default/emby')!.metadata.annotations!['lbipam.cilium.io/ips'].length > 100,
    );

    const objects = session.store.getState().objects;
    const emby = objects.services.get('default/emby')!;
    assert.ok(longest(emby) <= 4096 + 40, `the Service's longest string in the store: ${longest(emby)}`);
    const kept = emby.metadata.annotations!['lbipam.cilium.io/ips'];
    assert.ok(kept.startsWith('fd00:101::1b:125, x‐') && kept.endsWith(`… [cut: ${annotation.length} chars]`), 'the cut is marked');
    const message = objects.kustomizations.get('flux-system/cert-manager')!.status.conditions[0].message as string;
    assert.equal(message.length, 32 * 1024, 'a condition message is kept whole up to the API limit');

    const first = await cpuMs(async () => {
      ui = await renderDeck(session.store, 80, 24);
      await ui.waitFor('LoadBalancers');
    });
    assert.ok(first < 5000, `the first frame took ${first} ms of CPU (Ink's start included)`);
    // The LoadBalancers panel, expanded, names the Service; then back to Flux for the keys below.
    for (let i = 0; i < 4; i++) await ui!.press('j');
    await ui!.waitFor(/── LoadBalancers .*\n(.*\n)*.*default\/emby/);
    for (const problem of frameProblems(ui!.frames.at(-1)!, 80, 24)) assert.fail(problem);
    for (let i = 0; i < 4; i++) await ui!.press('k');
    await ui!.waitFor('── Flux ');

    const keys = [KEYS.enter, '/', ...'cert-manager', KEYS.enter, 'j', 'j', 'k', 'G', 'g', 'j'];
    const costs: number[] = [];
    for (const key of keys) {
      const before = ui!.frames.length;
      costs.push(
        await cpuMs(async () => {
          await ui!.press(key);
          for (const deadline = Date.now() + 10_000; ui!.frames.length === before && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
        }),
      );
      for (const problem of frameProblems(ui!.frames.at(-1)!, 80, 24)) assert.fail(problem);
    }
    const frame = await ui!.waitFor('filter: cert-manager');
    assert.match(frame, /✗ Kustomization flux-system\/cert-manager {2}Ready: False BuildFailed: kustom…\n/);
    assert.match(frame, /\n {2}build failed: accumulating resources/, 'the selected line in full at the bottom');
    t.diagnostic(`first frame ${first.toFixed(0)} ms, keys ${costs.map((c) => c.toFixed(0)).join(', ')} ms of CPU`);
    const worst = Math.max(...costs);
    assert.ok(worst < KEY_BUDGET_MS, `keys in the Flux detail cost ${costs.map((c) => c.toFixed(0)).join(', ')} ms of CPU`);
  } finally {
    ui?.unmount();
    session.close();
  }
});

const HOSTILE =
  '\u001b]0;pwned\u0007 \u001b]8;;https://evil.example/\u001b\\click here\u001b]8;;\u001b\\ \u001b[32mALL CHECKS PASS\u001b[0m \u009b31mC1 \u202eevil\u202c nul\u0000 bell\u0007';

test('escape sequences in a status message reach neither the screen nor the terminal: shown escaped', async () => {
  const session = await demoSession();
  setReady(session, 'cert-manager', HOSTILE);
  await until(session, (state) => readyMessage(state, 'cert-manager')?.includes('pwned') === true);
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    await ui.press(KEYS.enter);
    await ui.press('/');
    for (const ch of 'cert-manager') await ui.press(ch);
    await ui.press(KEYS.enter);
    await ui.waitFor('filter: cert-manager');
    // Select the evidence line of flux.ready: its full text shows at the bottom.
    for (let i = 0; i < 8 && !/\\x1b\]0;pwned/.test(ui.lastFrame().split('\n').slice(-6).join('\n')); i++) await ui.press('j');
    const frame = await ui.waitFor(/\\x1b\]0;pwned\\x07 \\x1b\]8;;https:\/\/evil\.example\//);
    assert.match(frame, /\\x1b\[32mALL/, 'the colour code is shown, not obeyed');
    for (const [i, raw] of ui.frames.entries()) {
      for (const problem of frameProblems(raw, 80, 24)) assert.fail(`frame ${i}: ${problem}`);
    }
    const stored = session.store.getState().objects.kustomizations.get('flux-system/cert-manager')!.status.conditions[0].message;
    assert.equal(
      stored,
      '\\x1b]0;pwned\\x07 \\x1b]8;;https://evil.example/\\x1b\\click here\\x1b]8;;\\x1b\\ \\x1b[32mALL CHECKS PASS\\x1b[0m \\x9b31mC1 \\u202eevil\\u202c nul\\x00 bell\\x07',
    );
  } finally {
    ui.unmount();
    session.close();
  }
});
