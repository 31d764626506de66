/**
 * What a finished call sets in motion, inside the transaction that recorded the event: the caller's memory,
 * the CRM sync and (when nothing was booked) nurture. Each step is idempotent, so running it again for a
 * duplicate or late event changes nothing twice.
 *
 * CRM scheme: one `crm_sync` row per call (purpose `call`, one dedupe key). call_ended queues it delayed by
 * `crm.syncWaitMinutesWithoutAnalysis`; call_analyzed queues it now, or pulls the delayed row forward.
 * Only when the delayed sync already ran does call_analyzed add a second one (version `analyzed`) so the CRM
 * still gets the summary.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { ClientRuntime } from '../config/registry.js';
import { enqueueCrmSync } from '../crm/enqueue.js';
import type { DB } from '../db/schema.js';
import type { CallRow } from '../db/tables/calls.js';
import { planNurture } from '../messaging/plan.js';
import { planMissedCallTextBack } from '../messaging/plan-follow-ups.js';
import type { CallEventResult } from '../calls/record.js';
import { recordCallInsight } from '../insights/store.js';

const NO_NURTURE: ReadonlyArray<CallRow['outcome']> = ['booked', 'rescheduled', 'opted_out', 'voicemail'];
/** Calls that never reached a conversation (calls/outcome.ts decides: voicemail, no answer, an early hang-up). */
const MISSED: ReadonlyArray<CallRow['outcome']> = ['voicemail', 'abandoned'];

async function updateCallerMemory(db: Kysely<DB>, context: AppContext, call: CallRow): Promise<void> {
  if (call.customer_id === null) return;
  // Only the caller's latest call speaks for them: a late analysis of an older call must not overwrite a newer one.
  const fields: Record<string, string | Date> = { updated_at: context.clock.now() };
  if (call.summary) fields.last_summary = call.summary;
  if (call.intent) fields.last_intent = call.intent;
  if (call.outcome) fields.last_outcome = call.outcome;
  await db
    .updateTable('customers')
    .set(fields)
    .where('id', '=', call.customer_id)
    .where((eb) => eb.or([eb('last_call_id', '=', call.id), eb('last_call_id', 'is', null)]))
    .execute();
}

async function queueCrmSync(db: Kysely<DB>, context: AppContext, client: ClientRuntime, result: CallEventResult): Promise<void> {
  if (!client.config.crm.enabled) return;
  const call = result.call;
  const base = { clientId: client.config.slug, purpose: 'call' as const, callId: call.id, customerId: call.customer_id };
  const now = context.clock.now();
  if (result.analyzedNow) {
    const queued = await enqueueCrmSync(db, context, { ...base, runAt: now });
    if (queued.created) return;
    const row = await db.selectFrom('outbox').select(['id', 'status', 'run_at']).where('id', '=', queued.id).forUpdate().executeTakeFirstOrThrow();
    if (row.status === 'scheduled') {
      if (row.run_at.getTime() > now.getTime()) {
        await db.updateTable('outbox').set({ run_at: now, updated_at: now }).where('id', '=', row.id).execute();
      }
      return;
    }
    if (row.status === 'running' || row.status === 'done' || row.status === 'failed') {
      await enqueueCrmSync(db, context, { ...base, runAt: now, version: 'analyzed' });
    }
    return;
  }
  if (result.endedNow) {
    const endedAt = call.ended_at ?? now;
    const waitMs = client.config.crm.syncWaitMinutesWithoutAnalysis * 60_000;
    await enqueueCrmSync(db, context, { ...base, runAt: new Date(Math.max(now.getTime(), endedAt.getTime() + waitMs)) });
  }
}

/**
 * Retell's `transfer_cancelled` means the transfer was cancelled or nobody picked up: the caller wanted a
 * person and did not get one, so staff get a callback task due within the office's deadline (once per call).
 */
export async function recordUnansweredTransfer(
  db: Kysely<DB>,
  context: AppContext,
  client: ClientRuntime,
  call: CallRow,
  destination: string | undefined,
): Promise<void> {
  const now = context.clock.now();
  const band = client.config.transfer.bands.find((candidate) => candidate.number === destination);
  const to = band ? `the ${band.name}` : destination ? `a transfer number` : 'a person';
  const inserted = await db
    .insertInto('callback_tasks')
    .values({
      client_id: client.config.slug,
      call_id: call.id,
      customer_id: call.customer_id,
      phone: call.from_number,
      name: null,
      reason: `The caller asked for ${to} and the transfer was not answered. Call them back.`,
      preferred_time: null,
      kind: 'transfer_unanswered',
      due_at: new Date(now.getTime() + client.config.transfer.callbackDeadlineMinutes * 60_000),
      created_at: now,
      updated_at: now,
    })
    .onConflict((conflict) => conflict.column('call_id').where('kind', '=', 'transfer_unanswered').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) await context.bus.publish({ type: 'callback.created', clientId: client.config.slug, data: { id: inserted.id, callId: call.id } }, db);
}

export async function runCallFollowUps(db: Kysely<DB>, context: AppContext, client: ClientRuntime, result: CallEventResult): Promise<void> {
  if (!result.endedNow && !result.analyzedNow) return;
  const call = result.call;
  await updateCallerMemory(db, context, call);
  // Caller insight needs the full transcript and Retell's analysis, which call_analyzed brings (issue 17).
  if (result.analyzedNow) await recordCallInsight(db, context.clock, call);
  await queueCrmSync(db, context, client, result);
  // A call that ended before a conversation (the outcome's own rule): the caller gets one text back.
  if (result.endedNow && MISSED.includes(call.outcome) && call.direction !== 'outbound' && call.from_number?.startsWith('+')) {
    await planMissedCallTextBack(db, context, {
      clientId: client.config.slug,
      callId: call.id,
      customerId: call.customer_id,
      phone: call.from_number,
      endedAt: call.ended_at ?? context.clock.now(),
    });
  }
  if (call.customer_id !== null && !NO_NURTURE.includes(call.outcome)) {
    // Messaging de-duplicates per call and re-checks consent, voicemail and bookings when it plans.
    await planNurture(db, context, {
      clientId: client.config.slug,
      customerId: call.customer_id,
      callId: call.id,
      endedAt: call.ended_at ?? context.clock.now(),
    });
  }
}
