/**
 * The `sms` outbox handler. Everything is checked again at send time, because hours or days may have passed
 * since planning: consent, the appointment not having started, quiet hours in the recipient's zone, the
 * per-state marketing cap and the sender's pace. Not safe to repeat: a text that may have left (the provider's
 * answer lost, or the process died mid-send) is never re-sent blindly. The next run first looks it up at that provider
 * (reconcile-sms.ts) and adopts it, and sends only when the provider does not have it; if it cannot be asked, the row
 * becomes `unknown` for a person.
 *
 * An office with an SMS chain (`providers.sms`, issue 19) tries its providers in order (`sendThroughChain`,
 * chains.ts): the next one only when the previous certainly never took the text (`never_accepted`/`config`),
 * skipping a provider whose shared circuit is open (circuit-breaker.ts); which provider each attempt went to is
 * written first, so a lost answer is looked up there. Without a chain it is the office's default provider alone, as
 * before. Providers come from vendor modules (chains.ts) and report failures in neutral words (`recipient_opted_out`, `recipient_invalid`, …; core/errors.ts).
 */
import type { AppContext } from '../app-context.js';
import { alertIfGivingUp, type GaveUp } from '../alerts/gave-up.js';
import { PermanentError, VendorError, errorMessage } from '../core/errors.js';
import { maskPhone } from '../log/mask.js';
import type { OutboxRow } from '../db/schema.js';
import { OutcomeUnknown, Reschedule, type HandlerContext, type OutboxHandler } from '../outbox/handlers.js';
import type { MessagingBatches } from './batches.js';
import type { SenderPacer } from './pacer.js';
import type { MessagePayload } from './payload.js';
import type { ProviderChain, SmsLink, SmsSendRequest, SmsSendResult } from './ports.js';
import { findEarlierText } from './reconcile-sms.js';
import { checkBeforeSend, parseMessagePayload } from './send-checks.js';
import { ProviderBreakers, providerName } from './circuit-breaker.js';
import { setConsent } from '../customers/consent.js';
import { sendThroughChain, type MessagingVendors } from './chains.js';
import { applyRewriteDecision } from './rewrite/apply.js';

export function smsHandler(context: AppContext, vendors: MessagingVendors, pacer: SenderPacer, batches: MessagingBatches): OutboxHandler {
  const breakers = new ProviderBreakers(context);
  return {
    safeToRepeat: false,
    keepFinished: true,
    reconciles: true,
    async run(row: OutboxRow, handler: HandlerContext) {
      const { client, payload } = parseMessagePayload(context, row);
      if (!payload.body) throw new PermanentError(payload.renderError ?? 'The text is empty; edit it and send again.', 'render');
      const sender = client.config.senders.sms;
      const chain = onlyThrough(vendors.smsChainFor(row.client_id), payload);
      const gaveUp: GaveUp = {
        source: 'messaging.sms',
        what: 'A text',
        retryHint: 'send it again from Messages (dead).',
        details: { to: maskPhone(payload.to) },
      };
      const requestFor = (link: SmsLink): SmsSendRequest => ({
        to: payload.to,
        body: payload.body!,
        from: link.from,
        messagingServiceSid: link.messagingServiceSid,
        statusCallback: link.statusCallback(row.id),
      });

      if (handler.unsettledSince) {
        // Before any check: a text that already left is adopted whatever the hour or consent is now. It is looked
        // for at the provider the lost attempt went to (the first of the chain for rows from before chains).
        const tookIt = chain.explicit ? await lastAttemptProvider(context, row.id) : undefined;
        const link = chain.links.find((candidate) => candidate.provider === tookIt) ?? chain.links[0]!;
        const earlier = await findEarlierText(context, link.port, row, requestFor(link), handler.unsettledSince, link.provider);
        if (earlier) {
          await recordSent(context, batches, row, payload, earlier, handler, link);
          return { providerId: earlier.providerId, status: earlier.status, segments: earlier.segments, adopted: true, provider: link.provider };
        }
        if (handler.attempt > row.max_attempts) {
          // The run only looked (its attempts are used up): the lost attempt never reached the provider after all.
          const name = providerName(link.provider);
          const notSent = new VendorError({
            vendor: link.provider,
            code: 'not_sent',
            retryable: true,
            message: `Not sent: ${name} has no record of the last attempt, whose answer was lost, and all ${row.max_attempts} attempts are used.`,
          });
          await alertIfGivingUp(context, row, handler.attempt, notSent, gaveUp);
          throw new PermanentError(notSent.message, 'not_sent');
        }
      }

      const now = handler.clock.now();
      await checkBeforeSend(context, batches, row, client.config, 'sms', payload, now);
      await applyRewriteDecision(context, row, payload, handler);
      const turn = await pacer.take(context.db, sender.from ?? sender.messagingServiceSid ?? 'default', sender.ratePerSecond, row.id, now);
      if (turn) throw new Reschedule(turn, `Paced: ${sender.ratePerSecond} text(s) per second from this sender`);

      const { result, link } = await sendThroughChain(context, breakers, row, handler, chain, {
        name: 'sms',
        send: (link) => link.port.send(requestFor(link)),
        unexpectedFailure: unexpectedSmsFailure,
        lostAnswer: async (link, error) =>
          new OutcomeUnknown(`${errorMessage(error)} It is looked up at ${providerName(link.provider)} before anything is sent again.`, 'reconcile', error),
        afterFailure: (link, error) => afterVendorError(context, row, payload.to, error, link),
        gaveUp,
        heldReason: 'Held: every SMS provider of this office is failing (circuits open)',
        heldFallback: new Date(now.getTime() + 30_000),
      });
      await recordSent(context, batches, row, payload, result, handler, link);
      return { providerId: result.providerId, status: result.status, segments: result.segments, provider: link.provider };
    },
  };
}

/**
 * Adapters throw VendorError with a neutral `failure`; anything else escaped one. The request may have gone out, so it
 * counts as a lost answer: looked up at the provider before anything is sent again, never re-sent blindly.
 */
function unexpectedSmsFailure(provider: string, error: unknown): VendorError {
  return new VendorError({
    vendor: provider,
    code: 'unexpected',
    retryable: true,
    ambiguous: true,
    message: `${providerName(provider)} failed in an unexpected way (${errorMessage(error)}); it may have the text.`,
    cause: error,
  });
}

/** The provider the latest attempt of this queue item went to. */
async function lastAttemptProvider(context: AppContext, outboxId: number): Promise<string | undefined> {
  const last = await context.db
    .selectFrom('message_provider_attempts')
    .select('provider')
    .where('outbox_id', '=', outboxId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.provider;
}

/** The text is out: nothing here may throw, or the outbox would retry and send it twice. */
async function recordSent(
  context: AppContext,
  batches: MessagingBatches,
  row: OutboxRow,
  payload: MessagePayload,
  result: SmsSendResult,
  handler: HandlerContext,
  link: SmsLink,
): Promise<void> {
  const at = handler.clock.now();
  try {
    await batches.recordDelivery({
      clientId: row.client_id,
      outboxId: row.id,
      channel: 'sms',
      providerId: result.providerId,
      to: payload.to,
      status: result.status,
      segments: result.segments ?? payload.segments ?? null,
      at,
      provider: link.provider,
      sender: link.from ?? link.messagingServiceSid ?? null,
    });
    if (payload.purpose === 'marketing') {
      await context.db
        .insertInto('marketing_sends')
        .values({ client_id: row.client_id, channel: 'sms', address: payload.to, outbox_id: row.id, sent_at: at })
        .execute();
    }
  } catch (error) {
    handler.logger.error({ err: error, outboxId: row.id }, 'Text sent but its delivery record could not be saved');
  }
}

async function afterVendorError(context: AppContext, row: OutboxRow, to: string, error: VendorError | PermanentError, link: SmsLink): Promise<void> {
  try {
    const failure = error instanceof VendorError ? error.failure : undefined;
    // One consent list for every provider: a block at any of them opts the number out everywhere.
    if (failure === 'recipient_opted_out') {
      await setConsent(context.db, context, {
        clientId: row.client_id,
        channel: 'sms',
        address: to,
        purpose: 'all',
        status: 'opted_out',
        source: 'sms_keyword',
        actor: `${link.provider}:${error.code}`,
      });
    }
    if (failure === 'config') {
      await context.alerts.raise({
        clientId: row.client_id,
        source: 'messaging.sms',
        fingerprint: `messaging.sms:${link.provider}:${error.code}`,
        severity: 'error',
        message: `Texts are failing because of the ${providerName(link.provider)} setup: ${error.message}`,
        details: { outboxId: row.id, to: maskPhone(to) },
        callId: row.call_id,
      });
    }
  } catch (followUpError) {
    context.logger.error({ err: followUpError, outboxId: row.id }, `Could not record the consequences of a ${providerName(link.provider)} error`);
  }
}

/**
 * A keyword reply goes back through the provider the keyword arrived on (the number the person texted), never to
 * another provider of the chain: the one provider's link alone, or none when the office no longer lists it.
 */
function onlyThrough(chain: ProviderChain<SmsLink>, payload: MessagePayload): ProviderChain<SmsLink> {
  const provider = payload.keywordReply?.provider;
  if (provider === undefined) return chain;
  const links = chain.links.filter((link) => link.provider === provider);
  if (links.length === 0)
    throw new PermanentError(
      `Not sent: this reply answers a text that arrived through ${providerName(provider)}, which the office no longer sends through.`,
      'provider_removed',
    );
  return { links, explicit: chain.explicit };
}
