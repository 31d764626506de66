/** How rows look in API answers: camelCase, ISO times, masked where the issue asks for masking. */
import type { Selectable } from 'kysely';
import { REDACTED, classifyKey, maskText, maskValue, normalizeKey } from '../log/mask.js';
import type { AuditTable, ErrorRow, OutboxRow } from '../db/schema.js';
import type { CallRow, CustomerRow } from '../db/tables/calls.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import type { MessageDeliveriesTable } from '../db/tables/messaging.js';
import { smsSegments } from '../messaging/segments.js';

export const MESSAGE_KINDS = ['sms', 'email'];

export type MessageStatus = 'scheduled' | 'sending' | 'sent' | 'delivered' | 'failed' | 'dead' | 'unknown' | 'cancelled';

type Delivery = Pick<Selectable<MessageDeliveriesTable>, 'status' | 'error_code' | 'error_message' | 'provider_id' | 'updated_at'> &
  Partial<Pick<Selectable<MessageDeliveriesTable>, 'provider' | 'sender'>>;

const iso = (value: Date | null | undefined) => (value ? value.toISOString() : null);
const text = (value: unknown) => (typeof value === 'string' ? value : null);

/**
 * One status a person understands, from the outbox row and the carrier's latest report: a row the worker
 * finished is "sent" until a status callback says delivered, or failed when the carrier gave up.
 */
export function messageStatus(row: Pick<OutboxRow, 'status'>, delivery?: Pick<Delivery, 'status'>): MessageStatus {
  switch (row.status) {
    case 'scheduled':
      return 'scheduled';
    case 'running':
      return 'sending';
    case 'failed':
      return 'failed';
    case 'dead':
      return 'dead';
    case 'unknown':
      return 'unknown';
    case 'cancelled':
      return 'cancelled';
    case 'done':
      if (delivery?.status === 'delivered' || delivery?.status === 'read') return 'delivered';
      if (delivery?.status === 'undelivered' || delivery?.status === 'failed') return 'failed';
      return 'sent';
  }
}

export function messageView(row: OutboxRow, delivery?: Delivery) {
  const payload = row.payload;
  const body = text(payload.body) ?? text(payload.text) ?? '';
  return {
    id: row.id,
    clientId: row.client_id,
    channel: row.kind as 'sms' | 'email',
    to: text(payload.to),
    subject: text(payload.subject),
    body,
    template: text(payload.template) ?? text(payload.templateKind),
    purpose: text(payload.purpose),
    status: messageStatus(row, delivery),
    outboxStatus: row.status,
    segments: row.kind === 'sms' ? smsSegments(body).segments : null,
    runAt: iso(row.run_at),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    delivery: delivery
      ? {
          status: delivery.status,
          errorCode: delivery.error_code,
          errorMessage: delivery.error_message,
          providerId: delivery.provider_id,
          at: iso(delivery.updated_at),
          provider: delivery.provider ?? null,
          sender: delivery.sender ?? null,
        }
      : null,
    customerId: row.customer_id,
    callId: row.call_id,
    appointmentId: row.appointment_id,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function outboxView(row: OutboxRow) {
  return {
    id: row.id,
    clientId: row.client_id,
    kind: row.kind,
    status: row.status,
    payload: row.payload,
    runAt: iso(row.run_at),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    callId: row.call_id,
    appointmentId: row.appointment_id,
    customerId: row.customer_id,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: iso(row.finished_at),
  };
}

export function errorView(row: ErrorRow) {
  return {
    id: row.id,
    clientId: row.client_id,
    source: row.source,
    fingerprint: row.fingerprint,
    severity: row.severity,
    message: maskText(row.message),
    details: row.details === null ? null : maskValue(row.details),
    count: row.count,
    callId: row.call_id,
    firstSeenAt: iso(row.first_seen_at),
    lastSeenAt: iso(row.last_seen_at),
    resolvedAt: iso(row.resolved_at),
  };
}

/** "+1 ••• ••• 4567": enough for staff to recognise a caller on a wall screen without showing the number. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, '');
  return digits.length >= 4 ? `••• ••• ${digits.slice(-4)}` : '•••';
}

export function callView(row: CallRow, customer?: Pick<CustomerRow, 'name'> | null) {
  return {
    id: row.id,
    clientId: row.client_id,
    customerId: row.customer_id,
    callerName: customer?.name ?? null,
    fromNumber: row.from_number,
    fromMasked: maskPhone(row.from_number),
    direction: row.direction,
    status: row.status,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    durationMs: row.duration_ms,
    summary: row.summary,
    intent: row.intent,
    sentiment: row.sentiment,
    outcome: row.outcome,
    disconnectionReason: row.disconnection_reason,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function customerView(row: CustomerRow) {
  return {
    id: row.id,
    clientId: row.client_id,
    phone: row.phone,
    name: row.name,
    email: row.email,
    preferredLanguage: row.preferred_language,
    /** staff | caller | call: who set the language. */
    preferredLanguageSource: row.preferred_language_source,
    notes: row.notes,
    callCount: row.call_count,
    firstCallAt: iso(row.first_call_at),
    lastCallAt: iso(row.last_call_at),
    lastSummary: row.last_summary,
    lastIntent: row.last_intent,
    lastOutcome: row.last_outcome,
    lastCallId: row.last_call_id,
    updatedAt: iso(row.updated_at),
  };
}

export function appointmentView(row: AppointmentRow) {
  return {
    id: row.id,
    bookingId: row.booking_id,
    clientId: row.client_id,
    customerId: row.customer_id,
    callId: row.call_id,
    appointmentType: row.appointment_type,
    startAt: iso(row.start_at),
    endAt: iso(row.end_at),
    status: row.status,
    callerName: row.caller_name,
    callerPhone: row.caller_phone,
    callerEmail: row.caller_email,
    notes: row.notes,
    previousStartAt: iso(row.previous_start_at),
    drift: row.drift,
    calendarEventId: row.calendar_event_id,
    attendance: row.attendance,
    attendanceMarkedAt: iso(row.attendance_marked_at),
    attendanceMarkedBy: row.attendance_marked_by,
    ...(row.staff_id ? { staffId: row.staff_id } : {}),
  };
}

/**
 * Field names that hold a credential: the log masker's `secret` class (password, token, api_key, signature…)
 * plus what it lets through because the name does not end in the secret word (`password_hash`, `token_hash`,
 * `refresh_token_enc`) and capability links (an unsubscribe link works for whoever holds it).
 */
const SECRET_FIELD = /(^|_)(password|passwd|token|secret|hash|unsubscribe_(url|link))(_|$)/;
/** Secrets inside free text: the sealed token of an unsubscribe link, and credential-named query parameters. */
const SECRET_IN_TEXT: Array<[RegExp, string]> = [
  [/(\/v1\/unsubscribe\/)[^\s"'<>]+/g, `$1${REDACTED}`],
  [/([?&](?:token|access_token|refresh_token|code|signature|sig|key|api_key|secret)=)[^&#\s"'<>]+/gi, `$1${REDACTED}`],
];

function isSecretField(key: string): boolean {
  return classifyKey(key) === 'secret' || SECRET_FIELD.test(normalizeKey(key));
}

/**
 * Removes credentials from a stored value and leaves everything else as stored: the audit log shows staff the
 * same names, numbers and message texts the other screens show them, but never a password hash or a token.
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return SECRET_IN_TEXT.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [key, isSecretField(key) && entry !== null && entry !== '' ? REDACTED : redactSecrets(entry)]),
    );
  }
  return value;
}

export function auditView(row: Selectable<AuditTable>) {
  return {
    id: row.id,
    at: iso(row.at),
    actor: row.actor,
    clientId: row.client_id,
    action: row.action,
    target: row.target,
    before: redactSecrets(row.before),
    after: redactSecrets(row.after),
  };
}
