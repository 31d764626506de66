/**
 * Texts people send to the office's number. Opt-out words (and plain-language revocations, which the FCC
 * says must be honoured too) opt the number out for this client at once; START/UNSTOP opt back in; HELP
 * answers with the office's contact line; anything else is stored for staff. Twilio retries webhooks, so the
 * MessageSid makes a repeat a no-op with the same answer. The body is caller text: it is stored with SSN/ITIN,
 * card and account numbers removed, as call transcripts are (per client `retell.redactTranscripts`).
 */
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import { OPT_OUT_TEXT, renderTemplate } from '../config/templates.js';
import { setConsent } from '../customers/consent.js';
import { findCustomerByPhone } from '../customers/store.js';
import { redactCallerText } from '../log/redact-caller-text.js';
import { formatOfficePhone } from './render.js';

export type InboundIntent = 'stop' | 'start' | 'help' | 'revocation' | 'message';

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START_WORDS = new Set(['START', 'UNSTOP']);
const HELP_WORDS = new Set(['HELP', 'INFO']);
const REVOCATION =
  /\b(stop (texting|messaging|sending|contacting)|(don'?t|do not) (text|message|contact)|no more (texts|messages)|unsubscribe|opt (me )?out|remove me)\b/i;

export function classifyInbound(body: string): InboundIntent {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  if (HELP_WORDS.has(word)) return 'help';
  if (REVOCATION.test(body)) return 'revocation';
  return 'message';
}

export function inboundReply(config: ClientConfig, intent: InboundIntent): string | undefined {
  const phone = formatOfficePhone(config.officePhone);
  switch (intent) {
    case 'stop':
    case 'revocation':
      try {
        return renderTemplate(config.templates.sms.opt_out_confirmation, {
          office_name: config.name,
          office_phone: phone,
          office_address: config.address,
          first_name: 'there',
          opt_out_text: OPT_OUT_TEXT,
        });
      } catch {
        return undefined;
      }
    case 'start':
      return `${config.name}: You're subscribed to our texts again. Reply HELP for help, STOP to opt out.`;
    case 'help':
      return `${config.name}: For help call ${phone} or e-mail ${config.officeEmail}. Reply STOP to opt out.`;
    default:
      return undefined;
  }
}

export interface InboundText {
  clientId: string;
  messageSid: string;
  from: string;
  to: string;
  body: string;
}

/** Stores the text and applies its consent effect; returns the intent and whether this was a repeat. */
export async function receiveInbound(context: AppContext, text: InboundText): Promise<{ intent: InboundIntent; duplicate: boolean; inboundId?: number }> {
  const intent = classifyInbound(text.body);
  const redact = context.clients.get(text.clientId)?.config.retell.redactTranscripts ?? true;
  const body = redact ? redactCallerText(text.body) : text.body;
  return context.db.transaction().execute(async (trx) => {
    const customer = await findCustomerByPhone(trx, text.clientId, text.from);
    const inserted = await trx
      .insertInto('inbound_messages')
      .values({
        client_id: text.clientId,
        provider_id: text.messageSid,
        from_number: text.from,
        to_number: text.to,
        body,
        intent,
        customer_id: customer?.id ?? null,
        received_at: context.clock.now(),
      })
      .onConflict((conflict) => conflict.column('provider_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { intent, duplicate: true };
    if (intent === 'stop' || intent === 'revocation') {
      await setConsent(trx, context, { clientId: text.clientId, channel: 'sms', address: text.from, purpose: 'all', status: 'opted_out', source: 'sms_keyword' });
    } else if (intent === 'start') {
      await setConsent(trx, context, { clientId: text.clientId, channel: 'sms', address: text.from, purpose: 'all', status: 'opted_in', source: 'sms_keyword' });
    }
    await context.bus.publish({ type: 'message.inbound', clientId: text.clientId, data: { id: inserted.id, intent, customerId: customer?.id ?? null } }, trx);
    return { intent, duplicate: false, inboundId: inserted.id };
  });
}
