/**
 * The `sms` outbox handler. Everything is checked again at send time, because hours or days may have passed
 * since planning: consent, the appointment not having started, quiet hours in the recipient's zone, the
 * per-state marketing cap and the sender's pace. Not safe to repeat: a text that may have left is never
 * re-sent blindly (the outbox marks it `unknown` for a person).
 */
import type { AppContext } from '../app-context.js';
import { alertIfGivingUp } from '../alerts/gave-up.js';
import { PermanentError, VendorError } from '../core/errors.js';
import { maskPhone } from '../log/mask.js';
import { setConsent } from '../customers/consent.js';
import type { OutboxRow } from '../db/schema.js';
import { Reschedule, type HandlerContext, type OutboxHandler } from '../outbox/handlers.js';
import { classifyTwilioError } from '../providers/twilio/sms.js';
import type { MessagingBatches } from './batches.js';
import type { SenderPacer } from './pacer.js';
import { checkBeforeSend, parseMessagePayload } from './send-checks.js';
import type { MessagingVendors } from './vendors.js';

/** Codes that mean our configuration is wrong, not the message: somebody must act. */
const CONFIG_CODES = new Set(['20003', '21606', '21659', '21408']);

export function smsHandler(context: AppContext, vendors: MessagingVendors, pacer: SenderPacer, batches: MessagingBatches): OutboxHandler {
  return {
    safeToRepeat: false,
    async run(row: OutboxRow, handler: HandlerContext) {
      const { client, payload } = parseMessagePayload(context, row);
      if (!payload.body) throw new PermanentError(payload.renderError ?? 'The text is empty; edit it and send again.', 'render');
      const now = handler.clock.now();
      await checkBeforeSend(context, batches, row, client.config, 'sms', payload, now);

      const sender = client.config.senders.sms;
      const turn = await pacer.take(context.db, sender.from ?? sender.messagingServiceSid ?? 'default', sender.ratePerSecond, row.id, now);
      if (turn) throw new Reschedule(turn, `Paced: ${sender.ratePerSecond} text(s) per second from this sender`);

      let result;
      try {
        result = await vendors.smsFor(row.client_id).send({
          to: payload.to,
          body: payload.body,
          from: sender.from,
          messagingServiceSid: sender.messagingServiceSid,
          statusCallback: `${context.publicBaseUrl}/v1/twilio/${row.client_id}/status?outbox=${row.id}`,
        });
      } catch (error) {
        const vendorError = error instanceof VendorError ? error : error instanceof PermanentError ? error : classifyTwilioError(error);
        await afterVendorError(context, row, payload.to, vendorError);
        // Configuration codes already alerted above; anything else retryable that ends the last attempt alerts once.
        if (!CONFIG_CODES.has(vendorError.code)) {
          await alertIfGivingUp(context, row, handler.attempt, vendorError, {
            source: 'messaging.sms',
            what: 'A text',
            retryHint: 'send it again from Messages (dead).',
            details: { to: maskPhone(payload.to) },
          });
        }
        throw vendorError;
      }

      // The text is out: nothing below may throw, or the outbox would retry and send it twice.
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
        });
        if (payload.purpose === 'marketing') {
          await context.db.insertInto('marketing_sends').values({ client_id: row.client_id, channel: 'sms', address: payload.to, outbox_id: row.id, sent_at: at }).execute();
        }
      } catch (error) {
        handler.logger.error({ err: error, outboxId: row.id }, 'Text sent but its delivery record could not be saved');
      }
      return { providerId: result.providerId, status: result.status, segments: result.segments };
    },
  };
}

async function afterVendorError(context: AppContext, row: OutboxRow, to: string, error: VendorError | PermanentError): Promise<void> {
  try {
    if (error.code === '21610') {
      // Twilio's own opt-out list has this number: mirror it so nothing else is planned or attempted.
      await setConsent(context.db, context, { clientId: row.client_id, channel: 'sms', address: to, purpose: 'all', status: 'opted_out', source: 'sms_keyword', actor: 'twilio:21610' });
    }
    if (CONFIG_CODES.has(error.code)) {
      await context.alerts.raise({
        clientId: row.client_id,
        source: 'messaging.sms',
        fingerprint: `messaging.sms:twilio:${error.code}`,
        severity: 'error',
        message: `Texts are failing because of the Twilio setup: ${error.message}`,
        details: { outboxId: row.id, to: maskPhone(to) },
        callId: row.call_id,
      });
    }
  } catch (followUpError) {
    context.logger.error({ err: followUpError, outboxId: row.id }, 'Could not record the consequences of a Twilio error');
  }
}
