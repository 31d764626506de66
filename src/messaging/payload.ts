/**
 * The payload of an `sms` or `email` outbox row: the rendered message plus what the send-time checks need.
 * Messages shown in the dashboard are these rows; `purpose` is the consent category that consent.ts
 * matches when a recipient opts out.
 */
import { z } from 'zod';
import { TEMPLATE_KINDS } from '../config/templates.js';

export const MESSAGE_SEQUENCES = ['confirmation', 'reminder', 'notice', 'nurture', 'manual', 'missed_call', 'after_appointment', 'keyword_reply'] as const;
export type MessageSequence = (typeof MESSAGE_SEQUENCES)[number];

/**
 * The follow-up rewrite's decision (issue 17, messaging/rewrite/apply.ts), taken once before the first attempt: a
 * retry finds it and never asks again. `original` is the template's text when the rewrite was used.
 */
export const rewriteRecordSchema = z.object({
  used: z.boolean(),
  /** `rewritten`, `budget`, `provider_error`, `lost_time`, `added_url`, `segments`, `not_configured`, … */
  code: z.string(),
  reason: z.string(),
  at: z.string(),
  provider: z.string().optional(),
  original: z.string().optional(),
});
export type RewriteRecord = z.infer<typeof rewriteRecordSchema>;

export const messagePayloadSchema = z.object({
  /** E.164 for sms, lower-cased address for email. */
  to: z.string().min(1),
  purpose: z.enum(['transactional', 'marketing']),
  template: z.union([z.enum(TEMPLATE_KINDS), z.literal('manual')]),
  sequence: z.enum(MESSAGE_SEQUENCES),
  /** SMS text. */
  body: z.string().nullable().optional(),
  /** E-mail parts. */
  subject: z.string().nullable().optional(),
  text: z.string().nullable().optional(),
  html: z.string().nullable().optional(),
  /** Why rendering failed (a template needed a value we lacked); the row goes dead with this reason. */
  renderError: z.string().nullable().optional(),
  segments: z.number().int().nullable().optional(),
  encoding: z.enum(['GSM-7', 'UCS-2']).nullable().optional(),
  /** Recipient's zone/state (for e-mail, from the customer's phone) used by the send window. */
  zone: z.string().nullable().optional(),
  state: z.string().nullable().optional(),
  /** The moment the message was meant for before quiet hours moved it (ISO). */
  dueAt: z.string().nullable().optional(),
  /** Reminders are pointless once the appointment has started (ISO). */
  appointmentStartAt: z.string().nullable().optional(),
  /** Staff sent a transactional message to an opted-out recipient on purpose (audited). */
  consentOverride: z.object({ actor: z.string(), at: z.string() }).nullable().optional(),
  /** The template variant used (`pricing+price_sensitive`), when the call's insight chose one (issue 17). */
  variant: z.string().nullable().optional(),
  /** The language the message is written in ("es"), and the one wanted when it had no translation (fallback). */
  language: z.string().nullable().optional(),
  languageFallbackFrom: z.string().nullable().optional(),
  rewrite: rewriteRecordSchema.nullable().optional(),
  /**
   * The answer to a keyword text (an ALTO confirmation, the office's AYUDA/HELP line) that arrived through a provider
   * which cannot answer in its webhook's response (Telnyx): sent only through that provider, from the number the
   * person texted, at once and to an opted-out number too (the opt-out's one confirmation; see send-checks.ts).
   */
  keywordReply: z.object({ provider: z.string(), inboundId: z.number().int() }).nullable().optional(),
  /** E-mail unsubscribe URL (marketing): List-Unsubscribe + one-click POST. */
  unsubscribeUrl: z.string().nullable().optional(),
});

export type MessagePayload = z.infer<typeof messagePayloadSchema>;

export type MessageChannel = 'sms' | 'email';
export const MESSAGE_KINDS: MessageChannel[] = ['sms', 'email'];
