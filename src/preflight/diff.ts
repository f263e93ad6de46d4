/**
 * `drdeck preflight --diff`: the seed's mechanical long-term fixes as one patch in git's format, for
 * `git apply`. Each edit is a line edit at the place the `yaml` parser finds (never a re-serialised
 * document), so comments, quoting and layout outside the edited lines stay as they are. Pure: the
 * files are read through RepoFiles; nothing is written.
 */
import { createTwoFilesPatch } from 'diff';
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { at, parseRef, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import type { Checklist, RepoFiles } from './checklist.js';
import type { DesiredObject, DesiredState } from './types.js';

export interface LongTermFixes {
  /** The patch (empty when there is nothing to change). */
  diff: string;
  /** One line per fix drdeck could not make mechanically, and why. */
  skipped: string[];
  /** The files the patch changes. */
  files: string[];
}

const SSA_LABEL = 'kustomize.toolkit.fluxcd.io/ssa';

/** A text being edited: line edits recorded against the original, applied bottom-up at the end. */
class Edit {
  readonly lines: string[];
  private readonly removed = new Set<number>();
  private readonly inserted = new Map<number, string[]>();
  private readonly replaced = new Map<number, string>();

  constructor(readonly original: string) {
    this.lines = original.split('\n');
  }

  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    return this.original.slice(0, offset).split('\n').length - 1;
  }

  offsetOfLine(line: number): number {
    return this.lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0);
  }

  column(offset: number): number {
    return offset - this.offsetOfLine(this.lineOf(offset));
  }

  remove(from: number, to: number): void {
    for (let i = from; i <= to; i++) this.removed.add(i);
  }

  insertBefore(line: number, text: string[]): void {
    this.inserted.set(line, [...(this.inserted.get(line) ?? []), ...text]);
  }

  replace(line: number, text: string): void {
    this.replaced.set(line, text);
  }

  get changed(): boolean {
    return this.removed.size + this.inserted.size + this.replaced.size > 0;
  }

  result(): string {
    const out: string[] = [];
    this.lines.forEach((line, i) => {
      out.push(...(this.inserted.get(i) ?? []));
      if (!this.removed.has(i)) out.push(this.replaced.get(i) ?? line);
    });
    out.push(...(this.inserted.get(this.lines.length) ?? []));
    return out.join('\n');
  }
}

interface Workspace {
  files: RepoFiles;
  edits: Map<string, { edit: Edit; docs: Document.Parsed[] }>;
  skipped: string[];
}

function open(ws: Workspace, file: string): { edit: Edit; docs: Document.Parsed[] } | undefined {
  const known = ws.edits.get(file);
  if (known) return known;
  const text = ws.files.read(file);
  if (text === undefined) return undefined;
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length)) return undefined;
  const entry = { edit: new Edit(text), docs };
  ws.edits.set(file, entry);
  return entry;
}

/** The document of `file` that starts at (or holds) 1-based LINE. */
function documentAt(entry: { edit: Edit; docs: Document.Parsed[] }, line: number): Document.Parsed | undefined {
  const offset = entry.edit.offsetOfLine(line - 1);
  return entry.docs.find((d) => (d.contents?.range?.[1] ?? -1) >= offset && d.contents !== null);
}

function pairOf(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
  return map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) as Pair<Node, Node> | undefined;
}

/** The last line a pair's value spans (its node end may sit at the start of the next line). */
function lastLine(edit: Edit, pair: Pair<Node, Node>): number {
  const end = (pair.value?.range ?? (pair.key as Node).range)![1];
  let line = edit.lineOf(end);
  if (line > 0 && edit.offsetOfLine(line) === end) line--;
  while (line > 0 && edit.lines[line].trim() === '') line--;
  return line;
}

// --- copyMethod ---------------------------------------------------------------------------------

function addCopyMethod(ws: Workspace, d: DesiredObject, mover: string): void {
  const entry = open(ws, d.source.file);
  const doc = entry && documentAt(entry, d.source.line);
  const section = doc?.getIn(['spec', mover], true);
  if (!entry || !doc || !isMap(section) || section.flow || !section.items.length) {
    ws.skipped.push(`${d.source.file}:${d.source.line}: no block spec.${mover} to add copyMethod: Snapshot to; add it by hand`);
    return;
  }
  const existing = pairOf(section, 'copyMethod');
  const first = section.items[0].key as Node;
  const indent = ' '.repeat(entry.edit.column(first.range![0]));
  if (existing && isScalar(existing.value)) {
    const line = entry.edit.lineOf(existing.value.range![0]);
    if (!/^\s*copyMethod:\s*\S+\s*(#.*)?$/.test(entry.edit.lines[line])) {
      ws.skipped.push(`${d.source.file}:${line + 1}: copyMethod is not on a line of its own; set it to Snapshot by hand`);
      return;
    }
    entry.edit.replace(line, entry.edit.lines[line].replace(/copyMethod:\s*("[^"]*"|'[^']*'|[^\s#]+)/, 'copyMethod: Snapshot'));
    return;
  }
  // After the section's last field: a comment above the first one stays with it.
  const last = section.items[section.items.length - 1] as Pair<Node, Node>;
  entry.edit.insertBefore(lastLine(entry.edit, last) + 1, [`${indent}copyMethod: Snapshot`]);
}

// --- the IfNotPresent label ---------------------------------------------------------------------

function removeSsaLabel(ws: Workspace, d: DesiredObject): void {
  const entry = open(ws, d.source.file);
  const doc = entry && documentAt(entry, d.source.line);
  const labels = doc?.getIn(['metadata', 'labels'], true);
  const pair = isMap(labels) && !labels.flow ? pairOf(labels, SSA_LABEL) : undefined;
  if (!entry || !doc || !isMap(labels) || !pair) {
    ws.skipped.push(
      `${d.source.file}:${d.source.line}: the ${SSA_LABEL} label is not in this file's metadata.labels (a patch or component adds it?); remove it by hand`,
    );
    return;
  }
  const from = entry.edit.lineOf((pair.key as Node).range![0]);
  const to = lastLine(entry.edit, pair);
  if (labels.items.length === 1) {
    // The only label: drop `labels:` with it rather than leave an empty map.
    const metadata = doc.getIn(['metadata'], true) as YAMLMap;
    const labelsPair = pairOf(metadata, 'labels')!;
    entry.edit.remove(entry.edit.lineOf((labelsPair.key as Node).range![0]), to);
  } else entry.edit.remove(from, to);
}

// --- the Kopia PVC in a resources list ----------------------------------------------------------

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

function relative(fromDir: string, file: string): string {
  const from = fromDir ? fromDir.split('/') : [];
  const to = file.split('/');
  let i = 0;
  while (i < from.length && i < to.length - 1 && from[i] === to[i]) i++;
  return [...from.slice(i).map(() => '..'), ...to.slice(i)].join('/');
}

function dropPvcEntry(ws: Workspace, d: DesiredObject): void {
  const file = d.source.file;
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  // The kustomization.yaml that lists the file: in its folder, or a folder above.
  const parts = dir ? dir.split('/') : [];
  for (let n = parts.length; n >= 0; n--) {
    const base = parts.slice(0, n).join('/');
    const name = KUSTOMIZATION_FILES.find((k) => ws.files.exists(base ? `${base}/${k}` : k));
    if (!name) continue;
    const kfile = base ? `${base}/${name}` : name;
    const entry = open(ws, kfile);
    const resources = entry?.docs[0]?.getIn(['resources'], true);
    const wanted = relative(base, file);
    const item = isSeq(resources) ? (resources as YAMLSeq<Node>).items.find((i) => isScalar(i) && String(i.value).replace(/^\.\//, '') === wanted) : undefined;
    if (!entry || !isSeq(resources) || resources.flow || !item) continue;
    const others = open(ws, file)?.docs.filter((doc) => doc.contents !== null).length ?? 0;
    if (others > 1) {
      ws.skipped.push(`${file} holds other objects besides the Kopia PVC: move the PVC out of it, then drop it from ${kfile}`);
      return;
    }
    const line = entry.edit.lineOf(item.range![0]);
    if (resources.items.length === 1) {
      const keyLine = entry.edit.lineOf((pairOf(entry.docs[0].contents as YAMLMap, 'resources')!.key as Node).range![0]);
      entry.edit.replace(keyLine, entry.edit.lines[keyLine].replace(/resources:\s*$/, 'resources: []'));
    }
    entry.edit.remove(line, line);
    return;
  }
  ws.skipped.push(`${file}: no kustomization.yaml lists it (its folder is applied whole); move or delete the file to stop Flux applying the Kopia PVC`);
}

// --- Gateway health checks ----------------------------------------------------------------------

/**
 * `wait: true` → `wait: false`. Why: with wait, Flux ignores spec.healthChecks (Flux docs,
 * Kustomization `.spec.wait`) and waits on each object's kstatus, which an unprogrammed Gateway
 * passes; the health checks would change nothing.
 */
function disableWait(ws: Workspace, edit: Edit, spec: YAMLMap, ksRef: string): void {
  const wait = pairOf(spec, 'wait');
  if (!wait || !isScalar(wait.value) || wait.value.value !== true) return;
  const line = edit.lineOf(wait.value.range![0]);
  if (!/^\s*wait:\s*true\s*(#.*)?$/.test(edit.lines[line])) {
    ws.skipped.push(`${ksRef}: wait: true makes Flux ignore the healthChecks; set it to false by hand`);
    return;
  }
  edit.replace(line, edit.lines[line].replace(/wait:\s*true\s*(#.*)?$/, 'wait: false # with wait: true Flux ignores healthChecks'));
}

function addHealthChecks(ws: Workspace, state: DesiredState, ksRef: string, gateways: string[]): void {
  const ks = state.kustomizations.find((k) => k.ref === ksRef);
  const ksNs = parseRef(ksRef).namespace;
  const checked = new Set(ks?.healthChecks.filter((h) => h.kind === 'Gateway').map((h) => `${h.namespace || ksNs}/${h.name}`));
  const missing = gateways.filter((g) => !checked.has(g));
  if (!ks || (!missing.length && !ks.wait)) return;
  const entry = open(ws, ks.source.file);
  const doc = entry && documentAt(entry, ks.source.line);
  const spec = doc?.getIn(['spec'], true);
  if (!entry || !doc || !isMap(spec) || spec.flow || !spec.items.length) {
    ws.skipped.push(`${ks.source.file}:${ks.source.line}: no block spec in Kustomization ${ksRef}; add the Gateway health checks by hand`);
    return;
  }
  if (!missing.length) return disableWait(ws, entry.edit, spec, ksRef);
  const keyIndent = entry.edit.column((spec.items[0].key as Node).range![0]);
  const pad = (n: number) => ' '.repeat(n);
  const existing = pairOf(spec, 'healthChecks');
  const itemLines = (dash: number) =>
    missing.flatMap((ref) => {
      const { namespace, name } = parseRef(ref);
      return [
        `${pad(dash)}- apiVersion: gateway.networking.k8s.io/v1`,
        `${pad(dash + 2)}kind: Gateway`,
        `${pad(dash + 2)}name: ${name}`,
        `${pad(dash + 2)}namespace: ${namespace}`,
      ];
    });
  if (existing && isSeq(existing.value) && !existing.value.flow && existing.value.items.length) {
    const seq = existing.value as YAMLSeq<Node>;
    const firstLine = entry.edit.lineOf(seq.items[0].range![0]);
    const dash = entry.edit.lines[firstLine].indexOf('-');
    disableWait(ws, entry.edit, spec, ksRef);
    entry.edit.insertBefore(lastLine(entry.edit, existing) + 1, itemLines(dash));
    return;
  }
  if (existing) {
    ws.skipped.push(`${ks.source.file}: spec.healthChecks of ${ksRef} is not a block list; add the Gateways by hand`);
    return;
  }
  disableWait(ws, entry.edit, spec, ksRef);
  const after = lastLine(entry.edit, spec.items[spec.items.length - 1] as Pair<Node, Node>);
  entry.edit.insertBefore(after + 1, [`${pad(keyIndent)}healthChecks:`, ...itemLines(keyIndent + 2)]);
}

/** Turns `--- a/f` / `+++ b/f` from the diff library into git's header. */
function gitPatch(file: string, before: string, after: string): string {
  const body = createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3 });
  const lines = body.split('\n');
  const start = lines.findIndex((l) => l.startsWith('--- '));
  return [`diff --git a/${file} b/${file}`, ...lines.slice(start).map((l, i) => (i < 2 ? l.replace(/\t$/, '') : l))].join('\n');
}

/** The long-term fixes for the items the checklist found failing, as one patch. */
export function longTermFixes(state: DesiredState, list: Checklist, config: Config, files: RepoFiles): LongTermFixes {
  const ws: Workspace = { files, edits: new Map(), skipped: [] };
  const status = (id: number) => list.items.find((i) => i.id === id)?.status;
  const once = new Set<string>();
  const first = (d: DesiredObject, what: string) => {
    const key = `${what}\u0000${d.source.file}\u0000${d.source.line}`;
    if (once.has(key)) return false;
    once.add(key);
    return true;
  };
  const rds = state.objects.filter((d) => d.object.kind === 'ReplicationDestination' && !d.generatedFrom);
  const inNamespaces = (d: DesiredObject) =>
    !config.restores.namespaces.length || config.restores.namespaces.includes(str(at(d.object, 'metadata', 'namespace')) ?? '');
  if (status(4) === 'fail') {
    for (const d of rds.filter(inNamespaces)) {
      const mover = config.restores.movers.find((m) => at(d.object, 'spec', m) !== undefined) ?? config.restores.movers[0];
      if (str(at(d.object, 'spec', mover, 'copyMethod')) !== 'Snapshot' && first(d, 'copy')) addCopyMethod(ws, d, mover);
    }
  }
  if (status(5) === 'warn' || status(5) === 'fail') {
    for (const d of rds.filter(inNamespaces))
      if (str(at(d.object, 'metadata', 'labels', SSA_LABEL)) === 'IfNotPresent' && first(d, 'ssa')) removeSsaLabel(ws, d);
  }
  if (status(2) === 'fail' || status(3) === 'fail') {
    // By name in any namespace, as the checklist finds it (a component's PVC lands in each app's namespace).
    const { name } = parseRef(config.kopia.pvc);
    for (const d of state.objects) {
      if (d.object.kind !== 'PersistentVolumeClaim' || str(at(d.object, 'metadata', 'name')) !== name) continue;
      if (!first(d, 'pvc')) continue;
      dropPvcEntry(ws, d);
    }
  }
  if (status(8) !== 'pass') {
    const gateways = state.objects.filter((d) => d.object.kind === 'Gateway' && str(at(d.object, 'apiVersion'))?.startsWith('gateway.networking.k8s.io/'));
    const byKs = new Map<string, string[]>();
    for (const g of gateways) {
      const ref = `${str(at(g.object, 'metadata', 'namespace')) ?? 'default'}/${str(at(g.object, 'metadata', 'name'))}`;
      const wanted = config.gateways.names.length === 0 || config.gateways.names.includes(ref);
      if (wanted) byKs.set(g.kustomization, [...(byKs.get(g.kustomization) ?? []), ref]);
    }
    for (const [ks, refs] of byKs) {
      addHealthChecks(ws, state, ks, refs);
    }
  }
  const patches: string[] = [];
  const changed: string[] = [];
  for (const [file, { edit }] of [...ws.edits].sort(([a], [b]) => a.localeCompare(b))) {
    if (!edit.changed) continue;
    changed.push(file);
    patches.push(gitPatch(file, edit.original, edit.result()));
  }
  return { diff: patches.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join(''), skipped: ws.skipped, files: changed };
}
