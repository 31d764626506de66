/**
 * What a call was about and how the caller felt, as SQL over a call row aliased `c`. The one place "top
 * intents" and "sentiment" read their labels from: today `calls.intent` / `calls.sentiment` (Retell's post-call
 * analysis); the caller-insight labels (`call_insights`) replace these two expressions when they land.
 */
import { sql, type RawBuilder } from 'kysely';

/** The caller's intent, lower-cased and trimmed; null when the analysis gave none. */
export const intentOfCall: RawBuilder<string | null> = sql`nullif(lower(btrim(c.intent)), '')`;

/** positive | neutral | negative | unknown (Retell's user_sentiment, any case). */
export const sentimentOfCall: RawBuilder<string> = sql`case lower(btrim(coalesce(c.sentiment, '')))
  when 'positive' then 'positive' when 'neutral' then 'neutral' when 'negative' then 'negative' else 'unknown' end`;

/**
 * The intent of a caller who wanted to book: it speaks of booking, scheduling or an appointment. (facts.ts also
 * counts every conversation that ended with a booking, whatever the analysis called it, so "booked" is always
 * within "wanted to book".)
 */
export const intentWantsBooking: RawBuilder<boolean> = sql`(coalesce(c.intent, '') ~* '(book|schedul|appointment)')`;

export const SENTIMENTS = ['positive', 'neutral', 'negative', 'unknown'] as const;
