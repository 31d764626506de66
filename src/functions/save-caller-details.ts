/** save_caller_details: the caller told the agent their name, e-mail or something to remember. */
import { z } from 'zod';
import { findOrCreateCustomer, updateCustomer, type CustomerFields } from '../customers/store.js';
import { linkCallToCustomer, lockCall } from '../calls/record.js';
import { phrasesFor } from '../i18n/phrases/index.js';
import { languageFromName } from '../i18n/language.js';
import { CUSTOMER_CHANGED } from '../customers/call-language-memo.js';
import type { RetellFunction } from './types.js';

const args = z
  .object({
    name: z.string().trim().min(1).max(200).optional().describe('name'),
    email: z.string().trim().toLowerCase().pipe(z.email('that does not look like an e-mail address')).optional().describe('e-mail address'),
    notes: z.string().trim().min(1).max(2000).optional().describe('notes'),
    preferred_language: z.string().trim().min(2).max(20).optional().describe('preferred language'),
  })
  .refine((value) => Object.values(value).some((field) => field !== undefined), {
    message: 'nothing to save: give at least a name, an e-mail address or a note',
  });

export const saveCallerDetails: RetellFunction<typeof args> = {
  name: 'save_caller_details',
  description: "Saves the caller's name, e-mail address, preferred language or a note so the office remembers them next time.",
  args,
  safeToRepeat: false,
  async handle({ context, client, call, args: input }) {
    if (!call.fromNumber) {
      return { ok: false, message: phrasesFor(call.language).functions.noCallerNumber };
    }
    const clientId = client.config.slug;
    const customer = await context.db.transaction().execute(async (trx) => {
      await lockCall(trx, context, clientId, call.callId, { status: 'in_progress', stage: 1 });
      const found = await findOrCreateCustomer(trx, context.clock, clientId, call.fromNumber!);
      const fields: CustomerFields = {};
      if (input.name) fields.name = input.name;
      if (input.email) fields.email = input.email;
      if (input.preferred_language) {
        // The caller said so: a choice that later guesses do not overwrite. "Spanish" / "español" → "es".
        fields.preferred_language = languageFromName(input.preferred_language) ?? input.preferred_language;
        fields.preferred_language_source = 'caller';
      }
      if (input.notes) {
        // Notes accumulate across calls: staff want the history, not only the last remark.
        fields.notes = found.notes ? `${found.notes}\n${input.notes}` : input.notes;
      }
      const updated = await updateCustomer(trx, context.clock, found.id, fields);
      await linkCallToCustomer(trx, context, { clientId, callId: call.callId, customerId: updated.id, call });
      if (fields.preferred_language !== undefined) {
        // Every instance forgets the language it remembered for this call (customers/call-language-memo.ts).
        await context.bus.publish({ type: CUSTOMER_CHANGED, clientId, data: { id: updated.id, callId: call.callId } }, trx);
      }
      return updated;
    });
    // At once here, not only when our own NOTIFY comes back: the caller's next request may be quicker.
    if (input.preferred_language) context.callLanguages.forgetCall(clientId, call.callId);
    const saved = (['name', 'email', 'language', 'note'] as const).filter(
      (field) => ({ name: input.name, email: input.email, language: input.preferred_language, note: input.notes })[field],
    );
    return { ok: true, message: phrasesFor(call.language).functions.saved(saved), customer_id: String(customer.id) };
  },
};
