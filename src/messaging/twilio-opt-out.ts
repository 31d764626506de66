/**
 * Twilio's error 21610 means its own opt-out list has the number (the person replied STOP to this sender): later
 * sends fail. It can arrive as the answer to a send or, with a messaging service or a queued send, only later in a
 * `failed`/`undelivered` status callback. Either way the number is opted out locally for every SMS purpose, so
 * nothing else is planned or attempted and pending texts are cancelled.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import { setConsent, type ConsentChangeResult } from '../customers/consent.js';
import type { DB } from '../db/schema.js';

export const TWILIO_UNSUBSCRIBED = '21610';

export function mirrorTwilioOptOut(
  db: Kysely<DB>,
  context: Pick<AppContext, 'clock'>,
  recipient: { clientId: string; to: string },
): Promise<ConsentChangeResult> {
  return setConsent(db, context, {
    clientId: recipient.clientId,
    channel: 'sms',
    address: recipient.to,
    purpose: 'all',
    status: 'opted_out',
    source: 'sms_keyword',
    actor: `twilio:${TWILIO_UNSUBSCRIBED}`,
  });
}
