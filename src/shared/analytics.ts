/**
 * What the analytics API answers (src/analytics/figures.ts builds it; web/src/screens/Analytics.tsx shows it): one
 * office's summary and a series over time. Files in src/shared import nothing, so both builds can include them.
 */

/** A call's sentiment as analytics counts it: Retell's `user_sentiment`, `unknown` when it gave none. */
export const CALL_SENTIMENTS = ['positive', 'neutral', 'negative', 'unknown'] as const;
export type CallSentiment = (typeof CALL_SENTIMENTS)[number];

/** One office's figures for a range of its local days. */
export interface OfficeSummary {
  client: string;
  name: string;
  zone: string;
  from: string;
  to: string;
  calls: {
    total: number;
    conversations: number;
    abandoned: number;
    voicemail: number;
    afterHours: number;
    afterHoursShare: number | null;
    firstTime: number;
    returning: number;
    transfers: number;
    averageDurationMs: number | null;
    p90DurationMs: number | null;
  };
  funnel: {
    steps: Array<{ key: string; label: string; count: number; rateFromPrevious: number | null }>;
    unknown: number;
    upcoming: number;
    bookedValue: number;
    heldValue: number;
    showRate: number | null;
  };
  followUps: {
    sms: { sent: number; delivered: number; failed: number };
    email: { sent: number; delivered: number; failed: number };
    optOuts: { text: number; spoken: number; other: number; total: number };
    replies: number;
    nurture: { customers: number; bookedWithin14Days: number; rate: number | null };
    reminders: {
      reminded: { held: number; noShow: number; showRate: number | null };
      notReminded: { held: number; noShow: number; showRate: number | null };
    };
  };
  quality: {
    sentiment: Record<CallSentiment, number>;
    topIntents: Array<{ intent: string; count: number }>;
    /** Calls per caller need (`call_insights.needs`; a call may have up to three), most first. */
    needs: Array<{ need: string; count: number }>;
    callbacks: { created: number; doneInTime: number; rate: number | null };
    errors: number;
  };
  /** Calls by weekday (0 = Monday) × local hour. */
  heatmap: number[][];
}

export type SeriesBucket = 'hour' | 'day' | 'week' | 'month';

/** Figures per bucket of time, each bucket's start as shown (local ISO with offset; a date for days and longer). */
export interface Series {
  client: string;
  zone: string;
  from: string;
  to: string;
  bucket: SeriesBucket;
  metrics: string[];
  buckets: Array<{ start: string; values: Record<string, number> }>;
}
