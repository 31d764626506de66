/** opt_out: the caller said "stop texting me" (or e-mailing): effective at once for this office. */
import { z } from 'zod';
import { setConsent } from '../customers/consent.js';
import { findCustomerByPhone } from '../customers/store.js';
import { lockCall, markCallOptedOut } from '../calls/record.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import type { RetellFunction } from './types.js';

const args = z.object({
  channel: z.enum(['sms', 'email', 'all']).default('sms').describe('channel (text messages, e-mail, or both)'),
  email: z.string().trim().toLowerCase().pipe(z.email()).optional().describe('e-mail address'),
});

export const optOut: RetellFunction<typeof args> = {
  name: 'opt_out',
  description: 'Stops text messages and/or e-mails from this office to the caller, at once.',
  args,
  safeToRepeat: false,
  async handle({ context, client, call, args: input }) {
    const clientId = client.config.slug;
    const channels = input.channel === 'all' ? (['sms', 'email'] as const) : ([input.channel] as const);
    return context.db.transaction().execute(async (trx) => {
      await lockCall(trx, context, clientId, call.callId, { status: 'in_progress', stage: 1 });
      const customer = call.fromNumber ? await findCustomerByPhone(trx, clientId, call.fromNumber) : undefined;
      const email = input.email ?? customer?.email ?? undefined;
      const done: Array<'sms' | 'email'> = [];
      const missing: Array<'sms' | 'email'> = [];
      for (const channel of channels) {
        const address = channel === 'sms' ? call.fromNumber : email;
        if (!address) {
          missing.push(channel);
          continue;
        }
        await setConsent(trx, context, { clientId, channel, address, purpose: 'all', status: 'opted_out', source: 'voice', actor: `call:${call.callId}` });
        done.push(channel);
      }
      if (done.length === 0) {
        return { ok: false, message: phrasesFor(call.language).functions.optOutNeeds(missing) };
      }
      await markCallOptedOut(trx, context, { clientId, callId: call.callId, call });
      const message = phrasesFor(call.language).functions.optedOut(done, client.config.name, missing);
      return { ok: true, message };
    });
  },
};
