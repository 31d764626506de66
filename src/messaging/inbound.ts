/**
 * Texts people send to the office's number, in English or Spanish (what counts as which: keywords.ts). Opt-out
 * words (and plain-language revocations, which the FCC says must be honoured too) opt the number out for this
 * client at once; START/ALTA opt back in; HELP/AYUDA answer with the office's contact line; each reply is in the
 * language of the text; anything else is stored for staff. Twilio retries webhooks, so the
 * MessageSid makes a repeat a no-op with the same answer. The body is caller text: it is stored with SSN/ITIN,
 * card and account numbers removed, as call transcripts are (per client `retell.redactTranscripts`). A provider that
 * takes no reply in its webhook's response (Telnyx) gets the reply queued as a text back through it, in the same
 * transaction, unless it answered the keyword itself.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import { DEFAULT_REPLIES } from '../config/sms-keywords.js';
import { OPT_OUT_TEXT, renderTemplate } from '../config/templates.js';
import { setConsent } from '../customers/consent.js';
import { findCustomerByPhone } from '../customers/store.js';
import { redactCallerText } from '../log/redact-caller-text.js';
import type { DB } from '../db/schema.js';
import { enqueue } from '../outbox/enqueue.js';
import { retryPolicyFor, smsBodyFields } from './enqueue-message.js';
import { classifyInbound, type InboundClassification } from './keywords.js';
import type { MessagePayload } from './payload.js';
import { locateRecipient } from './recipient.js';
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
  /**
   * Set by a provider that cannot answer in its webhook's response (Telnyx): our reply to a keyword is queued as a
   * text through that provider, unless the provider answered the keyword itself (`providerAnswered`: Telnyx's own
   * STOP/START/HELP auto-response fired). Unset (Twilio): the caller answers in its response (`inboundReply`).
   */
  replyThrough?: { provider: string; providerAnswered: boolean };
}

/** What became of the reply to a keyword: queued through the provider (its outbox row), left to the provider, or none. */
export type KeywordReplyOutcome = { queued: number } | 'provider_answered' | 'none';

/** Stores the text and applies its consent effect; returns the intent and whether this was a repeat. */
export async function receiveInbound(
  context: AppContext,
  text: InboundText,
): Promise<InboundClassification & { duplicate: boolean; inboundId?: number; reply?: KeywordReplyOutcome }> {
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
    let reply: KeywordReplyOutcome | undefined;
    if (text.replyThrough) {
      // In the same transaction as the stored text: a webhook the provider repeats finds the text stored and the reply
      // queued, never one without the other.
      reply = await queueKeywordReply(trx, context, text, classification, customer?.id ?? null, inserted.id, config);
      if (typeof reply === 'object') await context.bus.publish({ type: 'outbox.changed', clientId: text.clientId, data: { ids: [reply.queued] } }, trx);
    }
    await context.bus.publish({ type: 'message.inbound', clientId: text.clientId, data: { id: inserted.id, intent, customerId: customer?.id ?? null } }, trx);
    return { ...classification, duplicate: false, inboundId: inserted.id, ...(reply ? { reply } : {}) };
  });
}

async function queueKeywordReply(
  db: Kysely<DB>,
  context: AppContext,
  text: InboundText,
  classification: InboundClassification,
  customerId: number | null,
  inboundId: number,
  config: ClientConfig | undefined,
): Promise<KeywordReplyOutcome> {
  const through = text.replyThrough!;
  const body = config && inboundReply(config, classification);
  if (!config || body === undefined) return 'none';
  // The provider already answered (Telnyx's auto-response to STOP, START or HELP in English): a second answer from us
  // would only repeat it. Its wording is set on the provider's messaging profile (docs/decisions.md).
  if (through.providerAnswered) return 'provider_answered';
  const now = context.clock.now();
  const location = locateRecipient(text.from, config.timezone);
  const payload: MessagePayload = {
    to: text.from,
    purpose: 'transactional',
    template: 'manual',
    sequence: 'keyword_reply',
    ...smsBodyFields(body),
    zone: location.zone,
    state: location.state ?? null,
    dueAt: now.toISOString(),
    keywordReply: { provider: through.provider, inboundId },
    ...(classification.language !== 'en' ? { language: classification.language } : {}),
  };
  const queued = await enqueue(db, context.clock, {
    clientId: text.clientId,
    kind: 'sms',
    payload,
    dedupeKey: `msg:${text.clientId}:inbound:${inboundId}:reply`,
    runAt: now,
    retry: retryPolicyFor(context, text.clientId),
    customerId,
  });
  return { queued: queued.id };
}
