/**
 * The patch formats the simulated API server accepts: JSON merge patch (RFC 7386) and JSON patch
 * (RFC 6902). Pure functions on JSON values; inputs are never mutated.
 */
import { isDeepStrictEqual } from 'node:util';

/** A JSON patch that cannot be applied: malformed, a missing path, or a failed `test`. */
export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386: objects merge key by key, `null` deletes, anything else (arrays too) replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** RFC 6901: `/a/b~1c` -> ['a', 'b/c']; `~1` is unescaped before `~0`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw new PatchError(`invalid JSON pointer "${pointer}": bad escape`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function arrayIndex(token: string, length: number, pointer: string, allowEnd: boolean): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index "${token}" in "${pointer}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) {
    throw new PatchError(`array index ${index} out of bounds in "${pointer}"`);
  }
  return index;
}

/** The container holding the last token of `tokens`, which must exist. */
function parentOf(doc: unknown, tokens: string[], pointer: string): unknown {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, pointer, false)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw new PatchError(`path "${pointer}" does not exist`);
  }
  if (!Array.isArray(node) && !isObject(node)) throw new PatchError(`path "${pointer}" does not exist`);
  return node;
}

function getAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, pointer, false)];
  if (!Object.hasOwn(parent as JsonObject, last)) throw new PatchError(`path "${pointer}" does not exist`);
  return (parent as JsonObject)[last];
}

/** Returns the new document (the root may be replaced); containers are changed in place. */
function addAt(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, pointer, true), 0, value);
  else (parent as JsonObject)[last] = value;
  return doc;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError('cannot remove the whole document');
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, pointer, false), 1);
  else if (Object.hasOwn(parent as JsonObject, last)) delete (parent as JsonObject)[last];
  else throw new PatchError(`path "${pointer}" does not exist`);
  return doc;
}

function replaceAt(doc: unknown, pointer: string, value: unknown): unknown {
  getAt(doc, pointer);
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, pointer, false)] = value;
  else (parent as JsonObject)[last] = value;
  return doc;
}

function checkOperation(op: unknown, index: number): JsonPatchOperation {
  if (!isObject(op)) throw new PatchError(`operation ${index} is not an object`);
  if (typeof op.path !== 'string') throw new PatchError(`operation ${index} has no "path"`);
  switch (op.op) {
    case 'add':
    case 'replace':
    case 'test':
      if (!Object.hasOwn(op, 'value')) throw new PatchError(`operation ${index} (${op.op}) has no "value"`);
      break;
    case 'move':
    case 'copy':
      if (typeof op.from !== 'string') throw new PatchError(`operation ${index} (${op.op}) has no "from"`);
      break;
    case 'remove':
      break;
    default:
      throw new PatchError(`operation ${index} has unknown op ${JSON.stringify(op.op)}`);
  }
  return op as unknown as JsonPatchOperation;
}

/**
 * RFC 6902, all six operations. Atomic: any failing operation throws `PatchError` and the input
 * is untouched.
 */
export function applyJsonPatch(doc: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be an array of operations');
  let result = structuredClone(doc);
  operations.forEach((raw, index) => {
    const op = checkOperation(raw, index);
    switch (op.op) {
      case 'add':
        result = addAt(result, op.path, structuredClone(op.value));
        break;
      case 'remove':
        result = removeAt(result, op.path);
        break;
      case 'replace':
        result = replaceAt(result, op.path, structuredClone(op.value));
        break;
      case 'move': {
        if (op.path.startsWith(`${op.from}/`)) throw new PatchError(`cannot move "${op.from}" into its own child`);
        const value = getAt(result, op.from!);
        result = addAt(removeAt(result, op.from!), op.path, value);
        break;
      }
      case 'copy':
        result = addAt(result, op.path, structuredClone(getAt(result, op.from!)));
        break;
      case 'test':
        if (!isDeepStrictEqual(getAt(result, op.path), op.value)) {
          throw new PatchError(`test failed: value at "${op.path}" is not ${JSON.stringify(op.value)}`);
        }
        break;
    }
  });
  return result;
}
