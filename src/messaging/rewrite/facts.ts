/**
 * What a rewrite may not change. Facts are taken from the rendered template: dates, times, phone numbers, prices,
 * URLs, the office address and the opt-out text. A candidate is acceptable only if each appears in it exactly and as
 * often, every date-and-time run ("Tue 3/3 10:00 AM", "Tuesday, March 10 at 2:30 PM") survives whole (so two slots
 * cannot swap their times while every single token survives), it brings no URL or number the template did not have,
 * and (for SMS) it needs no more segments.
 */
import { smsSegments } from '../segments.js';

const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre';
const WEEKDAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo';

const WEEKDAY_ABBREVIATIONS = 'mon|tues?|wed|thu(?:rs?)?|fri|sat|sun|lun|mar|mi[ée]|jue|vie|s[áa]b|dom';
const DAY_PREFIX = String.raw`(?:(?:${WEEKDAYS}|${WEEKDAY_ABBREVIATIONS})\.?,?\s+)`;

const FACT_PATTERNS: Array<[kind: string, pattern: RegExp]> = [
  ['url', /\bhttps?:\/\/[^\s<>"')]+/gi],
  ['phone', /(?:\+\d[\d ().-]{7,}\d|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b)/g],
  ['price', /(?:[$€£]\s?\d[\d,]*(?:\.\d{2})?|\b\d[\d,]*(?:\.\d{2})?\s?(?:dollars|dólares|dolares|usd)\b)/gi],
  // "a.m." keeps its dots; a sentence's full stop after "AM" is not part of the time.
  ['time', /\b\d{1,2}(?::\d{2})?\s?(?:[ap]\.m\.|[ap]m)(?![a-z])|\b\d{1,2}:\d{2}\b/gi],
  [
    'date',
    new RegExp(
      String.raw`\b${DAY_PREFIX}?(?:(?:${MONTHS})\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\d{1,2}\s+de\s+(?:${MONTHS})|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)\b|\b(?:${WEEKDAYS})\b`,
      'gi',
    ),
  ],
];

export interface FactContext {
  /** Texts that must survive verbatim when the template has them: the opt-out sentence, the office address. */
  verbatim: string[];
}

export function factsOf(text: string, context: FactContext): string[] {
  return [...factKinds(text, context).keys()];
}

/** What may stand between a date and a time of one run: spaces, commas, "at", "a las". */
const RUN_GAP = /^[\s,]*(?:at|a\s+las?|@)?[\s,]*$/i;

/** Each fact with its kind (`date`, `phone`, `date_time`, `verbatim`, …): logs name the kind, never the fact. */
function factKinds(text: string, context: FactContext): Map<string, string> {
  const facts = new Map<string, string>();
  const moments: Array<{ start: number; end: number }> = [];
  for (const [kind, pattern] of FACT_PATTERNS) {
    for (const found of text.matchAll(pattern)) {
      const fact = found[0].trim();
      if (!facts.has(fact)) facts.set(fact, kind);
      if (kind === 'date' || kind === 'time') moments.push({ start: found.index, end: found.index + found[0].length });
    }
  }
  for (const run of runsOf(text, moments)) if (!facts.has(run)) facts.set(run, 'date_time');
  for (const phrase of context.verbatim) if (phrase && text.includes(phrase) && !facts.has(phrase)) facts.set(phrase, 'verbatim');
  return facts;
}

/** Dates and times next to each other ("Tue 3/3 10:00 AM, Wed 3/4 9:30 AM"), as one text. */
function runsOf(text: string, moments: Array<{ start: number; end: number }>): string[] {
  const sorted = moments.sort((a, b) => a.start - b.start);
  const runs: string[] = [];
  let current: { start: number; end: number; parts: number } | undefined;
  for (const moment of sorted) {
    if (current && moment.start >= current.end && RUN_GAP.test(text.slice(current.end, moment.start))) {
      current.end = Math.max(current.end, moment.end);
      current.parts += 1;
      continue;
    }
    if (current && moment.start < current.end) continue;
    if (current && current.parts > 1) runs.push(text.slice(current.start, current.end).trim());
    current = { ...moment, parts: 1 };
  }
  if (current && current.parts > 1) runs.push(text.slice(current.start, current.end).trim());
  return runs;
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

const NUMBER_OR_URL = /\bhttps?:\/\/[^\s<>"')]+|\d+/gi;

/**
 * `reason` is for staff (it quotes the fact, which is in the message anyway); `code` is for logs and metrics
 * (`lost_time`, `added_number`, `segments`, `empty`), with no text of the message.
 */
export type RewriteCheck = { ok: true } | { ok: false; reason: string; code: string };

export function checkRewrite(original: string, candidate: string, channel: 'sms' | 'email', context: FactContext): RewriteCheck {
  if (!candidate.trim()) return { ok: false, reason: 'the rewrite is empty', code: 'empty' };
  for (const [fact, kind] of factKinds(original, context)) {
    if (occurrences(candidate, fact) < occurrences(original, fact)) return { ok: false, reason: `the rewrite lost or changed "${fact}"`, code: `lost_${kind}` };
  }
  const known = new Set([...original.matchAll(NUMBER_OR_URL)].map((found) => found[0]));
  for (const found of candidate.matchAll(NUMBER_OR_URL)) {
    if (!known.has(found[0])) {
      return {
        ok: false,
        reason: `the rewrite added "${found[0]}", which the template does not have`,
        code: /^http/i.test(found[0]) ? 'added_url' : 'added_number',
      };
    }
  }
  if (channel === 'sms' && smsSegments(candidate).segments > smsSegments(original).segments) {
    return {
      ok: false,
      reason: `the rewrite needs ${smsSegments(candidate).segments} SMS segments instead of ${smsSegments(original).segments}`,
      code: 'segments',
    };
  }
  return { ok: true };
}
