/**
 * Redaction for transcripts we store (not for logs): a tax office must not keep SSNs, ITINs, bank or card numbers
 * that callers read out, but staff need the caller's phone number and name, so those stay.
 *
 * Phone versus account is decided by shape: a formatted phone or `+` number is a phone; a bare 10-digit run (or a
 * spoken 10/11-digit run) is a phone only when it is a valid North American number (area code and exchange start
 * with 2–9), otherwise it is treated as an account number and removed.
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

/** Removes SSN/ITIN, bank/card numbers and long spoken digit runs; keeps phone numbers, emails and names. */
export function redactTranscript(text: string): string {
  const redactions = redactedFindings(text);
  const replacements = new Map(redactions.map(({ finding, replacement }) => [finding, replacement]));
  return replaceFindings(
    text,
    redactions.map(({ finding }) => finding),
    (finding) => replacements.get(finding),
  );
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
function redactWords(
  content: string,
  words: readonly TranscriptWord[],
  spans: readonly SensitiveFinding[],
): TranscriptWord[] {
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
 * `content` as `redactTranscript` does, and the matching `words` blanked (timings kept so playback still aligns).
 */
export function redactTranscriptObject<T extends TranscriptUtterance>(utterances: readonly T[]): T[] {
  return utterances.map((utterance) => {
    if (typeof utterance.content !== 'string') return { ...utterance };
    const redactions = redactedFindings(utterance.content);
    if (redactions.length === 0) return { ...utterance };
    const spans = redactions.map(({ finding }) => finding);
    const content = redactTranscript(utterance.content);
    const words = Array.isArray(utterance.words)
      ? redactWords(utterance.content, utterance.words, spans)
      : utterance.words;
    return { ...utterance, content, ...(words === undefined ? {} : { words }) };
  });
}
