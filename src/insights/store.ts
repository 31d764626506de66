/**
 * Insight per analysed call, stored in `call_insights`, and the caller's profile rebuilt from their last five
 * (`caller_profiles`). Runs in the worker's transaction that applies `call_analyzed` (webhooks/follow-ups.ts), on the
 * stored call row, whose transcript is already redacted (log/redact-caller-text.ts), so nothing here sees more than
 * staff do. Idempotent: a repeated event rewrites the same row.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { json } from '../db/json.js';
import type { DB } from '../db/schema.js';
import type { CallRow } from '../db/tables/calls.js';
import { callerTurns } from './caller-turns.js';
import { classifyCall, RULES_VERSION } from './classify.js';
import type { CallInsight } from './labels.js';
import { buildProfile, PROFILE_CALLS } from './profile.js';
import { copyProfileToCustomer, lockCustomerForProfile } from './profile-on-customer.js';

const OPEN_ISSUE_MAX = 90;

/**
 * The caller's own sentence behind an unresolved matter: a status question, a complaint, or anything urgent. Taken
 * from the sentence holding the first urgency (else intent) evidence, cut at a word boundary.
 */
export function openIssueOf(insight: CallInsight, turns: string[]): string | null {
  const matters = insight.urgency === 'urgent' || insight.intent === 'status' || insight.intent === 'complaint';
  if (!matters) return null;
  const evidence =
    insight.evidence.find((item) => item.label === 'urgency' && item.value === 'urgent' && item.turn !== null) ??
    insight.evidence.find((item) => item.label === 'intent' && item.turn !== null);
  if (!evidence || evidence.turn === null) return null;
  const text = turns[evidence.turn] ?? '';
  const before = text.slice(0, evidence.start);
  const sentenceStart = Math.max(before.lastIndexOf('.'), before.lastIndexOf('?'), before.lastIndexOf('!')) + 1;
  const afterEnd = text.slice(evidence.end).search(/[.?!]/);
  const sentenceEnd = afterEnd < 0 ? text.length : evidence.end + afterEnd;
  let sentence = text.slice(sentenceStart, sentenceEnd).replace(/\s+/g, ' ').trim();
  if (sentence.length > OPEN_ISSUE_MAX) sentence = `${sentence.slice(0, sentence.lastIndexOf(' ', OPEN_ISSUE_MAX))}…`;
  return sentence || null;
}

export function classifyStoredCall(call: Pick<CallRow, 'transcript' | 'transcript_object' | 'sentiment' | 'custom_analysis'>): {
  insight: CallInsight;
  turns: string[];
} {
  const source = {
    transcript: call.transcript ?? undefined,
    transcript_object: call.transcript_object ?? undefined,
    call_analysis: { user_sentiment: call.sentiment ?? undefined, custom_analysis_data: call.custom_analysis ?? undefined },
  };
  return { insight: classifyCall(source), turns: callerTurns(source) };
}

export async function recordCallInsight(db: Kysely<DB>, clock: Clock, call: CallRow): Promise<void> {
  const { insight, turns } = classifyStoredCall(call);
  const now = clock.now();
  const row = {
    client_id: call.client_id,
    customer_id: call.customer_id,
    language: insight.language,
    intent: insight.intent,
    urgency: insight.urgency,
    sentiment_start: insight.sentiment.start,
    sentiment_end: insight.sentiment.end,
    needs: insight.needs,
    open_issue: openIssueOf(insight, turns),
    evidence: json(insight.evidence) as never,
    rules_version: RULES_VERSION,
    call_at: call.ended_at ?? call.started_at ?? call.created_at,
    computed_at: now,
  };
  await db
    .insertInto('call_insights')
    .values({ call_id: call.id, ...row })
    .onConflict((conflict) => conflict.column('call_id').doUpdateSet(row))
    .execute();
  if (call.customer_id !== null) await refreshCallerProfile(db, clock, call.client_id, call.customer_id);
}

/**
 * Rebuild one caller's profile from their latest calls (after a staff clear, only calls after it count), and its copy
 * on the customer's row that call_inbound reads. Called inside the worker's transaction.
 */
export async function refreshCallerProfile(db: Kysely<DB>, clock: Clock, clientId: string, customerId: number): Promise<void> {
  await lockCustomerForProfile(db, customerId);
  const existing = await db.selectFrom('caller_profiles').select(['cleared_at']).where('customer_id', '=', customerId).forUpdate().executeTakeFirst();
  let query = db
    .selectFrom('call_insights')
    .select(['language', 'intent', 'urgency', 'needs', 'open_issue'])
    .where('customer_id', '=', customerId)
    .where('client_id', '=', clientId)
    .orderBy('call_at', 'desc')
    .limit(PROFILE_CALLS);
  if (existing?.cleared_at) query = query.where('call_at', '>', existing.cleared_at);
  const calls = await query.execute();
  const profile = buildProfile(calls.map((call) => ({ ...call, openIssue: call.open_issue })));
  const values = {
    intent_last: profile.intentLast,
    needs: profile.needs,
    language: profile.language,
    open_issue: profile.openIssue,
    guidance: profile.guidance,
    calls_counted: profile.callsCounted,
    edited_by: null,
    edited_at: null,
    updated_at: clock.now(),
  };
  await db
    .insertInto('caller_profiles')
    .values({ customer_id: customerId, client_id: clientId, ...values })
    .onConflict((conflict) => conflict.column('customer_id').doUpdateSet(values))
    .execute();
  await copyProfileToCustomer(db, customerId, values);
}
