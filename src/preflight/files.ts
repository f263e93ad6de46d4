/**
 * Reading the repository's files: YAML documents with the line each starts at, SOPS detection, and
 * a bounded, symlink-safe walk. A file reader (I/O allowed); never throws on a file's content.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import jsyaml from 'js-yaml';
import { LineCounter, parseAllDocuments, parseDocument, type Document } from 'yaml';
import type { RepoNote } from './types.js';

/** Files larger than this are not read (a manifest is kilobytes; a huge file is a mistake or data). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Folders never walked: VCS metadata and dependency trees. */
const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** One YAML document of a file: its value and where it starts. */
export interface YamlDoc {
  value: unknown;
  /** 1-based line of the document's first content (after `---` and leading comments). */
  line: number;
  /** The document as parsed, for lines of nested keys (app-template values). */
  lines: LineCounter;
  node: Document.Parsed;
}

/** A file parsed once: its documents, or why it could not be. */
export interface ParsedFile {
  /** Path relative to the repository root, `/`-separated. */
  rel: string;
  docs: YamlDoc[];
  /** Set when the file could not be read or parsed as YAML (one line). */
  error?: string;
  /** True when the file holds SOPS-encrypted values (`sops:` with `mac`, or `ENC[...]`). */
  sops: boolean;
  /** True when the text looks like a template (`{{ }}`): Helm chart templates and the like. */
  template: boolean;
}

const ENC = /ENC\[[A-Z0-9_]+,data:/;

/** The repository and the files read so far (each file parsed once per readDesiredState). */
export class RepoFiles {
  readonly root: string;
  readonly notes: RepoNote[] = [];
  private readonly cache = new Map<string, ParsedFile>();
  private readonly noted = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  /** ABS relative to the root, `/`-separated. */
  rel(abs: string): string {
    return relative(this.root, abs).split(sep).join('/');
  }

  private readonly stats = new Map<string, Stats | null>();
  private readonly insides = new Map<string, boolean>();

  /** stat of ABS (symlinks followed), cached: a repository is read many times over in one pass. */
  private stat(abs: string): Stats | null {
    let stat = this.stats.get(abs);
    if (stat === undefined) {
      try {
        stat = statSync(abs);
      } catch {
        stat = null;
      }
      this.stats.set(abs, stat);
    }
    return stat;
  }

  /** True when ABS exists, and its real path stays inside the repository (a symlink out of it does not). */
  inside(abs: string): boolean {
    const cached = this.insides.get(abs);
    if (cached !== undefined) return cached;
    let result: boolean;
    const rel = relative(this.root, abs);
    if (rel === '') result = true;
    else if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) result = false;
    else {
      // Only a symlink can lead out: resolve those, trust plain entries of a folder that is inside.
      let link: boolean;
      try {
        link = lstatSync(abs).isSymbolicLink();
      } catch {
        result = false;
        this.insides.set(abs, result);
        return result;
      }
      if (!this.inside(dirname(abs))) result = false;
      else if (!link) result = true;
      else {
        try {
          const real = relative(this.root, realpathSync(abs));
          result = real === '' || (real !== '..' && !real.startsWith(`..${sep}`) && !isAbsolute(real));
        } catch {
          result = false;
        }
      }
    }
    this.insides.set(abs, result);
    return result;
  }

  isDir(abs: string): boolean {
    return this.stat(abs)?.isDirectory() ?? false;
  }

  isFile(abs: string): boolean {
    return this.stat(abs)?.isFile() ?? false;
  }

  /** A note, said once per message and place. */
  note(level: RepoNote['level'], message: string, file?: string, line?: number): void {
    const key = `${level}|${message}|${file ?? ''}|${line ?? ''}`;
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.notes.push({ level, message, ...(file !== undefined ? { file } : {}), ...(line !== undefined ? { line } : {}) });
  }

  private readonly texts = new Map<string, string | undefined>();

  /** The text of the file at ABS (cached), or undefined when it cannot be read or is over {@link MAX_FILE_BYTES}. */
  text(abs: string): string | undefined {
    if (this.texts.has(abs)) return this.texts.get(abs);
    let text: string | undefined;
    try {
      if ((this.stat(abs)?.size ?? 0) <= MAX_FILE_BYTES) text = readFileSync(abs, 'utf8');
    } catch {
      text = undefined;
    }
    this.texts.set(abs, text);
    return text;
  }

  /** The file at ABS, parsed (cached). */
  parse(abs: string): ParsedFile {
    const cached = this.cache.get(abs);
    if (cached) return cached;
    const rel = this.rel(abs);
    const result: ParsedFile = { rel, docs: [], sops: false, template: false };
    this.cache.set(abs, result);
    if ((this.stat(abs)?.size ?? 0) > MAX_FILE_BYTES) {
      result.error = `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB: not read`;
      return result;
    }
    const text = this.text(abs);
    if (text === undefined) {
      result.error = 'cannot be read';
      return result;
    }
    result.template = /\{\{[^}]*\}\}/.test(text);
    result.sops = ENC.test(text) || /^sops:\s*$/m.test(text);
    const fast = anchorless(text) ? loadFast(text) : undefined;
    if (fast && 'error' in fast) {
      result.error = `not YAML (${fast.error})`;
      return result;
    }
    if (fast) {
      // Why two parsers: js-yaml reads values about 4x faster cold (a 2,000-file repository in a
      // second less); the `yaml` Document, with positions of nested keys, is parsed only for a file
      // whose inner lines are asked for (app-template values).
      let full: { lines: LineCounter; docs: Document.Parsed[] } | undefined;
      const document = (index: number, line: number) => {
        if (!full) {
          const lines = new LineCounter();
          const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
          full = { lines, docs: Array.isArray(docs) ? docs : [] };
        }
        // The same document by where its content starts (the parsers may count empty documents differently).
        const { lines, docs } = full;
        const node = docs.find((d) => lines.linePos(d.contents?.range?.[0] ?? d.range[0]).line === line) ?? docs[index] ?? parseDocument('');
        return { lines, node };
      };
      for (const { value, line, index } of fast.docs) {
        result.docs.push({
          value,
          line,
          get lines() {
            return document(index, line).lines;
          },
          get node() {
            return document(index, line).node;
          },
        });
      }
      return result;
    }
    const lines = new LineCounter();
    let docs;
    try {
      docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
    } catch (error) {
      result.error = `not YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
      return result;
    }
    if (!Array.isArray(docs)) {
      // parseAllDocuments returns an EmptyStream for an empty text.
      return result;
    }
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        result.error = `not YAML (${doc.errors[0].message.split('\n')[0]})`;
        result.docs = [];
        return result;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 1000 });
      } catch (error) {
        result.error = `not YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
        result.docs = [];
        return result;
      }
      if (value === null || value === undefined) continue;
      const start = doc.contents?.range?.[0] ?? doc.range[0];
      result.docs.push({ value, line: lines.linePos(start).line, lines, node: doc });
    }
    return result;
  }

  /** The documents of a YAML text (an inline patch), or undefined when it is not YAML. */
  parseText(text: string): unknown[] | undefined {
    try {
      const docs = parseAllDocuments(text, { uniqueKeys: false });
      if (!Array.isArray(docs)) return [];
      if (docs.some((d) => d.errors.length > 0)) return undefined;
      return docs.map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown).filter((v) => v !== null && v !== undefined);
    } catch {
      return undefined;
    }
  }

  /**
   * Every file under DIR (absolute), recursively, hidden ones included, in sorted order; symlinked
   * folders followed once (a loop is cut), nothing outside the repository.
   */
  walk(dir: string, filter: (name: string) => boolean, stopAt?: (dir: string) => boolean): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (d: string, top: boolean) => {
      let real = d;
      try {
        // Loops go through symlinks: only those need resolving.
        if (lstatSync(d).isSymbolicLink()) real = realpathSync(d);
      } catch {
        return;
      }
      if (seen.has(real) || !this.inside(d)) return;
      seen.add(real);
      if (!top && stopAt?.(d)) {
        out.push(d);
        return;
      }
      let entries: string[];
      try {
        entries = readdirSync(d).sort();
      } catch {
        return;
      }
      for (const name of entries) {
        const full = join(d, name);
        if (this.isDir(full)) {
          if (!SKIP_DIRS.has(name)) visit(full, false);
        } else if (filter(name) && this.isFile(full) && this.inside(full)) out.push(full);
      }
    };
    visit(dir, true);
    return out;
  }
}

/** True for names Flux's generated kustomization takes (`*.yaml`, `*.yml`). */
export function isManifestName(name: string): boolean {
  return name.endsWith('.yaml') || name.endsWith('.yml');
}

/** The kustomization file names kustomize looks for, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The kustomization file of DIR, if it has one. */
export function kustomizationFileOf(files: RepoFiles, dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    const full = join(dir, name);
    if (files.isFile(full)) return full;
  }
  return undefined;
}

/** A YAML string parsed with lines (app-template values in a ConfigMap); undefined when not YAML. */
export function parseYamlText(text: string): { value: unknown; lines: LineCounter; node: ReturnType<typeof parseDocument> } | undefined {
  const lines = new LineCounter();
  try {
    const node = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
    if (node.errors.length > 0) return undefined;
    return { value: node.toJS({ maxAliasCount: 1000 }), lines, node };
  } catch {
    return undefined;
  }
}

/**
 * True when TEXT has no anchor (`&name`): only then is the fast parser used. Why: js-yaml shares an
 * aliased node instead of copying it, and a copy made later would expand a billion-laughs file;
 * the `yaml` path bounds aliases (maxAliasCount).
 */
function anchorless(text: string): boolean {
  return !/(^|[\s[{,])&[^\s]/.test(text);
}

/**
 * The documents of TEXT read by js-yaml, each with the 1-based line its content starts at (the
 * first node a document opens, after `---` and comments) and its index in the stream; or the first
 * line of the parser's error.
 */
function loadFast(text: string): { docs: Array<{ value: unknown; line: number; index: number }> } | { error: string } {
  // Why lines from the listener: js-yaml parses every document before it hands the first one over,
  // and opens exactly one root node per document (an empty one too).
  const roots: number[] = [];
  let depth = 0;
  let values: unknown[];
  try {
    values = jsyaml.loadAll(text, undefined, {
      // Why json: a duplicate key keeps the last value (as the `yaml` path with uniqueKeys: false) instead of failing.
      json: true,
      listener(event, state) {
        if (event === 'open') {
          if (depth === 0) roots.push(state.line + 1);
          depth++;
        } else depth--;
      },
    });
  } catch (error) {
    return { error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
  const docs: Array<{ value: unknown; line: number; index: number }> = [];
  values.forEach((value, index) => {
    if (value !== null && value !== undefined) docs.push({ value, line: roots[index] ?? 1, index });
  });
  return { docs };
}
