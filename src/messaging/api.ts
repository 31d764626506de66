/**
 * The messaging service the dashboard calls (it adds HTTP, auth and roles): list messages and inbound texts,
 * compose (consent-checked; a transactional text to an opted-out number only with an explicit, audited
 * override), cancel, edit-and-retry (history kept by the outbox), and resend. The dashboard's routes are only a door
 * to these: one copy of the consent checks, the unsubscribe link and header, the HTML edit and the audit names.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import { isOptedOut, normalizeConsentAddress } from '../customers/consent.js';
import { normalizePhone } from '../customers/phone.js';
import type { ClientConfig } from '../config/client-schema.js';
import { writeAudit } from '../dashboard/audit.js';
import type { DB, OutboxRow, OutboxStatus } from '../db/schema.js';
import { enqueue } from '../outbox/enqueue.js';
import { cancelOutboxRow, listOutbox, retryOutboxRow } from '../outbox/manage.js';
import { retryPolicyFor, smsBodyFields } from './enqueue-message.js';
import { messagePayloadSchema, type MessageChannel, type MessagePayload } from './payload.js';
import { locateRecipient } from './recipient.js';
import { plainTextToHtml } from './render.js';
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
  /** The follow-up rewrite's decision (issue 17): reworded by the LLM or not, and why; null when it was not asked. */
  rewrite: { used: boolean; reason: string } | null;
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
  const deliveries = ids.length ? await db.selectFrom('message_deliveries').selectAll().where('outbox_id', 'in', ids).orderBy('id').execute() : [];
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
      rewrite: payload.rewrite ? { used: payload.rewrite.used, reason: payload.rewrite.reason } : null,
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
  return query
    .orderBy('id', 'desc')
    .limit(Math.min(filter.limit ?? 100, 1000))
    .execute();
}

export type ApiResult<T extends object = object> =
  ({ ok: true } & T) | { ok: false; reason: 'not_found' | 'wrong_status' | 'opted_out' | 'invalid'; message: string };

/**
 * Audit action names, one per operation whichever door it came through (the dashboard's routes, the CLI, tests).
 * The Activity screen names them for people.
 */
export const MESSAGE_AUDIT_ACTIONS = {
  compose: 'message.compose',
  composeOverride: 'message.compose_consent_override',
  cancel: 'message.cancel',
  retry: 'message.retry',
  editAndRetry: 'message.edit_and_retry',
  resend: 'message.resend',
} as const;

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
  /** Not before this moment (and, for what the send window covers, at its next allowed moment). Default: now. */
  sendAt?: Date;
  /** Who is sending (dashboard user). */
  actor: string;
  /** Send a transactional message to an opted-out recipient anyway (audited). Never allowed for marketing. */
  override?: boolean;
}

export async function composeMessage(context: AppContext, input: ComposeInput): Promise<ApiResult<{ id: number; runAt: Date; row: OutboxRow }>> {
  const client = context.clients.get(input.clientId);
  if (!client) return { ok: false, reason: 'not_found', message: `No client "${input.clientId}".` };
  const config = client.config;
  const to = input.channel === 'sms' ? normalizePhone(input.to) : normalizeConsentAddress('email', input.to);
  if (!to || (input.channel === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to))) {
    return {
      ok: false,
      reason: 'invalid',
      message:
        input.channel === 'sms'
          ? `"${input.to}" is not a phone number we can text; enter it with its country code, e.g. +12125550142.`
          : `"${input.to}" is not a valid e-mail address.`,
    };
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
      // CAN-SPAM: marketing mail names the sender's postal address and a working unsubscribe; send-email.ts adds
      // List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) from this URL.
      payload.unsubscribeUrl = unsubscribeUrl(
        context.publicBaseUrl,
        createUnsubscribeToken(context.secretBox, { clientId: input.clientId, channel: 'email', address: to }),
      );
      payload.text = withUnsubscribeFooter(payload.text, config, payload.unsubscribeUrl);
    }
  }

  const now = context.clock.now();
  if (await isOptedOut(context.db, input.clientId, input.channel, to, input.purpose)) {
    if (input.purpose === 'marketing') {
      return { ok: false, reason: 'opted_out', message: 'This person opted out of marketing messages; they cannot be sent one.' };
    }
    if (!input.override) {
      return {
        ok: false,
        reason: 'opted_out',
        message: 'This person opted out. Tick "send anyway" only if they asked for this message; the override is recorded in the audit log.',
      };
    }
    payload.consentOverride = { actor: input.actor, at: now.toISOString() };
  }
  const location = locateRecipient(input.channel === 'sms' ? to : undefined, config.timezone);
  const dueAt = input.sendAt && input.sendAt.getTime() > now.getTime() ? input.sendAt : now;
  payload.zone = location.zone;
  payload.state = location.state ?? null;
  payload.dueAt = dueAt.toISOString();
  const runAt = windowApplies(input.channel, input.purpose) ? nextAllowedMoment(dueAt, sendRulesFor(config, input.purpose, location)) : dueAt;

  const row = await context.db.transaction().execute(async (trx) => {
    const result = await enqueue(trx, context.clock, {
      clientId: input.clientId,
      kind: input.channel,
      payload,
      dedupeKey: `msg:${input.clientId}:manual:${randomUUID()}`,
      runAt,
      retry: retryPolicyFor(context, input.clientId),
      customerId: input.customerId ?? null,
    });
    await writeAudit(trx, context.clock, {
      actor: input.actor,
      clientId: input.clientId,
      action: payload.consentOverride ? MESSAGE_AUDIT_ACTIONS.composeOverride : MESSAGE_AUDIT_ACTIONS.compose,
      target: `outbox:${result.id}`,
      after: payload,
    });
    await context.bus.publish({ type: 'outbox.changed', clientId: input.clientId, data: { ids: [result.id] } }, trx);
    return trx.selectFrom('outbox').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
  });
  return { ok: true, id: row.id, runAt, row };
}

/** The sender's postal address and the unsubscribe link CAN-SPAM asks of marketing mail, once. */
function withUnsubscribeFooter(text: string, config: ClientConfig, url: string): string {
  if (text.includes(url)) return text;
  return `${text}\n\n${config.name}\n${config.address}\n\nDon't want these emails? Unsubscribe: ${url}`;
}

async function loadMessageRow(db: Kysely<DB>, id: number, clientIds?: readonly string[]): Promise<OutboxRow | undefined> {
  const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).where('kind', 'in', ['sms', 'email']).executeTakeFirst();
  // Another office's message is answered like a missing one.
  return row && (!clientIds || clientIds.includes(row.client_id)) ? row : undefined;
}

export interface ActorInput {
  actor: string;
  /** Offices the actor may act on (dashboard staff); others' messages are "not found". Absent: any. */
  clientIds?: readonly string[];
}

export async function cancelMessage(context: AppContext, id: number, who: ActorInput): Promise<ApiResult<{ row: OutboxRow }>> {
  const row = await loadMessageRow(context.db, id, who.clientIds);
  if (!row) return { ok: false, reason: 'not_found', message: `No message ${id}.` };
  const result = await cancelOutboxRow(context.db, context.clock, id, { actor: who.actor, reason: `Cancelled by ${who.actor}` });
  if (!result.ok) {
    return {
      ok: false,
      reason: result.reason,
      message: `This message is ${result.status ?? 'not cancellable'}; only scheduled, failed or unknown messages can be cancelled.`,
    };
  }
  await writeAudit(context.db, context.clock, {
    actor: who.actor,
    clientId: row.client_id,
    action: MESSAGE_AUDIT_ACTIONS.cancel,
    target: `outbox:${id}`,
    before: { status: row.status },
    after: { status: result.row.status },
  });
  await context.bus.publish({ type: 'outbox.changed', clientId: row.client_id, data: { ids: [id] } });
  return { ok: true, row: result.row };
}

export interface EditInput extends ActorInput {
  /** SMS text. */
  body?: string;
  /** E-mail parts: a new text also becomes the HTML part, so the two never disagree. */
  subject?: string;
  text?: string;
  to?: string;
}

const RETRYABLE: OutboxStatus[] = ['dead', 'failed', 'unknown', 'cancelled'];

/**
 * Sends a dead, failed, unknown or cancelled message again, optionally edited; the old payload and attempts stay in
 * its history. An e-mail's edited text replaces both its parts (the HTML is rebuilt from it, keeping the unsubscribe
 * link of marketing mail): a client that shows HTML must not show the text that was corrected.
 */
export async function editAndRetryMessage(context: AppContext, id: number, edit: EditInput): Promise<ApiResult<{ row: OutboxRow }>> {
  const row = await loadMessageRow(context.db, id, edit.clientIds);
  if (!row) return { ok: false, reason: 'not_found', message: `No message ${id}.` };
  if (!RETRYABLE.includes(row.status)) {
    return { ok: false, reason: 'wrong_status', message: `This message is ${row.status}; only failed, dead, unknown or cancelled messages can be sent again.` };
  }
  const parsed = messagePayloadSchema.safeParse(row.payload);
  const payload: MessagePayload = parsed.success ? { ...parsed.data } : (row.payload as MessagePayload);
  const edited = edit.to !== undefined || edit.body !== undefined || edit.subject !== undefined || edit.text !== undefined;
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
    if (edit.subject !== undefined) {
      if (!edit.subject.trim()) return { ok: false, reason: 'invalid', message: 'An e-mail needs a subject.' };
      payload.subject = edit.subject.trim();
    }
    if (edit.text !== undefined) {
      if (!edit.text.trim()) return { ok: false, reason: 'invalid', message: 'The message cannot be empty.' };
      const config = context.clients.get(row.client_id)?.config;
      let text = edit.text.trim();
      if (payload.purpose === 'marketing' && payload.unsubscribeUrl && config) text = withUnsubscribeFooter(text, config, payload.unsubscribeUrl);
      payload.text = text;
      payload.html = payload.html ? plainTextToHtml(text) : null;
    }
    payload.renderError = null;
  }
  // Staff's words are sent as written: the follow-up rewrite never touches an edited message.
  if (edited) payload.rewrite = { used: false, code: 'edited', reason: 'Edited by staff; sent as written.', at: context.clock.now().toISOString() };
  const result = await retryOutboxRow(context.db, context.clock, id, { payload: edited ? payload : undefined, actor: edit.actor });
  if (!result.ok) return { ok: false, reason: result.reason, message: result.message };
  await writeAudit(context.db, context.clock, {
    actor: edit.actor,
    clientId: row.client_id,
    action: edited ? MESSAGE_AUDIT_ACTIONS.editAndRetry : MESSAGE_AUDIT_ACTIONS.retry,
    target: `outbox:${id}`,
    before: { status: row.status, payload: row.payload },
    after: { status: result.row.status, payload: result.row.payload },
  });
  await context.bus.publish({ type: 'outbox.changed', clientId: row.client_id, data: { ids: [id] } });
  return { ok: true, row: result.row };
}

/** Sends a copy of a message again as a new row (e.g. the customer deleted the confirmation). */
export async function resendMessage(context: AppContext, id: number, who: ActorInput): Promise<ApiResult<{ id: number; row: OutboxRow }>> {
  const row = await loadMessageRow(context.db, id, who.clientIds);
  if (!row) return { ok: false, reason: 'not_found', message: `No message ${id}.` };
  if (row.status === 'scheduled' || row.status === 'running') {
    return { ok: false, reason: 'wrong_status', message: `This message has not been sent yet; it is ${row.status}.` };
  }
  const copy = await context.db.transaction().execute(async (trx) => {
    const result = await enqueue(trx, context.clock, {
      clientId: row.client_id,
      kind: row.kind,
      // A copy is staff's message, not the answer to a keyword: consent and quiet hours apply, through the whole chain.
      payload: { ...row.payload, appointmentStartAt: null, keywordReply: null },
      dedupeKey: `${row.dedupe_key}:resend:${randomUUID()}`,
      retry: { maxAttempts: row.max_attempts, intervalMs: row.retry_interval_ms },
      callId: row.call_id,
      appointmentId: row.appointment_id,
      customerId: row.customer_id,
    });
    await writeAudit(trx, context.clock, {
      actor: who.actor,
      clientId: row.client_id,
      action: MESSAGE_AUDIT_ACTIONS.resend,
      target: `outbox:${result.id}`,
      before: { from: id },
    });
    await context.bus.publish({ type: 'outbox.changed', clientId: row.client_id, data: { ids: [result.id] } }, trx);
    return trx.selectFrom('outbox').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
  });
  return { ok: true, id: copy.id, row: copy };
}
