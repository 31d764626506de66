/**
 * Asks for a CRM sync through the outbox. Exactly once per (subject, purpose): the dedupe key makes a
 * repeated request (a duplicate call_analyzed, a retried booking) a no-op.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB } from '../db/schema.js';
import { enqueue } from '../outbox/enqueue.js';

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

export async function enqueueCrmSync(db: Kysely<DB>, context: AppContext, request: CrmSyncRequest) {
  const client = context.clients.get(request.clientId);
  const subject = request.callId ? `call:${request.callId}` : request.appointmentId ? `appointment:${request.appointmentId}` : `customer:${request.customerId}`;
  return enqueue(db, context.clock, {
    clientId: request.clientId,
    kind: 'crm_sync',
    payload: {
      purpose: request.purpose,
      callId: request.callId ?? null,
      customerId: request.customerId ?? null,
      appointmentId: request.appointmentId ?? null,
    },
    dedupeKey: `crm_sync:${request.clientId}:${subject}:${request.purpose}${request.version ? `:${request.version}` : ''}`,
    runAt: request.runAt,
    retry: client ? { maxAttempts: client.config.retry.maxAttempts, intervalMs: client.config.retry.intervalSeconds * 1000 } : undefined,
    callId: request.callId ?? null,
    customerId: request.customerId ?? null,
    appointmentId: request.appointmentId ?? null,
  });
}
