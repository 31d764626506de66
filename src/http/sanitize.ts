/**
 * What the HTTP edge lets through: strings and keys without NUL characters or lone UTF-16 surrogates, and bodies
 * no deeper than `MAX_NESTING`. PostgreSQL refuses NUL in `text` and `jsonb` ("invalid byte sequence",
 * "unsupported Unicode escape sequence") and lone surrogates in `jsonb`, and `JSON.stringify` overflows the stack
 * a few thousand levels down; a request accepted with either would fail later (a 500, or an event failing in the
 * worker until it is dead). The characters are stripped rather than refused, so a transcript or a text message
 * that carries a stray one is still kept.
 */
import { parse as parseQueryString } from 'node:querystring';

/** Levels of objects and arrays a body may have. Retell's deepest payload has 5; a dashboard body has 2. */
export const MAX_NESTING = 64;

export const NESTING_PROBLEM = `The body nests objects and arrays more than ${MAX_NESTING} levels deep; no request here needs that many.`;

// eslint-disable-next-line no-control-regex -- NUL is matched on purpose: PostgreSQL text and jsonb cannot store it
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** JSON escapes of NUL or of a surrogate (paired or not: only a look at the string tells). */
const ESCAPED_SUSPECT = /\\u(?:0000|[dD][89a-fA-F])/;

/** The string without NUL characters and lone surrogates (a valid pair, e.g. an emoji, stays). */
export function storable(text: string): string {
  return text.includes('\u0000') || !text.isWellFormed() ? text.replace(UNSTORABLE, '') : text;
}

export type Cleaned = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * The parsed body of `text`, cleaned in place. Cheap for the usual body: a NUL or a lone surrogate can only be in
 * JSON text as a `\u` escape (JSON.parse refuses raw control characters, and UTF-8 decoding never yields a lone
 * surrogate), and a body with fewer than `MAX_NESTING` opening brackets cannot nest deeper, so most bodies are
 * never walked. A 53 KB Retell transcript is walked for its depth only.
 */
export function cleanJsonBody(text: string, value: unknown): Cleaned {
  if (value === null || typeof value !== 'object') {
    return { ok: true, value: typeof value === 'string' ? storable(value) : value };
  }
  const strings = text.includes('\\u') && ESCAPED_SUSPECT.test(text);
  if (!strings && !mayNestDeeperThan(text, MAX_NESTING)) return { ok: true, value };
  const within = strings ? cleanWithin(value, MAX_NESTING) : nestsWithin(value, MAX_NESTING);
  return within ? { ok: true, value } : { ok: false, problem: NESTING_PROBLEM };
}

/** A form body (`application/x-www-form-urlencoded`) as sent: each key once, repeated keys as arrays. */
export function parseForm(text: string): Record<string, string | string[]> {
  return parseQueryString(text) as Record<string, string | string[]>;
}

/** A parsed form with storable keys and values; the same object when nothing needed cleaning. */
export function cleanForm(params: Record<string, string | string[]>): Record<string, string | string[]> {
  const entries = Object.entries(params);
  const clean = (value: string | string[]) => (Array.isArray(value) ? value.map(storable) : storable(value));
  const dirty = entries.some(
    ([key, value]) => storable(key) !== key || (Array.isArray(value) ? value.some((item) => storable(item) !== item) : storable(value) !== value),
  );
  if (!dirty) return params;
  const cleaned: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of entries) cleaned[storable(key)] = clean(value);
  return cleaned;
}

/** An upper bound of the nesting: the number of opening brackets, counted only up to the limit. */
function mayNestDeeperThan(text: string, limit: number): boolean {
  let count = 0;
  for (let at = text.indexOf('{'); at !== -1; at = text.indexOf('{', at + 1)) if (++count > limit) return true;
  for (let at = text.indexOf('['); at !== -1; at = text.indexOf('[', at + 1)) if (++count > limit) return true;
  return false;
}

/** Whether `node` (an object or array, itself one level) nests at most `levels` deep. Recursion stops at the limit. */
function nestsWithin(node: object, levels: number): boolean {
  if (levels === 0) return false;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (item !== null && typeof item === 'object' && !nestsWithin(item, levels - 1)) return false;
    }
    return true;
  }
  for (const key in node) {
    const item: unknown = (node as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object' && !nestsWithin(item, levels - 1)) return false;
  }
  return true;
}

/** `nestsWithin`, cleaning every string and key on the way. */
function cleanWithin(node: object, levels: number): boolean {
  if (levels === 0) return false;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (typeof item === 'string') node[i] = storable(item);
      else if (item !== null && typeof item === 'object' && !cleanWithin(item, levels - 1)) return false;
    }
    return true;
  }
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item !== null && typeof item === 'object' && !cleanWithin(item, levels - 1)) return false;
    const value = typeof item === 'string' ? storable(item) : item;
    const cleanKey = storable(key);
    if (cleanKey !== key) delete record[key];
    // defineProperty, not assignment: a key that becomes "__proto__" must stay a plain property.
    if (cleanKey !== key || value !== item) Object.defineProperty(record, cleanKey, { value, writable: true, enumerable: true, configurable: true });
  }
  return true;
}
