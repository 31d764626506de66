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
import { findCustomerByPhone, findOrCreateCustomer, updateCustomer } from './store.js';

/** Sources a detection may overwrite. */
const GUESSED = new Set<string | null>([null, 'call']);

export async function callLanguageFor(
  db: Kysely<DB>,
  clock: Clock,
  config: ClientConfig,
  call: { agentId: string | undefined; fromNumber: string | undefined; transcript: string | undefined },
): Promise<CallLanguage> {
  const customer = call.fromNumber ? await findCustomerByPhone(db, config.slug, call.fromNumber) : undefined;
  const chosen = chooseCallLanguage({
    agent: agentLanguage(config, call.agentId),
    words: detectLanguage(callerLines(call.transcript)),
    remembered: customer?.preferred_language,
    office: officeLanguage(config),
  });
  const learned = chosen.source === 'agent' || chosen.source === 'words';
  if (learned && call.fromNumber && customer?.preferred_language !== chosen.language && GUESSED.has(customer?.preferred_language_source ?? null)) {
    // A new caller speaking the office's own language needs no row yet; anyone else is remembered now.
    if (customer) {
      await updateCustomer(db, clock, customer.id, { preferred_language: chosen.language, preferred_language_source: 'call' });
    } else if (chosen.language !== officeLanguage(config)) {
      await findOrCreateCustomer(db, clock, config.slug, call.fromNumber, { preferred_language: chosen.language, preferred_language_source: 'call' });
    }
  }
  return chosen;
}
