/**
 * `.sourceignore` in a Kustomization's path, which `flux build` honours (test/tools/README.md):
 * gitignore patterns, relative to that folder. A pattern without a slash matches a name at any
 * depth; a leading `/` anchors it; a trailing `/` matches folders (and so everything under them);
 * `*`, `?` and `**` as in gitignore; `!` re-includes. Pure.
 */

interface Rule {
  negate: boolean;
  dirOnly: boolean;
  re: RegExp;
}

function globToRe(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` any folders, `/**` everything under.
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

/** The rules of a `.sourceignore` TEXT. */
export function parseSourceIgnore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(/\s+$/, '');
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anchored = line.startsWith('/') || line.includes('/');
    line = line.replace(/^\//, '');
    if (!line) continue;
    rules.push({ negate, dirOnly, re: new RegExp(`^${anchored ? '' : '(?:.*/)?'}${globToRe(line)}$`) });
  }
  return rules;
}

/** True when REL (a file's path relative to the .sourceignore's folder, `/`-separated) is ignored by RULES. */
export function isIgnored(rules: readonly Rule[], rel: string): boolean {
  const parts = rel.split('/');
  let ignored = false;
  for (const rule of rules) {
    // A folder pattern matches any folder on the way; a file pattern the path itself (or a folder on the way).
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    const hit = candidates.some((c, i) => (i < parts.length - 1 || !rule.dirOnly) && rule.re.test(c));
    if (hit) ignored = !rule.negate;
  }
  return ignored;
}
