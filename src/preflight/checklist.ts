/**
 * The seed's Prevention Checklist, item by item, over the repository's desired state. Where a live
 * check judges the same thing (copyMethod, the IfNotPresent label, LB annotations, Gateway health
 * checks, who applies the Kopia PVC) the item is a view over that check's verdict on the Git
 * snapshot, with the repository's file:line added; the rest (the saved handle, address pools, DR
 * scripts) is read here from the desired state and the repository's files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import type { KubeObject } from '../cluster.js';
import { ALL_CHECKS, runCheck } from '../checks/index.js';
import type { CheckResult, CheckStatus, Evidence, Snapshot } from '../checks/types.js';
import { annotationOf, arr, at, nameList, parseAddressList, parseRef, plural, str, worst } from '../checks/util.js';
import { verdictExitCode, type ExitCode } from '../commands/exit-codes.js';
import type { Config } from '../config/schema.js';
import { isSopsValue } from '../config/saved-handle.js';
import type { DesiredObject, DesiredState, FluxKustomization, RepoNote, SourceRef } from './types.js';

export type ItemStatus = 'pass' | 'warn' | 'fail' | 'unknown';

/** One fact behind an item, with where it is written in the repository when it is. */
export interface ItemEvidence {
  file?: string;
  line?: number;
  /** The object (`Kind namespace/name`) or the file the row is about. */
  what: string;
  value: string;
  status: ItemStatus;
}

export interface ChecklistItem {
  /** 1 to 9, in the seed's order. */
  id: number;
  title: string;
  status: ItemStatus;
  summary: string;
  evidence: ItemEvidence[];
  source: 'git';
  /** The live checks the item is a view over. */
  checks: string[];
}

export interface Checklist {
  items: ChecklistItem[];
  /** Every spec check's result on the Git snapshot (source `git`, evidence with file:line). */
  checks: CheckResult[];
  notes: RepoNote[];
  renderer: DesiredState['renderer'];
  summary: Record<ItemStatus, number> & { decided: boolean };
  exitCode: ExitCode;
}

/** The repository's files, as the checklist reads them (paths relative to the repository root). */
export interface RepoFiles {
  read(file: string): string | undefined;
  exists(file: string): boolean;
  /** Files directly in `dir` whose name matches, sorted. */
  list(dir: string, name: RegExp): Array<{ file: string; executable: boolean }>;
}

/** The repository on disk. */
export function diskFiles(repo: string): RepoFiles {
  return {
    read(file) {
      try {
        return readFileSync(join(repo, file), 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (file) => existsSync(join(repo, file)),
    list(dir, name) {
      let entries: string[];
      try {
        entries = readdirSync(join(repo, dir));
      } catch {
        return [];
      }
      return entries
        .filter((entry) => name.test(entry))
        .sort()
        .map((entry) => {
          const file = `${dir}/${entry}`;
          const stat = statSync(join(repo, file), { throwIfNoEntry: false });
          return { file, executable: stat !== undefined && stat.isFile() && (stat.mode & 0o111) !== 0 };
        })
        .filter((f) => statSync(join(repo, f.file), { throwIfNoEntry: false })?.isFile());
    },
  };
}

export interface ChecklistOptions {
  /** Where the DR scripts are: files in `dir` matching `name` (default scripts/dr-*.sh). */
  drScripts?: { dir: string; name: RegExp };
}

const TITLES = [
  'Kopia repository volumeHandle saved in Git',
  'Kopia PVC not applied by the kopia app',
  'Kopia PVC not applied by the VolSync component or any other',
  'Every ReplicationDestination has copyMethod: Snapshot',
  'No ReplicationDestination labelled ssa: IfNotPresent',
  'LoadBalancers dual-stack, addresses inside an applied pool',
  'DR scripts bound every kubectl call with a timeout',
  'The Gateways Kustomization health-checks them',
  'Validation exists (or drdeck check replaces it)',
] as const;

const asItem = (status: CheckStatus): ItemStatus => (status === 'pending' ? 'unknown' : status);

/** `Kind namespace/name`. */
function describe(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

function refText(object: KubeObject): string {
  const { namespace, name } = metaOf(object);
  return namespace ? `${namespace}/${name}` : name;
}

function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

function kindOf(object: KubeObject): string {
  return str(at(object, 'kind')) ?? '?';
}

function metaOf(object: KubeObject): { namespace?: string; name: string } {
  return { namespace: str(at(object, 'metadata', 'namespace')), name: str(at(object, 'metadata', 'name')) ?? '?' };
}

/** Where each object (and each Flux Kustomization) is written, by kind, namespace and name. */
function sourceIndex(state: DesiredState): Map<string, SourceRef> {
  const index = new Map<string, SourceRef>();
  for (const d of state.objects) {
    const { namespace, name } = metaOf(d.object);
    const key = objectKey(kindOf(d.object), namespace, name);
    if (!index.has(key)) index.set(key, d.source);
  }
  for (const ks of state.kustomizations) {
    const { namespace, name } = parseRef(ks.ref);
    const key = objectKey('Kustomization', namespace, name);
    if (!index.has(key)) index.set(key, ks.source);
  }
  return index;
}

/** The check's evidence with each row's file:line, where the repository has the object. */
function withSources(result: CheckResult, index: Map<string, SourceRef>): CheckResult {
  const evidence = result.evidence.map((e): Evidence => {
    const source = index.get(objectKey(e.kind, e.namespace, e.name));
    return source ? { ...e, source } : e;
  });
  return { ...result, evidence };
}

function fromCheckEvidence(e: Evidence): ItemEvidence {
  return {
    ...(e.source ? { file: e.source.file, line: e.source.line } : {}),
    what: describe(e.kind, e.namespace, e.name),
    value: `${e.field}: ${e.value}`,
    status: asItem(e.status ?? 'pass'),
  };
}

function fromObject(d: DesiredObject, value: string, status: ItemStatus): ItemEvidence {
  const { namespace, name } = metaOf(d.object);
  return { file: d.source.file, line: d.source.line, what: describe(kindOf(d.object), namespace, name), value, status };
}

function objectsOfKind(state: DesiredState, kind: string, group?: string): DesiredObject[] {
  return state.objects.filter((d) => kindOf(d.object) === kind && (group === undefined || (str(at(d.object, 'apiVersion')) ?? '').split('/')[0] === group));
}

interface Context {
  state: DesiredState;
  config: Config;
  files: RepoFiles;
  results: Map<string, CheckResult>;
  options: ChecklistOptions;
}

function item(id: number, status: ItemStatus, summary: string, evidence: ItemEvidence[], checks: string[] = []): ChecklistItem {
  const order: Record<ItemStatus, number> = { fail: 3, warn: 2, unknown: 1, pass: 0 };
  const sorted = [...evidence].sort((a, b) => order[b.status] - order[a.status]);
  return { id, title: TITLES[id - 1], status, summary, evidence: sorted, source: 'git', checks };
}

// --- 1. the saved handle ------------------------------------------------------------------------

/** True when the file is SOPS-encrypted: flux's rendering hides it (`**SOPS**`), so the source file decides. */
function sopsFile(files: RepoFiles, file: string): boolean {
  const text = files.read(file);
  return text !== undefined && /^sops:/m.test(text) && /ENC\[/.test(text);
}

function savedHandleItem(ctx: Context): ChecklistItem {
  const { state, config, files } = ctx;
  const key = config.kopia.handleSecretKey;
  const { namespace: pvcNs, name: pvcName } = parseRef(config.kopia.pvc);
  const found: Array<{ d: DesiredObject; value?: string; encrypted: boolean; field: string }> = [];
  for (const d of objectsOfKind(state, 'Secret')) {
    for (const [field, base64] of [
      ['stringData', false],
      ['data', true],
    ] as const) {
      const raw = at(d.object, field, key);
      if (raw === undefined) continue;
      const text = typeof raw === 'string' ? raw.trim() : String(raw);
      const encrypted = isSopsValue(text) || text === '**SOPS**' || sopsFile(files, d.source.file);
      const value = encrypted ? undefined : base64 ? Buffer.from(text, 'base64').toString('utf8').trim() : text;
      found.push({ d, value, encrypted, field: `${field}.${key}` });
    }
  }
  for (const d of objectsOfKind(state, 'PersistentVolume')) {
    const claim = at(d.object, 'spec', 'claimRef');
    const forKopia = str(at(claim, 'name')) === pvcName && (str(at(claim, 'namespace')) ?? pvcNs) === pvcNs;
    const handle = at(d.object, 'spec', 'csi', 'volumeHandle');
    if (!forKopia || handle === undefined) continue;
    const text = String(handle).trim();
    const encrypted = isSopsValue(text) || sopsFile(files, d.source.file);
    found.push({ d, value: encrypted ? undefined : text, encrypted, field: 'spec.csi.volumeHandle' });
  }
  if (!found.length) {
    const loose = state.files.unreferenced.filter((f) => files.read(f)?.includes(key));
    const evidence = loose.map((file): ItemEvidence => ({ file, line: 1, what: file, value: `has "${key}" but nothing applies it`, status: 'fail' }));
    const also = loose.length ? `; ${nameList(loose)} ${loose.length === 1 ? 'has' : 'have'} one but is not applied` : '';
    return item(1, 'fail', `no applied Secret (${key}) or static PV for ${config.kopia.pvc} holds the handle${also}`, evidence);
  }
  const evidence: ItemEvidence[] = [];
  let status: ItemStatus = 'pass';
  const problems: string[] = [];
  const saved = config.kopia.savedVolumeHandle;
  for (const f of found) {
    if (f.encrypted) {
      evidence.push(fromObject(f.d, `${f.field}: SOPS-encrypted`, 'unknown'));
      continue;
    }
    if (!f.value) {
      evidence.push(fromObject(f.d, `${f.field}: empty`, 'fail'));
      problems.push(`${f.d.source.file}: ${f.field} is empty`);
      continue;
    }
    const tail = `…${f.value.slice(-4)}`;
    if (saved && saved !== f.value) {
      evidence.push(fromObject(f.d, `${f.field}: ${tail}; drdeck's config reads …${saved.slice(-4)}`, 'fail'));
      problems.push(`${f.d.source.file} says ${tail}, drdeck's config reads …${saved.slice(-4)}`);
      continue;
    }
    evidence.push(fromObject(f.d, `${f.field}: ${tail}`, saved ? 'pass' : 'warn'));
  }
  const decided = found.filter((f) => !f.encrypted);
  if (problems.length) status = 'fail';
  else if (!decided.length) {
    return item(1, 'unknown', `encrypted: cannot verify without decrypting (${nameList(found.map((f) => f.d.source.file))})`, evidence);
  } else if (!saved) {
    status = 'warn';
    const why = config.kopia.handleUnknown ? 'its handle file is encrypted' : 'neither kopia.savedVolumeHandle nor kopia.handleSecretFile is set';
    problems.push(`saved in ${decided[0].d.source.file}, but drdeck's config does not read it (${why})`);
  }
  if (status === 'pass') return item(1, 'pass', `saved in ${decided[0].d.source.file}:${decided[0].d.source.line}, what drdeck's config reads`, evidence);
  return item(1, status, problems.join('; '), evidence);
}

// --- 2 and 3. who applies the Kopia PVC ---------------------------------------------------------

function isKopiaApp(ks: FluxKustomization | undefined, pvcNamespace: string): boolean {
  if (!ks) return false;
  const name = parseRef(ks.ref).name;
  return name === 'kopia' || ks.path.split('/').includes('kopia') || (name.includes('kopia') && ks.targetNamespace === pvcNamespace);
}

function viaComponent(d: DesiredObject): string | undefined {
  return [...d.via].reverse().find((v) => v.endsWith('(component)'));
}

function pvcItems(ctx: Context): [ChecklistItem, ChecklistItem] {
  const { state, config, results } = ctx;
  const check = results.get('kopia.not-flux-managed');
  const { namespace, name } = parseRef(config.kopia.pvc);
  const ksByRef = new Map(state.kustomizations.map((k) => [k.ref, k]));
  // Why by name in any namespace: a component used by every app puts its PVC in each app's
  // namespace (the seed's issue 4), and a repository may keep it elsewhere than the config says.
  const appliers = objectsOfKind(state, 'PersistentVolumeClaim').filter((d) => metaOf(d.object).name === name);
  const pvcKey = (d: DesiredObject) => `${metaOf(d.object).namespace ?? namespace}/${name}`;
  const byApp = appliers.filter((d) => !viaComponent(d) && isKopiaApp(ksByRef.get(d.kustomization), namespace));
  const byOthers = appliers.filter((d) => !byApp.includes(d));
  const checks = ['kopia.not-flux-managed'];
  const row = (d: DesiredObject) => {
    const component = viaComponent(d);
    const ns = metaOf(d.object).namespace ?? namespace;
    const elsewhere = ns === namespace ? '' : ` (in ${ns}; the config names ${config.kopia.pvc})`;
    return fromObject(d, `applied by Kustomization ${d.kustomization}${component ? ` through ${component}` : ''}${elsewhere}`, 'fail');
  };
  const checkSays = check ? asItem(check.status) : 'unknown';
  const two =
    byApp.length > 0
      ? item(
          2,
          'fail',
          `the kopia app applies PVC ${nameList([...new Set(byApp.map(pvcKey))])}: ${nameList(byApp.map((d) => `${d.kustomization} (${d.source.file})`))}`,
          byApp.map(row),
          checks,
        )
      : item(2, checkSays === 'fail' ? 'pass' : checkSays, `the kopia app's Kustomization does not apply ${config.kopia.pvc}`, [], checks);
  const names = byOthers.map((d) => {
    const component = viaComponent(d);
    return component ? `${component.replace(/ \(component\)$/, '')} (component, in ${d.kustomization})` : `Kustomization ${d.kustomization}`;
  });
  const three =
    byOthers.length > 0
      ? item(3, 'fail', `PVC ${nameList([...new Set(byOthers.map(pvcKey))], 3)} applied by ${nameList([...new Set(names)], 5)}`, byOthers.map(row), checks)
      : item(
          3,
          checkSays === 'fail' ? 'pass' : checkSays,
          `no component or other Kustomization applies ${config.kopia.pvc}`,
          check && check.status !== 'fail' ? check.evidence.map(fromCheckEvidence) : [],
          checks,
        );
  return [two, three];
}

// --- 4, 5. RDs: views over the checks ------------------------------------------------------------

function checkItem(id: number, ctx: Context, checkId: string): ChecklistItem {
  const check = ctx.results.get(checkId);
  if (!check) return item(id, 'unknown', `check ${checkId} did not run`, [], [checkId]);
  return item(id, asItem(check.status), check.summary, check.evidence.map(fromCheckEvidence), [checkId]);
}

// --- 6. LoadBalancers and pools ------------------------------------------------------------------

const DUAL_STACK = new Set(['PreferDualStack', 'RequireDualStack']);

interface Pool {
  d: DesiredObject;
  list: BlockList;
  text: string[];
  bad: string[];
}

/** Each applied CiliumLoadBalancerIPPool's blocks (`spec.blocks`, or the older `spec.cidrs`): CIDRs and start/stop ranges. */
function pools(state: DesiredState): Pool[] {
  return objectsOfKind(state, 'CiliumLoadBalancerIPPool', 'cilium.io')
    .filter((d) => at(d.object, 'spec', 'disabled') !== true)
    .map((d) => {
      const list = new BlockList();
      const text: string[] = [];
      const bad: string[] = [];
      for (const block of [...arr(at(d.object, 'spec', 'blocks')), ...arr(at(d.object, 'spec', 'cidrs'))]) {
        const cidr = str(at(block, 'cidr'))?.trim();
        const start = str(at(block, 'start'))?.trim();
        const stop = str(at(block, 'stop'))?.trim() || start;
        try {
          if (cidr) {
            const [net, bits] = cidr.split('/');
            const family = isIP(net);
            if (!family || !/^\d+$/.test(bits ?? '')) throw new Error();
            list.addSubnet(net, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
            text.push(cidr);
          } else if (start && stop) {
            const family = isIP(start);
            if (!family || isIP(stop) !== family) throw new Error();
            list.addRange(start, stop, family === 6 ? 'ipv6' : 'ipv4');
            text.push(start === stop ? start : `${start}-${stop}`);
          }
        } catch {
          bad.push(cidr ?? `${start ?? '?'}-${stop ?? '?'}`);
        }
      }
      return { d, list, text, bad };
    });
}

function inPool(all: readonly Pool[], address: string): Pool | undefined {
  const family = isIP(address);
  return family ? all.find((p) => p.list.check(address, family === 6 ? 'ipv6' : 'ipv4')) : undefined;
}

function loadBalancerItem(ctx: Context): ChecklistItem {
  const { state, config, results } = ctx;
  const ids = ['loadbalancers.dual-stack-annotation', 'loadbalancers.address-conflict'];
  const evidence: ItemEvidence[] = [];
  const statuses: ItemStatus[] = [];
  const parts: string[] = [];
  for (const id of ids) {
    const check = results.get(id);
    if (!check) continue;
    statuses.push(asItem(check.status));
    if (check.status !== 'pass') parts.push(check.summary);
    evidence.push(...check.evidence.filter((e) => e.status !== 'pass').map(fromCheckEvidence));
  }
  const services = objectsOfKind(state, 'Service').filter((d) => str(at(d.object, 'spec', 'type')) === 'LoadBalancer');
  const singleStack = services.filter((d) => !DUAL_STACK.has(str(at(d.object, 'spec', 'ipFamilyPolicy')) ?? ''));
  for (const d of singleStack)
    evidence.push(fromObject(d, `spec.ipFamilyPolicy: ${str(at(d.object, 'spec', 'ipFamilyPolicy')) ?? 'unset (SingleStack)'}`, 'fail'));
  if (singleStack.length) {
    statuses.push('fail');
    parts.push(`${singleStack.length}/${services.length} not dual-stack (ipFamilyPolicy): ${nameList(singleStack.map((d) => refText(d.object)))}`);
  }
  // Every address asked for, by a Service's annotation or a Gateway's spec.addresses, in a pool.
  const all = pools(state);
  for (const p of all) if (p.bad.length) evidence.push(fromObject(p.d, `spec.blocks: cannot read ${p.bad.join(', ')}`, 'unknown'));
  const wanted: Array<{ d: DesiredObject; address: string; field: string }> = [];
  for (const d of services) {
    const parsed = parseAddressList(annotationOf(d.object, config.loadbalancers.annotation));
    for (const address of [...parsed.v4, ...parsed.v6]) wanted.push({ d, address, field: `annotations[${config.loadbalancers.annotation}]` });
  }
  for (const d of objectsOfKind(state, 'Gateway', 'gateway.networking.k8s.io')) {
    for (const a of arr(at(d.object, 'spec', 'addresses'))) {
      const value = str(at(a, 'value'));
      if (value && isIP(value)) wanted.push({ d, address: value, field: 'spec.addresses' });
    }
  }
  const outside = wanted.filter((w) => !inPool(all, w.address));
  for (const w of outside) evidence.push(fromObject(w.d, `${w.field}: ${w.address} in no applied pool`, 'fail'));
  if (outside.length) {
    statuses.push('fail');
    const none = all.length ? '' : ' (no CiliumLoadBalancerIPPool is applied)';
    parts.push(`${plural(outside.length, 'address', 'addresses')} outside every applied pool${none}: ${nameList(outside.map((w) => w.address))}`);
  }
  const status = worst(statuses) as ItemStatus;
  if (status === 'pass') {
    const where = all.length ? `, inside ${plural(all.length, 'pool')}` : '';
    return item(6, 'pass', `${plural(services.length, 'LoadBalancer')} dual-stack with IPv4+IPv6${where}`, evidence, ids);
  }
  return item(6, status, parts.join('; '), evidence, ids);
}

// --- 7. DR scripts ------------------------------------------------------------------------------

/** Logical lines of a shell script (backslash continuations joined), each with its first line number. */
function shellLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let current: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, i) => {
    const body = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '');
    if (current) current.text += ` ${body}`;
    else current = { line: i + 1, text: body };
    if (!/\\\s*$/.test(raw)) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

/** Shell words that name a file in the repository (relative, with a `/`, no variable in them). */
const PATH_WORD = /(?:^|[\s=<>"'(])((?:\.\.?\/)?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+)(?=$|[\s"');|&>])/g;

function drScriptItem(ctx: Context): ChecklistItem {
  const { files, options } = ctx;
  const where = options.drScripts ?? { dir: 'scripts', name: /^dr-.*\.sh$/ };
  const scripts = files.list(where.dir, where.name);
  if (!scripts.length) return item(7, 'pass', `no DR scripts (${where.dir}/${where.name.source}): nothing to bound`, []);
  const evidence: ItemEvidence[] = [];
  let unbounded = 0;
  let bounded = 0;
  const missingPaths: string[] = [];
  for (const { file } of scripts) {
    const text = files.read(file) ?? '';
    for (const { line, text: body } of shellLines(text)) {
      // Each kubectl command on the line: bounded when `timeout N` precedes it or it passes --request-timeout.
      for (const segment of body.split(/\|\||&&|[;|]|\$\(/)) {
        if (!/(^|[\s"'`])kubectl\s/.test(segment) || /command\s+-v\s+kubectl|which\s+kubectl/.test(segment)) continue;
        if (/^\s*(echo|printf)\b/.test(segment)) continue;
        if (/\btimeout\s+(-\S+\s+)*\d+[smh]?\s+kubectl\b/.test(segment) || /--request-timeout[=\s]/.test(segment)) bounded++;
        else {
          unbounded++;
          evidence.push({ file, line, what: file, value: `unbounded: ${segment.trim().slice(0, 100)}`, status: 'fail' });
        }
      }
      for (const match of body.matchAll(PATH_WORD)) {
        const path = match[1].replace(/^\.\//, '');
        if (path.startsWith('../') || /^(https?|[a-z]+\.[a-z]+)\//.test(path) || !/\.(ya?ml|json|sh|txt|env)$/.test(path)) continue;
        const dir = file.slice(0, file.lastIndexOf('/'));
        if (files.exists(path) || files.exists(`${dir}/${path}`)) continue;
        missingPaths.push(`${file}:${line} ${path}`);
        evidence.push({ file, line, what: file, value: `reads ${path}: no such file in the repository`, status: 'fail' });
      }
    }
  }
  const parts: string[] = [];
  if (unbounded) parts.push(`${unbounded} kubectl ${unbounded === 1 ? 'call' : 'calls'} without a timeout`);
  if (missingPaths.length) parts.push(`${plural(missingPaths.length, 'path')} not in the repository: ${nameList(missingPaths)}`);
  if (parts.length) return item(7, 'fail', `${parts.join('; ')} (in ${plural(scripts.length, 'DR script')})`, evidence);
  return item(7, 'pass', `${plural(bounded, 'kubectl call')} in ${plural(scripts.length, 'DR script')}, every one bounded by a timeout`, [
    ...scripts.map((s): ItemEvidence => ({ file: s.file, line: 1, what: s.file, value: 'every kubectl call bounded', status: 'pass' })),
  ]);
}

// --- 8. Gateway health checks -------------------------------------------------------------------

function gatewayItem(ctx: Context): ChecklistItem {
  const { state, config, results } = ctx;
  const checkId = 'gateways.health-checks';
  const check = results.get(checkId);
  const gateways = objectsOfKind(state, 'Gateway', 'gateway.networking.k8s.io');
  const evidence = check ? check.evidence.map(fromCheckEvidence) : [];
  const appliers = [...new Set(gateways.map((g) => g.kustomization))];
  const configured = config.gateways.ciliumKustomization;
  const parts: string[] = [];
  let status: ItemStatus = check ? asItem(check.status) : 'unknown';
  // Why its own verdict: with `wait: true` Flux ignores spec.healthChecks (Flux docs, Kustomization
  // `.spec.wait`) and waits on every object's kstatus instead; a Gateway has no Ready condition, so an
  // unprogrammed one passes.
  for (const ref of appliers.length ? appliers : [configured]) {
    const ks = state.kustomizations.find((k) => k.ref === ref);
    if (ks?.wait) {
      status = worst([status, 'warn']) as ItemStatus;
      parts.push(`${ref} has wait: true, so Flux ignores its healthChecks`);
      evidence.push({
        file: ks.source.file,
        line: ks.source.line,
        what: `Kustomization ${ref}`,
        value: 'spec.wait: true (healthChecks ignored)',
        status: 'warn',
      });
    }
  }
  const elsewhere = appliers.filter((a) => a !== configured);
  if (elsewhere.length) {
    status = worst([status, 'warn']) as ItemStatus;
    parts.push(`the Gateways are applied by ${nameList(elsewhere)}, not ${configured} (gateways.ciliumKustomization)`);
  }
  if (!gateways.length) {
    parts.push('no Gateway in the desired state');
    status = worst([status, 'warn']) as ItemStatus;
  }
  const summary = [check?.summary ?? `check ${checkId} did not run`, ...parts].join('; ');
  return item(8, status, summary, evidence, [checkId]);
}

// --- 9. validation ------------------------------------------------------------------------------

function validationItem(ctx: Context): ChecklistItem {
  const validators = ctx.files.list('scripts', /^validate-.*\.sh$/);
  if (!validators.length) return item(9, 'pass', 'no scripts/validate-*.sh: `drdeck check` replaces them (run it after the rebuild)', []);
  const evidence = validators.map((v): ItemEvidence => ({
    file: v.file,
    line: 1,
    what: v.file,
    value: v.executable ? 'executable' : 'not executable',
    status: v.executable ? 'pass' : 'warn',
  }));
  const idle = validators.filter((v) => !v.executable);
  if (idle.length) return item(9, 'warn', `not executable: ${nameList(idle.map((v) => v.file))} (chmod +x, or use \`drdeck check\`)`, evidence);
  return item(9, 'pass', `${nameList(validators.map((v) => v.file))}; \`drdeck check\` also covers them`, evidence);
}

/**
 * The checklist of one desired state. `snapshot` is the state's snapshot (src/preflight/snapshot.ts)
 * with source `git`: every spec check runs on it, unchanged.
 */
export function buildChecklist(state: DesiredState, snapshot: Snapshot, config: Config, files: RepoFiles, options: ChecklistOptions = {}): Checklist {
  const gitSnapshot: Snapshot = { ...snapshot, source: 'git' };
  const index = sourceIndex(state);
  const checks = ALL_CHECKS.filter((c) => c.scope === 'spec').map((c) => withSources(runCheck(c, gitSnapshot, config), index));
  const ctx: Context = { state, config, files, results: new Map(checks.map((c) => [c.id, c])), options };
  const items = [
    savedHandleItem(ctx),
    ...pvcItems(ctx),
    checkItem(4, ctx, 'restores.copy-method'),
    checkItem(5, ctx, 'restores.ssa-if-not-present'),
    loadBalancerItem(ctx),
    drScriptItem(ctx),
    gatewayItem(ctx),
    validationItem(ctx),
  ];
  const counts: Record<ItemStatus, number> = { pass: 0, warn: 0, fail: 0, unknown: 0 };
  for (const i of items) counts[i.status]++;
  return {
    items,
    checks,
    notes: state.notes,
    renderer: state.renderer,
    summary: { ...counts, decided: counts.unknown === 0 },
    exitCode: verdictExitCode({ ...counts, pending: 0 }),
  };
}
