/**
 * The patch kinds kustomize applies: strategic merge (with the merge keys of the lists that matter
 * in manifests) and JSON 6902. Pure functions on plain objects.
 */

type Json = unknown;
type JsonMap = Record<string, Json>;

const isMap = (value: unknown): value is JsonMap => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Merge keys of the lists a strategic merge patch merges item by item (the rest are replaced). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  env: 'name',
  imagePullSecrets: 'name',
  tolerations: 'key',
  hostAliases: 'ip',
  volumeClaimTemplates: 'metadata.name',
  conditions: 'type',
};

function keyOf(item: Json, key: string): unknown {
  let value: unknown = item;
  for (const part of key.split('.')) value = isMap(value) ? value[part] : undefined;
  return value;
}

/** The identity of a list item: its merge key, and for ports the protocol too (TCP when unset). */
function identity(item: Json, key: string, field: string): string {
  const value = JSON.stringify(keyOf(item, key));
  return field === 'ports' ? `${value}/${String(keyOf(item, 'protocol') ?? 'TCP')}` : value;
}

/**
 * Lists with a merge key merge item by item (as kustomize does: items only in the patch come first,
 * then the original's, merged); other lists are replaced.
 */
function mergeList(field: string, base: Json[], patch: Json[]): Json[] {
  // Ports merge by containerPort in a container and by port in a Service, with the protocol.
  const key = MERGE_KEYS[field] ?? (field === 'ports' ? (patch.some((p) => isMap(p) && 'containerPort' in p) ? 'containerPort' : 'port') : undefined);
  if (!key || !patch.every((p) => isMap(p) && keyOf(p, key) !== undefined)) return structuredClone(patch);
  const merged = base.map((item) => structuredClone(item));
  const added: Json[] = [];
  const deleted = new Set<number>();
  for (const item of patch as JsonMap[]) {
    const index = merged.findIndex((o) => identity(o, key, field) === identity(item, key, field));
    if (item.$patch === 'delete') {
      if (index >= 0) deleted.add(index);
    } else if (index >= 0) merged[index] = strategicMerge(merged[index], item);
    else added.push(strategicMerge(undefined, item));
  }
  return [...added, ...merged.filter((_, i) => !deleted.has(i))];
}

/** BASE with PATCH merged the way a strategic merge patch is: maps merge, `null` deletes, `$patch: replace|delete`. */
export function strategicMerge(base: Json, patch: Json, field = ''): Json {
  if (!isMap(patch)) {
    if (Array.isArray(patch) && Array.isArray(base)) return mergeList(field, base, patch);
    return structuredClone(patch);
  }
  if (patch.$patch === 'replace') {
    const { $patch: _r, ...rest } = patch;
    return structuredClone(rest);
  }
  const out: JsonMap = isMap(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key.startsWith('$setElementOrder/') || key === '$retainKeys') continue;
    if (value === null) delete out[key];
    else out[key] = strategicMerge(out[key], value, key);
  }
  return out;
}

/** A JSON pointer's parts (`/a/b~1c` → `a`, `b/c`). */
function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[]): { parent: JsonMap | Json[]; last: string } {
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isMap(node)) node = node[part];
    else node = undefined;
    if (node === undefined) throw new Error(`path /${parts.join('/')} not found`);
  }
  if (!isMap(node) && !Array.isArray(node)) throw new Error(`path /${parts.join('/')} not found`);
  return { parent: node, last: parts[parts.length - 1] };
}

function getAt(doc: Json, parts: string[]): Json {
  let node: Json = doc;
  for (const part of parts) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isMap(node)) node = node[part];
    else return undefined;
  }
  return node;
}

function addAt(doc: Json, parts: string[], value: Json, replace: boolean): void {
  const { parent, last } = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new Error(`index ${last} out of range`);
    if (replace) parent[index] = value;
    else parent.splice(index, 0, value);
  } else {
    if (replace && !(last in parent)) throw new Error(`path ${parts.join('/')} not found`);
    parent[last] = value;
  }
}

function removeAt(doc: Json, parts: string[]): Json {
  const { parent, last } = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!(index >= 0 && index < parent.length)) throw new Error(`index ${last} out of range`);
    return parent.splice(index, 1)[0];
  }
  if (!(last in parent)) throw new Error(`path /${parts.join('/')} not found`);
  const value = parent[last];
  delete parent[last];
  return value;
}

/** DOC (cloned) with the JSON 6902 OPS applied; throws an Error with one line when an op cannot apply. */
export function jsonPatch(doc: Json, ops: unknown[]): Json {
  const out = structuredClone(doc);
  for (const raw of ops) {
    if (!isMap(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new Error('a JSON patch operation needs op and path');
    const parts = pointer(raw.path);
    switch (raw.op) {
      case 'add':
        addAt(out, parts, structuredClone(raw.value), false);
        break;
      case 'replace':
        addAt(out, parts, structuredClone(raw.value), true);
        break;
      case 'remove':
        removeAt(out, parts);
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw new Error(`${raw.op} needs from`);
        const from = pointer(raw.from);
        const value = raw.op === 'move' ? removeAt(out, from) : structuredClone(getAt(out, from));
        addAt(out, parts, value, false);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(out, parts)) !== JSON.stringify(raw.value)) throw new Error(`test failed at ${raw.path}`);
        break;
      default:
        throw new Error(`unknown JSON patch op "${raw.op}"`);
    }
  }
  return out;
}
