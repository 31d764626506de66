/**
 * The `email` outbox handler: the same send-time checks as texts (consent, and for marketing the window),
 * then SMTP. Marketing mail carries List-Unsubscribe with an https link and RFC 8058 one-click POST.
 * SMTP has no way to ask a server whether it took a message, so one whose connection dropped after the server had
 * all of it is not sent again: the row becomes `unknown` for a person, with its Message-ID (the same for the same
 * row and content) to look for in the provider's log (docs/decisions.md, "A lost vendor answer").
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { alertIfGivingUp, alertOutcomeUnknown } from '../alerts/gave-up.js';
import { PermanentError, VendorError } from '../core/errors.js';
import { maskEmail } from '../log/mask.js';
import type { OutboxRow } from '../db/schema.js';
import { OutcomeUnknown, type HandlerContext, type OutboxHandler } from '../outbox/handlers.js';
import { classifySmtpError } from '../providers/smtp/mailer.js';
import type { MessagingBatches } from './batches.js';
import { checkBeforeSend, parseMessagePayload } from './send-checks.js';
import type { MessagingVendors } from './vendors.js';

export function emailHandler(context: AppContext, vendors: MessagingVendors, batches: MessagingBatches): OutboxHandler {
  return {
    safeToRepeat: false,
    async run(row: OutboxRow, handler: HandlerContext) {
      const { client, payload } = parseMessagePayload(context, row);
      if (!payload.subject || !payload.text) throw new PermanentError(payload.renderError ?? 'The e-mail has no subject or text; edit it and send again.', 'render');
      const now = handler.clock.now();
      await checkBeforeSend(context, batches, row, client.config, 'email', payload, now);

      const sender = client.config.senders.email;
      const marketing = payload.purpose === 'marketing' && payload.unsubscribeUrl;
      let result;
      try {
        result = await vendors.emailFor(row.client_id).send({
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
        });
      } catch (error) {
        const vendorError = error instanceof VendorError || error instanceof PermanentError ? error : classifySmtpError(error);
        if (vendorError instanceof VendorError && vendorError.ambiguous) {
          const message =
            `An e-mail (queue item ${row.id}) may or may not have been sent: ${vendorError.message} It was not sent again. ` +
            `Look for its Message-ID in the mail provider's log or sent folder, and send it again from Messages (unknown) only if it is not there.`;
          await alertOutcomeUnknown(context, row, { source: 'messaging.email', message, details: { to: maskEmail(payload.to) } });
          throw new OutcomeUnknown(message, 'person', vendorError);
        }
        if (vendorError.code === 'auth') {
          await context.alerts.raise({
            clientId: row.client_id,
            source: 'messaging.email',
            fingerprint: 'messaging.email:smtp:auth',
            severity: 'error',
            message: `E-mails are failing because the mail server refused our login: ${vendorError.message}`,
            details: { outboxId: row.id, to: maskEmail(payload.to) },
          });
        } else {
          await alertIfGivingUp(context, row, handler.attempt, vendorError, {
            source: 'messaging.email',
            what: 'An e-mail',
            retryHint: 'send it again from Messages (dead).',
            details: { to: maskEmail(payload.to) },
          });
        }
        throw vendorError;
      }

      try {
        await batches.recordDelivery({
          clientId: row.client_id,
          outboxId: row.id,
          channel: 'email',
          providerId: result.messageId,
          to: payload.to,
          status: 'sent',
          at: handler.clock.now(),
        });
      } catch (error) {
        handler.logger.error({ err: error, outboxId: row.id }, 'E-mail sent but its delivery record could not be saved');
      }
      return { providerId: result.messageId, response: result.response };
    },
  };
}

/**
 * `sb.<row>.<digest of the content>`: a copy sent twice carries one Message-ID (mailboxes that de-duplicate on it show
 * one), and an edited message sent again gets a new one.
 */
function messageReference(outboxId: number, to: string, ...parts: Array<string | null | undefined>): string {
  const digest = createHash('sha256').update([to, ...parts.map((part) => part ?? '')].join('\u0000')).digest('hex').slice(0, 16);
  return `sb.${outboxId}.${digest}`;
}
