/**
 * The `email` outbox handler: the same send-time checks as texts (consent, and for marketing the window),
 * then the office's provider (SMTP by default). Marketing mail carries List-Unsubscribe with an https link and RFC 8058 one-click POST.
 * SMTP has no way to ask a server whether it took a message, so one whose connection dropped after the server had
 * all of it is not sent again: the row becomes `unknown` for a person, with its Message-ID (the same for the same
 * row and content) to look for in the provider's log (docs/decisions.md, "A lost vendor answer").
 * An office with an e-mail chain (`providers.email`: SMTP, SendGrid; issue 19) fails over like texts do (send-sms.ts).
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { alertOutcomeUnknown } from '../alerts/gave-up.js';
import { PermanentError, VendorError, errorMessage } from '../core/errors.js';
import { maskEmail } from '../log/mask.js';
import type { OutboxRow } from '../db/schema.js';
import { OutcomeUnknown, type HandlerContext, type OutboxHandler } from '../outbox/handlers.js';
import type { MessagingBatches } from './batches.js';
import { checkBeforeSend, parseMessagePayload } from './send-checks.js';
import { ProviderBreakers, providerName } from './circuit-breaker.js';
import type { EmailMessage } from './ports.js';
import { sendThroughChain, type MessagingVendors } from './chains.js';
import { applyRewriteDecision } from './rewrite/apply.js';

export function emailHandler(context: AppContext, vendors: MessagingVendors, batches: MessagingBatches): OutboxHandler {
  const breakers = new ProviderBreakers(context);
  return {
    safeToRepeat: false,
    keepFinished: true,
    async run(row: OutboxRow, handler: HandlerContext) {
      const { client, payload } = parseMessagePayload(context, row);
      if (!payload.subject || !payload.text)
        throw new PermanentError(payload.renderError ?? 'The e-mail has no subject or text; edit it and send again.', 'render');
      const now = handler.clock.now();
      await checkBeforeSend(context, batches, row, client.config, 'email', payload, now);
      await applyRewriteDecision(context, row, payload, handler);

      const sender = client.config.senders.email;
      const marketing = payload.purpose === 'marketing' && payload.unsubscribeUrl;
      const message: EmailMessage = {
        reference: messageReference(row.id, payload.to, payload.subject, payload.text, payload.html),
        from: sender.from,
        replyTo: sender.replyTo,
        to: payload.to,
        subject: payload.subject,
        text: payload.text,
        html: payload.html ?? undefined,
        ...(marketing
          ? {
              list: { unsubscribe: [{ url: payload.unsubscribeUrl!, comment: 'Unsubscribe' }] },
              headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
            }
          : {}),
      };
      const chain = vendors.emailChainFor(row.client_id);
      const { result, link: used } = await sendThroughChain(context, breakers, row, handler, chain, {
        name: 'email',
        send: (link) => link.port.send(message),
        unexpectedFailure: unexpectedEmailFailure,
        lostAnswer: async (link, error) => {
          const where = link.provider === 'smtp' ? "the mail provider's log or sent folder" : `${providerName(link.provider)}'s activity feed`;
          const unknown =
            `An e-mail (queue item ${row.id}) may or may not have been sent: ${error.message} It was not sent again. ` +
            `Look for its Message-ID in ${where}, and send it again from Messages (unknown) only if it is not there.`;
          await alertOutcomeUnknown(context, row, { source: 'messaging.email', message: unknown, details: { to: maskEmail(payload.to) } });
          return new OutcomeUnknown(unknown, 'person', error);
        },
        afterFailure: async (link, error) => {
          if (!(error instanceof VendorError) || error.failure !== 'config') return;
          await context.alerts.raise({
            clientId: row.client_id,
            source: 'messaging.email',
            fingerprint: link.provider === 'smtp' ? 'messaging.email:smtp:auth' : `messaging.email:${link.provider}:${error.code}`,
            severity: 'error',
            message:
              link.provider === 'smtp'
                ? `E-mails are failing because the mail server refused our login: ${error.message}`
                : `E-mails are failing because of the ${providerName(link.provider)} setup: ${error.message}`,
            details: { outboxId: row.id, to: maskEmail(payload.to) },
          });
        },
        gaveUp: { source: 'messaging.email', what: 'An e-mail', retryHint: 'send it again from Messages (dead).', details: { to: maskEmail(payload.to) } },
        heldReason: 'Held: every e-mail provider of this office is failing (circuits open)',
        heldFallback: new Date(now.getTime() + 30_000),
      });

      try {
        await batches.recordDelivery({
          clientId: row.client_id,
          outboxId: row.id,
          channel: 'email',
          providerId: result.messageId,
          to: payload.to,
          status: 'sent',
          at: handler.clock.now(),
          provider: used.provider,
          sender: sender.from,
        });
      } catch (error) {
        handler.logger.error({ err: error, outboxId: row.id }, 'E-mail sent but its delivery record could not be saved');
      }
      return { providerId: result.messageId, response: result.response, ...(chain.explicit ? { provider: used.provider } : {}) };
    },
  };
}

/**
 * Adapters throw VendorError with a neutral `failure`; anything else escaped one before the message was handed over
 * (the SMTP adapter marks a drop after the whole message as ambiguous itself): retried, and another provider may try.
 */
function unexpectedEmailFailure(provider: string, error: unknown): VendorError {
  return new VendorError({
    vendor: provider,
    code: 'unexpected',
    retryable: true,
    message: `Sending the e-mail through ${providerName(provider)} failed in an unexpected way: ${errorMessage(error)}`,
    cause: error,
  });
}

/**
 * `sb.<row>.<digest of the content>`: a copy sent twice carries one Message-ID (mailboxes that de-duplicate on it show
 * one), and an edited message sent again gets a new one.
 */
function messageReference(outboxId: number, to: string, ...parts: Array<string | null | undefined>): string {
  const digest = createHash('sha256')
    .update([to, ...parts.map((part) => part ?? '')].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
  return `sb.${outboxId}.${digest}`;
}
