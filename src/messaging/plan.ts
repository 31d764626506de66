/**
 * Entry points other modules call, inside their own transaction, to plan follow-up messages through the
 * outbox: confirmation now, reminders 24 h and 1 h before, rescheduled/cancelled notices, and Day 1 / Day 4
 * nurture for callers who did not book. Each message is rendered now (so staff see the exact text), placed
 * at its next allowed moment, and de-duplicated by a key, so a retried booking plans it once.
 */
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import type { TemplateKind, TemplateValues } from '../config/templates.js';
import { isOptedOut } from '../customers/consent.js';
import type { DB } from '../db/schema.js';
import { cancelPending } from '../outbox/manage.js';
import { enqueueMessage } from './enqueue-message.js';
import type { MessageChannel, MessageSequence } from './payload.js';
import { locateRecipient } from './recipient.js';
import { templateValues, type AppointmentFacts } from './render.js';
import { pickTemplateVariant, type ChosenVariant } from './template-variant.js';
import { messageLanguage } from '../i18n/language.js';
import type { Language } from '../i18n/phrases/index.js';
import { nextAllowedMoment, sendRulesFor, windowApplies, type MessagePurpose } from './send-window.js';

export interface AppointmentMessageInput {
  clientId: string;
  appointmentId: number;
  customerId: number;
  event: 'booked' | 'rescheduled' | 'cancelled';
  callId?: string | null;
  /** For `rescheduled`: the start before the move. */
  previousStartAt?: Date;
  /** Used when the appointment row does not say (or does not exist yet). */
  startAt?: Date;
  appointmentTypeId?: string;
  /** Phone (E.164) to text. */
  to?: string | null;
  email?: string | null;
  firstName?: string | null;
}

const HOUR = 3_600_000;
const REMINDERS: Array<{ template: TemplateKind; beforeMs: number }> = [
  { template: 'reminder_24h', beforeMs: 24 * HOUR },
  { template: 'reminder_1h', beforeMs: HOUR },
];

export interface Subject {
  config: ClientConfig;
  phone: string | null;
  email: string | null;
  name: string | null;
  /** The caller's remembered language (`customers.preferred_language`); the office's default when null. */
  language: string | null;
}

/** Booked: confirmation now + reminders (and cancels pending nurture). Rescheduled: notice + re-planned reminders. Cancelled: notice + reminders cancelled. */
export async function planAppointmentMessages(db: Kysely<DB>, context: AppContext, input: AppointmentMessageInput): Promise<void> {
  const client = context.clients.get(input.clientId);
  if (!client) {
    context.logger.warn({ clientId: input.clientId }, 'No messages planned: unknown client');
    return;
  }
  const config = client.config;
  const appointment = await db
    .selectFrom('appointments')
    .select(['start_at', 'appointment_type', 'caller_phone', 'caller_email', 'caller_name', 'previous_start_at', 'call_id', 'staff_id'])
    .where('id', '=', input.appointmentId)
    .where('client_id', '=', input.clientId)
    .executeTakeFirst();
  const customer = await db
    .selectFrom('customers')
    .select(['phone', 'email', 'name', 'preferred_language'])
    .where('id', '=', input.customerId)
    .executeTakeFirst();
  const startAt = appointment?.start_at ?? input.startAt;
  const appointmentTypeId = appointment?.appointment_type ?? input.appointmentTypeId;
  if (!startAt || !appointmentTypeId) {
    context.logger.warn({ appointmentId: input.appointmentId }, 'No messages planned: appointment start or type unknown');
    return;
  }
  const facts: AppointmentFacts = {
    startAt: new Date(startAt),
    appointmentTypeId,
    previousStartAt: input.previousStartAt ?? appointment?.previous_start_at ?? null,
    ...(appointment?.staff_id ? { staffName: config.staff?.people.find((person) => person.id === appointment.staff_id)?.name ?? null } : {}),
  };
  const subject: Subject = {
    config,
    phone: input.to ?? customer?.phone ?? appointment?.caller_phone ?? null,
    email: (input.email ?? customer?.email ?? appointment?.caller_email ?? null)?.toLowerCase() ?? null,
    name: input.firstName ?? customer?.name ?? appointment?.caller_name ?? null,
    language: customer?.preferred_language ?? null,
  };
  const now = context.clock.now();
  const common = {
    clientId: input.clientId,
    appointmentId: input.appointmentId,
    customerId: input.customerId,
    callId: input.callId ?? appointment?.call_id ?? null,
  };
  const keyBase = `msg:${input.clientId}:appointment:${input.appointmentId}`;
  const startIso = facts.startAt.toISOString();
  const channels = await reachableChannels(db, input.clientId, subject, 'transactional');

  const send = (template: TemplateKind, sequence: MessageSequence, dueAt: Date, keySuffix: string, notAfter?: Date) =>
    Promise.all(
      channels.map((channel) =>
        planOne(db, context, subject, {
          ...common,
          channel,
          template,
          sequence,
          purpose: 'transactional',
          dueAt,
          notAfter,
          facts,
          dedupeKey: `${keyBase}:${template}:${channel}${keySuffix}`,
        }),
      ),
    );
  const planReminders = async () => {
    for (const reminder of REMINDERS) {
      const dueAt = new Date(facts.startAt.getTime() - reminder.beforeMs);
      // A booking made closer than the reminder's lead time gets no such reminder.
      if (dueAt.getTime() < now.getTime()) continue;
      await send(reminder.template, 'reminder', dueAt, `:${startIso}`, facts.startAt);
    }
  };

  if (input.event === 'booked') {
    await cancelPending(
      db,
      context.clock,
      { clientId: input.clientId, customerId: input.customerId, kinds: ['sms', 'email'], payloadMatch: { sequence: 'nurture' } },
      'The caller booked an appointment',
    );
    await send('confirmation', 'confirmation', now, '');
    await planReminders();
  } else if (input.event === 'rescheduled') {
    for (const sequence of ['reminder', 'confirmation', 'notice'] as const) {
      await cancelPending(
        db,
        context.clock,
        { clientId: input.clientId, appointmentId: input.appointmentId, kinds: ['sms', 'email'], payloadMatch: { sequence } },
        'The appointment was rescheduled',
      );
    }
    await send('rescheduled', 'notice', now, `:${startIso}`);
    await planReminders();
  } else {
    await cancelPending(
      db,
      context.clock,
      { clientId: input.clientId, appointmentId: input.appointmentId, kinds: ['sms', 'email'] },
      'The appointment was cancelled',
    );
    await send('cancelled', 'notice', now, '');
  }
}

export interface NurtureInput {
  clientId: string;
  customerId: number;
  callId: string;
  /** When the call ended (Day 1 / Day 4 count from here). */
  endedAt: Date;
}

const NO_NURTURE_OUTCOMES = new Set(['voicemail', 'opted_out', 'booked', 'rescheduled']);

/** A call ended without a booking: plan Day 1 and Day 4 nurture unless the caller opted out, was a voicemail, or booked. */
export async function planNurture(db: Kysely<DB>, context: AppContext, input: NurtureInput): Promise<void> {
  const client = context.clients.get(input.clientId);
  if (!client || !client.config.nurture.enabled) return;
  const config = client.config;
  const customer = await db
    .selectFrom('customers')
    .select(['phone', 'email', 'name', 'preferred_language'])
    .where('id', '=', input.customerId)
    .executeTakeFirst();
  if (!customer) return;
  const call = await db.selectFrom('calls').select(['in_voicemail', 'outcome']).where('id', '=', input.callId).executeTakeFirst();
  if (call?.in_voicemail || (call?.outcome && NO_NURTURE_OUTCOMES.has(call.outcome))) return;
  const booked = await db
    .selectFrom('appointments')
    .select('id')
    .where('client_id', '=', input.clientId)
    .where('customer_id', '=', input.customerId)
    .where('status', 'in', ['booked', 'held'])
    .where('start_at', '>=', input.endedAt)
    .executeTakeFirst();
  if (booked) return;

  const subject: Subject = {
    config,
    phone: customer.phone,
    email: customer.email?.toLowerCase() ?? null,
    name: customer.name,
    language: customer.preferred_language,
  };
  const channels = await reachableChannels(db, input.clientId, subject, 'marketing');
  const zone = locateRecipient(customer.phone, config.timezone).zone;
  // Nurture is planned at call_ended and again at call_analyzed, when the call's insight exists (issue 17): a variant
  // chosen then re-renders the rows still waiting.
  const insight = await db.selectFrom('call_insights').select(['intent', 'needs']).where('call_id', '=', input.callId).executeTakeFirst();
  const steps: Array<{ template: TemplateKind; afterDays: number }> = [
    { template: 'nurture_day1', afterDays: config.nurture.day1.afterDays },
    { template: 'nurture_day4', afterDays: config.nurture.day4.afterDays },
  ];
  for (const step of steps) {
    // "Day 1" is a calendar day in the recipient's zone, not 24 elapsed hours.
    const dueAt = DateTime.fromJSDate(input.endedAt, { zone }).plus({ days: step.afterDays }).toJSDate();
    for (const channel of channels) {
      await planOne(db, context, subject, {
        clientId: input.clientId,
        customerId: input.customerId,
        callId: input.callId,
        appointmentId: null,
        channel,
        template: step.template,
        sequence: 'nurture',
        purpose: 'marketing',
        dueAt,
        dedupeKey: `msg:${input.clientId}:call:${input.callId}:${step.template}:${channel}`,
        variant: insight ? pickTemplateVariant(config, step.template, channel, insight) : undefined,
      });
    }
  }
}

export async function reachableChannels(db: Kysely<DB>, clientId: string, subject: Subject, purpose: MessagePurpose): Promise<MessageChannel[]> {
  const channels: MessageChannel[] = [];
  if (subject.phone && !(await isOptedOut(db, clientId, 'sms', subject.phone, purpose))) channels.push('sms');
  if (subject.email && !(await isOptedOut(db, clientId, 'email', subject.email, purpose))) channels.push('email');
  return channels;
}

export interface PlanOne {
  clientId: string;
  appointmentId: number | null;
  customerId: number | null;
  callId: string | null;
  channel: MessageChannel;
  template: TemplateKind;
  sequence: MessageSequence;
  purpose: MessagePurpose;
  dueAt: Date;
  /** Skip when the allowed moment is at or after this (a reminder after the appointment began). */
  notAfter?: Date;
  facts?: AppointmentFacts;
  /**
   * Values beyond the customer's and the appointment's (review_link, open_slots, booking_link); a function when they
   * depend on the message's language (open slots are dates).
   */
  extras?: TemplateValues | ((language: Language) => TemplateValues);
  dedupeKey: string;
  variant?: ChosenVariant;
}

export async function planOne(db: Kysely<DB>, context: AppContext, subject: Subject, plan: PlanOne): Promise<void> {
  const config = subject.config;
  const to = plan.channel === 'sms' ? subject.phone : subject.email;
  if (!to) return;
  const location = locateRecipient(subject.phone ?? undefined, config.timezone);
  const runAt = windowApplies(plan.channel, plan.purpose) ? nextAllowedMoment(plan.dueAt, sendRulesFor(config, plan.purpose, location)) : plan.dueAt;
  if (plan.notAfter && runAt.getTime() >= plan.notAfter.getTime()) return;
  // What the facts give in the message's language (the appointment type's translated name) wins over an extra computed
  // before the language was known; extras fill the rest (review link, open slots).
  const values = (language: Language) => {
    const known = Object.entries(templateValues(config, { name: subject.name }, plan.facts, {}, language)).filter(([, value]) => value !== undefined);
    const extras = typeof plan.extras === 'function' ? plan.extras(language) : plan.extras;
    return { ...extras, ...Object.fromEntries(known) };
  };
  await enqueueMessage(db, context, {
    language: messageLanguage(config, subject.language),
    appointmentTypeId: plan.facts?.appointmentTypeId,
    clientId: plan.clientId,
    channel: plan.channel,
    to,
    template: plan.template,
    sequence: plan.sequence,
    purpose: plan.purpose,
    values,
    runAt,
    dueAt: plan.dueAt,
    location,
    appointmentStartAt: plan.sequence === 'reminder' ? plan.facts?.startAt : undefined,
    dedupeKey: plan.dedupeKey,
    appointmentId: plan.appointmentId,
    customerId: plan.customerId,
    callId: plan.callId,
    variant: plan.variant,
    refreshPlanned: plan.variant !== undefined,
  });
}
