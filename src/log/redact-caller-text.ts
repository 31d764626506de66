/**
 * Redaction of what callers say or text, before we store it or send it to a vendor (not for logs: `mask.ts` does
 * those). A tax office must not keep SSNs, ITINs, bank or card numbers that callers read out, but staff need the
 * caller's phone number and name, so those stay. One rule set for every such text: transcripts, the call's summary
 * and analysis, dynamic variables, custom-function arguments and inbound texts (`redactCallerText`, and
 * `redactCallerValues` for the strings inside a JSON value).
 *
 * Phone versus account is decided by shape: a formatted phone or `+` number is a phone; a bare 10-digit run (or a
 * spoken 10/11-digit run) is a phone only when it is a valid North American number (area code and exchange start
 * with 2–9), otherwise it is treated as an account number and removed. E-mail addresses, ISO dates and times, UUIDs
 * and identifiers glued to letters (`bk_3f…`, `call_…`) are kept as they are.
 */
import { findSensitive, replaceFindings, type SensitiveFinding } from './mask.js';

/** Spoken runs shorter than this are times, amounts and counts ("two thirty", "nineteen ninety nine"). */
const SPOKEN_DIGIT_THRESHOLD = 9;

export const SSN_PLACEHOLDER = '[SSN removed]';
export const ACCOUNT_PLACEHOLDER = '[account number removed]';
export const NUMBER_PLACEHOLDER = '[number removed]';

function isNorthAmericanPhone(digits: string): boolean {
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  return /^[2-9]\d{2}[2-9]\d{6}$/.test(national);
}

function isFormattedPhone(text: string): boolean {
  return /[+()]|%2B/i.test(text) || /\d[ .-]\d/.test(text);
}

function redactionFor(finding: SensitiveFinding): string | undefined {
  switch (finding.kind) {
    case 'email':
      return undefined;
    case 'phone':
      if (isFormattedPhone(finding.text) || isNorthAmericanPhone(finding.digits)) return undefined;
      return ACCOUNT_PLACEHOLDER;
    case 'ssn':
      return SSN_PLACEHOLDER;
    case 'card':
    case 'account':
      return ACCOUNT_PLACEHOLDER;
    case 'spoken':
      if (finding.digits.length < SPOKEN_DIGIT_THRESHOLD || isNorthAmericanPhone(finding.digits)) return undefined;
      return NUMBER_PLACEHOLDER;
  }
}

function redactedFindings(text: string): Array<{ finding: SensitiveFinding; replacement: string }> {
  return findSensitive(text).flatMap((finding) => {
    const replacement = redactionFor(finding);
    return replacement === undefined ? [] : [{ finding, replacement }];
  });
}

const NUMBER_WORD =
  /[0-9]|\b(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine|niner|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|double|triple)\b/i;

/**
 * Cheap pre-check: every redaction is of digits or number words, so a text with neither is kept without running the
 * full pattern (most analysis values, names and short notes; the webhook hot path redacts many small strings).
 */
export function mayHoldSensitiveNumber(text: string): boolean {
  return NUMBER_WORD.test(text);
}

/** Removes SSN/ITIN, bank/card numbers and long spoken digit runs; keeps phone numbers, emails and names. */
export function redactCallerText(text: string): string {
  if (!mayHoldSensitiveNumber(text)) return text;
  const redactions = redactedFindings(text);
  const replacements = new Map(redactions.map(({ finding, replacement }) => [finding, replacement]));
  return replaceFindings(
    text,
    redactions.map(({ finding }) => finding),
    (finding) => replacements.get(finding),
  );
}

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A copy of a JSON-like value with every string in it (at any depth, keys excepted) passed through
 * `redactCallerText`; numbers, booleans and other objects are kept. The walk uses its own stack, not recursion, so a
 * deeply nested body from outside cannot overflow the call stack.
 */
export function redactCallerValues<T>(value: T): T {
  if (typeof value === 'string') return redactCallerText(value) as T;
  if (!isPlainContainer(value)) return value;
  const copyOf = (source: Record<string, unknown> | unknown[]) => (Array.isArray(source) ? new Array<unknown>(source.length) : {});
  const root = copyOf(value);
  const pending: Array<[Record<string, unknown> | unknown[], Record<string, unknown>]> = [[value, root]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [source, target] = next;
    for (const [key, entry] of Object.entries(source)) {
      if (typeof entry === 'string') {
        target[key] = redactCallerText(entry);
      } else if (isPlainContainer(entry)) {
        const copy = copyOf(entry);
        target[key] = copy;
        pending.push([entry, copy]);
      } else {
        target[key] = entry;
      }
    }
  }
  return root as T;
}

export interface TranscriptWord {
  word: string;
  start?: number;
  end?: number;
  [key: string]: unknown;
}

export interface TranscriptUtterance {
  role: string;
  content: string;
  words?: TranscriptWord[];
  [key: string]: unknown;
}

const NUMBER_LIKE_WORD =
  /\d|^(zero|oh|o|one|two|three|four|five|six|seven|eight|nine|niner|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|double|triple)$/i;

/**
 * Blanks the `words` entries that fall inside a redacted span of `content`. Words are located by searching the
 * content left to right; a word that cannot be located (the speech engine tokenised differently) is blanked when
 * it is number-like, which errs on the side of removing too much.
 */
function redactWords(content: string, words: readonly TranscriptWord[], spans: readonly SensitiveFinding[]): TranscriptWord[] {
  const lowerContent = content.toLowerCase();
  let cursor = 0;
  return words.map((entry) => {
    const token = typeof entry.word === 'string' ? entry.word.trim() : '';
    if (token === '') return { ...entry };
    const at = lowerContent.indexOf(token.toLowerCase(), cursor);
    if (at < 0) {
      const bare = token.replace(/[^\p{L}\p{N}]/gu, '');
      return NUMBER_LIKE_WORD.test(bare) ? { ...entry, word: '' } : { ...entry };
    }
    cursor = at + token.length;
    const inside = spans.some((span) => at < span.end && cursor > span.start);
    return inside ? { ...entry, word: '' } : { ...entry };
  });
}

/**
 * Redacts Retell's `transcript_object` (`[{ role, content, words: [{ word, start, end }] }]`) without mutating it:
 * `content` as `redactCallerText` does, and the matching `words` blanked (timings kept so playback still aligns).
 * An utterance with nothing to remove is answered as it is (not copied): most utterances of a call have no digits
 * or number words, and the webhook's hot path builds this for every event.
 */
export function redactTranscriptObject<T extends TranscriptUtterance>(utterances: readonly T[]): T[] {
  return utterances.map((utterance) => {
    if (typeof utterance.content !== 'string' || !mayHoldSensitiveNumber(utterance.content)) return utterance;
    const redactions = redactedFindings(utterance.content);
    if (redactions.length === 0) return utterance;
    const spans = redactions.map(({ finding }) => finding);
    const replacements = new Map(redactions.map(({ finding, replacement }) => [finding, replacement]));
    // One pass: the findings already made are replaced, rather than searching the content again.
    const content = replaceFindings(utterance.content, spans, (finding) => replacements.get(finding));
    const words = Array.isArray(utterance.words) ? redactWords(utterance.content, utterance.words, spans) : utterance.words;
    return { ...utterance, content, ...(words === undefined ? {} : { words }) };
  });
}
