/**
 * What came of a call, from what actually happened during it (appointments made, consent changes, callback
 * tasks) before what the post-call analysis guessed, so the answer is the same whatever order events arrive in.
 */
import { sql, type Kysely } from 'kysely';
import { isCallOutcome } from '../config/client-schema.js';
import type { DB } from '../db/schema.js';
import type { CallOutcome, CallRow } from '../db/tables/calls.js';

/** Reasons Retell gives for calls that never reached a conversation. */
const NEVER_CONNECTED = new Set([
  'dial_busy',
  'dial_failed',
  'dial_no_answer',
  'invalid_destination',
  'user_declined',
  'registered_call_timeout',
  'marked_as_spam',
  'scam_detected',
  'concurrency_limit_reached',
  'no_concurrency_fallback',
  'error_user_not_joined',
]);

/** Outcomes of calls that were not a real conversation (analytics counts every other ended call as one). */
export const NOT_A_CONVERSATION: readonly CallOutcome[] = ['voicemail', 'abandoned'];

/** A caller who hangs up this quickly asked nothing; counted as abandoned rather than "info only". */
const EARLY_HANGUP_MS = 15_000;

export function outcomeFromAnalysis(custom: Record<string, unknown> | null): CallOutcome | undefined {
  const value = custom?.outcome ?? custom?.call_outcome;
  if (typeof value !== 'string') return undefined;
  const normalized = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return isCallOutcome(normalized) ? normalized : undefined;
}

/** What happened during the call, as far as other tables know. */
export interface OutcomeSignals {
  rescheduled: boolean;
  booked: boolean;
  cancelled: boolean;
  optedOut: boolean;
  callbackRequested: boolean;
}

export type OutcomeFacts = Pick<CallRow, 'in_voicemail' | 'disconnection_reason' | 'duration_ms' | 'custom_analysis'>;

/** One statement for every signal (the intake runs this for each ended call, inside its transaction). */
export async function loadOutcomeSignals(db: Kysely<DB>, callId: string, clientId: string): Promise<OutcomeSignals> {
  // The booking stream records call_id on appointments; raw SQL keeps this module independent of its types.
  const result = await sql<{ rescheduled: boolean; booked: boolean; cancelled: boolean; opted_out: boolean; callback_requested: boolean }>`
    select
      exists (select 1 from appointments where call_id = ${callId} and client_id = ${clientId}
              and status = 'booked' and previous_start_at is not null) as rescheduled,
      exists (select 1 from appointments where call_id = ${callId} and client_id = ${clientId} and status = 'booked') as booked,
      exists (select 1 from appointments where call_id = ${callId} and client_id = ${clientId} and status = 'cancelled') as cancelled,
      exists (select 1 from consent_history where client_id = ${clientId} and actor = ${`call:${callId}`}
              and status = 'opted_out') as opted_out,
      exists (select 1 from callback_tasks where call_id = ${callId} and client_id = ${clientId}) as callback_requested`.execute(db);
  const row = result.rows[0];
  return {
    rescheduled: row?.rescheduled === true,
    booked: row?.booked === true,
    cancelled: row?.cancelled === true,
    optedOut: row?.opted_out === true,
    callbackRequested: row?.callback_requested === true,
  };
}

export function decideOutcome(call: OutcomeFacts, signals: OutcomeSignals): CallOutcome {
  if (signals.rescheduled) return 'rescheduled';
  if (signals.booked) return 'booked';
  if (signals.cancelled) return 'cancelled';
  if (signals.optedOut) return 'opted_out';
  if (signals.callbackRequested) return 'callback_requested';

  if (call.in_voicemail || call.disconnection_reason === 'voicemail_reached') return 'voicemail';
  if (call.disconnection_reason && NEVER_CONNECTED.has(call.disconnection_reason)) return 'abandoned';
  if (call.disconnection_reason === 'user_hangup' && call.duration_ms !== null && call.duration_ms < EARLY_HANGUP_MS) {
    return 'abandoned';
  }
  return outcomeFromAnalysis(call.custom_analysis) ?? 'info_only';
}

export async function deriveOutcome(db: Kysely<DB>, call: CallRow): Promise<CallOutcome> {
  return decideOutcome(call, await loadOutcomeSignals(db, call.id, call.client_id));
}
