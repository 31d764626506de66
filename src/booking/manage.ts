/**
 * find / reschedule / cancel. Our database is the source of truth and changes first, in one transaction with
 * the re-planned messages, the CRM sync and a `booking_calendar_sync` outbox row that brings Zoho in line —
 * so a slow Zoho never loses a caller's change, and the change reaches Zoho with retries.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import { VendorError } from '../core/errors.js';
import { enqueueCrmSync } from '../crm/enqueue.js';
import type { DB } from '../db/schema.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import { planAppointmentMessages } from '../messaging/plan.js';
import { listSpoken, slotsNear, withArticle, type OfferedSlot } from './availability.js';
import { resolveAppointmentType } from './appointment-types.js';
import { normalisePhone } from './book.js';
import { ourBusy } from './busy.js';
import { enqueueCalendarSync } from './calendar-sync.js';
import { calendarPortOf } from './deps.js';
import { isoInZone, readStart, spokenTime } from './local-time.js';
import { insertLocks, isUniqueViolation, releaseLocks } from './slot-locks.js';
import { isSlotFree, slotRulesOf } from './slots.js';


export interface AppointmentSummary {
  booking_id: string;
  appointment_type: string;
  appointment_type_name: string;
  start: string;
  spoken: string;
}

function summary(context: AppContext, row: AppointmentRow): AppointmentSummary {
  const config = context.clients.get(row.client_id)!.config;
  const startMs = new Date(row.start_at).getTime();
  return {
    booking_id: row.booking_id,
    appointment_type: row.appointment_type,
    appointment_type_name: resolveAppointmentType(config, row.appointment_type)?.name ?? row.appointment_type,
    start: isoInZone(startMs, config.timezone),
    spoken: spokenTime(startMs, config.timezone),
  };
}

/** The caller's upcoming booked appointments, soonest first. */
export async function upcomingAppointments(context: AppContext, clientId: string, phone: string): Promise<AppointmentRow[]> {
  return context.db
    .selectFrom('appointments')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('caller_phone', '=', phone)
    .where('status', '=', 'booked')
    .where('start_at', '>=', context.clock.now())
    .orderBy('start_at')
    .execute();
}

export interface FindRequest {
  clientId: string;
  phone?: string;
  callerNumber?: string;
}

export async function findAppointments(context: AppContext, request: FindRequest) {
  const phone = normalisePhone(request.phone) ?? normalisePhone(request.callerNumber);
  if (!phone) return { ok: false, message: 'What phone number was the appointment booked under?', appointments: [] };
  const rows = await upcomingAppointments(context, request.clientId, phone);
  const appointments = rows.map((row) => summary(context, row));
  if (appointments.length === 0) {
    return { ok: true, appointments, message: 'I don\'t see any upcoming appointments under that number.' };
  }
  return {
    ok: true,
    appointments,
    message: `I see ${listSpoken(appointments.map((item) => `${withArticle(item.appointment_type_name.toLowerCase())} on ${item.spoken}`))}.`,
  };
}

type Target = { ok: true; row: AppointmentRow } | { ok: false; message: string; appointments?: AppointmentSummary[] };

/** The appointment a reschedule/cancel means: by booking id, else the caller's only upcoming one. */
async function target(context: AppContext, clientId: string, bookingId: string | undefined, phoneText: string | undefined): Promise<Target> {
  if (bookingId) {
    const row = await context.db
      .selectFrom('appointments')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('booking_id', '=', bookingId)
      .executeTakeFirst();
    return row ? { ok: true, row } : { ok: false, message: 'I could not find that booking. Shall I look it up by phone number?' };
  }
  const phone = normalisePhone(phoneText);
  if (!phone) return { ok: false, message: 'What phone number was the appointment booked under?' };
  const rows = await upcomingAppointments(context, clientId, phone);
  if (rows.length === 0) return { ok: false, message: 'I don\'t see any upcoming appointments under that number.' };
  if (rows.length > 1) {
    const appointments = rows.map((row) => summary(context, row));
    return {
      ok: false,
      appointments,
      message: `There are ${rows.length} upcoming appointments: ${listSpoken(appointments.map((item) => item.spoken))}. Which one?`,
    };
  }
  return { ok: true, row: rows[0]! };
}

export interface RescheduleRequest {
  clientId: string;
  callId?: string;
  bookingId?: string;
  phone?: string;
  callerNumber?: string;
  newStart: string;
  signal?: AbortSignal;
  /** Told which appointment is about to move, and where to (for `settleRescheduleAfterDeadline`). */
  onMove?: (appointmentId: number, newStartMs: number) => void;
}

export interface ChangeAnswer {
  ok: boolean;
  message: string;
  reason?: string;
  booking_id?: string;
  start?: string;
  spoken?: string;
  alternatives?: OfferedSlot[];
  appointments?: AppointmentSummary[];
}

export async function rescheduleAppointment(context: AppContext, request: RescheduleRequest): Promise<ChangeAnswer> {
  const config = context.clients.get(request.clientId)!.config;
  const zone = config.timezone;
  const found = await target(context, request.clientId, request.bookingId, request.phone ?? request.callerNumber);
  if (!found.ok) return { ok: false, reason: 'not_found', message: found.message, appointments: found.appointments };
  const row = found.row;
  if (row.status !== 'booked') return { ok: false, reason: 'not_active', message: 'That appointment is no longer active. Shall I book a new one?' };
  const type = resolveAppointmentType(config, row.appointment_type);
  if (!type) throw new Error(`Appointment type ${row.appointment_type} is no longer configured`);
  const reading = readStart(request.newStart, zone);
  if (!reading || reading.kind !== 'exact') {
    const detail =
      reading?.kind === 'nonexistent'
        ? `That time doesn't exist that night (clocks spring forward); the nearest is ${spokenTime(reading.next, zone)}.`
        : reading?.kind === 'ambiguous'
          ? `That time happens twice that night: ${reading.options.map((ms) => spokenTime(ms, zone)).join(' or ')}. Which one?`
          : 'I need the new start time as the availability check gave it.';
    return { ok: false, reason: 'invalid_start', message: detail };
  }
  const startMs = reading.ms;
  const oldStartMs = new Date(row.start_at).getTime();
  if (startMs === oldStartMs) {
    return { ok: true, booking_id: row.booking_id, start: isoInZone(startMs, zone), spoken: spokenTime(startMs, zone), message: `The appointment is on ${spokenTime(startMs, zone)}.` };
  }
  const endMs = startMs + type.durationMinutes * 60_000;
  const blockEndMs = endMs + type.bufferMinutes * 60_000;
  const now = context.clock.now();
  const offerOthers = async (why: string): Promise<ChangeAnswer> => {
    const offers = await slotsNear(context, { clientId: request.clientId, appointmentTypeId: type.id, startMs, signal: request.signal }).catch(() => []);
    return { ok: false, reason: 'slot_taken', alternatives: offers, message: offers.length > 0 ? `${why} I can offer ${listSpoken(offers.map((slot) => slot.spoken))}.` : `${why} Would another day work?` };
  };
  if (!isSlotFree(slotRulesOf(config), { nowMs: now.getTime(), durationMinutes: type.durationMinutes, bufferMinutes: type.bufferMinutes, busy: [] }, startMs)) {
    return offerOthers(`${spokenTime(startMs, zone)} isn't a time we can book.`);
  }
  // Re-check Zoho (ignoring this appointment's own event) and our other bookings.
  const view = await calendarPortOf(context).view(request.clientId, startMs, blockEndMs, request.signal);
  const ownEvent = view.events.find((event) => event.id === row.calendar_event_id);
  const zohoBusy = view.busy.filter(
    (busy) => !(ownEvent && busy.startMs === ownEvent.startMs && busy.endMs === ownEvent.endMs) && !(busy.startMs === oldStartMs && busy.endMs === new Date(row.end_at).getTime()),
  );
  const ours = await ourBusy(context.db, request.clientId, startMs, blockEndMs, now, row.id);
  if ([...zohoBusy, ...ours].some((busy) => busy.startMs < blockEndMs && busy.endMs > startMs)) {
    return offerOthers(`Sorry, ${spokenTime(startMs, zone)} is taken.`);
  }

  request.onMove?.(row.id, startMs);
  let moved: AppointmentRow;
  try {
    moved = await context.db.transaction().execute(async (trx) => {
      await releaseLocks(trx, row.id);
      await insertLocks(trx, request.clientId, row.id, startMs, blockEndMs);
      const updated = await trx
        .updateTable('appointments')
        .set({ start_at: new Date(startMs), end_at: new Date(endMs), block_end_at: new Date(blockEndMs), previous_start_at: row.start_at, drift: null, updated_at: now })
        .where('id', '=', row.id)
        .where('status', '=', 'booked')
        .returningAll()
        .executeTakeFirstOrThrow();
      // With the row lock held: if the caller's deadline passed meanwhile, they were told we would call back, and
      // `settleRescheduleAfterDeadline` saw the old time; the move must not happen behind their back.
      if (request.signal?.aborted) {
        throw new VendorError({ vendor: 'switchboard', code: 'aborted', message: 'The caller was answered before the move was written; nothing was changed.', retryable: true });
      }
      if (updated.customer_id !== null) {
        await planAppointmentMessages(trx, context, {
          clientId: updated.client_id,
          appointmentId: updated.id,
          customerId: updated.customer_id,
          event: 'rescheduled',
          callId: request.callId ?? updated.call_id,
          previousStartAt: new Date(oldStartMs),
        });
      }
      await enqueueCrmSync(trx, context, {
        clientId: updated.client_id,
        purpose: 'appointment_rescheduled',
        appointmentId: updated.id,
        customerId: updated.customer_id,
        version: String(startMs),
      });
      await enqueueCalendarSync(trx, context, updated);
      await context.bus.publish({ type: 'appointment.changed', clientId: updated.client_id, data: { appointmentId: updated.id, change: 'rescheduled' } }, trx);
      return updated;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return offerOthers(`Sorry, ${spokenTime(startMs, zone)} was just taken.`);
    throw error;
  }
  return {
    ok: true,
    booking_id: moved.booking_id,
    start: isoInZone(startMs, zone),
    spoken: spokenTime(startMs, zone),
    message: `Done: the ${type.name.toLowerCase()} moved from ${spokenTime(oldStartMs, zone)} to ${spokenTime(startMs, zone)}. We'll text the new time.`,
  };
}

/**
 * The caller is about to be told the move could not be made (the function's deadline passed). Under the
 * appointment's row lock: if the move already committed, that is the answer after all; otherwise the move's own
 * transaction, which checks the deadline once it holds the same lock, will roll back.
 */
export async function settleRescheduleAfterDeadline(
  context: AppContext,
  clientId: string,
  appointmentId: number,
  newStartMs: number,
): Promise<ChangeAnswer | undefined> {
  const zone = context.clients.get(clientId)!.config.timezone;
  const row = await context.db
    .transaction()
    .execute((trx) => trx.selectFrom('appointments').selectAll().where('id', '=', appointmentId).forNoKeyUpdate().executeTakeFirst());
  if (!row || row.status !== 'booked' || new Date(row.start_at).getTime() !== newStartMs) return undefined;
  const previous = row.previous_start_at ? new Date(row.previous_start_at).getTime() : undefined;
  return {
    ok: true,
    booking_id: row.booking_id,
    start: isoInZone(newStartMs, zone),
    spoken: spokenTime(newStartMs, zone),
    message: `Done: the appointment moved${previous === undefined ? '' : ` from ${spokenTime(previous, zone)}`} to ${spokenTime(newStartMs, zone)}. We'll text the new time.`,
  };
}

export interface CancelRequest {
  clientId: string;
  callId?: string;
  bookingId?: string;
  phone?: string;
  callerNumber?: string;
  /** Who cancelled: the caller (voice) or a staff member (dashboard). */
  actor?: string;
}

export async function cancelAppointment(context: AppContext, request: CancelRequest): Promise<ChangeAnswer> {
  const config = context.clients.get(request.clientId)!.config;
  const found = await target(context, request.clientId, request.bookingId, request.phone ?? request.callerNumber);
  if (!found.ok) return { ok: false, reason: 'not_found', message: found.message, appointments: found.appointments };
  const row = found.row;
  const spoken = spokenTime(new Date(row.start_at).getTime(), config.timezone);
  if (row.status === 'cancelled') return { ok: true, booking_id: row.booking_id, spoken, message: `The appointment on ${spoken} is cancelled.` };
  if (row.status !== 'booked') return { ok: false, reason: 'not_active', message: 'That appointment is not active.' };
  const now = context.clock.now();
  const cancelled = await context.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('appointments')
      .set({ status: 'cancelled', cancelled_at: now, updated_at: now, idempotency_key: null })
      .where('id', '=', row.id)
      .where('status', '=', 'booked')
      .returningAll()
      .executeTakeFirst();
    if (!updated) return undefined;
    await releaseLocks(trx, row.id);
    if (updated.customer_id !== null) {
      await planAppointmentMessages(trx, context, {
        clientId: updated.client_id,
        appointmentId: updated.id,
        customerId: updated.customer_id,
        event: 'cancelled',
        callId: request.callId ?? updated.call_id,
      });
    }
    await enqueueCrmSync(trx, context, { clientId: updated.client_id, purpose: 'appointment_cancelled', appointmentId: updated.id, customerId: updated.customer_id });
    await enqueueCalendarSync(trx, context, updated);
    await context.bus.publish({ type: 'appointment.changed', clientId: updated.client_id, data: { appointmentId: updated.id, change: 'cancelled', actor: request.actor ?? 'caller' } }, trx);
    return updated;
  });
  if (!cancelled) return cancelAppointment(context, request);
  return { ok: true, booking_id: row.booking_id, spoken, message: `The appointment on ${spoken} is cancelled. We'll send a text to confirm.` };
}
