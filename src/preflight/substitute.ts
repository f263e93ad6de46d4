/**
 * Flux's post-build variable substitution (kustomize-controller's envsubst): `${VAR}`,
 * `${VAR:=default}`, `${VAR:-default}`, `${VAR=default}`, nested defaults, the `$${VAR}` escape and
 * the case operators. Measured against flux 2.9.5 (test/tools/README.md). Pure.
 */

/** The text with every variable replaced, or the first error Flux would fail the build with. */
export interface Substituted {
  text: string;
  error?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Index of the `}` closing the `${` whose body starts at FROM, or -1. */
function closing(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** TEXT with VARS substituted as Flux does (an unset variable without default becomes empty). */
export function substitute(text: string, vars: Readonly<Record<string, string>>): Substituted {
  let out = '';
  let error: string | undefined;
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('$', i);
    if (at < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, at);
    if (text.startsWith('$${', at)) {
      // The escape: `$${VAR}` is written out as `${VAR}`, unsubstituted.
      const end = closing(text, at + 3);
      if (end < 0) {
        out += text.slice(at + 1);
        break;
      }
      out += text.slice(at + 1, end + 1);
      i = end + 1;
      continue;
    }
    if (text[at + 1] !== '{') {
      out += '$';
      i = at + 1;
      continue;
    }
    const end = closing(text, at + 2);
    const name = NAME.exec(text.slice(at + 2))?.[0];
    if (end < 0 || !name) {
      out += '${';
      i = at + 2;
      continue;
    }
    const rest = text.slice(at + 2 + name.length, end);
    const value = vars[name];
    const set = value !== undefined && value !== '';
    let result: string | undefined;
    if (rest === '') result = value ?? '';
    else if (rest.startsWith(':=') || rest.startsWith(':-') || (rest.startsWith('=') && !rest.startsWith('=='))) {
      const fallback = rest.slice(rest[0] === ':' ? 2 : 1);
      if (set) result = value;
      else {
        const inner = substitute(fallback, vars);
        error ??= inner.error;
        result = inner.text;
      }
    } else if (rest.startsWith('-')) {
      error ??= `\${${name}${rest}}: variable substitution failed: missing closing brace`;
      result = undefined;
    } else if (rest === '^^') result = (value ?? '').toUpperCase();
    else if (rest === ',,') result = (value ?? '').toLowerCase();
    else if (rest === '^') result = (value ?? '').charAt(0).toUpperCase() + (value ?? '').slice(1);
    else if (rest === ',') result = (value ?? '').charAt(0).toLowerCase() + (value ?? '').slice(1);
    if (result === undefined) {
      if (!error) error = `\${${name}${rest}}: an operator drdeck does not evaluate`;
      out += text.slice(at, end + 1);
    } else out += result;
    i = end + 1;
  }
  return error ? { text: out, error } : { text: out };
}
