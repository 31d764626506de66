/**
 * The fixed vocabulary of caller insight (issue 17). Every label is `unknown` when nothing the caller said supports
 * it; there is no label for a protected trait and none meant to manipulate. See docs/insights.md.
 */
export const LANGUAGES = ['en', 'es'] as const;
export const INTENTS = [
  'book',
  'reschedule',
  'cancel',
  'existing_appointment',
  'pricing',
  'services',
  'status',
  'documents',
  'speak_to_person',
  'complaint',
  'wrong_number',
  'other',
] as const;
export const URGENCIES = ['routine', 'soon', 'urgent'] as const;
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export const NEEDS = ['reassurance', 'price_sensitive', 'time_pressed', 'detail_oriented', 'prefers_text', 'accessibility'] as const;

export type Language = (typeof LANGUAGES)[number];
export type Intent = (typeof INTENTS)[number];
export type Urgency = (typeof URGENCIES)[number];
export type Sentiment = (typeof SENTIMENTS)[number];
export type Need = (typeof NEEDS)[number];
export type Unknown = 'unknown';

/** Which label a piece of evidence supports. */
export type EvidenceLabel = 'language' | 'intent' | 'urgency' | 'sentiment_start' | 'sentiment_end' | 'needs';

export interface Evidence {
  label: EvidenceLabel;
  /** The value this evidence supports (`cancel`, `urgent`, `price_sensitive`, …). */
  value: string;
  /** Index among the caller's turns (0 = the caller's first turn); agent turns are never counted. Null for Retell's analysis. */
  turn: number | null;
  /** Character span in that turn's text, end exclusive. */
  start: number;
  end: number;
  rule: string;
}

export interface CallInsight {
  language: Language | Unknown;
  intent: Intent | Unknown;
  urgency: Urgency | Unknown;
  sentiment: { start: Sentiment | Unknown; end: Sentiment | Unknown };
  /** At most three, in the order of `NEEDS`. */
  needs: Need[];
  evidence: Evidence[];
}

export const MAX_NEEDS = 3;
