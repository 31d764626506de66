/**
 * The caller's language during a call (for function answers) and what the office remembers of it. The order of
 * precedence is `chooseCallLanguage` (i18n/language.ts). A language learned from this call (the agent speaks only
 * it, or the caller's words said so) is remembered on the customer as source `call`, unless a person chose one
 * (`staff` in the dashboard, `caller` through save_caller_details): a guess never overwrites a choice. The
 * customer row is created for it if needed: its confirmation text is planned before the call ends.
 */
import type { Kysely } from 'kysely';
import type { ClientConfig } from '../config/client-schema.js';
import type { Clock } from '../core/clock.js';
import type { DB } from '../db/schema.js';
import { callerLines, detectLanguage } from '../i18n/detect-language.js';
import { agentLanguage, chooseCallLanguage, officeLanguage, type CallLanguage } from '../i18n/language.js';
import { type CallLanguageMemo, type RememberedLanguage } from './call-language-memo.js';
import { findCustomerByPhone, findOrCreateCustomer } from './store.js';

/** Sources a detection may overwrite: none yet, or an earlier detection (the check here and the update's guard). */
const GUESSED_SOURCE = 'call';
const GUESSED = new Set<string | null>([null, GUESSED_SOURCE]);

/**
 * `memo` (the function route's): the customer row's language columns are read once per call and remembered
 * (customers/call-language-memo.ts). A language learned here is not announced to other instances: each of them
 * learns the same one from the same agent and transcript, and a learned language outranks the remembered one.
 */
export async function callLanguageFor(
  db: Kysely<DB>,
  clock: Clock,
  config: ClientConfig,
  call: { agentId: string | undefined; fromNumber: string | undefined; transcript: string | undefined; callId?: string },
  memo?: CallLanguageMemo,
): Promise<CallLanguage> {
  const phone = call.fromNumber;
  const callId = memo && phone ? call.callId : undefined;
  let customer: RememberedLanguage | undefined;
  if (phone) {
    customer = callId ? memo!.recall(config.slug, callId, phone) : undefined;
    if (!customer) {
      const since = memo?.since() ?? 0;
      const row = await findCustomerByPhone(db, config.slug, phone);
      customer = row
        ? { customerId: row.id, language: row.preferred_language, source: row.preferred_language_source }
        : { customerId: null, language: null, source: null };
      if (callId) memo!.remember(config.slug, callId, phone, customer, since);
    }
  }
  const chosen = chooseCallLanguage({
    agent: agentLanguage(config, call.agentId),
    words: detectLanguage(callerLines(call.transcript)),
    remembered: customer?.language,
    office: officeLanguage(config),
  });
  const learned = chosen.source === 'agent' || chosen.source === 'words';
  if (learned && phone && customer && customer.language !== chosen.language && GUESSED.has(customer.source)) {
    // A new caller speaking the office's own language needs no row yet; anyone else is remembered now.
    if (customer.customerId === null && chosen.language === officeLanguage(config)) return chosen;
    const since = memo?.since() ?? 0;
    const learnt = { preferred_language: chosen.language, preferred_language_source: GUESSED_SOURCE };
    // Only over a guess, decided by the row itself: what this call remembers may be older than a person's choice.
    const row =
      customer.customerId !== null
        ? await db
            .updateTable('customers')
            .set({ ...learnt, updated_at: clock.now() })
            .where('id', '=', customer.customerId)
            .where((eb) => eb.or([eb('preferred_language_source', 'is', null), eb('preferred_language_source', '=', GUESSED_SOURCE)]))
            .returningAll()
            .executeTakeFirst()
        : await findOrCreateCustomer(db, clock, config.slug, phone, learnt);
    if (callId) {
      if (row)
        memo!.remember(config.slug, callId, phone, { customerId: row.id, language: row.preferred_language, source: row.preferred_language_source }, since);
      else memo!.forgetCall(config.slug, callId);
    }
  }
  return chosen;
}
