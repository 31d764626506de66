/**
 * Delivery-status callbacks of every SMS provider, in neutral words (the vendor modules' webhooks translate their
 * statuses and codes first). De-duplicated on (provider id, status) in the same statement that moves the delivery's
 * status (only ever forward). When a confirmation (or a moved-appointment notice) could not be delivered, staff get a
 * callback task and an alert: the caller may not know their appointment is booked. A failure the provider marks as
 * the recipient's block (`optedOut`: they replied STOP at the provider) opts the number out, as the same error at send
 * time does.
 */
import type { AppContext } from '../app-context.js';
import { maskPhone } from '../log/mask.js';
import type { MessagingBatches } from './batches.js';
import { providerName } from './circuit-breaker.js';
import { statusRank } from './deliveries.js';
import { mirrorProviderOptOut } from './provider-opt-out.js';

export interface StatusCallback {
  clientId: string;
  outboxId: number | null;
  messageSid: string;
  status: string;
  to: string;
  errorCode: string | null;
  errorMessage: string | null;
  params: Record<string, string>;
  /** Whose callback this is (recorded on the delivery). */
  provider: string;
  /** The provider says the recipient blocked us (its vendor module reads that from the provider's code). */
  optedOut: boolean;
}

const NOT_DELIVERED = new Set(['undelivered', 'failed']);
const MUST_ARRIVE = new Set(['confirmation', 'rescheduled']);

export async function receiveStatusCallback(
  context: AppContext,
  batches: MessagingBatches,
  callback: StatusCallback,
): Promise<{ duplicate: boolean; status?: string }> {
  const now = context.clock.now();
  const delivery = await batches.recordStatusEvent({
    clientId: callback.clientId,
    outboxId: callback.outboxId,
    channel: 'sms',
    providerId: callback.messageSid,
    to: callback.to,
    status: callback.status,
    errorCode: callback.errorCode,
    errorMessage: callback.errorMessage,
    at: now,
    params: callback.params,
    provider: callback.provider,
  });
  if (NOT_DELIVERED.has(callback.status) && callback.optedOut) {
    // Also for a repeated callback: if the first one's opt-out failed (and we answered 5xx), the provider's retry is the
    // only chance to record it. setConsent leaves an already opted-out number as it is.
    await optOutUnsubscribed(context, callback);
  }
  if (!delivery) return { duplicate: true };
  const reached = delivery.status === callback.status;
  if (reached && NOT_DELIVERED.has(callback.status) && delivery.outboxId !== null) {
    await createStaffTask(context, callback, delivery.outboxId, now);
  }
  // Live updates only when the message reached an end state; intermediate hops are not worth a dashboard redraw.
  // Not awaited: the event goes out with the next batch of announcements (best effort, like every live event),
  // and the provider's callback is answered as soon as the change is stored.
  if (reached && statusRank(callback.status) >= statusRank('delivered')) {
    void batches.announceStatus({ clientId: callback.clientId, outboxId: delivery.outboxId, status: delivery.status }).catch((error: unknown) => {
      context.logger.warn({ err: error, outboxId: delivery.outboxId }, 'Could not announce a delivery status');
    });
  }
  return { duplicate: false, status: delivery.status };
}

async function optOutUnsubscribed(context: AppContext, callback: StatusCallback): Promise<void> {
  const to =
    callback.to ||
    (
      await context.db
        .selectFrom('message_deliveries')
        .select('to_address')
        .where('provider_id', '=', callback.messageSid)
        .where('client_id', '=', callback.clientId)
        .executeTakeFirst()
    )?.to_address;
  if (!to) {
    context.logger.warn(
      { messageSid: callback.messageSid },
      'A blocked-recipient status callback names no recipient and matches no text we sent; nothing to opt out',
    );
    return;
  }
  await context.db
    .transaction()
    .execute((trx) => mirrorProviderOptOut(trx, context, { clientId: callback.clientId, to, provider: callback.provider, code: callback.errorCode }));
}

async function createStaffTask(context: AppContext, callback: StatusCallback, outboxId: number, now: Date): Promise<void> {
  const row = await context.db
    .selectFrom('outbox')
    .select(['id', 'payload', 'customer_id', 'call_id'])
    .where('id', '=', outboxId)
    .where('client_id', '=', callback.clientId)
    .executeTakeFirst();
  const template = String((row?.payload as { template?: unknown } | undefined)?.template ?? '');
  if (!row || !MUST_ARRIVE.has(template)) return;
  const customer = row.customer_id ? await context.db.selectFrom('customers').select(['name']).where('id', '=', row.customer_id).executeTakeFirst() : undefined;
  const reason =
    `The ${template} text did not reach the caller (${providerName(callback.provider)} ${callback.status}` +
    `${callback.errorCode ? `, error ${callback.errorCode}${callback.errorMessage ? `: ${callback.errorMessage}` : ''}` : ''}). ` +
    'Call them to confirm the appointment time.';
  const task = await context.db
    .insertInto('callback_tasks')
    .values({
      client_id: callback.clientId,
      call_id: row.call_id,
      customer_id: row.customer_id,
      phone: callback.to,
      name: customer?.name ?? null,
      reason,
      preferred_time: null,
      created_at: now,
      updated_at: now,
      completed_at: null,
      completed_by: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await context.alerts.raise({
    clientId: callback.clientId,
    source: 'messaging.sms',
    fingerprint: `messaging.sms:undelivered:${callback.messageSid}`,
    severity: 'warning',
    message: `A ${template} text to ${maskPhone(callback.to)} was not delivered (${callback.errorCode ?? callback.status}); a callback task was created for staff.`,
    details: { taskId: task.id, errorCode: callback.errorCode },
    callId: row.call_id,
  });
}
