/**
 * Follow-up sequences beyond booking and nurture, each off until the office turns it on (`followUps` in the office
 * document), each through the same consent and send-window rules as nurture (planOne in plan.ts):
 *
 * - Missed-call text-back: a call that ended before a conversation (the call outcome's own rule: voicemail, or
 *   abandoned — no answer, a hang-up within seconds) gets one text at once, at most once per number per office-local
 *   day (the dedupe key), never to a number opted out of texts.
 * - After the appointment: marked attended → an optional thank-you and a review request with the office's review link,
 *   sent to every attended customer (asking only happy customers is review gating, which Google's policy and the FTC's
 *   rule on consumer reviews forbid). Marked no-show (or still unmarked N hours after its end, found by
 *   missed-sweep.ts) → a rebook text and e-mail with the next open slots, found by the booking availability code
 *   outside the marking transaction (a `rebook_offer` outbox row), since it reads the calendar. One rebook per
 *   appointment and start (the offer's dedupe key). Clearing or changing the mark cancels whatever the old mark
 *   planned that has not gone yet, except that a no-show mark keeps a rebook already on its way (the sweep's).
 */
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { AppContext } from '../app-context.js';
import type { Attendance } from '../db/tables/booking.js';
import { isOptedOut } from '../customers/consent.js';
import type { DB } from '../db/schema.js';
import { enqueue } from '../outbox/enqueue.js';
import { cancelPending } from '../outbox/manage.js';
import type { MessagePurpose } from './send-window.js';
import { planOne, reachableChannels, type Subject } from './plan.js';
import { retryPolicyFor } from './enqueue-message.js';

export const REBOOK_OFFER_KIND = 'rebook_offer';

export interface MissedCallInput {
  clientId: string;
  callId: string;
  customerId: number | null;
  /** The caller's number (E.164). */
  phone: string;
  endedAt: Date;
}

/** Plans the missed-call text (see the file comment). Returns whether a new text was planned. */
export async function planMissedCallTextBack(db: Kysely<DB>, context: AppContext, input: MissedCallInput): Promise<boolean> {
  const client = context.clients.get(input.clientId);
  const settings = client?.config.followUps.missedCall;
  if (!client || !settings?.enabled || !client.config.templates.sms.missed_call) return false;
  const config = client.config;
  const purpose: MessagePurpose = settings.transactional ? 'transactional' : 'marketing';
  // Never to an opted-out number, whichever purpose the office sends it as.
  if ((await isOptedOut(db, input.clientId, 'sms', input.phone, 'marketing')) || (await isOptedOut(db, input.clientId, 'sms', input.phone, 'transactional'))) {
    return false;
  }
  const customer =
    input.customerId === null
      ? undefined
      : await db.selectFrom('customers').select(['name', 'preferred_language']).where('id', '=', input.customerId).executeTakeFirst();
  const officeDay = DateTime.fromJSDate(input.endedAt, { zone: config.timezone }).toISODate();
  const dedupeKey = `msg:${input.clientId}:missed_call:${input.phone}:${officeDay}`;
  const existing = await db.selectFrom('outbox').select('id').where('dedupe_key', '=', dedupeKey).executeTakeFirst();
  if (existing) return false;
  const subject: Subject = { config, phone: input.phone, email: null, name: customer?.name ?? null, language: customer?.preferred_language ?? null };
  await planOne(db, context, subject, {
    clientId: input.clientId,
    customerId: input.customerId,
    callId: input.callId,
    appointmentId: null,
    channel: 'sms',
    template: 'missed_call',
    sequence: 'missed_call',
    purpose,
    dueAt: context.clock.now(),
    extras: { booking_link: settings.bookingUrl },
    dedupeKey,
  });
  return true;
}

export interface AfterAppointmentInput {
  clientId: string;
  appointmentId: number;
  /** The new mark (null: cleared). `unmarked`: still unmarked N hours after its end (missed-sweep.ts). */
  attendance: Attendance | 'unmarked' | null;
}

/** The rebook offer's dedupe key: one offer per appointment and start, whether staff marked it or the sweep found it unmarked. */
export function rebookOfferKey(clientId: string, appointmentId: number, startAt: Date): string {
  return `${REBOOK_OFFER_KIND}:${clientId}:${appointmentId}:${startAt.toISOString()}`;
}

/** Called inside markAttendance's transaction, and by the missed-appointment sweep with `unmarked`. */
export async function planAfterAppointment(db: Kysely<DB>, context: AppContext, input: AfterAppointmentInput): Promise<void> {
  const client = context.clients.get(input.clientId);
  if (!client) return;
  const settings = client.config.followUps.afterAppointment;
  const reason =
    input.attendance === null ? 'The attendance mark was cleared' : `The appointment was marked ${input.attendance === 'attended' ? 'attended' : 'missed'}`;
  const missed = input.attendance === 'no_show' || input.attendance === 'unmarked';
  // Whatever an earlier mark planned and has not gone yet no longer holds; a miss keeps a rebook on its way (the sweep
  // planned it for the still-unmarked appointment, and staff now confirm the miss), so it neither vanishes nor doubles.
  const cancelled = missed
    ? [
        { sequence: 'after_appointment', template: 'thank_you' },
        { sequence: 'after_appointment', template: 'review_request' },
      ]
    : [{ sequence: 'after_appointment' }];
  for (const payloadMatch of cancelled) {
    await cancelPending(db, context.clock, { clientId: input.clientId, appointmentId: input.appointmentId, kinds: ['sms', 'email'], payloadMatch }, reason);
  }
  if (!missed) await cancelPending(db, context.clock, { clientId: input.clientId, appointmentId: input.appointmentId, kinds: [REBOOK_OFFER_KIND] }, reason);
  if (input.attendance === null) return;

  const appointment = await db
    .selectFrom('appointments')
    .select(['customer_id', 'start_at', 'appointment_type', 'caller_phone', 'caller_email', 'caller_name', 'call_id'])
    .where('id', '=', input.appointmentId)
    .executeTakeFirst();
  if (!appointment) return;
  const startIso = appointment.start_at.toISOString();
  if (missed) {
    if (!settings.rebook) return;
    await enqueue(db, context.clock, {
      clientId: input.clientId,
      kind: REBOOK_OFFER_KIND,
      payload: { appointmentId: input.appointmentId, mark: input.attendance },
      dedupeKey: rebookOfferKey(input.clientId, input.appointmentId, appointment.start_at),
      retry: retryPolicyFor(context, input.clientId),
      appointmentId: input.appointmentId,
      customerId: appointment.customer_id,
      callId: appointment.call_id,
    });
    return;
  }

  const config = client.config;
  const subject = await subjectOf(db, config, appointment);
  const dueAt = new Date(context.clock.now().getTime() + settings.delayMinutes * 60_000);
  const facts = { startAt: appointment.start_at, appointmentTypeId: appointment.appointment_type };
  const steps: Array<{ template: 'thank_you' | 'review_request'; purpose: MessagePurpose; on: boolean }> = [
    { template: 'thank_you', purpose: 'transactional', on: settings.thankYou },
    { template: 'review_request', purpose: 'marketing', on: settings.reviewRequest && settings.reviewUrl !== undefined },
  ];
  for (const step of steps) {
    if (!step.on) continue;
    for (const channel of await reachableChannels(db, input.clientId, subject, step.purpose)) {
      if (channel === 'email' && !config.templates.email[step.template]) continue;
      if (channel === 'sms' && !config.templates.sms[step.template]) continue;
      await planOne(db, context, subject, {
        clientId: input.clientId,
        customerId: appointment.customer_id,
        callId: appointment.call_id,
        appointmentId: input.appointmentId,
        channel,
        template: step.template,
        sequence: 'after_appointment',
        purpose: step.purpose,
        dueAt,
        facts,
        extras: { appointment_type: typeName(config, appointment.appointment_type), review_link: settings.reviewUrl },
        dedupeKey: `msg:${input.clientId}:appointment:${input.appointmentId}:${step.template}:${channel}:${startIso}`,
      });
    }
  }
}

type AppointmentFields = { customer_id: number | null; caller_phone: string | null; caller_email: string | null; caller_name: string | null };

async function subjectOf(db: Kysely<DB>, config: Subject['config'], appointment: AppointmentFields): Promise<Subject> {
  const customer =
    appointment.customer_id === null
      ? undefined
      : await db.selectFrom('customers').select(['phone', 'email', 'name', 'preferred_language']).where('id', '=', appointment.customer_id).executeTakeFirst();
  return {
    config,
    phone: customer?.phone ?? appointment.caller_phone ?? null,
    email: (customer?.email ?? appointment.caller_email ?? null)?.toLowerCase() ?? null,
    name: customer?.name ?? appointment.caller_name ?? null,
    language: customer?.preferred_language ?? null,
  };
}

function typeName(config: Subject['config'], id: string): string {
  return config.appointmentTypes.find((type) => type.id === id)?.name ?? id;
}

export { subjectOf as afterAppointmentSubject, typeName as appointmentTypeName };
