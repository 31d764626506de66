/**
 * The fixed vocabulary of caller insight (issue 17; the lists themselves are in shared/insight-labels.ts, which the
 * dashboard reads too) and the shape of an insight with its evidence. See docs/insights.md.
 */
import { INTENTS, LANGUAGES, NEEDS, SENTIMENTS, URGENCIES } from '../shared/insight-labels.js';

export { INTENTS, LANGUAGES, MAX_NEEDS, NEEDS, SENTIMENTS, URGENCIES } from '../shared/insight-labels.js';

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
