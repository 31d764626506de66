/**
 * What a rewrite may not change. Facts are taken from the rendered template: dates, times, phone numbers, prices,
 * URLs, the office address and the opt-out text. A candidate is acceptable only if each appears in it exactly, it
 * brings no URL or number the template did not have, and (for SMS) it needs no more segments.
 */
import { smsSegments } from '../segments.js';

const MONTHS = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre';
const WEEKDAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo';

const FACT_PATTERNS: Array<[kind: string, pattern: RegExp]> = [
  ['url', /\bhttps?:\/\/[^\s<>"')]+/gi],
  ['phone', /(?:\+\d[\d ().-]{7,}\d|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b)/g],
  ['price', /(?:[$€£]\s?\d[\d,]*(?:\.\d{2})?|\b\d[\d,]*(?:\.\d{2})?\s?(?:dollars|dólares|dolares|usd)\b)/gi],
  ['time', /\b\d{1,2}(?::\d{2})?\s?(?:[ap]\.?m\.?)(?![a-z])|\b\d{1,2}:\d{2}\b/gi],
  ['date', new RegExp(String.raw`\b(?:(?:${WEEKDAYS}),?\s+)?(?:(?:${MONTHS})\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\d{1,2}\s+de\s+(?:${MONTHS}))\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b(?:${WEEKDAYS})\b`, 'gi')],
];

export interface FactContext {
  /** Texts that must survive verbatim when the template has them: the opt-out sentence, the office address. */
  verbatim: string[];
}

export function factsOf(text: string, context: FactContext): string[] {
  const facts = new Set<string>();
  for (const [, pattern] of FACT_PATTERNS) for (const found of text.matchAll(pattern)) facts.add(found[0].trim());
  for (const phrase of context.verbatim) if (phrase && text.includes(phrase)) facts.add(phrase);
  return [...facts];
}

const NUMBER_OR_URL = /\bhttps?:\/\/[^\s<>"')]+|\d+/gi;

export type RewriteCheck = { ok: true } | { ok: false; reason: string };

export function checkRewrite(original: string, candidate: string, channel: 'sms' | 'email', context: FactContext): RewriteCheck {
  if (!candidate.trim()) return { ok: false, reason: 'the rewrite is empty' };
  for (const fact of factsOf(original, context)) {
    if (!candidate.includes(fact)) return { ok: false, reason: `the rewrite lost or changed "${fact}"` };
  }
  const known = new Set([...original.matchAll(NUMBER_OR_URL)].map((found) => found[0]));
  for (const found of candidate.matchAll(NUMBER_OR_URL)) {
    if (!known.has(found[0])) return { ok: false, reason: `the rewrite added "${found[0]}", which the template does not have` };
  }
  if (channel === 'sms' && smsSegments(candidate).segments > smsSegments(original).segments) {
    return { ok: false, reason: `the rewrite needs ${smsSegments(candidate).segments} SMS segments instead of ${smsSegments(original).segments}` };
  }
  return { ok: true };
}
