/**
 * SendGrid's signed event webhook (reference/sms-email-providers.md §3): ECDSA P-256 / SHA-256 over
 * `timestamp + raw body`, signature base64 DER in `X-Twilio-Email-Event-Webhook-Signature`, timestamp in
 * `X-Twilio-Email-Event-Webhook-Timestamp`, verified with node:crypto against the verification key as SendGrid's UI
 * shows it (SPKI, base64). The library enforces no time window; we refuse a timestamp more than 300 s from our clock.
 * Events are turned into vendor-neutral updates here, so messaging never reads SendGrid's vocabulary.
 */
import { createVerify } from 'node:crypto';

export const SENDGRID_TOLERANCE_SECONDS = 300;

export function hasValidSendgridSignature(
  verificationKey: string | undefined,
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
  now: Date,
): boolean {
  const signature = headers['x-twilio-email-event-webhook-signature'];
  const timestamp = headers['x-twilio-email-event-webhook-timestamp'];
  if (!verificationKey || typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SENDGRID_TOLERANCE_SECONDS) return false;
  try {
    const pem = `-----BEGIN PUBLIC KEY-----\n${verificationKey.trim()}\n-----END PUBLIC KEY-----`;
    return createVerify('sha256')
      .update(timestamp + rawBody)
      .verify(pem, signature, 'base64');
  } catch {
    return false;
  }
}

export interface NeutralEmailEvent {
  /** The X-Message-Id the send got back (the part of `sg_message_id` before the first dot). */
  providerId: string;
  eventId: string;
  to: string;
  /** A delivery status (messaging/deliveries.ts ranks), or undefined when the event moves none. */
  status?: 'sent' | 'delivered' | 'undelivered' | 'failed';
  errorCode?: string;
  errorMessage?: string;
  /** The recipient asked for no more mail: `marketing` (unsubscribe) or `all` (spam report). */
  optOut?: 'marketing' | 'all';
}

/** One SendGrid event in neutral words; undefined for events that are not about a message we track. */
export function neutralSendgridEvent(event: Record<string, unknown>): NeutralEmailEvent | undefined {
  const messageId = typeof event.sg_message_id === 'string' ? event.sg_message_id.split('.')[0] : undefined;
  const email = typeof event.email === 'string' ? event.email : undefined;
  const kind = typeof event.event === 'string' ? event.event : undefined;
  if (!messageId || !email || !kind) return undefined;
  const base = { providerId: messageId, eventId: typeof event.sg_event_id === 'string' ? event.sg_event_id : `${messageId}:${kind}`, to: email };
  const reason = typeof event.reason === 'string' ? event.reason : undefined;
  switch (kind) {
    case 'delivered':
      return { ...base, status: 'delivered' };
    case 'bounce':
      return { ...base, status: 'undelivered', errorCode: typeof event.status === 'string' ? event.status : 'bounce', errorMessage: reason };
    case 'dropped': {
      const optOut = reason === 'Unsubscribed Address' ? 'marketing' : reason === 'Spam Reporting Address' ? 'all' : undefined;
      return { ...base, status: 'failed', errorCode: 'dropped', errorMessage: reason, ...(optOut ? { optOut } : {}) };
    }
    case 'unsubscribe':
    case 'group_unsubscribe':
      return { ...base, optOut: 'marketing' };
    case 'spamreport':
      return { ...base, optOut: 'all' };
    default:
      return { ...base };
  }
}
