/**
 * A provider that says the recipient blocked us (they replied STOP at the provider: Twilio's 21610, Telnyx's 40300)
 * fails later sends. It can arrive as the answer to a send or, with a messaging service or a queued send, only later
 * in a `failed`/`undelivered` status callback. Either way the number is opted out locally for every SMS purpose, so
 * nothing else is planned or attempted through any provider and pending texts are cancelled. The vendor module
 * decides what its codes mean; this records the consequence.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import { setConsent, type ConsentChangeResult } from '../customers/consent.js';
import type { DB } from '../db/schema.js';

export function mirrorProviderOptOut(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clock'>,
  recipient: { clientId: string; to: string; provider: string; code: string | null },
): Promise<ConsentChangeResult> {
  return setConsent(db, context, {
    clientId: recipient.clientId,
    channel: 'sms',
    address: recipient.to,
    purpose: 'all',
    status: 'opted_out',
    source: 'sms_keyword',
    actor: `${recipient.provider}:${recipient.code ?? 'blocked'}`,
  });
}
