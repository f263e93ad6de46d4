/**
 * The demo as `drdeck demo` wires it (connect: fixes on, audited to a state dir), at the start of
 * its scenario (time moves only by `demo.clock.advance`), rendered: for tests that open a fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WriteOptions } from '../../src/cluster.js';
import { connect } from '../../src/commands/connect.js';
import { waitForSync } from '../../src/session.js';
import { renderDeck, type RenderDeckOptions, type Rendered } from './render.js';

export interface FixDeck extends Awaited<ReturnType<typeof connect>> {
  ui: Rendered;
  /** The dry-run requests drdeck sent, as "verb kind name". */
  dryRuns: string[];
  close(): void;
}

export async function fixDeck(options: { readOnly?: boolean; columns?: number; rows?: number; render?: RenderDeckOptions } = {}): Promise<FixDeck> {
  const stateDir = mkdtempSync(join(tmpdir(), 'drdeck-fix-deck-'));
  // An empty config file of our own: the user's ./drdeck.yaml or XDG config must not leak in.
  const configFile = join(stateDir, 'drdeck.yaml');
  writeFileSync(configFile, "# empty: the demo's defaults\n");
  const connected = await connect({ demo: true, manual: true, stateDir, config: configFile, flushMs: 5, readOnly: options.readOnly });
  const cluster = connected.demo!.cluster;
  const dryRuns: string[] = [];
  const seen = (verb: string, kind: string, name: string, opts: WriteOptions | undefined) => {
    if (opts?.dryRun) dryRuns.push(`${verb} ${kind} ${name}`);
  };
  const { create, patch, remove } = { create: cluster.create.bind(cluster), patch: cluster.patch.bind(cluster), remove: cluster.delete.bind(cluster) };
  cluster.create = (kind, object, opts) => (seen('create', kind, object.metadata.name, opts), create(kind, object, opts));
  cluster.patch = (kind, namespace, name, body, type, opts) => (seen('patch', kind, name, opts), patch(kind, namespace, name, body, type, opts));
  cluster.delete = (kind, namespace, name, opts) => (seen('delete', kind, name, opts), remove(kind, namespace, name, opts));
  await waitForSync(connected.session, 5_000);
  connected.session.buffer.flush();
  const ui = await renderDeck(connected.session.store, options.columns ?? 80, options.rows ?? 24, options.render);
  return {
    ...connected,
    ui,
    dryRuns,
    close() {
      // A fix still running follows its effect on a timer: stop following, as quitting does.
      connected.session.store.getState().interruptFixes('quit');
      ui.unmount();
      connected.session.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
