/**
 * The one PII masker: logs, alerts and error rows all pass values through `maskText` / `maskValue`, so a phone,
 * email, name or SSN-like number never leaves the process in readable form.
 *
 * Known limits (free text has no structure, so these are trade-offs, not bugs):
 * - Any bare run of 8+ digits is treated as an account/card number and keeps only its last 4 digits, so compact
 *   dates (`20260203`), epoch milliseconds inside strings and Zoho record ids inside sentences are masked too.
 *   Zoho ids under id-named fields (`id`, `lead_id`) are kept; numbers (not strings) are never masked by shape.
 * - Digits glued to letters or `_` (`call_8f3a…`, `SM1234…`, `x5125550100`) are treated as identifiers and kept.
 * - Spoken numbers are recognised only as runs of number words ("five one two", "double five", "oh", "twenty")
 *   or single digits separated by spaces/commas/dashes or the words "dash"/"hyphen"; a number split across transcript utterances or across
 *   `words` entries is not recognised, which is why `words` arrays are omitted from logs entirely.
 * - Names inside free text ("this is Dana Smith") cannot be told from other words and are not masked; only
 *   name-named fields are. Keep transcripts out of log messages where you can.
 * - Three space-separated four-digit groups ("2023 2024 2025") look like a card number and are masked.
 */

export type SensitiveKind = 'email' | 'phone' | 'ssn' | 'card' | 'account' | 'spoken';

export interface SensitiveFinding {
  kind: SensitiveKind;
  start: number;
  end: number;
  text: string;
  /** The digits the finding stands for (spoken numbers converted to digits); empty for emails. */
  digits: string;
}

export const REDACTED = '[redacted]';

const WORD_CHAR = 'A-Za-z0-9_';
const START = `(?<![${WORD_CHAR}])`;
const END = `(?![${WORD_CHAR}])`;

const UNIT_WORDS: Record<string, string> = {
  zero: '0',
  oh: '0',
  o: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  niner: '9',
};
const TEEN_WORDS: Record<string, string> = {
  ten: '10',
  eleven: '11',
  twelve: '12',
  thirteen: '13',
  fourteen: '14',
  fifteen: '15',
  sixteen: '16',
  seventeen: '17',
  eighteen: '18',
  nineteen: '19',
};
const TENS_WORDS: Record<string, string> = {
  twenty: '2',
  thirty: '3',
  forty: '4',
  fifty: '5',
  sixty: '6',
  seventy: '7',
  eighty: '8',
  ninety: '9',
};
const SCALE_WORDS: Record<string, string> = { hundred: '00', thousand: '000' };
const REPEAT_WORDS: Record<string, number> = { double: 2, triple: 3 };

const SPOKEN_TOKEN = [
  ...Object.keys(TEEN_WORDS),
  ...Object.keys(TENS_WORDS),
  ...Object.keys(SCALE_WORDS),
  ...Object.keys(REPEAT_WORDS),
  ...Object.keys(UNIT_WORDS),
]
  .sort((a, b) => b.length - a.length)
  .concat(['\\d'])
  .join('|');

const SPOKEN_GAP = '[\\s,.;:-]+(?:(?:dash|hyphen)[\\s,.;:-]+)?';

const KEEP_BRANCH =
  `(?<keep>(?<![0-9a-f-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f-])` +
  `|${START}\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:Z|[+-]\\d{2}(?::?\\d{2})?)?)?${END})`;
// `%40` / `%2B`: Twilio form bodies and query strings arrive URL-encoded.
const EMAIL_BRANCH = `(?<email>(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}(?![A-Za-z0-9-]))`;
const NUMBER_BRANCHES = [
  `(?<card>${START}(?:\\d{4}[ -]\\d{6}[ -]\\d{5}|\\d{4}(?:[ -]\\d{4}){2,3}(?:[ -]\\d{1,3})?)${END})`,
  `(?<ssn>${START}\\d{3}[ .-]\\d{2}[ .-]\\d{4}${END})`,
  `(?<phone>(?<![${WORD_CHAR}+])(?:(?:\\+|%2B)?1[ .-]?)?(?:\\(\\d{3}\\)[ .-]?|\\d{3}[ .-]?)\\d{3}[ .-]?\\d{4}${END})`,
  `(?<intl>(?<![${WORD_CHAR}+])(?:\\+|%2B)\\d{8,15}${END})`,
  `(?<digits>${START}\\d{8,}${END})`,
  // People read SSNs out in groups: "one two three, dash, four five, dash, …" is still one number.
  `(?<spoken>\\b(?:${SPOKEN_TOKEN})\\b(?:${SPOKEN_GAP}\\b(?:${SPOKEN_TOKEN})\\b)*)`,
];
// Shapes that contain digit groups but are never personal data (UUIDs, ISO dates) are matched first and kept.
const NUMBER_PATTERN = new RegExp([KEEP_BRANCH, EMAIL_BRANCH, ...NUMBER_BRANCHES].join('|'), 'gi');
/**
 * The same without the e-mail branch, for text with no `@` or `%40` (where it cannot match). The e-mail branch
 * is tried at every letter, so leaving it out halves the scan of a call transcript.
 */
const NUMBER_PATTERN_NO_EMAIL = new RegExp([KEEP_BRANCH, ...NUMBER_BRANCHES].join('|'), 'gi');
const MAY_HOLD_EMAIL = /@|%40/i;

/** Converts a run of number words ("five double five oh one") to the digits it most likely stands for. */
export function spokenDigits(run: string): string {
  const tokens = run
    .toLowerCase()
    .split(/[\s,.;:-]+/)
    .filter((token) => token !== 'dash' && token !== 'hyphen')
    .filter(Boolean);
  let digits = '';
  let repeat = 1;
  tokens.forEach((token, index) => {
    const unit = UNIT_WORDS[token] ?? (/^\d$/.test(token) ? token : undefined);
    if (unit !== undefined) {
      digits += unit.repeat(repeat);
      repeat = 1;
      return;
    }
    repeat = 1;
    const repeatCount = REPEAT_WORDS[token];
    if (repeatCount !== undefined) {
      repeat = repeatCount;
      return;
    }
    const teen = TEEN_WORDS[token];
    if (teen !== undefined) {
      digits += teen;
      return;
    }
    const tens = TENS_WORDS[token];
    if (tens !== undefined) {
      const next = tokens[index + 1];
      const nextIsUnit = next !== undefined && next in UNIT_WORDS && UNIT_WORDS[next] !== '0';
      digits += nextIsUnit ? tens : `${tens}0`;
      return;
    }
    const scale = SCALE_WORDS[token];
    if (scale !== undefined) {
      digits += digits === '' ? `1${scale}` : scale;
    }
  });
  return digits;
}

function kindOf(groups: Record<string, string | undefined>, text: string): SensitiveKind | undefined {
  if (groups.email !== undefined) return 'email';
  if (groups.card !== undefined) return 'card';
  if (groups.ssn !== undefined) return 'ssn';
  if (groups.phone !== undefined || groups.intl !== undefined) return 'phone';
  if (groups.spoken !== undefined) return 'spoken';
  if (groups.digits !== undefined) {
    if (text.length === 9) return 'ssn';
    if (text.length === 10 || (text.length === 11 && text.startsWith('1'))) return 'phone';
    return 'account';
  }
  return undefined;
}

/**
 * Every email, phone, SSN/ITIN, card/account and spoken-number shape in `text`, in order.
 * Spoken runs are reported whatever their length; callers decide the threshold from `digits.length`.
 */
export function findSensitive(text: string): SensitiveFinding[] {
  const findings: SensitiveFinding[] = [];
  for (const match of text.matchAll(MAY_HOLD_EMAIL.test(text) ? NUMBER_PATTERN : NUMBER_PATTERN_NO_EMAIL)) {
    const groups = match.groups ?? {};
    const kind = kindOf(groups, match[0]);
    if (kind === undefined) continue;
    const start = match.index;
    const digits = kind === 'email' ? '' : kind === 'spoken' ? spokenDigits(match[0]) : match[0].replace(/\D/g, '');
    findings.push({
      kind,
      start,
      end: start + match[0].length,
      text: match[0],
      digits,
    });
  }
  return findings;
}

/** Rebuilds `text` with each finding replaced by `replace(finding)`; `undefined` keeps the original text. */
export function replaceFindings(text: string, findings: readonly SensitiveFinding[], replace: (finding: SensitiveFinding) => string | undefined): string {
  let result = '';
  let cursor = 0;
  for (const finding of findings) {
    const replacement = replace(finding);
    if (replacement === undefined) continue;
    result += text.slice(cursor, finding.start) + replacement;
    cursor = finding.end;
  }
  return cursor === 0 ? text : result + text.slice(cursor);
}

export function maskEmail(email: string): string {
  const decoded = email.replace(/%40/i, '@');
  const at = decoded.indexOf('@');
  if (at < 0) return REDACTED;
  const first = decoded[0] === '%' ? '' : (decoded[0] ?? '');
  const topLevel = decoded.slice(decoded.lastIndexOf('.') + 1);
  return `${first}***@***.${topLevel}`;
}

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length >= 4 ? `***-***-${digits.slice(-4)}` : REDACTED;
}

/** Minimum spoken digits ("five one two …") masked in logs; fewer are ordinary counts and times. */
const SPOKEN_LOG_THRESHOLD = 7;

function maskFinding(finding: SensitiveFinding): string | undefined {
  switch (finding.kind) {
    case 'email':
      return maskEmail(finding.text);
    case 'phone':
      return maskPhone(finding.digits);
    case 'ssn':
      return '***-**-****';
    case 'card':
    case 'account':
      return `****${finding.digits.slice(-4)}`;
    case 'spoken':
      return finding.digits.length >= SPOKEN_LOG_THRESHOLD ? '[number]' : undefined;
  }
}

/** Masks phones, emails, SSN/ITIN, card/account and spoken-number runs inside free text. */
export function maskText(text: string): string {
  if (text.length === 0) return text;
  return replaceFindings(text, findSensitive(text), maskFinding);
}

export type KeyClass = 'secret' | 'personal' | 'phone' | 'phoneIfShaped' | 'email' | 'identifier' | 'words';

/**
 * Field-name rules, matched against the key normalised to snake_case (`firstName` → `first_name`,
 * `X-Retell-Signature` → `x_retell_signature`). Checked in order; the first class that matches wins.
 * Exported so alerts and error rows classify fields exactly as the logs do.
 */
export const sensitiveKeyPatterns: ReadonlyArray<{
  keyClass: KeyClass;
  pattern: RegExp;
}> = [
  { keyClass: 'email', pattern: /(^|_)e_?mails?(_|$)|^reply_to$/ },
  {
    keyClass: 'secret',
    pattern:
      /(^|_)(password|passwd|passphrase|secret|token|api_?key|secret_key|private_key|encryption_key|authorization|auth|cookies?|signature|credentials?|session_id|otp)$/,
  },
  {
    keyClass: 'phone',
    pattern:
      /(^|_)(phones?|phone_number|telephone|tel|mobile|cell|fax|from_number|to_number|caller_number|callback_number|contact_number|e164)$|(^|_)phone(_|$)/,
  },
  {
    keyClass: 'phoneIfShaped',
    pattern: /^(to|from|caller|called|caller_id|number|forwarded_from)$/,
  },
  {
    keyClass: 'personal',
    pattern:
      /^(names?|first_?name|last_?name|middle_name|full_?name|given_name|family_name|surname|maiden_name|nickname|preferred_name|display_name|user_?name)$|(^|_)(customer|caller|contact|patient|recipient|sender|lead|spouse|dependent|taxpayer|person|holder|cardholder|guest|user|member)_name$/,
  },
  {
    keyClass: 'personal',
    pattern: /^(?!.*(^|_)(ip|remote|local|mac|server|bind|listen|host|url)_address$).*((^|_)address(_?line)?(_?\d)?|(^|_)street(_\w+)?)$/,
  },
  {
    keyClass: 'personal',
    pattern: /(^|_)(dob|date_of_birth|birth_?date|birthday)$/,
  },
  {
    keyClass: 'personal',
    pattern:
      /(^|_)(ssn|itin)(_|$)|(^|_)(tin|ein|tax_id|taxpayer_id|social|social_security(_number)?|drivers?_license(_number)?|license_number|passport(_number)?|national_id|account_number|account_no|acct(_number)?|routing_number|aba|iban|bank_account|card_number|cc_number|card|cvv|cvc|pin)$/,
  },
  { keyClass: 'identifier', pattern: /(^|_)(id|ids|sid|uuid)$/ },
  { keyClass: 'words', pattern: /^words$/ },
];

export function normalizeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/**
 * A key's class is a function of the key alone, and the same few keys come with every log line (Fastify's per-request
 * child logger masks `reqId` on every request), so each key is classified once (bounded).
 */
const keyClasses = new Map<string, KeyClass | null>();

export function classifyKey(key: string): KeyClass | undefined {
  let keyClass = keyClasses.get(key);
  if (keyClass === undefined) {
    const normalized = normalizeKey(key);
    keyClass = sensitiveKeyPatterns.find(({ pattern }) => pattern.test(normalized))?.keyClass ?? null;
    if (keyClasses.size >= 5_000) keyClasses.clear();
    keyClasses.set(key, keyClass);
  }
  return keyClass ?? undefined;
}

export interface MaskOptions {
  /** Nesting beyond this depth becomes `[Truncated]`. */
  maxDepth?: number;
  /** Array items beyond this count are summarised. */
  maxArrayLength?: number;
}

interface MaskState {
  maxDepth: number;
  maxArrayLength: number;
  ancestors: WeakSet<object>;
}

/** Deep-masks any JSON-ish value without mutating it: strings by shape, fields by name (see `sensitiveKeyPatterns`). */
export function maskValue(value: unknown, options: MaskOptions = {}): unknown {
  return maskAny(value, 0, newState(options));
}

/** Masks `value` as the value of a field called `key` (the same rules `maskValue` applies to nested fields). */
export function maskField(key: string, value: unknown, options: MaskOptions = {}): unknown {
  return maskKeyed(key, value, 0, newState(options));
}

function newState(options: MaskOptions): MaskState {
  return {
    maxDepth: options.maxDepth ?? 10,
    maxArrayLength: options.maxArrayLength ?? 1000,
    ancestors: new WeakSet(),
  };
}

function maskKeyed(key: string, value: unknown, depth: number, state: MaskState): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  const keyClass = classifyKey(key);
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint';
  switch (keyClass) {
    case 'secret':
      return value === '' ? value : REDACTED;
    case 'personal':
      if (value === '') return value;
      // Retell function calls log `{ name: "book_appointment" }`: a snake_case identifier is never a person.
      if (typeof value === 'string' && normalizeKey(key) === 'name' && /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(value)) {
        return value;
      }
      return REDACTED;
    case 'phone':
      if (scalar) return String(value).includes('@') ? maskText(String(value)) : maskPhone(String(value));
      break;
    case 'phoneIfShaped':
      if (scalar && looksLikePhone(String(value))) return maskPhone(String(value));
      break;
    case 'email':
      if (typeof value === 'string') return value.includes('@') ? maskEmail(value) : maskText(value);
      break;
    case 'identifier':
      if (typeof value === 'string' && isOpaqueIdentifier(value)) return value;
      break;
    case 'words':
      if (Array.isArray(value)) return `[${value.length} words omitted]`;
      break;
    case undefined:
      break;
  }
  return maskAny(value, depth, state);
}

function looksLikePhone(value: string): boolean {
  const digitCount = value.replace(/\D/g, '').length;
  const isDate = /^\d{4}-\d{2}-\d{2}/.test(value);
  return !isDate && /^[\s\d()+.-]+$/.test(value) && digitCount >= 7 && digitCount <= 15;
}

/** Vendor record ids (`call_8f3a…`, Zoho's 19-digit ids) are not personal data even when all digits. */
function isOpaqueIdentifier(value: string): boolean {
  return /^[A-Za-z0-9_.:-]{1,128}$/.test(value) && (/[A-Za-z]/.test(value) || /^\d{18,}$/.test(value));
}

function maskAny(value: unknown, depth: number, state: MaskState): unknown {
  switch (typeof value) {
    case 'string':
      return maskText(value);
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return value;
    case 'symbol':
      return value.toString();
    case 'function':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (depth >= state.maxDepth) return '[Truncated]';
  if (state.ancestors.has(object)) return '[Circular]';
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return `[Binary ${object.byteLength} bytes]`;
  if (object instanceof RegExp) return object.toString();
  state.ancestors.add(object);
  try {
    return maskObject(object, depth, state);
  } finally {
    state.ancestors.delete(object);
  }
}

function maskObject(object: object, depth: number, state: MaskState): unknown {
  if (object instanceof Error) return maskError(object, depth, state);
  if (Array.isArray(object)) return maskArray(object, depth, state);
  if (object instanceof Set) return maskArray([...object], depth, state);
  if (object instanceof Map) {
    const result: Record<string, unknown> = {};
    for (const [key, entry] of object) result[String(key)] = maskKeyed(String(key), entry, depth + 1, state);
    return result;
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    return maskAny(toJSON.call(object), depth + 1, state);
  }
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(object)) {
    result[key] = maskKeyed(key, entry, depth + 1, state);
  }
  return result;
}

function maskArray(items: readonly unknown[], depth: number, state: MaskState): unknown[] {
  const kept = items.slice(0, state.maxArrayLength).map((item) => maskAny(item, depth + 1, state));
  if (items.length > state.maxArrayLength) kept.push(`[${items.length - state.maxArrayLength} more items]`);
  return kept;
}

function maskError(error: Error, depth: number, state: MaskState): Record<string, unknown> {
  const result: Record<string, unknown> = {
    type: error.name || error.constructor.name,
    message: maskText(error.message),
  };
  if (error.stack !== undefined) result.stack = maskText(error.stack);
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) result.code = maskAny(code, depth + 1, state);
  for (const [key, entry] of Object.entries(error)) {
    if (Object.hasOwn(result, key) || key === 'name') continue;
    result[key] = maskKeyed(key, entry, depth + 1, state);
  }
  if (error.cause !== undefined && !('cause' in result)) result.cause = maskAny(error.cause, depth + 1, state);
  if (error instanceof AggregateError && !('errors' in result)) {
    result.errors = maskAny(error.errors, depth + 1, state);
  }
  return result;
}
