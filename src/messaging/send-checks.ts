/**
 * The checks every message passes right before it is sent: it is well-formed, still relevant, the recipient
 * has not opted out, and now is an allowed moment (quiet hours, business hours, per-state marketing cap).
 * Failing a rule that time fixes throws Reschedule (no attempt spent); failing one it cannot fix throws
 * PermanentError with the reason in words.
 */
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import type { ClientRuntime } from '../config/registry.js';
import { PermanentError } from '../core/errors.js';
import type { OutboxRow } from '../db/schema.js';
import { Reschedule } from '../outbox/handlers.js';
import type { MessagingBatches } from './batches.js';
import { messagePayloadSchema, type MessageChannel, type MessagePayload } from './payload.js';
import { locateRecipient, type RecipientLocation } from './recipient.js';
import { describeWindows, nextAllowedMoment, sendRulesFor, windowApplies } from './send-window.js';

const DAY = 24 * 3_600_000;

export function parseMessagePayload(context: AppContext, row: OutboxRow): { client: ClientRuntime; payload: MessagePayload } {
  const client = context.clients.get(row.client_id);
  if (!client) throw new PermanentError(`No client "${row.client_id}" is configured; the message cannot be sent.`, 'unknown_client');
  const parsed = messagePayloadSchema.safeParse(row.payload);
  if (!parsed.success)
    throw new PermanentError(`The message is malformed (${parsed.error.issues[0]?.message ?? 'invalid'}); edit it and send again.`, 'malformed');
  return { client, payload: parsed.data };
}

export function recipientOf(config: ClientConfig, channel: MessageChannel, payload: MessagePayload): RecipientLocation {
  if (channel === 'sms') return locateRecipient(payload.to, config.timezone);
  // An e-mail's window (marketing only) uses the main zone stored from the customer's phone when it was planned.
  const zone = payload.zone ?? config.timezone;
  return { zone, zones: [zone], state: payload.state ?? undefined, basis: payload.zone ? 'area_code' : 'client_zone' };
}

/** How often a marketing text held for A2P 10DLC approval looks again. */
export const A2P_HOLD_MS = 60 * 60_000;

export async function checkBeforeSend(
  context: AppContext,
  batches: Pick<MessagingBatches, 'isOptedOut'>,
  row: OutboxRow,
  config: ClientConfig,
  channel: MessageChannel,
  payload: MessagePayload,
  now: Date,
): Promise<void> {
  // The answer to a text the person just sent, as Twilio's answer in its webhook response is: CTIA asks for HELP to be
  // answered and allows one confirmation of an opt-out, so neither consent nor quiet hours hold it.
  if (payload.keywordReply) return;
  if (payload.appointmentStartAt && new Date(payload.appointmentStartAt).getTime() <= now.getTime()) {
    throw new PermanentError('Not sent: the appointment has already started, so the reminder would be too late.', 'too_late');
  }
  const overridden = payload.purpose === 'transactional' && payload.consentOverride;
  if (!overridden && (await batches.isOptedOut({ clientId: row.client_id, channel, address: payload.to, purpose: payload.purpose }))) {
    const how = channel === 'sms' ? 'texts (STOP)' : 'e-mail';
    throw new PermanentError(
      `Not sent: the recipient opted out of ${payload.purpose} ${how}. Staff may send a transactional message with an explicit override.`,
      'opted_out',
    );
  }
  if (channel === 'sms' && payload.purpose === 'marketing' && !config.senders.sms.a2pApproved) {
    // Held, not dropped: once an admin marks the campaign approved the text goes at its next check.
    throw new Reschedule(new Date(now.getTime() + A2P_HOLD_MS), "Held: marketing texts wait until the office's A2P 10DLC campaign is marked approved");
  }
  if (!windowApplies(channel, payload.purpose)) return;
  const recipient = recipientOf(config, channel, payload);
  const rules = sendRulesFor(config, payload.purpose, recipient);
  const next = nextAllowedMoment(now, rules);
  if (next.getTime() > now.getTime()) {
    throw new Reschedule(
      next,
      `Outside the allowed hours for ${payload.purpose} messages (${describeWindows(rules)}${rules.officeHours ? ', within business hours' : ''})`,
    );
  }
  if (channel === 'sms' && payload.purpose === 'marketing' && rules.maxMarketingPer24h !== undefined) {
    const cap = rules.maxMarketingPer24h;
    const recent = await context.db
      .selectFrom('marketing_sends')
      .select('sent_at')
      .where('client_id', '=', row.client_id)
      .where('channel', '=', 'sms')
      .where('address', '=', payload.to)
      .where('sent_at', '>', new Date(now.getTime() - DAY))
      .orderBy('sent_at', 'desc')
      .execute();
    if (recent.length >= cap) {
      const oldestCounted = recent[cap - 1]!.sent_at;
      const freeAt = nextAllowedMoment(new Date(new Date(oldestCounted).getTime() + DAY + 1000), rules);
      throw new Reschedule(freeAt, `At most ${cap} marketing texts per 24 hours to a ${recipient.state} number`);
    }
  }
}
