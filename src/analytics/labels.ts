/**
 * What a call was about, what the caller needed and how they felt, as SQL over a call row aliased `c` joined to its
 * caller-insight row aliased `ci` (`insightOfCall`). The one place "top intents", "needs", "wanted to book" and
 * "sentiment" read their labels from. Intents and needs come from `call_insights` (issue 17: explainable rules over
 * the caller's own words), not from Retell's free-text `calls.intent`; a call not yet labelled counts under neither.
 * Sentiment is still Retell's `user_sentiment` (`call_insights` has the start and end of the call, a different figure).
 */
import { sql, type RawBuilder } from 'kysely';

/** The call's insight row, if it has one; put after `from … calls c`. */
export const insightOfCall: RawBuilder<unknown> = sql`left join call_insights ci on ci.call_id = c.id and ci.client_id = c.client_id`;

/** The caller's intent label (insights/labels.ts `INTENTS`); null when the call has no insight or it is `unknown`. */
export const intentOfCall: RawBuilder<string | null> = sql`nullif(ci.intent, 'unknown')`;

/** The caller's needs (0–3 of insights/labels.ts `NEEDS`); empty when the call has no insight. */
export const needsOfCall: RawBuilder<string[]> = sql`coalesce(ci.needs, '{}'::text[])`;

/** positive | neutral | negative | unknown (Retell's user_sentiment, any case; shared/analytics.ts `CALL_SENTIMENTS`). */
export const sentimentOfCall: RawBuilder<string> = sql`case lower(btrim(coalesce(c.sentiment, '')))
  when 'positive' then 'positive' when 'neutral' then 'neutral' when 'negative' then 'negative' else 'unknown' end`;

/**
 * A caller who wanted to book: the insight's intent is `book` or `reschedule` (a new time is a booking). (facts.ts
 * also counts every conversation that ended with a booking, whatever the label, so "booked" is always within
 * "wanted to book".)
 */
export const intentWantsBooking: RawBuilder<boolean> = sql`coalesce(ci.intent in ('book', 'reschedule'), false)`;
