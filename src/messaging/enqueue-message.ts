/**
 * Renders one templated message into an outbox payload and enqueues it. A row with the same key that was
 * cancelled earlier (an appointment moved away and back) is brought back instead of silently staying
 * cancelled; any other existing row means the message is already planned or sent.
 */
import { sql, type Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { TemplateKind, TemplateValues } from '../config/templates.js';
import { json } from '../db/json.js';
import type { DB } from '../db/schema.js';
import { enqueue, OUTBOX_CHANNEL, type RetryPolicy } from '../outbox/enqueue.js';
import type { MessageChannel, MessagePayload, MessageSequence } from './payload.js';
import type { RecipientLocation } from './recipient.js';
import type { Language } from '../i18n/phrases/index.js';
import { renderLocalized, smsSafeValues } from './render.js';
import { smsSegments } from './segments.js';
import type { ChosenVariant } from './template-variant.js';
import type { MessagePurpose } from './send-window.js';
import { createUnsubscribeToken, unsubscribeUrl } from './unsubscribe-token.js';

export interface EnqueueMessageInput {
  clientId: string;
  channel: MessageChannel;
  to: string;
  template: TemplateKind;
  sequence: MessageSequence;
  purpose: MessagePurpose;
  /** The values in a language (the one of the template picked: the recipient's, or the office's as fallback). */
  values: TemplateValues | ((language: Language) => TemplateValues);
  /** The recipient's language; the office's default when unknown. */
  language?: Language;
  /** The appointment type named, so a translation lacking its words falls back whole. */
  appointmentTypeId?: string;
  runAt: Date;
  dueAt: Date;
  location: RecipientLocation;
  appointmentStartAt?: Date;
  dedupeKey: string;
  appointmentId: number | null;
  customerId: number | null;
  callId: string | null;
  /** A template variant chosen from the call's insight (messaging/template-variant.ts). */
  variant?: ChosenVariant;
  /** When the row is already planned and still scheduled, render it again (the call's insight arrived later). */
  refreshPlanned?: boolean;
}

export function retryPolicyFor(context: AppContext, clientId: string): RetryPolicy | undefined {
  const config = context.clients.get(clientId)?.config;
  return config ? { maxAttempts: config.retry.maxAttempts, intervalMs: config.retry.intervalSeconds * 1000 } : undefined;
}

/** SMS body fields: text plus its segment count and encoding (shown in the dashboard). */
export function smsBodyFields(body: string): Pick<MessagePayload, 'body' | 'segments' | 'encoding'> {
  const info = smsSegments(body);
  return { body, segments: info.segments, encoding: info.encoding };
}

export async function enqueueMessage(db: Kysely<DB>, context: AppContext, input: EnqueueMessageInput) {
  const config = context.clients.get(input.clientId)!.config;
  const payload: MessagePayload = {
    to: input.to,
    purpose: input.purpose,
    template: input.template,
    sequence: input.sequence,
    zone: input.location.zone,
    state: input.location.state ?? null,
    dueAt: input.dueAt.toISOString(),
    appointmentStartAt: input.appointmentStartAt?.toISOString() ?? null,
  };
  if (input.variant) payload.variant = input.variant.key;
  const valuesIn = (language: Language) => (typeof input.values === 'function' ? input.values(language) : input.values);
  const pick = { language: input.language, appointmentTypeId: input.appointmentTypeId, variant: input.variant?.variant };
  if (input.channel === 'sms') {
    const rendered = renderLocalized(config, input.template, 'sms', { ...pick, values: (language) => smsSafeValues(valuesIn(language), language) });
    if (rendered.ok) Object.assign(payload, smsBodyFields(rendered.body));
    else payload.renderError = rendered.error;
    noteLanguage(payload, rendered);
  } else {
    let extra: TemplateValues = {};
    if (input.purpose === 'marketing') {
      const token = createUnsubscribeToken(context.secretBox, { clientId: input.clientId, channel: 'email', address: input.to });
      payload.unsubscribeUrl = unsubscribeUrl(context.publicBaseUrl, token);
      extra = { unsubscribe_link: payload.unsubscribeUrl };
    }
    const rendered = renderLocalized(config, input.template, 'email', { ...pick, values: (language) => ({ ...valuesIn(language), ...extra }) });
    if (rendered.ok) {
      payload.subject = rendered.subject;
      payload.text = rendered.text;
      if (rendered.html) payload.html = rendered.html;
    } else {
      payload.renderError = rendered.error;
    }
    noteLanguage(payload, rendered);
  }
  const result = await enqueue(db, context.clock, {
    clientId: input.clientId,
    kind: input.channel,
    payload,
    dedupeKey: input.dedupeKey,
    runAt: input.runAt,
    retry: retryPolicyFor(context, input.clientId),
    callId: input.callId,
    appointmentId: input.appointmentId,
    customerId: input.customerId,
  });
  if (!result.created && result.status === 'cancelled') await revive(db, context, result.id, payload, input.runAt);
  if (!result.created && result.status === 'scheduled' && input.refreshPlanned) {
    await db
      .updateTable('outbox')
      .set({ payload: json(payload), updated_at: context.clock.now() })
      .where('id', '=', result.id)
      .where('status', '=', 'scheduled')
      .execute();
  }
  return result;
}

/** Only when languages are in play, so a default-language office's payloads stay exactly as they were. */
function noteLanguage(payload: MessagePayload, rendered: { language: Language; fallbackFrom?: Language }) {
  if (rendered.fallbackFrom) {
    payload.language = rendered.language;
    payload.languageFallbackFrom = rendered.fallbackFrom;
  } else if (rendered.language !== 'en') {
    payload.language = rendered.language;
  }
}

async function revive(db: Kysely<DB>, context: AppContext, id: number, payload: MessagePayload, runAt: Date): Promise<void> {
  const now = context.clock.now();
  const revived = await db
    .updateTable('outbox')
    .set({ status: 'scheduled', attempts: 0, run_at: runAt, payload: json(payload), last_error: null, finished_at: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'cancelled')
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  if (!revived) return;
  await db
    .insertInto('outbox_attempts')
    .values({
      outbox_id: id,
      attempt: 0,
      outcome: 'retried',
      started_at: now,
      finished_at: now,
      error: 'Planned again',
      response: null,
      payload: null,
      actor: null,
    })
    .execute();
  await sql`select pg_notify(${OUTBOX_CHANNEL}, ${'sms'})`.execute(db);
}
