/**
 * What came of a call, from what actually happened during it (appointments made, consent changes, callback
 * tasks) before what the post-call analysis guessed, so the answer is the same whatever order events arrive in.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { CallOutcome, CallRow } from '../db/tables/calls.js';

const OUTCOMES: readonly CallOutcome[] = [
  'booked',
  'rescheduled',
  'cancelled',
  'info_only',
  'callback_requested',
  'opted_out',
  'voicemail',
  'abandoned',
];

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

/** A caller who hangs up this quickly asked nothing; counted as abandoned rather than "info only". */
const EARLY_HANGUP_MS = 15_000;

export function outcomeFromAnalysis(custom: Record<string, unknown> | null): CallOutcome | undefined {
  const value = custom?.outcome ?? custom?.call_outcome;
  if (typeof value !== 'string') return undefined;
  const normalized = value.trim().toLowerCase().replace(/[\s-]+/g, '_') as CallOutcome;
  return OUTCOMES.includes(normalized) ? normalized : undefined;
}

interface AppointmentSignal {
  status: string;
  previous_start_at: Date | null;
}

export async function deriveOutcome(db: Kysely<DB>, call: CallRow): Promise<CallOutcome> {
  // The booking stream records call_id on appointments; raw SQL keeps this module independent of its types.
  const appointments = await sql<AppointmentSignal>`
    select status, previous_start_at from appointments
    where call_id = ${call.id} and client_id = ${call.client_id}`.execute(db);
  const rows = appointments.rows;
  if (rows.some((row) => row.status === 'booked' && row.previous_start_at !== null)) return 'rescheduled';
  if (rows.some((row) => row.status === 'booked')) return 'booked';
  if (rows.some((row) => row.status === 'cancelled')) return 'cancelled';

  const optedOut = await db
    .selectFrom('consent_history')
    .select('id')
    .where('client_id', '=', call.client_id)
    .where('actor', '=', `call:${call.id}`)
    .where('status', '=', 'opted_out')
    .executeTakeFirst();
  if (optedOut) return 'opted_out';

  const callback = await db
    .selectFrom('callback_tasks')
    .select('id')
    .where('call_id', '=', call.id)
    .where('client_id', '=', call.client_id)
    .executeTakeFirst();
  if (callback) return 'callback_requested';

  if (call.in_voicemail || call.disconnection_reason === 'voicemail_reached') return 'voicemail';
  if (call.disconnection_reason && NEVER_CONNECTED.has(call.disconnection_reason)) return 'abandoned';
  if (
    call.disconnection_reason === 'user_hangup' &&
    call.duration_ms !== null &&
    call.duration_ms < EARLY_HANGUP_MS
  ) {
    return 'abandoned';
  }
  return outcomeFromAnalysis(call.custom_analysis) ?? 'info_only';
}
