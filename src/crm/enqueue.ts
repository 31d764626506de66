/**
 * Asks for a CRM sync through the outbox. Exactly once per (subject, purpose): the dedupe key makes a
 * repeated request (a duplicate call_analyzed, a retried booking) a no-op, except that it may move a
 * waiting sync earlier.
 */
import { sql, type Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB } from '../db/schema.js';
import { OUTBOX_CHANNEL, enqueue } from '../outbox/enqueue.js';

export type CrmSyncPurpose = 'call' | 'appointment_booked' | 'appointment_rescheduled' | 'appointment_cancelled' | 'consent' | 'resync';

export interface CrmSyncRequest {
  clientId: string;
  purpose: CrmSyncPurpose;
  callId?: string | null;
  customerId?: number | null;
  appointmentId?: number | null;
  /** Run later (e.g. call_ended + wait when no analysis arrives). Default now. */
  runAt?: Date;
  /** Distinguishes repeated syncs of one subject that must each happen (e.g. a second reschedule). */
  version?: string;
}

export async function enqueueCrmSync(db: Kysely<DB>, context: Pick<AppContext, 'clients' | 'clock'>, request: CrmSyncRequest) {
  const client = context.clients.get(request.clientId);
  // Appointment changes are keyed by the appointment (two bookings in one call are two syncs), the rest by call.
  const byAppointment = request.purpose.startsWith('appointment_') && request.appointmentId;
  const subject = byAppointment
    ? `appointment:${request.appointmentId}`
    : request.callId
      ? `call:${request.callId}`
      : request.appointmentId
        ? `appointment:${request.appointmentId}`
        : `customer:${request.customerId}`;
  const runAt = request.runAt ?? context.clock.now();
  const result = await enqueue(db, context.clock, {
    clientId: request.clientId,
    kind: 'crm_sync',
    payload: {
      purpose: request.purpose,
      callId: request.callId ?? null,
      customerId: request.customerId ?? null,
      appointmentId: request.appointmentId ?? null,
    },
    dedupeKey: `crm_sync:${request.clientId}:${subject}:${request.purpose}${request.version ? `:${request.version}` : ''}`,
    runAt,
    retry: client ? { maxAttempts: client.config.retry.maxAttempts, intervalMs: client.config.retry.intervalSeconds * 1000 } : undefined,
    callId: request.callId ?? null,
    customerId: request.customerId ?? null,
    appointmentId: request.appointmentId ?? null,
  });
  if (!result.created && result.status === 'scheduled') {
    // One key serves both call_ended (a delayed sync, in case no analysis comes) and call_analyzed (sync
    // now): the earlier request pulls the waiting row forward instead of being dropped as a duplicate.
    const moved = await db
      .updateTable('outbox')
      .set({ run_at: runAt, updated_at: context.clock.now() })
      .where('id', '=', result.id)
      .where('status', '=', 'scheduled')
      .where('run_at', '>', runAt)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) > 0) await sql`select pg_notify(${OUTBOX_CHANNEL}, 'crm_sync')`.execute(db);
  }
  return result;
}
