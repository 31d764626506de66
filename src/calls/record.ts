/**
 * The call record: every Retell event for a call is merged into one `calls` row. The row is locked while
 * merging, and each field keeps the value from the most advanced event seen (inbound < started < transcript
 * < ended < analyzed), so duplicates and out-of-order deliveries end in the same record.
 */
import type { Kysely, Updateable } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { byCodeUnits } from '../core/canonical.js';
import { json } from '../db/json.js';
import type { DB } from '../db/schema.js';
import type { CallRow, CallsTable } from '../db/tables/calls.js';
import type { FunctionCall } from '../functions/types.js';
import { normalizePhone } from '../customers/phone.js';
import { countCallForCaller, lockCallers, recordCallForCustomer } from '../customers/store.js';
import type { RetellCall } from '../webhooks/schema.js';
import { CALL_EVENT_STAGE, ENDED_STAGE, statusForStage } from './stage.js';
import { decideOutcome, deriveOutcome, loadOutcomeSignals, type OutcomeFacts } from './outcome.js';

export interface CallEventResult {
  call: CallRow;
  /** True when this event moved the call to ended (or analyzed) for the first time. */
  endedNow: boolean;
  /** True when this event carried the analysis for the first time. */
  analyzedNow: boolean;
}

type Mutable = Omit<Updateable<CallsTable>, 'id' | 'client_id' | 'created_at'>;

function toDate(ms: number | undefined): Date | undefined {
  return ms === undefined ? undefined : new Date(ms);
}

function customerPhone(call: Pick<RetellCall, 'direction' | 'from_number' | 'to_number'>): string | undefined {
  return normalizePhone(call.direction === 'outbound' ? call.to_number : call.from_number);
}

/**
 * Fields the call object offers, normalised. Undefined = this event did not say. The call comes from a stored
 * event (`webhooks/intake.ts`), whose transcripts were redacted and stripped of word timings before storage.
 */
function fieldsFromCall(call: RetellCall): Mutable {
  const analysis = call.call_analysis;
  const custom = analysis?.custom_analysis_data;
  const intent = typeof custom?.intent === 'string' ? custom.intent.slice(0, 200) : undefined;
  const transcriptObject = call.transcript_object;
  const fields: Mutable = {
    agent_id: call.agent_id,
    agent_version: call.agent_version,
    call_type: call.call_type,
    direction: call.direction,
    from_number: normalizePhone(call.from_number) ?? call.from_number,
    to_number: normalizePhone(call.to_number) ?? call.to_number,
    started_at: toDate(call.start_timestamp),
    ended_at: toDate(call.end_timestamp),
    duration_ms:
      call.duration_ms ??
      (call.start_timestamp !== undefined && call.end_timestamp !== undefined ? Math.max(0, call.end_timestamp - call.start_timestamp) : undefined),
    disconnection_reason: call.disconnection_reason,
    transcript: call.transcript,
    transcript_object: transcriptObject === undefined ? undefined : json(transcriptObject),
    recording_url: call.recording_url,
    public_log_url: call.public_log_url,
    summary: analysis?.call_summary,
    sentiment: analysis?.user_sentiment,
    successful: analysis?.call_successful,
    in_voicemail: analysis?.in_voicemail,
    custom_analysis: custom === undefined ? undefined : (json(custom) as never),
    intent,
    metadata: call.metadata === undefined ? undefined : json(call.metadata),
    dynamic_variables: call.retell_llm_dynamic_variables === undefined ? undefined : (json(call.retell_llm_dynamic_variables) as never),
  };
  return fields;
}

/**
 * Inserts the bare row if the call is new; returns the row locked for this transaction. Lock order is always
 * call, then customer, so event intake and functions never deadlock each other.
 */
export async function lockCall(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clock'>,
  clientId: string,
  callId: string,
  initial: { status: CallRow['status']; stage: number },
): Promise<CallRow | undefined> {
  const now = context.clock.now();
  // One round trip: insert the bare row, or lock the existing one (the no-op update takes the row lock and
  // returns the row). client_id in the condition: a call id that belongs to another office is never touched.
  return db
    .insertInto('calls')
    .values({ id: callId, client_id: clientId, status: initial.status, stage: initial.stage, events: json({}), created_at: now, updated_at: now })
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet((eb) => ({ updated_at: eb.ref('calls.updated_at') }))
        .where('calls.client_id', '=', clientId),
    )
    .returningAll()
    .executeTakeFirst();
}

/**
 * Locks every call row a batch of events will write, and then every caller it will link, before any event is
 * merged, so a batch never waits for a row while holding rows another batch wants. Each call write marks its day
 * for the analytics rollups (`analytics_dirty`, by trigger), and the transaction that inserts that mark holds it
 * until it commits: a batch that had marked the day and then asked for another batch's call, while that batch
 * waited for the mark, deadlocked (session 10). So the calls go in one statement, in id order (`byCodeUnits`, as the ringing insert; the
 * statement's row triggers, and so the mark, come after all its rows are locked); then the callers to be linked,
 * by office and phone, in one more. The order everywhere: calls, then the day's mark, then customers.
 * Returns the locked rows by id (a call that belongs to another office is left out: `applyCallEvent` refuses it).
 */
export async function lockCallsOfEvents(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clock'>,
  events: ReadonlyArray<{ clientId: string; event: string; call: RetellCall }>,
): Promise<Map<string, CallRow>> {
  const now = context.clock.now();
  const owners = new Map<string, string>();
  for (const { clientId, call } of events) if (!owners.has(call.call_id)) owners.set(call.call_id, clientId);
  if (owners.size === 0) return new Map();
  const ids = [...owners.keys()].sort(byCodeUnits);
  // The bare row `lockCall` would insert, for calls that are new.
  const rows = await db
    .insertInto('calls')
    .values(ids.map((id) => ({ id, client_id: owners.get(id)!, status: 'ringing' as const, stage: 0, events: json({}), created_at: now, updated_at: now })))
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet((eb) => ({ updated_at: eb.ref('calls.updated_at') }))
        .whereRef('calls.client_id', '=', 'excluded.client_id'),
    )
    .returningAll()
    .execute();
  const locked = new Map(rows.map((row) => [row.id, row]));
  const callers = new Map<string, { clientId: string; phone: string }>();
  for (const { clientId, event, call } of events) {
    const phone = customerPhone(call);
    const row = locked.get(call.call_id);
    if (!phone || !row || row.customer_id !== null || (CALL_EVENT_STAGE[event] ?? 2) < 1) continue;
    callers.set(`${clientId}\u0000${phone}`, { clientId, phone });
  }
  await lockCallers(db, context.clock, [...callers.values()]);
  return locked;
}

export class CallOwnedElsewhere extends Error {
  constructor(callId: string) {
    super(`Call ${callId} belongs to another office.`);
    this.name = 'CallOwnedElsewhere';
  }
}

/** Merges one event into the call row. Call with the transaction that also records the event as received. */
export async function applyCallEvent(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clock'>,
  client: ClientRuntime,
  event: string,
  call: RetellCall,
): Promise<CallEventResult> {
  const clientId = client.config.slug;
  const stage = CALL_EVENT_STAGE[event] ?? 2;
  // A new row starts at stage 0 so that this event counts as the one that moved the call on (endedNow).
  const existing = await lockCall(db, context, clientId, call.call_id, { status: 'ringing', stage: 0 });
  if (!existing) throw new CallOwnedElsewhere(call.call_id);

  const incoming = fieldsFromCall(call);
  const wins = stage >= existing.stage;
  const update: Mutable = {};
  for (const [key, value] of Object.entries(incoming) as [keyof Mutable, unknown][]) {
    if (value === undefined) continue;
    const current = existing[key as keyof CallRow];
    if (wins || current === null || current === undefined) (update as Record<string, unknown>)[key] = value;
  }
  const newStage = Math.max(stage, existing.stage);
  const events: Record<string, string> = { ...(existing.events ?? {}) };
  events[event] ??= context.clock.now().toISOString();
  const now = context.clock.now();

  // Link the caller once: the first event that tells us the number counts the call in the caller's memory.
  let customerId = existing.customer_id;
  const phone = customerPhone(call);
  if (customerId === null && phone && stage >= 1) {
    customerId = await countCallForCaller(db, context.clock, {
      clientId,
      phoneE164: phone,
      callId: call.call_id,
      callAt: toDate(call.start_timestamp) ?? existing.created_at,
    });
  }

  // The outcome is decided before the single update, from the row as it will be after it.
  let outcome: CallRow['outcome'] | undefined;
  if (newStage >= ENDED_STAGE) {
    const facts: OutcomeFacts = {
      in_voicemail: update.in_voicemail ?? existing.in_voicemail,
      disconnection_reason: update.disconnection_reason ?? existing.disconnection_reason,
      duration_ms: update.duration_ms ?? existing.duration_ms,
      custom_analysis: update.custom_analysis !== undefined ? (call.call_analysis?.custom_analysis_data ?? null) : existing.custom_analysis,
    };
    outcome = decideOutcome(facts, await loadOutcomeSignals(db, call.call_id, clientId));
  }

  const row = await db
    .updateTable('calls')
    .set({
      ...update,
      customer_id: customerId,
      stage: newStage,
      status: statusForStage(newStage),
      events: json(events),
      updated_at: now,
      ...(outcome === undefined ? {} : { outcome }),
    })
    .where('id', '=', call.call_id)
    .returningAll()
    .executeTakeFirstOrThrow();

  return {
    call: row,
    endedNow: existing.stage < ENDED_STAGE && newStage >= ENDED_STAGE,
    analyzedNow: existing.events?.call_analyzed === undefined && event === 'call_analyzed',
  };
}

/**
 * Makes sure a function call's call has a row and its caller is counted. Functions arrive mid-call, possibly
 * before Retell's call_started (events are not blocking), so this may create the row.
 */
export async function linkCallToCustomer(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clock'>,
  input: { clientId: string; callId: string; customerId: number; call: FunctionCall },
): Promise<void> {
  const row = await lockCall(db, context, input.clientId, input.callId, { status: 'in_progress', stage: 1 });
  if (!row) throw new CallOwnedElsewhere(input.callId);
  const patch: Mutable = {};
  if (row.from_number === null && input.call.fromNumber) patch.from_number = input.call.fromNumber;
  if (row.to_number === null && input.call.toNumber) patch.to_number = input.call.toNumber;
  if (row.agent_id === null && input.call.agentId) patch.agent_id = input.call.agentId;
  if (row.customer_id === null) {
    patch.customer_id = input.customerId;
    await recordCallForCustomer(db, context.clock, input.customerId, input.callId, row.started_at ?? row.created_at);
  }
  if (Object.keys(patch).length > 0) {
    await db
      .updateTable('calls')
      .set({ ...patch, updated_at: context.clock.now() })
      .where('id', '=', input.callId)
      .execute();
  }
}

/** After an opt-out during a call: if the call already ended, its outcome becomes opted_out now. */
export async function markCallOptedOut(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clock'>,
  input: { clientId: string; callId: string; call: FunctionCall },
): Promise<void> {
  const row = await lockCall(db, context, input.clientId, input.callId, { status: 'in_progress', stage: 1 });
  if (!row || row.stage < ENDED_STAGE) return;
  const outcome = await deriveOutcome(db, row);
  await db.updateTable('calls').set({ outcome, updated_at: context.clock.now() }).where('id', '=', row.id).execute();
}
