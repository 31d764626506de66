/**
 * The `sms` outbox handler. Everything is checked again at send time, because hours or days may have passed
 * since planning: consent, the appointment not having started, quiet hours in the recipient's zone, the
 * per-state marketing cap and the sender's pace. Not safe to repeat: a text that may have left (Twilio's answer
 * lost, or the process died mid-send) is never re-sent blindly. The next run first looks it up at Twilio
 * (reconcile-sms.ts) and adopts it, and sends only when Twilio does not have it; if Twilio cannot be asked, the row
 * becomes `unknown` for a person.
 */
import type { AppContext } from '../app-context.js';
import { alertIfGivingUp } from '../alerts/gave-up.js';
import { PermanentError, VendorError, errorMessage } from '../core/errors.js';
import { maskPhone } from '../log/mask.js';
import type { OutboxRow } from '../db/schema.js';
import { OutcomeUnknown, Reschedule, type HandlerContext, type OutboxHandler } from '../outbox/handlers.js';
import { classifyTwilioError } from '../providers/twilio/sms.js';
import type { MessagingBatches } from './batches.js';
import type { SenderPacer } from './pacer.js';
import type { MessagePayload } from './payload.js';
import type { SmsSendRequest, SmsSendResult } from './ports.js';
import { findEarlierText } from './reconcile-sms.js';
import { checkBeforeSend, parseMessagePayload } from './send-checks.js';
import { TWILIO_UNSUBSCRIBED, mirrorTwilioOptOut } from './twilio-opt-out.js';
import type { MessagingVendors } from './vendors.js';

/** Codes that mean our configuration is wrong, not the message: somebody must act. */
const CONFIG_CODES = new Set(['20003', '21606', '21659', '21408']);

export function smsHandler(context: AppContext, vendors: MessagingVendors, pacer: SenderPacer, batches: MessagingBatches): OutboxHandler {
  return {
    safeToRepeat: false,
    reconciles: true,
    async run(row: OutboxRow, handler: HandlerContext) {
      const { client, payload } = parseMessagePayload(context, row);
      if (!payload.body) throw new PermanentError(payload.renderError ?? 'The text is empty; edit it and send again.', 'render');
      const sender = client.config.senders.sms;
      const sms = vendors.smsFor(row.client_id);
      const request: SmsSendRequest = {
        to: payload.to,
        body: payload.body,
        from: sender.from,
        messagingServiceSid: sender.messagingServiceSid,
        statusCallback: `${context.publicBaseUrl}/v1/twilio/${row.client_id}/status?outbox=${row.id}`,
      };

      if (handler.unsettledSince) {
        // Before any check: a text that already left is adopted whatever the hour or consent is now.
        const earlier = await findEarlierText(context, sms, row, request, handler.unsettledSince);
        if (earlier) {
          await recordSent(context, batches, row, payload, earlier, handler);
          return { providerId: earlier.providerId, status: earlier.status, segments: earlier.segments, adopted: true };
        }
        if (handler.attempt > row.max_attempts) {
          // The run only looked (its attempts are used up): the lost attempt never reached Twilio after all.
          const notSent = new VendorError({
            vendor: 'twilio',
            code: 'not_sent',
            retryable: true,
            message: `Not sent: Twilio has no record of the last attempt, whose answer was lost, and all ${row.max_attempts} attempts are used.`,
          });
          await alertIfGivingUp(context, row, handler.attempt, notSent, {
            source: 'messaging.sms',
            what: 'A text',
            retryHint: 'send it again from Messages (dead).',
            details: { to: maskPhone(payload.to) },
          });
          throw new PermanentError(notSent.message, 'not_sent');
        }
      }

      const now = handler.clock.now();
      await checkBeforeSend(context, batches, row, client.config, 'sms', payload, now);
      const turn = await pacer.take(context.db, sender.from ?? sender.messagingServiceSid ?? 'default', sender.ratePerSecond, row.id, now);
      if (turn) throw new Reschedule(turn, `Paced: ${sender.ratePerSecond} text(s) per second from this sender`);

      let result: SmsSendResult;
      try {
        result = await sms.send(request);
      } catch (error) {
        const vendorError = error instanceof VendorError ? error : error instanceof PermanentError ? error : classifyTwilioError(error);
        if (vendorError instanceof VendorError && vendorError.ambiguous) {
          throw new OutcomeUnknown(
            `${errorMessage(vendorError)} It is looked up at Twilio before anything is sent again.`,
            'reconcile',
            vendorError,
          );
        }
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

      await recordSent(context, batches, row, payload, result, handler);
      return { providerId: result.providerId, status: result.status, segments: result.segments };
    },
  };
}

/** The text is out: nothing here may throw, or the outbox would retry and send it twice. */
async function recordSent(
  context: AppContext,
  batches: MessagingBatches,
  row: OutboxRow,
  payload: MessagePayload,
  result: SmsSendResult,
  handler: HandlerContext,
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
    });
    if (payload.purpose === 'marketing') {
      await context.db.insertInto('marketing_sends').values({ client_id: row.client_id, channel: 'sms', address: payload.to, outbox_id: row.id, sent_at: at }).execute();
    }
  } catch (error) {
    handler.logger.error({ err: error, outboxId: row.id }, 'Text sent but its delivery record could not be saved');
  }
}

async function afterVendorError(context: AppContext, row: OutboxRow, to: string, error: VendorError | PermanentError): Promise<void> {
  try {
    if (error.code === TWILIO_UNSUBSCRIBED) await mirrorTwilioOptOut(context.db, context, { clientId: row.client_id, to });
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
