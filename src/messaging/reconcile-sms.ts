/**
 * Reconciling a text whose earlier attempt may have gone out unheard (Twilio's answer was lost, or the process
 * sending it died): Twilio's message list is asked for outgoing texts to this recipient, from this sender, with this
 * body, created since that attempt began, and the first one no other queue item has claimed is adopted. Creating a
 * message at Twilio has no idempotency key, so this is the only way to send again without sending twice. When Twilio
 * cannot be asked, nothing is sent: the row becomes `unknown` for a person (one alert per office).
 *
 * A provider that cannot be searched (Telnyx, issue 19) is asked about the ids its own webhooks reported for this
 * queue item (a `message.sent` carries the queue item in its URL); with none reported it cannot be told whether it
 * has the text, so nothing is sent and the row is `unknown` for a person.
 */
import type { AppContext } from '../app-context.js';
import { alertOutcomeUnknown } from '../alerts/gave-up.js';
import { errorMessage } from '../core/errors.js';
import type { OutboxRow } from '../db/schema.js';
import { maskPhone } from '../log/mask.js';
import { OutcomeUnknown } from '../outbox/handlers.js';
import { providerName } from './circuit-breaker.js';
import type { SmsPort, SmsSendRequest, SmsSentMessage } from './ports.js';

/** Twilio stamps date_created with its own clock; ours may differ by a little. */
const CLOCK_MARGIN_MS = 60_000;

export async function findEarlierText(
  context: AppContext,
  sms: SmsPort,
  row: OutboxRow,
  request: SmsSendRequest,
  unsettledSince: Date,
  provider = 'twilio',
): Promise<SmsSentMessage | undefined> {
  const name = providerName(provider);
  const since = new Date(unsettledSince.getTime() - CLOCK_MARGIN_MS);
  let found: SmsSentMessage[];
  try {
    found = sms.findSent ? await sms.findSent(request, since) : await lookUpReported(context, sms, row, provider, since);
  } catch (error) {
    if (error instanceof OutcomeUnknown) throw error;
    const message =
      `A text (queue item ${row.id}) may or may not have been sent: ${name}'s answer to it was lost, and asking ${name} ` +
      `afterwards failed too (${errorMessage(error)}). It was not sent again. Check with the recipient or in the ${name} ` +
      `console, then send it again from Messages (unknown) only if it did not arrive.`;
    await alertOutcomeUnknown(context, row, { source: 'messaging.sms', message, details: { to: maskPhone(request.to) } });
    throw new OutcomeUnknown(message, 'person', error);
  }
  if (found.length === 0) return undefined;
  // The same words to the same number may be another queue item's text (a resend, a second compose): never take one
  // whose delivery record belongs to another row.
  const claimed = await context.db
    .selectFrom('message_deliveries')
    .select(['provider_id', 'outbox_id'])
    .where(
      'provider_id',
      'in',
      found.map((message) => message.providerId),
    )
    .execute();
  const taken = new Set(
    claimed.filter((delivery) => delivery.outbox_id !== null && Number(delivery.outbox_id) !== row.id).map((delivery) => delivery.provider_id),
  );
  return found.find((message) => !taken.has(message.providerId));
}

/** The texts `provider`'s webhooks reported for this queue item, confirmed one by one with the provider's API. */
async function lookUpReported(context: AppContext, sms: SmsPort, row: OutboxRow, provider: string, since: Date): Promise<SmsSentMessage[]> {
  const reported = await context.db
    .selectFrom('message_deliveries')
    .select(['provider_id', 'created_at'])
    .where('outbox_id', '=', row.id)
    .where('provider', '=', provider)
    .where('created_at', '>=', since)
    .orderBy('created_at')
    .execute();
  const name = providerName(provider);
  if (reported.length === 0 || !sms.lookup) {
    const message =
      `A text (queue item ${row.id}) may or may not have been sent: ${name}'s answer to it was lost, ${name} cannot be searched, ` +
      `and it has reported no text for it. It was not sent again. Check with the recipient or in the ${name} portal, ` +
      `then send it again from Messages (unknown) only if it did not arrive.`;
    await alertOutcomeUnknown(context, row, { source: 'messaging.sms', message, details: {} });
    throw new OutcomeUnknown(message, 'person');
  }
  const found: SmsSentMessage[] = [];
  for (const delivery of reported) {
    const message = await sms.lookup(delivery.provider_id);
    if (message) found.push({ ...message, createdAt: new Date(delivery.created_at) });
  }
  return found;
}
