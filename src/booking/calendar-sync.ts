/**
 * Outbox handler `booking_calendar_sync`: makes the Zoho event match our appointment (moved → update,
 * cancelled, or released with an event → delete). Safe to repeat: it compares before it writes.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import { alertIfGivingUp } from '../alerts/gave-up.js';
import { PermanentError, VendorError } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import { enqueue } from '../outbox/enqueue.js';
import type { OutboxHandler } from '../outbox/handlers.js';
import { resolveAppointmentType } from './appointment-types.js';
import { bookingMarker, hasBookingMarker, type CalendarEvent, type NewCalendarEvent } from './calendar-port.js';
import { calendarPortForAppointment, calendarPortOf } from './deps.js';
import { staffById } from './staff.js';

export const CALENDAR_SYNC_KIND = 'booking_calendar_sync';

/** Queues bringing the appointment's Zoho event in line with the row (one per state change), retried. */
export async function enqueueCalendarSync(db: Kysely<DB>, context: AppContext, row: AppointmentRow): Promise<void> {
  const config = context.clients.get(row.client_id)!.config;
  await enqueue(db, context.clock, {
    clientId: row.client_id,
    kind: CALENDAR_SYNC_KIND,
    payload: { appointmentId: row.id, bookingId: row.booking_id },
    dedupeKey: `${CALENDAR_SYNC_KIND}:${row.id}:${new Date(row.updated_at).getTime()}:${row.status}`,
    retry: { maxAttempts: Math.max(config.retry.maxAttempts, 5), intervalMs: config.retry.intervalSeconds * 1000 },
    appointmentId: row.id,
    customerId: row.customer_id,
    callId: row.call_id,
  });
}

export function calendarSyncHandler(context: AppContext): OutboxHandler {
  const sync = syncHandler(context);
  return {
    safeToRepeat: true,
    async run(row, run) {
      try {
        return await sync.run(row, run);
      } catch (error) {
        // Our appointment already changed; a Zoho outage longer than the retries would leave the office calendar
        // wrong with nobody told (reconcile only looks at booked appointments).
        await alertIfGivingUp(context, row, run.attempt, error, {
          source: 'booking.calendar_sync',
          what: 'A change to a Zoho Calendar event (the appointment itself is already changed here)',
          retryHint: 'retry it from Dead letters so the office calendar matches.',
          details: { appointmentId: (row.payload as { appointmentId?: unknown }).appointmentId ?? null },
        });
        throw error;
      }
    },
  };
}

function syncHandler(context: AppContext): OutboxHandler {
  return {
    safeToRepeat: true,
    async run(row) {
      const appointmentId = Number((row.payload as { appointmentId?: unknown }).appointmentId);
      const appointment = await context.db.selectFrom('appointments').selectAll().where('id', '=', appointmentId).executeTakeFirst();
      if (!appointment) throw new PermanentError(`Appointment ${appointmentId} no longer exists`, 'not_found');
      const calendar = calendarPortForAppointment(context, appointment);
      const eventId = appointment.calendar_event_id;
      if (!eventId) return { skipped: 'no calendar event' };
      // Cancelled, or a hold released while its event was still being made (the caller was offered a callback).
      if (appointment.status === 'cancelled' || appointment.status === 'released') {
        await calendar.remove(appointment.client_id, eventId);
        return { deleted: eventId };
      }
      if (appointment.status !== 'booked') return { skipped: appointment.status };
      const config = context.clients.get(appointment.client_id)!.config;
      const type = resolveAppointmentType(config, appointment.appointment_type);
      const startMs = new Date(appointment.start_at).getTime();
      const endMs = new Date(appointment.end_at).getTime();
      const current = await calendar.get(appointment.client_id, eventId);
      const person = staffById(config, appointment.staff_id);
      if (person && appointment.calendar_id !== null && person.calendarId !== appointment.calendar_id) {
        return moveToPersonCalendar(context, appointment, current, person.calendarId, {
          title: current?.title || `${type?.name ?? 'Appointment'}: ${appointment.caller_name ?? 'caller'}`,
          description: current?.description ?? bookingMarker(appointment.booking_id),
          timezone: config.timezone,
          startMs,
          endMs,
        });
      }
      if (!current) {
        throw new VendorError({
          vendor: 'zoho-calendar',
          code: 'EVENT_NOT_FOUND',
          message: `The Zoho event of booking ${appointment.booking_id} was deleted in Zoho; the reconcile job flags it to staff.`,
          retryable: false,
        });
      }
      if (current.startMs === startMs && current.endMs === endMs) return { unchanged: eventId };
      const updated = await calendar.update(appointment.client_id, eventId, {
        title: current.title || `${type?.name ?? 'Appointment'}: ${appointment.caller_name ?? 'caller'}`,
        description: current.description,
        timezone: config.timezone,
        startMs,
        endMs,
      });
      await context.db.updateTable('appointments').set({ calendar_etag: updated.etag }).where('id', '=', appointment.id).execute();
      return { updated: eventId };
    },
  };
}

/**
 * The appointment moved to another person (a reschedule "with Ben"): the event is made in the new person's calendar
 * (found by its booking id first, so a retry never makes a second), the row records it, then the old event goes.
 */
async function moveToPersonCalendar(
  context: AppContext,
  appointment: AppointmentRow,
  current: CalendarEvent | undefined,
  calendarId: string,
  event: NewCalendarEvent,
): Promise<Record<string, unknown>> {
  const target = calendarPortOf(context, calendarId);
  const view = await target.view(appointment.client_id, event.startMs, event.endMs);
  const made =
    view.events.find((candidate) => hasBookingMarker(candidate.description, appointment.booking_id)) ?? (await target.create(appointment.client_id, event));
  // Removing first and recording last keeps a retry right: the old event is gone or goes (a delete of a gone event
  // succeeds), and the new one is found by its booking id.
  await calendarPortForAppointment(context, appointment).remove(appointment.client_id, appointment.calendar_event_id!);
  await context.db
    .updateTable('appointments')
    .set({ calendar_id: calendarId, calendar_event_id: made.id, calendar_etag: made.etag })
    .where('id', '=', appointment.id)
    .execute();
  return { movedTo: calendarId, created: made.id, deleted: current?.id ?? appointment.calendar_event_id };
}
