/**
 * find / reschedule / cancel. Our database is the source of truth and changes first, in one transaction with
 * the re-planned messages, the CRM sync and a `booking_calendar_sync` outbox row that brings Zoho in line —
 * so a slow Zoho never loses a caller's change, and the change reaches Zoho with retries.
 */
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import type { CommitGate } from '../core/commit-gate.js';
import { VendorError } from '../core/errors.js';
import { enqueueCrmSync } from '../crm/enqueue.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import { planAppointmentMessages } from '../messaging/plan.js';
import { slotsNear, spokenOffer, type OfferedSlot } from './availability.js';
import { phrasesFor, type Language } from '../i18n/phrases/index.js';
import { appointmentTypeWords } from '../messaging/render.js';
import { resolveAppointmentType } from './appointment-types.js';
import { normalisePhone } from './book.js';
import { ourBusy } from './busy.js';
import { enqueueCalendarSync } from './calendar-sync.js';
import { calendarPortOf } from './deps.js';
import { isoInZone, readStart, spokenTime } from './local-time.js';
import { insertLocks, isUniqueViolation, releaseLocks } from './slot-locks.js';
import { isSlotFree, slotRulesOf } from './slots.js';
import { candidatesFor } from './staff-availability.js';
import { hasStaff, slotRulesOfStaff, staffById } from './staff.js';

export interface AppointmentSummary {
  booking_id: string;
  appointment_type: string;
  appointment_type_name: string;
  start: string;
  spoken: string;
  /** Who it is with (an office with staff). */
  staff_name?: string;
}

function typeNameOf(config: ClientConfig, typeId: string, language: Language): string {
  const type = resolveAppointmentType(config, typeId);
  return type ? appointmentTypeWords(config, type.id, language).name : typeId;
}

function summary(context: AppContext, row: AppointmentRow, language: Language = 'en'): AppointmentSummary {
  const config = context.clients.get(row.client_id)!.config;
  const startMs = new Date(row.start_at).getTime();
  return {
    booking_id: row.booking_id,
    appointment_type: row.appointment_type,
    appointment_type_name: typeNameOf(config, row.appointment_type, language),
    start: isoInZone(startMs, config.timezone),
    spoken: spokenTime(startMs, config.timezone, language),
    ...(staffById(config, row.staff_id) ? { staff_name: staffById(config, row.staff_id)!.name } : {}),
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
  /** The caller's language (English when not given). */
  language?: Language;
}

export async function findAppointments(context: AppContext, request: FindRequest) {
  const say = phrasesFor(request.language).manage;
  const phone = normalisePhone(request.phone) ?? normalisePhone(request.callerNumber);
  if (!phone) return { ok: false, message: say.whichPhone, appointments: [] };
  const rows = await upcomingAppointments(context, request.clientId, phone);
  const appointments = rows.map((row) => summary(context, row, request.language));
  if (appointments.length === 0) {
    return { ok: true, appointments, message: say.noneUpcoming };
  }
  return {
    ok: true,
    appointments,
    message: say.found(appointments.map((item) => ({ typeName: item.appointment_type_name, spoken: item.spoken }))),
  };
}

type Target = { ok: true; row: AppointmentRow } | { ok: false; message: string; appointments?: AppointmentSummary[] };

/** The appointment a reschedule/cancel means: by booking id, else the caller's only upcoming one. */
async function target(
  context: AppContext,
  clientId: string,
  bookingId: string | undefined,
  phoneText: string | undefined,
  language: Language = 'en',
): Promise<Target> {
  const say = phrasesFor(language).manage;
  if (bookingId) {
    const row = await context.db
      .selectFrom('appointments')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('booking_id', '=', bookingId)
      .executeTakeFirst();
    return row ? { ok: true, row } : { ok: false, message: say.bookingNotFound };
  }
  const phone = normalisePhone(phoneText);
  if (!phone) return { ok: false, message: say.whichPhone };
  const rows = await upcomingAppointments(context, clientId, phone);
  if (rows.length === 0) return { ok: false, message: say.noneUpcoming };
  if (rows.length > 1) {
    const appointments = rows.map((row) => summary(context, row, language));
    return {
      ok: false,
      appointments,
      message: say.several(
        rows.length,
        appointments.map((item) => item.spoken),
      ),
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
  /** A function call's commit gate: the move commits only if the caller has not been given the fallback. */
  gate?: CommitGate;
  /** The caller's language (English when not given). */
  language?: Language;
  /** Another person to move the appointment to (an office with staff); without it the appointment keeps its person. */
  staff?: string;
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
  staff_id?: string;
  staff_name?: string;
}

export async function rescheduleAppointment(context: AppContext, request: RescheduleRequest): Promise<ChangeAnswer> {
  const config = context.clients.get(request.clientId)!.config;
  const zone = config.timezone;
  const language = request.language ?? 'en';
  const say = phrasesFor(language).manage;
  const spoken = (ms: number) => spokenTime(ms, zone, language);
  const found = await target(context, request.clientId, request.bookingId, request.phone ?? request.callerNumber, language);
  if (!found.ok) return { ok: false, reason: 'not_found', message: found.message, appointments: found.appointments };
  const row = found.row;
  if (row.status !== 'booked') return { ok: false, reason: 'not_active', message: say.noLongerActive };
  const type = resolveAppointmentType(config, row.appointment_type);
  if (!type) throw new Error(`Appointment type ${row.appointment_type} is no longer configured`);
  const reading = readStart(request.newStart, zone);
  if (!reading || reading.kind !== 'exact') {
    const detail =
      reading?.kind === 'nonexistent'
        ? say.nonexistentStart(spoken(reading.next))
        : reading?.kind === 'ambiguous'
          ? say.ambiguousStart(reading.options.map(spoken))
          : say.invalidStart;
    return { ok: false, reason: 'invalid_start', message: detail };
  }
  const startMs = reading.ms;
  const oldStartMs = new Date(row.start_at).getTime();
  // With staff the appointment keeps its person unless the caller asks for another (who must take its type).
  let person = staffById(config, row.staff_id);
  if (request.staff && request.staff.trim() && hasStaff(config)) {
    const typeName = appointmentTypeWords(config, type.id, language).name;
    const asked = candidatesFor(config, type.id, typeName, request.staff, language);
    if (!asked.ok) return { ok: false, reason: asked.reason, message: asked.message };
    person = asked.staff![0];
  }
  const personFields = person ? { staff_id: person.id, staff_name: person.name } : {};
  const withPerson = (text: string) => (person ? phrasesFor(language).staff.withPerson(text, person.name) : text);
  if (startMs === oldStartMs && (person?.id ?? null) === row.staff_id) {
    return { ok: true, booking_id: row.booking_id, start: isoInZone(startMs, zone), spoken: spoken(startMs), message: say.sameTime(spoken(startMs)) };
  }
  const endMs = startMs + type.durationMinutes * 60_000;
  const blockEndMs = endMs + type.bufferMinutes * 60_000;
  const now = context.clock.now();
  const offerOthers = async (why: string): Promise<ChangeAnswer> => {
    const offers = await slotsNear(context, {
      clientId: request.clientId,
      appointmentTypeId: type.id,
      startMs,
      signal: request.signal,
      language,
      staff: person?.id,
    }).catch(() => []);
    return {
      ok: false,
      reason: 'slot_taken',
      alternatives: offers,
      message: say.offerOthers(
        why,
        offers.map((slot) => spokenOffer(slot, language)),
      ),
    };
  };
  if (
    !isSlotFree(
      person ? slotRulesOfStaff(config, person) : slotRulesOf(config),
      { nowMs: now.getTime(), durationMinutes: type.durationMinutes, bufferMinutes: type.bufferMinutes, busy: [] },
      startMs,
    )
  ) {
    return offerOthers(say.notBookable(spoken(startMs)));
  }
  // Re-check Zoho (ignoring this appointment's own event) and our other bookings.
  const sameCalendar = (person?.calendarId ?? null) === row.calendar_id;
  const view = await calendarPortOf(context, person?.calendarId).view(request.clientId, startMs, blockEndMs, request.signal);
  const ownEvent = sameCalendar ? view.events.find((event) => event.id === row.calendar_event_id) : undefined;
  const zohoBusy = view.busy.filter(
    (busy) =>
      !(ownEvent && busy.startMs === ownEvent.startMs && busy.endMs === ownEvent.endMs) &&
      !(sameCalendar && busy.startMs === oldStartMs && busy.endMs === new Date(row.end_at).getTime()),
  );
  const ours = await ourBusy(context.db, request.clientId, startMs, blockEndMs, now, row.id, person?.id);
  if ([...zohoBusy, ...ours].some((busy) => busy.startMs < blockEndMs && busy.endMs > startMs)) {
    return offerOthers(say.taken(spoken(startMs)));
  }

  request.onMove?.(row.id, startMs);
  let moved: AppointmentRow;
  try {
    moved = await context.db.transaction().execute(async (trx) => {
      await releaseLocks(trx, row.id);
      await insertLocks(trx, request.clientId, row.id, startMs, blockEndMs, person?.id);
      const updated = await trx
        .updateTable('appointments')
        .set({
          start_at: new Date(startMs),
          end_at: new Date(endMs),
          block_end_at: new Date(blockEndMs),
          previous_start_at: row.start_at,
          drift: null,
          updated_at: now,
          ...(person ? { staff_id: person.id } : {}),
        })
        .where('id', '=', row.id)
        .where('status', '=', 'booked')
        .returningAll()
        .executeTakeFirstOrThrow();
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
      // Last, with the row lock held and nothing left but COMMIT: if the caller's deadline came first, they were told
      // we would call back, and the move must not happen behind their back; from here on, they hear the move.
      if (request.gate && !request.gate.enter()) {
        throw new VendorError({
          vendor: 'switchboard',
          code: 'aborted',
          message: 'The caller was answered before the move was written; nothing was changed.',
          retryable: true,
        });
      }
      return updated;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return offerOthers(say.justTaken(spoken(startMs)));
    throw error;
  }
  return {
    ok: true,
    booking_id: moved.booking_id,
    start: isoInZone(startMs, zone),
    spoken: spoken(startMs),
    message: say.moved(appointmentTypeWords(config, type.id, language).name, spoken(oldStartMs), withPerson(spoken(startMs))),
    ...personFields,
  };
}

/**
 * The caller is about to be told the move could not be made (the function's deadline closed its commit gate, so the
 * move's transaction, which enters the gate last, will roll back), or a move's commit failed. Under the
 * appointment's row lock: if the move is stored after all (a commit whose answer was lost), that is the answer.
 */
export async function settleRescheduleAfterDeadline(
  context: AppContext,
  clientId: string,
  appointmentId: number,
  newStartMs: number,
  language: Language = 'en',
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
    spoken: spokenTime(newStartMs, zone, language),
    message: phrasesFor(language).manage.movedTo(
      previous === undefined ? undefined : spokenTime(previous, zone, language),
      spokenTime(newStartMs, zone, language),
    ),
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
  /** The caller's language (English when not given). */
  language?: Language;
}

export async function cancelAppointment(context: AppContext, request: CancelRequest): Promise<ChangeAnswer> {
  const config = context.clients.get(request.clientId)!.config;
  const say = phrasesFor(request.language).manage;
  const found = await target(context, request.clientId, request.bookingId, request.phone ?? request.callerNumber, request.language);
  if (!found.ok) return { ok: false, reason: 'not_found', message: found.message, appointments: found.appointments };
  const row = found.row;
  const spoken = spokenTime(new Date(row.start_at).getTime(), config.timezone, request.language);
  if (row.status === 'cancelled') return { ok: true, booking_id: row.booking_id, spoken, message: say.alreadyCancelled(spoken) };
  if (row.status !== 'booked') return { ok: false, reason: 'not_active', message: say.notActive };
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
    await enqueueCrmSync(trx, context, {
      clientId: updated.client_id,
      purpose: 'appointment_cancelled',
      appointmentId: updated.id,
      customerId: updated.customer_id,
    });
    await enqueueCalendarSync(trx, context, updated);
    await context.bus.publish(
      { type: 'appointment.changed', clientId: updated.client_id, data: { appointmentId: updated.id, change: 'cancelled', actor: request.actor ?? 'caller' } },
      trx,
    );
    return updated;
  });
  if (!cancelled) return cancelAppointment(context, request);
  return { ok: true, booking_id: row.booking_id, spoken, message: say.cancelled(spoken) };
}
