/**
 * Texts people send to the office's number, in English or Spanish (what counts as which: keywords.ts). Opt-out
 * words (and plain-language revocations, which the FCC says must be honoured too) opt the number out for this
 * client at once; START/ALTA opt back in; HELP/AYUDA answer with the office's contact line; each reply is in the
 * language of the text; anything else is stored for staff. Twilio retries webhooks, so the
 * MessageSid makes a repeat a no-op with the same answer. The body is caller text: it is stored with SSN/ITIN,
 * card and account numbers removed, as call transcripts are (per client `retell.redactTranscripts`).
 */
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import { DEFAULT_REPLIES } from '../config/sms-keywords.js';
import { OPT_OUT_TEXT, renderTemplate } from '../config/templates.js';
import { setConsent } from '../customers/consent.js';
import { findCustomerByPhone } from '../customers/store.js';
import { redactCallerText } from '../log/redact-caller-text.js';
import { classifyInbound, type InboundClassification } from './keywords.js';
import { formatOfficePhone } from './render.js';

export type { InboundIntent } from './keywords.js';

/** The reply to a keyword, in the language it was sent in; nothing for an ordinary message. */
export function inboundReply(config: ClientConfig, classification: InboundClassification): string | undefined {
  const { intent, language } = classification;
  const values: Record<string, string> = {
    office_name: config.name,
    office_phone: formatOfficePhone(config.officePhone),
    office_email: config.officeEmail,
    office_address: config.address,
    // The English opt-out reply is the office's opt_out_confirmation template, which may greet and repeat the line.
    first_name: 'there',
    opt_out_text: OPT_OUT_TEXT,
  };
  const replies = config.sms.replies;
  let text: string | undefined;
  if (intent === 'stop' || intent === 'revocation') {
    text = language === 'en' ? config.templates.sms.opt_out_confirmation : (replies.es.optOut ?? DEFAULT_REPLIES.es.optOut);
  } else if (intent === 'start') {
    text = replies[language].optIn ?? DEFAULT_REPLIES[language].optIn;
  } else if (intent === 'help') {
    text = replies[language].help ?? DEFAULT_REPLIES[language].help;
  }
  if (text === undefined) return undefined;
  try {
    return renderTemplate(text, values);
  } catch {
    // A template that needs a value we do not have (the customer's name): no reply beats a reply with a hole.
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
export async function receiveInbound(context: AppContext, text: InboundText): Promise<InboundClassification & { duplicate: boolean; inboundId?: number }> {
  const config = context.clients.get(text.clientId)?.config;
  const classification = classifyInbound(text.body, config);
  const { intent } = classification;
  const redact = config?.retell.redactTranscripts ?? true;
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
    if (!inserted) return { ...classification, duplicate: true };
    if (intent === 'stop' || intent === 'revocation') {
      await setConsent(trx, context, {
        clientId: text.clientId,
        channel: 'sms',
        address: text.from,
        purpose: 'all',
        status: 'opted_out',
        source: 'sms_keyword',
      });
    } else if (intent === 'start') {
      await setConsent(trx, context, {
        clientId: text.clientId,
        channel: 'sms',
        address: text.from,
        purpose: 'all',
        status: 'opted_in',
        source: 'sms_keyword',
      });
    }
    await context.bus.publish({ type: 'message.inbound', clientId: text.clientId, data: { id: inserted.id, intent, customerId: customer?.id ?? null } }, trx);
    return { ...classification, duplicate: false, inboundId: inserted.id };
  });
}
