/**
 * Caller insight for one call (issue 17): deterministic rules over the caller's own turns, each label explained by
 * the words that produced it (caller turn, span, rule id). Agent lines never reach a rule (`caller-turns.ts`); a
 * match preceded by a negation, inside a condition, or about someone else is dropped (`text.ts`). Retell's own
 * analysis is extra evidence only: its intent is taken when our rules found none, its sentiment only corroborates.
 */
import { callerTurns, type TranscriptSource } from './caller-turns.js';
import { INTENTS, MAX_NEEDS, NEEDS, type CallInsight, type Evidence, type EvidenceLabel, type Intent, type Need, type Sentiment } from './labels.js';
import { detectLanguage } from './language.js';
import type { Rule } from './rule.js';
import { INTENT_RULES } from './rules-intent.js';
import { NEED_RULES, SENTIMENT_RULES, URGENCY_RULES } from './rules-signals.js';
import { clauseStart, fold, isAboutOthers, isHypothetical, isNegated } from './text.js';

/** Stored with every row of `call_insights`: which rule set labelled it. Bump when a rule changes. */
export const RULES_VERSION = '2026-12-04.1';

export const ALL_RULES: readonly Rule[] = [...INTENT_RULES, ...URGENCY_RULES, ...SENTIMENT_RULES, ...NEED_RULES];
export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(ALL_RULES.map((entry) => [entry.id, entry]));

/** When a call asks for several things, the more specific request is the call's intent. */
export const INTENT_PRECEDENCE: readonly Intent[] = [
  'reschedule',
  'cancel',
  'complaint',
  'wrong_number',
  'status',
  'existing_appointment',
  'speak_to_person',
  'book',
  'documents',
  'pricing',
  'services',
  'other',
];

/** A caller turn of at least this many words with no rule matched still states a purpose: `other`. */
const WORDS_FOR_OTHER = 5;

interface Match {
  rule: Rule;
  turn: number;
  start: number;
  end: number;
}

export interface ClassifiableCall extends TranscriptSource {
  call_analysis?: { user_sentiment?: unknown; custom_analysis_data?: unknown } | null;
}

/** Turns are joined into one folded text (one regex pass per rule, not one per turn); the separator ends a clause. */
const SEPARATOR = '\n.\n';

function findMatches(rules: readonly Rule[], original: string[], folded: string[]): Match[] {
  const joined = folded.join(SEPARATOR);
  const joinedOriginal = original.join(SEPARATOR);
  const offsets: number[] = [];
  let offset = 0;
  for (const text of folded) {
    offsets.push(offset);
    offset += text.length + SEPARATOR.length;
  }
  const turnAt = (index: number): number => {
    let low = 0;
    let high = offsets.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (offsets[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const matches: Match[] = [];
  for (const entry of rules) {
    for (const found of joined.matchAll(entry.pattern)) {
      const start = found.index;
      const end = start + found[0].length;
      if (end === start) continue;
      const turn = turnAt(start);
      const base = offsets[turn]!;
      if (end > base + folded[turn]!.length) continue;
      const clause = clauseStart(joined, start, base);
      if (entry.negatable && isNegated(joined, clause, start)) continue;
      if (entry.conditional && isHypothetical(joinedOriginal, joined, clause, start)) continue;
      if (entry.selfOnly && isAboutOthers(joined, clause, start, end)) continue;
      matches.push({ rule: entry, turn, start: start - base, end: end - base });
    }
  }
  return matches;
}

function evidenceOf(label: EvidenceLabel, match: Match): Evidence {
  return { label, value: match.rule.value, turn: match.turn, start: match.start, end: match.end, rule: match.rule.id };
}

function byPosition(a: Match, b: Match): number {
  return a.turn - b.turn || a.start - b.start;
}

function chooseIntent(matches: Match[], urgent: Match[], folded: string[], call: ClassifiableCall): { intent: Intent | 'unknown'; evidence: Evidence[] } {
  const strong = matches.filter((match) => match.rule.weight >= 1);
  const pool = strong.length > 0 ? strong : matches;
  for (const intent of INTENT_PRECEDENCE) {
    const supporting = pool.filter((match) => match.rule.value === intent).sort(byPosition);
    if (supporting.length > 0) return { intent, evidence: supporting.slice(0, 3).map((match) => evidenceOf('intent', match)) };
  }
  // "The IRS froze my bank account": an emergency stated with no other request is a request to be seen.
  if (urgent.length > 0) {
    const first = [...urgent].sort(byPosition)[0]!;
    return { intent: 'book', evidence: [{ ...evidenceOf('intent', first), value: 'book' }] };
  }
  const retellIntent = (call.call_analysis?.custom_analysis_data as { intent?: unknown } | undefined)?.intent;
  const spoke = folded.some((text) => text.trim().length > 0);
  if (spoke && typeof retellIntent === 'string' && (INTENTS as readonly string[]).includes(retellIntent)) {
    return {
      intent: retellIntent as Intent,
      evidence: [{ label: 'intent', value: retellIntent, turn: null, start: 0, end: 0, rule: 'retell.custom_analysis.intent' }],
    };
  }
  let longest = -1;
  let words = 0;
  folded.forEach((text, turn) => {
    const count = text.split(/\s+/).filter((word) => /[a-z]/.test(word)).length;
    if (count > words) [longest, words] = [turn, count];
  });
  if (words >= WORDS_FOR_OTHER) {
    return {
      intent: 'other',
      evidence: [{ label: 'intent', value: 'other', turn: longest, start: 0, end: folded[longest]!.length, rule: 'intent.other.unmatched_request' }],
    };
  }
  return { intent: 'unknown', evidence: [] };
}

function sentimentWindow(matches: Match[], turns: number[], mode: 'start' | 'end'): { value: Sentiment; match?: Match } {
  const inWindow = matches.filter((match) => turns.includes(match.turn)).sort(byPosition);
  if (mode === 'start') {
    const negative = inWindow.find((match) => match.rule.value === 'negative');
    if (negative) return { value: 'negative', match: negative };
    const positive = inWindow.find((match) => match.rule.value === 'positive');
    return positive ? { value: 'positive', match: positive } : { value: 'neutral' };
  }
  const last = inWindow.at(-1);
  return last ? { value: last.rule.value as Sentiment, match: last } : { value: 'neutral' };
}

const RETELL_SENTIMENT: Record<string, Sentiment> = { Negative: 'negative', Positive: 'positive', Neutral: 'neutral' };

export function classifyCall(call: ClassifiableCall): CallInsight {
  const original = callerTurns(call);
  const folded = original.map(fold);
  const evidence: Evidence[] = [];
  const language = detectLanguage(folded, original);
  evidence.push(...language.evidence);

  const matches = findMatches(ALL_RULES, original, folded);
  const of = (label: Rule['label']) => matches.filter((match) => match.rule.label === label);

  const urgencyMatches = of('urgency');
  const intent = chooseIntent(
    of('intent'),
    urgencyMatches.filter((match) => match.rule.value === 'urgent'),
    folded,
    call,
  );
  evidence.push(...intent.evidence);

  const spoken = folded
    .map((text, turn) => ({ text, turn }))
    .filter(({ text }) => /[\p{L}\p{N}]/u.test(text))
    .map(({ turn }) => turn);
  let urgency: CallInsight['urgency'] = 'unknown';
  for (const level of ['urgent', 'soon'] as const) {
    const supporting = urgencyMatches.filter((match) => match.rule.value === level).sort(byPosition);
    if (supporting.length > 0 && urgency === 'unknown') {
      urgency = level;
      evidence.push(...supporting.slice(0, 3).map((match) => evidenceOf('urgency', match)));
    }
  }
  if (urgency === 'unknown' && intent.intent !== 'unknown' && intent.intent !== 'wrong_number') urgency = 'routine';

  const sentiment: CallInsight['sentiment'] = { start: 'unknown', end: 'unknown' };
  if (spoken.length > 0) {
    const startSize = Math.min(2, Math.ceil(spoken.length / 2));
    const endSize = spoken.length === 1 ? 1 : Math.min(2, Math.floor(spoken.length / 2));
    const start = sentimentWindow(of('sentiment'), spoken.slice(0, startSize), 'start');
    const end = sentimentWindow(of('sentiment'), spoken.slice(-endSize), 'end');
    sentiment.start = start.value;
    sentiment.end = end.value;
    if (start.match) evidence.push(evidenceOf('sentiment_start', start.match));
    if (end.match) evidence.push(evidenceOf('sentiment_end', end.match));
    const retell = RETELL_SENTIMENT[String(call.call_analysis?.user_sentiment)];
    if (retell && retell === end.value) evidence.push({ label: 'sentiment_end', value: retell, turn: null, start: 0, end: 0, rule: 'retell.user_sentiment' });
  }

  const needMatches = of('needs');
  const needs = NEEDS.map((need) => ({ need, found: needMatches.filter((match) => match.rule.value === need).sort(byPosition) }))
    .filter(({ found }) => found.length > 0)
    .sort((a, b) => b.found.length - a.found.length || NEEDS.indexOf(a.need) - NEEDS.indexOf(b.need))
    .slice(0, MAX_NEEDS);
  for (const { found } of needs) evidence.push(...found.slice(0, 2).map((match) => evidenceOf('needs', match)));
  const chosen: Need[] = NEEDS.filter((need) => needs.some((entry) => entry.need === need));

  return { language: language.language, intent: intent.intent, urgency, sentiment, needs: chosen, evidence };
}
