/**
 * The messaging service the dashboard calls (it adds HTTP, auth and roles): list messages and inbound texts,
 * compose (consent-checked; a transactional text to an opted-out number only with an explicit, audited
 * override), cancel, edit-and-retry (history kept by the outbox), and resend.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import { isOptedOut, normalizeConsentAddress } from '../customers/consent.js';
import { normalizePhone } from '../customers/phone.js';
import { json } from '../db/json.js';
import type { DB, OutboxRow, OutboxStatus } from '../db/schema.js';
import { enqueue } from '../outbox/enqueue.js';
import { cancelOutboxRow, listOutbox, retryOutboxRow } from '../outbox/manage.js';
import { retryPolicyFor, smsBodyFields } from './enqueue-message.js';
import { messagePayloadSchema, type MessageChannel, type MessagePayload } from './payload.js';
import { locateRecipient } from './recipient.js';
import { nextAllowedMoment, sendRulesFor, windowApplies, type MessagePurpose } from './send-window.js';
import { createUnsubscribeToken, unsubscribeUrl } from './unsubscribe-token.js';

export interface MessageView {
  id: number;
  clientId: string;
  channel: MessageChannel;
  to: string;
  purpose: MessagePurpose | null;
  template: string | null;
  body: string | null;
  subject: string | null;
  segments: number | null;
  encoding: string | null;
  status: OutboxStatus;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  delivery: { status: string; errorCode: string | null; errorMessage: string | null; providerId: string } | null;
  customerId: number | null;
  appointmentId: number | null;
  callId: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface MessageFilter {
  clientIds?: string[];
  statuses?: OutboxStatus[];
  channel?: MessageChannel;
  customerId?: number;
  appointmentId?: number;
  callId?: string;
  limit?: number;
  beforeId?: number;
}

export async function listMessages(db: Kysely<DB>, filter: MessageFilter = {}): Promise<MessageView[]> {
  const rows = await listOutbox(db, { ...filter, kinds: filter.channel ? [filter.channel] : ['sms', 'email'] });
  const ids = rows.map((row) => row.id);
  const deliveries = ids.length
    ? await db.selectFrom('message_deliveries').selectAll().where('outbox_id', 'in', ids).orderBy('id').execute()
    : [];
  const byOutbox = new Map(deliveries.map((delivery) => [Number(delivery.outbox_id), delivery]));
  return rows.map((row) => {
    const payload = row.payload as Partial<MessagePayload>;
    const delivery = byOutbox.get(row.id);
    return {
      id: row.id,
      clientId: row.client_id,
      channel: row.kind as MessageChannel,
      to: String(payload.to ?? ''),
      purpose: payload.purpose ?? null,
      template: payload.template ?? null,
      body: row.kind === 'sms' ? (payload.body ?? null) : (payload.text ?? null),
      subject: payload.subject ?? null,
      segments: payload.segments ?? null,
      encoding: payload.encoding ?? null,
      status: row.status,
      runAt: row.run_at,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      lastError: row.last_error,
      delivery: delivery
        ? { status: delivery.status, errorCode: delivery.error_code, errorMessage: delivery.error_message, providerId: delivery.provider_id }
        : null,
      customerId: row.customer_id === null ? null : Number(row.customer_id),
      appointmentId: row.appointment_id === null ? null : Number(row.appointment_id),
      callId: row.call_id,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
    };
  });
}

export async function listInboundMessages(db: Kysely<DB>, filter: { clientIds?: string[]; limit?: number; beforeId?: number } = {}) {
  let query = db.selectFrom('inbound_messages').selectAll();
  if (filter.clientIds) query = query.where('client_id', 'in', filter.clientIds.length ? filter.clientIds : ['']);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return query.orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000)).execute();
}

export type ApiResult<T extends object = object> =
  | ({ ok: true } & T)
  | { ok: false; reason: 'not_found' | 'wrong_status' | 'opted_out' | 'invalid'; message: string };

export interface ComposeInput {
  clientId: string;
  channel: MessageChannel;
  to: string;
  purpose: MessagePurpose;
  /** SMS text. */
  body?: string;
  /** E-mail parts. */
  subject?: string;
  text?: string;
  customerId?: number | null;
  /** Who is sending (dashboard user). */
  actor: string;
  /** Send a transactional message to an opted-out recipient anyway (audited). Never allowed for marketing. */
  override?: boolean;
}

export async function composeMessage(context: AppContext, input: ComposeInput): Promise<ApiResult<{ id: number; runAt: Date }>> {
  const client = context.clients.get(input.clientId);
  if (!client) return { ok: false, reason: 'not_found', message: `No client "${input.clientId}".` };
  const config = client.config;
  const to = input.channel === 'sms' ? normalizePhone(input.to) : normalizeConsentAddress('email', input.to);
  if (!to || (input.channel === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to))) {
    return { ok: false, reason: 'invalid', message: `"${input.to}" is not a valid ${input.channel === 'sms' ? 'phone number' : 'e-mail address'}.` };
  }
  const payload: MessagePayload = { to, purpose: input.purpose, template: 'manual', sequence: 'manual' };
  if (input.channel === 'sms') {
    const body = input.body?.trim();
    if (!body) return { ok: false, reason: 'invalid', message: 'Write the text to send.' };
    if (body.length > 1600) return { ok: false, reason: 'invalid', message: 'A text can be at most 1,600 characters.' };
    Object.assign(payload, smsBodyFields(body));
  } else {
    if (!input.subject?.trim() || !input.text?.trim()) return { ok: false, reason: 'invalid', message: 'An e-mail needs a subject and a text.' };
    payload.subject = input.subject.trim();
    payload.text = input.text.trim();
    if (input.purpose === 'marketing') {
      payload.unsubscribeUrl = unsubscribeUrl(context.publicBaseUrl, createUnsubscribeToken(context.secretBox, { clientId: input.clientId, channel: 'email', address: to }));
      payload.text += `\n\n${config.name}\n${config.address}\n\nDon't want these emails? Unsubscribe: ${payload.unsubscribeUrl}`;
    }
  }

  const now = context.clock.now();
  if (await isOptedOut(context.db, input.clientId, input.channel, to, input.purpose)) {
    if (input.purpose === 'marketing') {
      return { ok: false, reason: 'opted_out', message: 'This recipient opted out of marketing messages; marketing cannot be sent to them.' };
    }
    if (!input.override) {
      return {
        ok: false,
        reason: 'opted_out',
        message: 'This recipient opted out. A transactional message can still be sent with an explicit override, which is recorded in the audit log.',
      };
    }
    payload.consentOverride = { actor: input.actor, at: now.toISOString() };
  }
  const location = locateRecipient(input.channel === 'sms' ? to : undefined, config.timezone);
  payload.zone = location.zone;
  payload.state = location.state ?? null;
  payload.dueAt = now.toISOString();
  const runAt = windowApplies(input.channel, input.purpose) ? nextAllowedMoment(now, sendRulesFor(config, input.purpose, location)) : now;

  const id = await context.db.transaction().execute(async (trx) => {
    const result = await enqueue(trx, context.clock, {
      clientId: input.clientId,
      kind: input.channel,
      payload,
      dedupeKey: `msg:${input.clientId}:manual:${randomUUID()}`,
      runAt,
      retry: retryPolicyFor(context, input.clientId),
      customerId: input.customerId ?? null,
    });
    await audit(trx, context, input.actor, input.clientId, payload.consentOverride ? 'message.compose_override' : 'message.compose', result.id, null, {
      channel: input.channel,
      purpose: input.purpose,
      override: Boolean(payload.consentOverride),
    });
    return result.id;
  });
  return { ok: true, id, runAt };
}

async function loadMessageRow(db: Kysely<DB>, id: number): Promise<OutboxRow | undefined> {
  return db.selectFrom('outbox').selectAll().where('id', '=', id).where('kind', 'in', ['sms', 'email']).executeTakeFirst();
}

export async function cancelMessage(context: AppContext, id: number, actor: string): Promise<ApiResult> {
  const row = await loadMessageRow(context.db, id);
  if (!row) return { ok: false, reason: 'not_found', message: `No message ${id}.` };
  const result = await cancelOutboxRow(context.db, context.clock, id, { actor, reason: `Cancelled by ${actor}` });
  if (!result.ok) return { ok: false, reason: result.reason, message: result.message };
  await audit(context.db, context, actor, row.client_id, 'message.cancel', id, { status: row.status }, { status: 'cancelled' });
  return { ok: true };
}

export interface EditInput {
  actor: string;
  body?: string;
  subject?: string;
  text?: string;
  to?: string;
}

const EDITABLE: OutboxStatus[] = ['dead', 'failed', 'unknown'];

/** Sends a dead, failed or unknown message again, optionally with an edited text; the old attempt stays in history. */
export async function editAndRetryMessage(context: AppContext, id: number, edit: EditInput): Promise<ApiResult> {
  const row = await loadMessageRow(context.db, id);
  if (!row) return { ok: false, reason: 'not_found', message: `No message ${id}.` };
  if (!EDITABLE.includes(row.status)) {
    return { ok: false, reason: 'wrong_status', message: `Message ${id} is ${row.status}; only dead, failed or unknown messages can be edited and sent again.` };
  }
  const parsed = messagePayloadSchema.safeParse(row.payload);
  const payload: MessagePayload = parsed.success ? { ...parsed.data } : (row.payload as MessagePayload);
  if (edit.to !== undefined) {
    const to = row.kind === 'sms' ? normalizePhone(edit.to) : normalizeConsentAddress('email', edit.to);
    if (!to) return { ok: false, reason: 'invalid', message: `"${edit.to}" is not a valid recipient.` };
    payload.to = to;
  }
  if (row.kind === 'sms' && edit.body !== undefined) {
    const body = edit.body.trim();
    if (!body || body.length > 1600) return { ok: false, reason: 'invalid', message: 'A text must have 1 to 1,600 characters.' };
    Object.assign(payload, smsBodyFields(body));
    payload.renderError = null;
  }
  if (row.kind === 'email' && (edit.subject !== undefined || edit.text !== undefined)) {
    if (edit.subject !== undefined) payload.subject = edit.subject.trim();
    if (edit.text !== undefined) payload.text = edit.text.trim();
    payload.html = null;
    payload.renderError = null;
  }
  const result = await retryOutboxRow(context.db, context.clock, id, { payload: payload as Record<string, unknown>, actor: edit.actor });
  if (!result.ok) return { ok: false, reason: result.reason, message: result.message };
  await audit(context.db, context, edit.actor, row.client_id, 'message.edit_retry', id, row.payload, payload);
  return { ok: true };
}

/** Sends a copy of a message again as a new row (e.g. the customer deleted the confirmation). */
export async function resendMessage(context: AppContext, id: number, actor: string): Promise<ApiResult<{ id: number }>> {
  const row = await loadMessageRow(context.db, id);
  if (!row) return { ok: false, reason: 'not_found', message: `No message ${id}.` };
  if (row.status === 'scheduled' || row.status === 'running') {
    return { ok: false, reason: 'wrong_status', message: `Message ${id} has not been sent yet.` };
  }
  const newId = await context.db.transaction().execute(async (trx) => {
    const result = await enqueue(trx, context.clock, {
      clientId: row.client_id,
      kind: row.kind,
      payload: { ...(row.payload as Record<string, unknown>), appointmentStartAt: null },
      dedupeKey: `${row.dedupe_key}:resend:${randomUUID()}`,
      retry: { maxAttempts: row.max_attempts, intervalMs: row.retry_interval_ms },
      callId: row.call_id,
      appointmentId: row.appointment_id,
      customerId: row.customer_id,
    });
    await audit(trx, context, actor, row.client_id, 'message.resend', result.id, { from: id }, null);
    return result.id;
  });
  return { ok: true, id: newId };
}

async function audit(db: Kysely<DB>, context: AppContext, actor: string, clientId: string, action: string, target: number, before: unknown, after: unknown) {
  await db
    .insertInto('audit')
    .values({
      at: context.clock.now(),
      actor,
      client_id: clientId,
      action,
      target: `outbox:${target}`,
      before: before === null ? null : json(before),
      after: after === null ? null : json(after),
    })
    .execute();
}
