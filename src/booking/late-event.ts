/**
 * A booking's Zoho event that turns up after the caller was offered a callback: the create answered (or landed
 * unanswered) past the function's deadline, when `settleAfterDeadline` had already released the hold. Left alone it
 * would stand in the office calendar as an appointment nobody expects until the 15-minute reconcile removed it.
 * The office chooses what happens (`booking.lateCalendarEvent`): `remove` deletes it through `booking_calendar_sync`
 * (what the caller heard stands), `keep_and_confirm` lets the appointment stand after all and sends the usual
 * confirmation. Either way the booking's callback task records it, so staff know before they call.
 *
 * Reached two ways: the late answer itself (`finishBooking`, at once), and for an event that landed without an
 * answer, the check `booking_late_event_check` that the deadline queued `LATE_EVENT_CHECK_AFTER_MS` later.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import { PermanentError } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import type { AppointmentRow } from '../db/tables/booking.js';
import { enqueue } from '../outbox/enqueue.js';
import type { OutboxHandler } from '../outbox/handlers.js';
import { hasBookingMarker, type CalendarEvent } from './calendar-port.js';
import { enqueueCalendarSync } from './calendar-sync.js';
import { calendarPortForAppointment } from './deps.js';
import { planBookedFollowUps } from './follow-ups.js';
import { spokenTime } from './local-time.js';
import { insertLocks, isUniqueViolation, sweepExpiredHolds } from './slot-locks.js';

export const LATE_EVENT_CHECK_KIND = 'booking_late_event_check';
/** Zoho requests time out after 4 s, so a create still in flight at the deadline has landed, if ever, well before this. */
export const LATE_EVENT_CHECK_AFTER_MS = 30_000;

/** What makes an appointment `booked` with its calendar event: a booking that finished (book.ts) or a late one kept here. */
export function bookedColumns(event: Pick<CalendarEvent, 'id' | 'etag'>, now: Date) {
  return {
    status: 'booked' as const,
    calendar_event_id: event.id,
    calendar_etag: event.etag,
    hold_expires_at: null,
    claimed_until: null,
    booked_at: now,
    updated_at: now,
  };
}

/** removed_slot_taken: the office keeps late bookings, but the time was taken meanwhile. */
export type LateEventOutcome = 'removed' | 'removed_slot_taken' | 'kept' | 'settled_already';

export async function settleLateEvent(context: AppContext, appointmentId: number, event: CalendarEvent): Promise<LateEventOutcome> {
  const row = await context.db.selectFrom('appointments').select('client_id').where('id', '=', appointmentId).executeTakeFirst();
  if (!row) return 'settled_already';
  const config = context.clients.get(row.client_id)!.config;
  let outcome: LateEventOutcome = 'removed';
  if (config.booking.lateCalendarEvent === 'keep_and_confirm') {
    outcome = await keepLateBooking(context, config, appointmentId, event).catch((error: unknown) => {
      // Someone else holds or booked the time since the hold was released: the late event cannot stand.
      if (isUniqueViolation(error)) return 'removed_slot_taken' as const;
      throw error;
    });
    if (outcome === 'kept' || outcome === 'settled_already') return outcome;
  }
  return removeLateEvent(context, appointmentId, event.id, outcome);
}

/** The appointment stands after all: locks back, the booking's usual follow-ups (confirmation included), `booked`. */
async function keepLateBooking(context: AppContext, config: ClientConfig, appointmentId: number, event: CalendarEvent): Promise<'kept' | 'settled_already'> {
  const kept = await context.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('appointments').selectAll().where('id', '=', appointmentId).forNoKeyUpdate().executeTakeFirst();
    if (!row || row.status !== 'released' || row.calendar_event_id !== null) return undefined;
    const now = context.clock.now();
    const startMs = new Date(row.start_at).getTime();
    const blockEndMs = new Date(row.block_end_at).getTime();
    await sweepExpiredHolds(trx, row.client_id, startMs, blockEndMs, now);
    await insertLocks(trx, row.client_id, row.id, startMs, blockEndMs, row.staff_id);
    await planBookedFollowUps(trx, context, row);
    const booked = await trx.updateTable('appointments').set(bookedColumns(event, now)).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    await noteCallbackTasks(trx, context, booked, lateEventNote('kept', booked, config));
    return booked;
  });
  if (!kept) return 'settled_already';
  context.logger.warn(
    { clientId: kept.client_id, bookingId: kept.booking_id },
    'A booking finished after the caller was offered a callback; the office keeps it and the caller is sent the confirmation',
  );
  return 'kept';
}

/**
 * Records the event on the released (or cancelled) appointment and queues its deletion (`booking_calendar_sync`,
 * retried). Also how the reconcile job removes an orphan it finds.
 */
export async function removeLateEvent(
  context: AppContext,
  appointmentId: number,
  eventId: string,
  why: 'removed' | 'removed_slot_taken' = 'removed',
): Promise<'removed' | 'removed_slot_taken' | 'settled_already'> {
  const removed = await context.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('appointments')
      .set({ calendar_event_id: eventId, updated_at: context.clock.now() })
      .where('id', '=', appointmentId)
      .where('status', 'in', ['released', 'cancelled'])
      .where('calendar_event_id', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!updated) return undefined;
    await enqueueCalendarSync(trx, context, updated);
    await noteCallbackTasks(trx, context, updated, lateEventNote(why, updated, context.clients.get(updated.client_id)!.config));
    return updated;
  });
  if (!removed) return 'settled_already';
  context.logger.warn(
    { clientId: removed.client_id, bookingId: removed.booking_id },
    'A booking finished after the caller was offered a callback; its Zoho event is being removed',
  );
  return why;
}

/** What staff read on the callback task. No caller details: the task shows those already. */
export function lateEventNote(outcome: 'removed' | 'removed_slot_taken' | 'kept', row: AppointmentRow, config: ClientConfig): string {
  const when = spokenTime(new Date(row.start_at).getTime(), config.timezone);
  const late = `Zoho made the calendar event for ${when} only after the caller had been offered this callback`;
  if (outcome === 'kept') {
    return `A late calendar event was kept: ${late}. The office keeps such bookings, so the appointment stands (booking ${row.booking_id}) and the caller is sent the usual confirmation. No need to call back to book; call if you want to make sure they know.`;
  }
  const because = outcome === 'removed_slot_taken' ? ' The office keeps such bookings, but the time was taken in the meantime.' : '';
  return `A late calendar event was removed: ${late}.${because} The event was deleted and nothing is booked. Call back to book.`;
}

/**
 * The note a callback task gets when it is made after its appointment was already settled (the late event came
 * between the deadline and the task): read under the appointment's row lock, as `settleLateEvent` writes it.
 */
export function lateEventNoteFor(row: AppointmentRow, config: ClientConfig): string | null {
  if (row.status === 'booked') return lateEventNote('kept', row, config);
  if (row.status === 'released' && row.calendar_event_id !== null) return lateEventNote('removed', row, config);
  return null;
}

async function noteCallbackTasks(trx: Kysely<DB>, context: AppContext, row: AppointmentRow, note: string): Promise<void> {
  const now = context.clock.now();
  const tasks = await trx
    .updateTable('callback_tasks')
    .set({ note, noted_at: now, updated_at: now })
    .where('appointment_id', '=', row.id)
    .returning('id')
    .execute();
  await context.bus.publishMany(
    tasks.map((task) => ({ type: 'callback.updated', clientId: row.client_id, data: { id: task.id, callId: row.call_id } })),
    trx,
  );
}

/** Queued with the hold's release at the deadline: catches an event that lands after every answer was given up. */
export async function enqueueLateEventCheck(trx: Kysely<DB>, context: AppContext, row: AppointmentRow): Promise<void> {
  const config = context.clients.get(row.client_id)!.config;
  await enqueue(trx, context.clock, {
    clientId: row.client_id,
    kind: LATE_EVENT_CHECK_KIND,
    payload: { appointmentId: row.id, bookingId: row.booking_id },
    dedupeKey: `${LATE_EVENT_CHECK_KIND}:${row.id}`,
    runAt: new Date(context.clock.now().getTime() + LATE_EVENT_CHECK_AFTER_MS),
    retry: { maxAttempts: config.retry.maxAttempts, intervalMs: config.retry.intervalSeconds * 1000 },
    appointmentId: row.id,
    customerId: row.customer_id,
    callId: row.call_id,
  });
}

export function lateEventCheckHandler(context: AppContext): OutboxHandler {
  return {
    safeToRepeat: true,
    async run(row) {
      const appointmentId = Number((row.payload as { appointmentId?: unknown }).appointmentId);
      const appointment = await context.db.selectFrom('appointments').selectAll().where('id', '=', appointmentId).executeTakeFirst();
      if (!appointment) throw new PermanentError(`Appointment ${appointmentId} no longer exists`, 'not_found');
      // Booked, or its late event already found (by the late answer, or kept): nothing left to look for.
      if (appointment.status !== 'released' || appointment.calendar_event_id !== null) return { skipped: appointment.status };
      const view = await calendarPortForAppointment(context, appointment).view(
        appointment.client_id,
        new Date(appointment.start_at).getTime(),
        new Date(appointment.block_end_at).getTime(),
      );
      const event = view.events.find((candidate) => hasBookingMarker(candidate.description, appointment.booking_id));
      if (!event) return { found: null };
      return { found: event.id, outcome: await settleLateEvent(context, appointment.id, event) };
    },
  };
}
