/**
 * Text from the cluster, the resolver and the router, made safe to keep and to show. Done once,
 * where the data enters drdeck (src/store/feed-buffer.ts), so the checks, the screens, the JSON and
 * the table of `drdeck check` all see the same text; the screens' text helpers apply the same rule
 * again to whatever else they show (a server's error in a fix's outcome).
 *
 * The rule, everywhere:
 * - every string is capped (RECORD_LIMITS), the cut marked with `… [cut: N chars]`, so no input
 *   makes a check, a width measurement or a frame slow;
 * - tab, CR, LF and the other line breaks become one space (a record is shown on one line);
 * - every other control character (C0, DEL, C1), invisible formatting character (bidi overrides and
 *   isolates, zero-width space, BOM, soft hyphen) and lone surrogate is shown as its JavaScript
 *   escape: ESC is `\x1b`, NUL `\x00`, U+009B `\x9b`, U+202E `\u202e`. Nothing is removed, so the
 *   operator sees that something was there, and no terminal ever receives it.
 */

/** How much of the cluster's text drdeck keeps, and whether it keeps line breaks. */
export interface TextLimits {
  /** Code units kept of any string (the cut is marked). */
  maxString: number;
  /** Of a condition's `message`: Flux puts whole build errors there, and a check may need any part of one. */
  maxConditionMessage: number;
  /** Of a map key (label and annotation keys are at most 316). */
  maxKey: number;
  /** Nesting kept; deeper objects and arrays become a marker string. No check reads deeper than 6. */
  maxDepth: number;
  /** Keep LF and tab (for a view that splits lines itself); otherwise they become spaces. */
  multiline: boolean;
}

/**
 * What the store keeps of every object. Why 4 KB: every value a check judges whole (names, handles,
 * addresses, the LB-IPAM annotation, hostnames) is far shorter; a 100 KB annotation never is needed
 * whole. Why 32 KB for condition messages: it is the API's own limit (metav1.Condition), and
 * "is immutable" may sit anywhere in a Flux build error.
 */
export const RECORD_LIMITS: Readonly<TextLimits> = {
  maxString: 4096,
  maxConditionMessage: 32768,
  maxKey: 1024,
  maxDepth: 32,
  multiline: false,
};

/**
 * For a view of one whole object (the YAML view to come): read the object afresh (`cluster.get`)
 * and pass it through `sanitizeValue(object, VIEW_LIMITS)`. Bounded, multi-line, equally safe.
 */
export const VIEW_LIMITS: Readonly<TextLimits> = {
  maxString: 65536,
  maxConditionMessage: 65536,
  maxKey: 1024,
  maxDepth: 64,
  multiline: true,
};

// Controls, format characters (but the zero-width joiners that scripts and emoji need), lone
// surrogates, and the Unicode line and paragraph separators.
const UNSAFE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');
const LINE_BREAKS = /^[\t\n\v\f\r\u2028\u2029]$/;
/** Printable ASCII only: nothing to escape. Why a test of its own: it is most text, and far cheaper than UNSAFE's Unicode classes. */
const PLAIN = /^[\x20-\x7e]*$/;

function escapeChar(ch: string, multiline: boolean): string {
  if (LINE_BREAKS.test(ch)) {
    if (!multiline) return ' ';
    return ch === '\t' ? ch : '\n';
  }
  const cp = ch.codePointAt(0)!;
  const hex = cp.toString(16);
  if (cp < 0x100) return `\\x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\u{${hex}}`;
}

/** True when `text` has a character the rule above escapes (or turns into a space). */
export function hasUnsafe(text: string): boolean {
  return !PLAIN.test(text) && UNSAFE.test(text);
}

/** Escapes control and formatting characters as the rule above says; the same string when there is none. */
export function escapeControls(text: string, multiline = false): string {
  if (PLAIN.test(text) || !UNSAFE.test(text)) return text;
  // Why \r\n first in multiline: a Windows line end is one break, not two.
  const source = multiline ? text.replace(/\r\n/g, '\n') : text;
  return source.replace(UNSAFE_ALL, (ch) => escapeChar(ch, multiline));
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * `text` cut to `max` code units with the cut marked; `keep: 'tail'` keeps the end instead (a log,
 * whose error is last). Never splits a surrogate pair.
 */
export function capText(text: string, max: number, keep: 'head' | 'tail' = 'head'): string {
  if (text.length <= max) return text;
  if (keep === 'tail') {
    let start = text.length - max;
    if (isLow(text.charCodeAt(start))) start++;
    return `[cut: ${text.length} chars] … ${text.slice(start)}`;
  }
  let end = max;
  if (isHigh(text.charCodeAt(end - 1))) end--;
  return `${text.slice(0, end)} … [cut: ${text.length} chars]`;
}

/**
 * One string of cluster origin, capped then escaped. Why in that order: the cost is bounded by the
 * cap, whatever the input; the result is at most six times the cap (every character escaped).
 */
export function cleanText(text: string, max: number = RECORD_LIMITS.maxString, options: { keep?: 'head' | 'tail'; multiline?: boolean } = {}): string {
  return escapeControls(capText(text, max, options.keep), options.multiline ?? false);
}

/** Keys whose text is a log: the end is what matters. */
const TAIL_KEYS = new Set(['logs']);

/**
 * `key` is the value's key in its object; `arrayKey`, for an item of an array, that array's key
 * (so a condition's message is told from any other `message`).
 */
function walk(value: unknown, limits: TextLimits, depth: number, key: string | undefined, arrayKey: string | undefined): unknown {
  if (typeof value === 'string') return cleanText(value, limits.maxString, { keep: key && TAIL_KEYS.has(key) ? 'tail' : 'head', multiline: limits.multiline });
  if (value === null || typeof value !== 'object') return value;
  if (depth >= limits.maxDepth) return `[nested deeper than ${limits.maxDepth} levels]`;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = walk(item, limits, depth + 1, undefined, key);
      if (next !== item && !out) out = value.slice(0, i);
      out?.push(next);
    }
    return out ?? value;
  }
  return walkObject(value as Record<string, unknown>, limits, depth, arrayKey);
}

function walkObject(object: Record<string, unknown>, limits: TextLimits, depth: number, arrayKey: string | undefined): Record<string, unknown> {
  const keys = Object.keys(object);
  const isCondition = arrayKey === 'conditions';
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = object[key];
    const cleanKey = cleanText(key, limits.maxKey);
    const next =
      isCondition && key === 'message' && typeof item === 'string'
        ? cleanText(item, limits.maxConditionMessage, { multiline: limits.multiline })
        : walk(item, limits, depth + 1, key, undefined);
    if (!out && (next !== item || cleanKey !== key)) {
      out = {};
      for (const earlier of keys.slice(0, i)) define(out, earlier, object[earlier]);
    }
    if (out) define(out, cleanKey, next);
  }
  return out ?? object;
}

/** Why not `out[key] = value`: a `__proto__` key would set the copy's prototype instead. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A value of cluster origin with every string (and map key) capped and escaped, nesting bounded.
 * Copy-on-write: what needs no change is returned as it is, so a clean object costs one walk and
 * no allocation.
 */
export function sanitizeValue<T>(value: T, limits: Readonly<TextLimits> = RECORD_LIMITS): T {
  return walk(value, limits, 0, undefined, undefined) as T;
}
