/**
 * Issue 14, item 7: Zoho makes a booking's event only after the caller was offered a callback. No phantom
 * appointment may stay in the office calendar: within a minute of test clock (the reconcile job, every 15 minutes,
 * never runs here) the event is removed, or kept and confirmed to the caller, as the office chose
 * (`booking.lateCalendarEvent`), and the callback task says which.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/booking/book.js';
import { CALENDAR_SYNC_KIND } from '../../src/booking/calendar-sync.js';
import { LATE_EVENT_CHECK_AFTER_MS, LATE_EVENT_CHECK_KIND } from '../../src/booking/late-event.js';
import { RECONCILE_KIND } from '../../src/booking/reconcile.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { CALENDAR, CLIENT, MONDAY_9AM, aCallId, callFunction, configDir, startBookingApp, zohoOf, type BookingApp } from './support.js';

const POLICIES = ['remove', 'keep_and_confirm'] as const;
const EVENTS_PATH = `/calendars/${CALENDAR}/events`;

describe.each(BACKENDS)('a calendar event Zoho makes after the caller was offered a callback, on %s', (backend) => {
  describe.each(POLICIES)('when the office chooses %s', (policy) => {
    let database: TestDatabase;
    let app: BookingApp;
    const context = () => app.switchboard.context;
    const db = () => context().db;
    const eventsOf = (bookingId: string) =>
      zohoOf(app)
        .events(CALENDAR)
        .filter((event) => event.description?.includes(`Switchboard-Booking: ${bookingId}`));
    const appointmentOf = (callId: string) => db().selectFrom('appointments').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    const taskOf = (id: string) => db().selectFrom('callback_tasks').selectAll().where('id', '=', Number(id)).executeTakeFirstOrThrow();
    const drainOnly = (kinds: string[]) => app.switchboard.worker.drain({ kinds });

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      // A 2 s function budget (deadline 1.5 s), so a Zoho answer 3 s late comes after the caller's fallback.
      app = await startBookingApp(database, { configDir: configDir({ functionBudgetMs: 2000, lateCalendarEvent: policy }) });
    }, 120_000);
    afterAll(async () => {
      await app?.switchboard.close();
      await database?.dispose();
    });

    /**
     * Books through the signed function endpoint: the caller is not booked and is offered a callback, and staff get
     * the callback task. (On a loaded machine the router's own budget may answer a moment before the function's
     * fallback does; the task is made either way.)
     */
    async function bookPastDeadline(start: string, from: string, name: string) {
      const callId = aCallId();
      const answer = await callFunction(app, 'book_appointment', { start, name }, callId, from);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ ok: false });
      expect(answer.body.message).toMatch(/call you back|follow up/);
      let task: { id: number } | undefined;
      await expect
        .poll(async () => (task = await db().selectFrom('callback_tasks').select('id').where('call_id', '=', callId).executeTakeFirst()), {
          timeout: 5_000,
          interval: 20,
        })
        .toBeDefined();
      return { callId, taskId: String(task!.id) };
    }

    /** What the caller and staff end up with, whichever way the late event was found. */
    async function expectSettled(callId: string, taskId: string, from: string) {
      const appointment = await appointmentOf(callId);
      const task = await taskOf(taskId);
      expect(task).toMatchObject({ appointment_id: appointment.id, status: 'open' });
      expect(task.noted_at).toEqual(context().clock.now());
      const messages = () =>
        db().selectFrom('outbox').select(['kind', 'dedupe_key']).where('appointment_id', '=', appointment.id).where('kind', 'in', ['sms', 'email']).execute();
      if (policy === 'remove') {
        expect(appointment).toMatchObject({ status: 'released', calendar_event_id: expect.any(String) });
        expect(task.note).toContain('A late calendar event was removed');
        expect(task.note).toContain('Call back to book');
        // The deletion is due at once through the outbox, not at the next reconcile.
        await drainOnly([CALENDAR_SYNC_KIND]);
        expect(eventsOf(appointment.booking_id)).toEqual([]);
        expect(zohoOf(app).emulator.received(`${EVENTS_PATH}/${encodeURIComponent(appointment.calendar_event_id!)}`, 'DELETE')).toHaveLength(1);
        expect(await messages()).toEqual([]);
        const free = await callFunction(app, 'check_calendar_availability', {
          date: new Date(appointment.start_at).toISOString().slice(0, 10),
          time: '1:00 PM',
        });
        expect(free.body.slots.map((slot: { start: string }) => new Date(slot.start).getTime())).toContain(new Date(appointment.start_at).getTime());
      } else {
        const events = eventsOf(appointment.booking_id);
        expect(events).toHaveLength(1);
        expect(appointment).toMatchObject({ status: 'booked', calendar_event_id: events[0]!.uid });
        expect(task.note).toContain('A late calendar event was kept');
        expect(task.note).toContain('No need to call back to book');
        const locks = await db().selectFrom('appointment_slot_locks').select('cell_start').where('appointment_id', '=', appointment.id).execute();
        expect(locks.length).toBeGreaterThan(0);
        expect((await messages()).map((row) => row.dedupe_key).join(' ')).toContain('confirmation');
        await drainOnly(['sms']);
        const texts = context().sandbox!.twilio.messagesTo(from);
        expect(texts).toHaveLength(1);
        expect(texts[0]!.body).toContain("you're booked");
      }
      // Only what is named above ran: the 15-minute reconcile job never did.
      const reconcile = await db().selectFrom('outbox').select(['status', 'attempts']).where('kind', '=', RECONCILE_KIND).execute();
      expect(reconcile.every((row) => row.status === 'scheduled' && row.attempts === 0)).toBe(true);
      expect(context().clock.now().getTime() - new Date(MONDAY_9AM).getTime()).toBeLessThanOrEqual(60_000);
    }

    it('the late answer to the create settles the event at once and the callback task says so', async () => {
      const zoho = zohoOf(app);
      zoho.emulator.faults.add({ type: 'latency', latencyMs: 3000, match: EVENTS_PATH, method: 'POST', times: 1 });
      const from = '+12125550171';
      const { callId, taskId } = await bookPastDeadline('2026-02-05T13:00:00-05:00', from, 'Robin Diaz');
      // The caller has their answer while the create is still on its way: nothing in Zoho yet.
      expect(eventsOf((await appointmentOf(callId)).booking_id)).toEqual([]);
      // Zoho answers about 3 s after the create was sent; the answer alone settles it (the test clock stands still).
      await expect.poll(async () => (await taskOf(taskId)).note, { timeout: 8_000, interval: 50 }).not.toBeNull();
      expect(context().clock.now().toISOString()).toBe(new Date(MONDAY_9AM).toISOString());
      await expectSettled(callId, taskId, from);
    });

    it('an event that lands with no answer at all is found by the check the deadline queued, 30 s of test clock later', async () => {
      const zoho = zohoOf(app);
      // Zoho hangs up without an answer and makes the event half a second later, after our look for it.
      zoho.emulator.faults.commitAfterHangup(1, 500, { match: EVENTS_PATH, method: 'POST' });
      const from = '+12125550172';
      const { callId, taskId } = await bookPastDeadline('2026-02-06T13:00:00-05:00', from, 'Kai Moreno');
      const bookingId = (await appointmentOf(callId)).booking_id;
      await expect.poll(() => eventsOf(bookingId), { timeout: 5_000, interval: 20 }).toHaveLength(1);
      expect(await appointmentOf(callId)).toMatchObject({ status: 'released', calendar_event_id: null });
      expect((await taskOf(taskId)).note).toBeNull();

      expect(LATE_EVENT_CHECK_AFTER_MS).toBeLessThanOrEqual(60_000);
      expect(await drainOnly([LATE_EVENT_CHECK_KIND])).toBe(0);
      app.clock.advance(LATE_EVENT_CHECK_AFTER_MS);
      await drainOnly([LATE_EVENT_CHECK_KIND]);
      const check = await db()
        .selectFrom('outbox')
        .select(['status', 'attempts'])
        .where('kind', '=', LATE_EVENT_CHECK_KIND)
        .where('call_id', '=', callId)
        .executeTakeFirstOrThrow();
      expect(check).toEqual({ status: 'done', attempts: 1 });
      await expectSettled(callId, taskId, from);
    });

    // Only an office that keeps late events has this case: with `remove` the event goes whoever holds the time.
    if (policy === 'keep_and_confirm')
      it('a late event whose time was booked by someone else in the meantime is removed, not kept', async () => {
        const zoho = zohoOf(app);
        zoho.emulator.faults.add({ type: 'latency', latencyMs: 3500, match: EVENTS_PATH, method: 'POST', times: 1 });
        const start = '2026-02-09T13:00:00-05:00';
        const { callId, taskId } = await bookPastDeadline(start, '+12125550173', 'Lee Chan');
        // The released time is free again: the next caller books it before Zoho answers the first create.
        const other = await bookAppointment(context(), { clientId: CLIENT, callId: aCallId(), start, name: 'Ana Ruiz', callerNumber: '+12125550174' });
        expect(other.ok).toBe(true);
        await expect.poll(async () => (await taskOf(taskId)).note, { timeout: 8_000, interval: 50 }).not.toBeNull();
        const late = await appointmentOf(callId);
        expect(late).toMatchObject({ status: 'released', calendar_event_id: expect.any(String) });
        expect((await taskOf(taskId)).note).toContain('the time was taken in the meantime');
        await drainOnly([CALENDAR_SYNC_KIND]);
        expect(eventsOf(late.booking_id)).toEqual([]);
        expect(eventsOf(other.booking_id!)).toHaveLength(1);
        const booked = await db()
          .selectFrom('appointments')
          .select('booking_id')
          .where('status', '=', 'booked')
          .where('start_at', '=', new Date(start))
          .execute();
        expect(booked).toEqual([{ booking_id: other.booking_id }]);
        expect(await db().selectFrom('outbox').select('id').where('appointment_id', '=', late.id).where('kind', 'in', ['sms', 'email']).execute()).toEqual([]);
      });
  });
});
