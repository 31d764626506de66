/** request_callback: the caller wants a person to call back; staff see the task in the dashboard. */
import { z } from 'zod';
import { findOrCreateCustomer } from '../customers/store.js';
import { linkCallToCustomer, lockCall } from '../calls/record.js';
import { normalizePhone } from '../customers/phone.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import type { RetellFunction } from './types.js';

const args = z.object({
  reason: z.string().trim().min(1).max(2000).describe('reason for the callback'),
  name: z.string().trim().min(1).max(200).optional().describe('name'),
  callback_number: z.string().trim().max(40).optional().describe('callback number'),
  preferred_time: z.string().trim().max(200).optional().describe('preferred time for the callback'),
});

export const requestCallback: RetellFunction<typeof args> = {
  name: 'request_callback',
  description: 'Creates a task for office staff to call the caller back (with the reason and a preferred time).',
  args,
  safeToRepeat: false,
  async handle({ context, client, call, args: input }) {
    const clientId = client.config.slug;
    const phone = normalizePhone(input.callback_number) ?? call.fromNumber;
    if (!phone) {
      return { ok: false, message: phrasesFor(call.language).functions.callbackNeedsNumber };
    }
    const task = await context.db.transaction().execute(async (trx) => {
      await lockCall(trx, context, clientId, call.callId, { status: 'in_progress', stage: 1 });
      const customer = call.fromNumber
        ? await findOrCreateCustomer(trx, context.clock, clientId, call.fromNumber, input.name ? { name: input.name } : {})
        : undefined;
      if (customer) await linkCallToCustomer(trx, context, { clientId, callId: call.callId, customerId: customer.id, call });
      const now = context.clock.now();
      const row = await trx
        .insertInto('callback_tasks')
        .values({
          client_id: clientId,
          call_id: call.callId,
          customer_id: customer?.id ?? null,
          phone,
          name: input.name ?? customer?.name ?? null,
          reason: input.reason,
          preferred_time: input.preferred_time ?? null,
          created_at: now,
          updated_at: now,
        })
        .returning(['id'])
        .executeTakeFirstOrThrow();
      await context.bus.publish({ type: 'callback.created', clientId, data: { id: row.id, callId: call.callId } }, trx);
      return row;
    });
    return { ok: true, message: phrasesFor(call.language).functions.callbackNoted(client.config.name, input.preferred_time), task_id: String(task.id) };
  },
};
