/**
 * The LoadBalancer Services the bjw-s app-template chart creates from a HelmRelease's values, named
 * as its common library names them: the release name (app-template sets `global.nameOverride` to it),
 * `<fullname>-<nameOverride>` when a service sets one, `<fullname>-<id>` for a service that is not
 * primary when several are enabled; `fullnameOverride` / `global.fullnameOverride` replace the
 * release name. Other charts are noted "not rendered". Pure apart from the files it is handed.
 */
import type { Document, LineCounter } from 'yaml';
import { isMap as isYamlMap, isScalar } from 'yaml';
import type { KubeObject } from '../cluster.js';
import type { RepoFiles } from './files.js';
import { parseYamlText } from './files.js';
import type { DesiredObject, SourceRef } from './types.js';

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Values with where they were written: the document, its lines, and a line offset in the file. */
interface ValuesLayer {
  values: Record<string, unknown>;
  doc: Document;
  lines: LineCounter;
  /** Path of the values inside DOC (`spec.values` for inline ones). */
  at: string[];
  file: string;
  /** Added to a line in DOC (values held in a ConfigMap's block scalar). */
  offset: number;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = isMap(value) && isMap(out[key]) ? deepMerge(out[key], value) : value;
  return out;
}

/** 1-based line of the key at PATH in DOC, if there. */
function lineOf(doc: Document, lines: LineCounter, path: string[]): number | undefined {
  let node: unknown = doc.contents;
  let keyStart: number | undefined;
  for (const part of path) {
    if (!isYamlMap(node)) return undefined;
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === part);
    if (!pair) return undefined;
    keyStart = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    node = pair.value;
  }
  return keyStart === undefined ? undefined : lines.linePos(keyStart).line;
}

/** Is the HelmRelease's chart the bjw-s app-template? By `spec.chart.spec.chart`, or a chartRef to an OCIRepository of it. */
function isAppTemplate(hr: KubeObject, objects: readonly DesiredObject[]): boolean {
  const spec = (hr.spec ?? {}) as Record<string, unknown>;
  const chart = isMap(spec.chart) && isMap(spec.chart.spec) ? spec.chart.spec.chart : undefined;
  if (chart === 'app-template') return true;
  const ref = isMap(spec.chartRef) ? spec.chartRef : undefined;
  if (ref?.kind === 'OCIRepository') {
    const namespace = (ref.namespace as string | undefined) ?? hr.metadata.namespace;
    const oci = objects.find(
      (d) => d.object.kind === 'OCIRepository' && d.object.metadata.name === ref.name && (d.object.metadata.namespace ?? namespace) === namespace,
    );
    const url = (oci?.object.spec as Record<string, unknown> | undefined)?.url;
    return typeof url === 'string' && /\/app-template\/?$/.test(url);
  }
  return false;
}

/** The HelmRelease's values layers: valuesFrom ConfigMaps in the repository first, inline values last (they win). */
function layers(files: RepoFiles, hr: DesiredObject, objects: readonly DesiredObject[]): ValuesLayer[] {
  const out: ValuesLayer[] = [];
  const spec = (hr.object.spec ?? {}) as Record<string, unknown>;
  const namespace = hr.object.metadata.namespace;
  for (const from of Array.isArray(spec.valuesFrom) ? spec.valuesFrom : []) {
    if (!isMap(from)) continue;
    const key = typeof from.valuesKey === 'string' ? from.valuesKey : 'values.yaml';
    const found = objects.find((d) => d.object.kind === from.kind && d.object.metadata.name === from.name && d.object.metadata.namespace === namespace);
    if (from.kind !== 'ConfigMap' || !found) {
      files.note(
        'info',
        `HelmRelease ${hr.object.metadata.name}: values from ${String(from.kind)} ${String(from.name)} not read (not a plain ConfigMap in the repository)`,
        hr.source.file,
        hr.source.line,
      );
      continue;
    }
    const text = (found.object.data as Record<string, unknown> | undefined)?.[key];
    const parsed = typeof text === 'string' ? parseYamlText(text) : undefined;
    if (!parsed || !isMap(parsed.value)) {
      files.note('warn', `ConfigMap ${String(from.name)}: ${key} is not YAML values`, found.source.file, found.source.line);
      continue;
    }
    // The values sit in a block scalar under data.<key>: their first line follows the key's line.
    const file = files.parse(`${files.root}/${found.source.file}`);
    const doc = file.docs.find((d) => d.line === found.source.line);
    const keyLine = doc ? lineOf(doc.node, doc.lines, ['data', key]) : undefined;
    out.push({ values: parsed.value, doc: parsed.node, lines: parsed.lines, at: [], file: found.source.file, offset: keyLine ?? found.source.line });
  }
  if (isMap(spec.values)) {
    const file = files.parse(`${files.root}/${hr.source.file}`);
    const doc = file.docs.find((d) => d.line === hr.source.line);
    if (doc) out.push({ values: spec.values, doc: doc.node, lines: doc.lines, at: ['spec', 'values'], file: hr.source.file, offset: 0 });
  }
  return out;
}

/** The Services of every app-template HelmRelease in OBJECTS of type LoadBalancer; other charts noted "not rendered". */
export function appTemplateServices(files: RepoFiles, objects: readonly DesiredObject[]): DesiredObject[] {
  const out: DesiredObject[] = [];
  for (const hr of objects) {
    if (hr.object.kind !== 'HelmRelease' || !String(hr.object.apiVersion ?? '').startsWith('helm.toolkit.fluxcd.io/')) continue;
    if (!isAppTemplate(hr.object, objects)) {
      files.note('info', `HelmRelease ${hr.object.metadata.name}: chart not rendered (only the bjw-s app-template is)`, hr.source.file, hr.source.line);
      continue;
    }
    const spec = (hr.object.spec ?? {}) as Record<string, unknown>;
    const all = layers(files, hr, objects);
    const values = all.reduce<Record<string, unknown>>((acc, layer) => deepMerge(acc, layer.values), {});
    const release =
      typeof spec.releaseName === 'string'
        ? spec.releaseName
        : typeof spec.targetNamespace === 'string'
          ? `${spec.targetNamespace}-${hr.object.metadata.name}`
          : hr.object.metadata.name;
    const namespace = (typeof spec.targetNamespace === 'string' ? spec.targetNamespace : undefined) ?? hr.object.metadata.namespace;
    const global = isMap(values.global) ? values.global : {};
    const fullnameOverride = (global.fullnameOverride as string | undefined) || (values.fullnameOverride as string | undefined);
    const name = String(global.nameOverride || release);
    const fullname = (fullnameOverride || (release.includes(name) ? release : `${release}-${name}`)).slice(0, 63).replace(/-+$/, '');
    const services = isMap(values.service) ? values.service : {};
    const enabled = Object.entries(services).filter(([, s]) => isMap(s) && s.enabled !== false) as Array<[string, Record<string, unknown>]>;
    for (const [id, svc] of enabled) {
      if (svc.type !== 'LoadBalancer') continue;
      let svcName = fullname;
      if (typeof svc.nameOverride === 'string' && svc.nameOverride) svcName = `${fullname}-${svc.nameOverride}`;
      else if (svc.primary !== true && enabled.length > 1) svcName = `${fullname}-${id}`;
      const ports = isMap(svc.ports)
        ? Object.entries(svc.ports)
            .filter(([, p]) => isMap(p) && p.enabled !== false)
            .map(([portName, p]) => {
              const port = p as Record<string, unknown>;
              const protocol = typeof port.protocol === 'string' && ['UDP', 'SCTP'].includes(port.protocol) ? port.protocol : 'TCP';
              return { name: portName, port: port.port, targetPort: port.targetPort ?? port.port, protocol };
            })
        : [];
      const object: KubeObject = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: svcName,
          ...(namespace ? { namespace } : {}),
          ...(isMap(svc.annotations) ? { annotations: Object.fromEntries(Object.entries(svc.annotations).map(([k, v]) => [k, String(v)])) } : {}),
          labels: {
            'app.kubernetes.io/instance': release,
            'app.kubernetes.io/name': name,
            'app.kubernetes.io/service': svcName,
            ...(isMap(svc.labels) ? (svc.labels as Record<string, string>) : {}),
          },
        },
        spec: {
          type: 'LoadBalancer',
          ...(svc.ipFamilyPolicy !== undefined ? { ipFamilyPolicy: svc.ipFamilyPolicy } : {}),
          ...(Array.isArray(svc.ipFamilies) ? { ipFamilies: svc.ipFamilies } : {}),
          ...(svc.externalTrafficPolicy !== undefined ? { externalTrafficPolicy: svc.externalTrafficPolicy } : {}),
          ...(svc.loadBalancerIP !== undefined ? { loadBalancerIP: svc.loadBalancerIP } : {}),
          ...(svc.loadBalancerClass !== undefined ? { loadBalancerClass: svc.loadBalancerClass } : {}),
          ports,
        },
      };
      out.push({
        object,
        source: sourceOf(all, id, hr.source),
        kustomization: hr.kustomization,
        via: [...hr.via, `HelmRelease ${hr.object.metadata.namespace ?? ''}/${hr.object.metadata.name} (app-template values)`],
        generatedFrom: { helmRelease: `${hr.object.metadata.namespace ?? ''}/${hr.object.metadata.name}`, chart: 'app-template' },
        ...(hr.suspended ? { suspended: true } : {}),
      });
    }
  }
  return out;
}

/** Where `service.<id>` is written: the last layer that sets it (the one that wins), else the HelmRelease. */
function sourceOf(all: ValuesLayer[], id: string, fallback: SourceRef): SourceRef {
  for (const layer of [...all].reverse()) {
    if (!isMap(layer.values.service) || !(id in layer.values.service)) continue;
    const line = lineOf(layer.doc, layer.lines, [...layer.at, 'service', id]);
    if (line !== undefined) return { file: layer.file, line: line + layer.offset };
  }
  return fallback;
}
