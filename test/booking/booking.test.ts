import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/booking/book.js';
import { CommitGate } from '../../src/core/commit-gate.js';
import { reconcileAppointments } from '../../src/booking/reconcile.js';
import { insertLocks, lookBeforeHold } from '../../src/booking/slot-locks.js';
import { bookAppointmentFunction } from '../../src/functions/book-appointment.js';
import { rescheduleAppointmentFunction } from '../../src/functions/reschedule-appointment.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { CALENDAR, CALLER, CLIENT, aCallId, callFunction, startBookingApp, zohoOf, type BookingApp } from './support.js';

describe.each(BACKENDS)('booking against the Zoho emulator on %s', (backend) => {
  let database: TestDatabase;
  let app: BookingApp;
  const context = () => app.switchboard.context;
  const eventsOn = (date: string) =>
    zohoOf(app)
      .events(CALENDAR)
      .filter((event) => event.start.startsWith(date));
  /** The office with a shorter function budget, so deadline tests run in a second and a half. */
  const withBudget = (functionBudgetMs: number) => {
    const runtime = context().clients.get(CLIENT)!;
    return { ...runtime, config: { ...runtime.config, booking: { ...runtime.config.booking, functionBudgetMs } } };
  };
  const appointment = (bookingId: string) => context().db.selectFrom('appointments').selectAll().where('booking_id', '=', bookingId).executeTakeFirstOrThrow();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    app = await startBookingApp(database);
  }, 60_000);
  afterAll(async () => {
    await app?.switchboard.close();
    await database?.dispose();
  });

  it('offers afternoon slots in the office zone with spoken forms, skipping time busy in Zoho', async () => {
    zohoOf(app).addBusy(CALENDAR, '2026-02-03T13:00:00-05:00', '2026-02-03T14:00:00-05:00', 'Staff meeting');
    const { status, body } = await callFunction(app, 'check_calendar_availability', { day: '2026-02-03', part_of_day: 'afternoon' });
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.slots[0]).toEqual({ start: '2026-02-03T14:00:00-05:00', end: '2026-02-03T15:00:00-05:00', spoken: 'Tuesday, February 3 at 2:00 PM' });
    expect(body.slots.map((slot: { spoken: string }) => slot.spoken)).not.toContain('Tuesday, February 3 at 1:00 PM');
    expect(body.message).toContain('For an individual tax return, I have Tuesday, February 3 at 2:00 PM');
  });

  it('records what the availability check was asked and answered, for the call page', async () => {
    const callId = aCallId();
    const { body } = await callFunction(app, 'check_calendar_availability', { date: '2026-02-04' }, callId);
    expect(body.ok).toBe(true);
    const rows = await database.db.selectFrom('function_invocations').selectAll().where('call_id', '=', callId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'check_calendar_availability', status: 'done', args: { date: '2026-02-04' } });
    expect((rows[0]!.result as { slots: unknown[] }).slots).toEqual(body.slots);
  });

  it('says plainly when nothing fits and names the nearest open days', async () => {
    const { body } = await callFunction(app, 'check_calendar_availability', { date: '2026-02-08' });
    expect(body.reason).toBe('nothing_open');
    expect(body.slots).toEqual([]);
    expect(body.nearest_open_days.map((day: { date: string }) => day.date)).toEqual(expect.arrayContaining(['2026-02-07', '2026-02-09']));
    expect(body.message).toContain("There's nothing open for an individual tax return on Sunday, February 8.");
    expect(body.message).toContain('Saturday, February 7');
  });

  it('books through the signed function endpoint: one Zoho event carrying the booking id, the appointment, and a CRM sync in the outbox', async () => {
    const callId = aCallId();
    const { body } = await callFunction(
      app,
      'book_appointment',
      { start: '2026-02-03T15:00:00-05:00', name: 'Dana Smith', email: 'dana@example.com', notes: 'first visit' },
      callId,
    );
    expect(body.ok).toBe(true);
    expect(body.message).toContain("You're all set: individual tax return on Tuesday, February 3 at 3:00 PM.");
    const events = eventsOn('2026-02-03').filter((event) => event.source === 'api');
    expect(events).toHaveLength(1);
    expect(events[0]!.description).toContain(`Switchboard-Booking: ${body.booking_id}`);
    expect(events[0]!.attendees).toEqual([{ email: 'dana@example.com', permission: 0, attendance: 1 }]);
    const row = await appointment(body.booking_id);
    expect(row).toMatchObject({ status: 'booked', call_id: callId, caller_phone: CALLER, calendar_event_id: events[0]!.uid });
    const crm = await context().db.selectFrom('outbox').selectAll().where('kind', '=', 'crm_sync').where('appointment_id', '=', row.id).execute();
    expect(crm).toHaveLength(1);
    const again = await callFunction(app, 'check_calendar_availability', { date: '2026-02-03', time: '3:00 PM' });
    expect(again.body.slots.map((slot: { start: string }) => slot.start)).not.toContain('2026-02-03T15:00:00-05:00');
  });

  it('a retried book_appointment for the same call and slot returns the first booking and makes no second event', async () => {
    const callId = aCallId();
    const request = { clientId: CLIENT, callId, start: '2026-02-03T17:30:00-05:00', name: 'Lee Park', callerNumber: '+12125550177' };
    const first = await bookAppointment(context(), request);
    const second = await bookAppointment(context(), { ...request, name: 'Lee  Park' });
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({ ok: true, booking_id: first.booking_id, repeated: true });
    expect(eventsOn('2026-02-03').filter((event) => event.description?.includes(first.booking_id!))).toHaveLength(1);
  });

  it('20 callers racing for 5 slots: exactly 5 bookings, 5 events, the rest are offered alternatives', async () => {
    const starts = ['09:00', '13:00', '14:30', '16:00', '17:30'].map((time) => `2026-02-04T${time}:00-05:00`);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        bookAppointment(context(), {
          clientId: CLIENT,
          callId: aCallId(),
          start: starts[i % 5]!,
          name: `Caller ${i}`,
          callerNumber: `+1212555${String(1000 + i)}`,
        }),
      ),
    );
    const booked = answers.filter((answer) => answer.ok);
    expect(booked).toHaveLength(5);
    expect(new Set(booked.map((answer) => answer.start))).toEqual(new Set(starts));
    const losers = answers.filter((answer) => !answer.ok);
    expect(losers.every((answer) => answer.reason === 'slot_taken')).toBe(true);
    const events = eventsOn('2026-02-04');
    expect(events).toHaveLength(5);
    expect(new Set(events.map((event) => event.start)).size).toBe(5);
    const rows = await context()
      .db.selectFrom('appointments')
      .select('id')
      .where('status', '=', 'booked')
      .where('start_at', '>=', new Date('2026-02-04T05:00:00Z'))
      .where('start_at', '<', new Date('2026-02-05T05:00:00Z'))
      .execute();
    expect(rows).toHaveLength(5);
  });

  it('when Zoho creates the event but its answer is lost, the booking finds the event by booking id instead of creating another', async () => {
    const zoho = zohoOf(app);
    zoho.emulator.faults.timeoutAfterCommit(1, { match: `/calendars/${CALENDAR}/events`, method: 'POST', hangMs: 300 });
    const request = { clientId: CLIENT, callId: aCallId(), start: '2026-02-05T09:00:00-05:00', name: 'Sam Ortiz', callerNumber: '+12125550188' };
    const first = await bookAppointment(context(), request);
    expect(first.ok).toBe(true);
    const events = eventsOn('2026-02-05');
    expect(events).toHaveLength(1);
    expect(events[0]!.description).toContain(`Switchboard-Booking: ${first.booking_id}`);
    expect(await bookAppointment(context(), request)).toMatchObject({ ok: true, repeated: true, booking_id: first.booking_id });
    expect(zoho.emulator.received(`/calendars/${CALENDAR}/events`, 'POST').filter((r) => String(r.query.eventdata).includes('Sam Ortiz'))).toHaveLength(1);
  });

  it('when Zoho makes the event only after the booking gave up on it, the retry finds it by booking id instead of creating another', async () => {
    const zoho = zohoOf(app);
    zoho.emulator.faults.commitAfterHangup(1, 200, { match: `/calendars/${CALENDAR}/events`, method: 'POST' });
    const request = { clientId: CLIENT, callId: aCallId(), start: '2026-02-12T09:00:00-05:00', name: 'Sam Ortega', callerNumber: '+12125550189' };
    await expect(bookAppointment(context(), request)).rejects.toThrow();
    await expect.poll(() => eventsOn('2026-02-12'), { timeout: 5_000, interval: 20 }).toHaveLength(1);
    const retry = await bookAppointment(context(), request);
    expect(retry.ok).toBe(true);
    const events = eventsOn('2026-02-12');
    expect(events).toHaveLength(1);
    expect(events[0]!.description).toContain(`Switchboard-Booking: ${retry.booking_id}`);
    expect(zoho.emulator.received(`/calendars/${CALENDAR}/events`, 'POST').filter((r) => String(r.query.eventdata).includes('Sam Ortega'))).toHaveLength(1);
  });

  it('a hung calendar still gets an answer within the budget: spoken fallback, callback task and alert', async () => {
    const zoho = zohoOf(app);
    zoho.emulator.faults.latency(5000, { match: '/api/v1/', times: 2 });
    const client = withBudget(1500);
    const callId = aCallId();
    const started = performance.now();
    const result = await bookAppointmentFunction.handle({
      context: context(),
      client,
      call: { callId, agentId: 'agent_stn_demo_0001', fromNumber: '+12125550166', toNumber: undefined },
      args: { start: '2026-02-05T13:00:00-05:00', name: 'Robin Diaz' },
      signal: new AbortController().signal,
      gate: new CommitGate(),
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result).toMatchObject({ ok: false, fallback: true });
    expect(result.message).toContain("I couldn't reach the calendar just now");
    const task = await context().db.selectFrom('callback_tasks').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(task).toMatchObject({ phone: '+12125550166', name: 'Robin Diaz', status: 'open' });
    const alert = await context().db.selectFrom('errors').selectAll().where('source', '=', 'booking.calendar').where('call_id', '=', callId).execute();
    expect(alert).toHaveLength(1);
    zoho.emulator.faults.clear();
  });

  it('a booking still finishing when the caller is offered a callback cannot stand against what the caller heard', async () => {
    // The Zoho event is made in time, but writing the booking's follow-ups takes longer than the deadline.
    const db = context().db;
    await sql`create function slow_crm_enqueue() returns trigger language plpgsql as $$
      begin perform pg_sleep(1.2); return new; end $$`.execute(db);
    await sql`create trigger outbox_slow_crm before insert on outbox for each row when (new.kind = 'crm_sync') execute function slow_crm_enqueue()`.execute(db);
    const client = withBudget(1500);
    const callId = aCallId();
    let result;
    try {
      result = await bookAppointmentFunction.handle({
        context: context(),
        client,
        call: { callId, agentId: 'agent_stn_demo_0001', fromNumber: '+12125550167', toNumber: undefined },
        args: { start: '2026-02-06T11:00:00-05:00', name: 'Kim Alvarez' },
        signal: new AbortController().signal,
        gate: new CommitGate(),
      });
    } finally {
      await sql`drop trigger outbox_slow_crm on outbox`.execute(db);
      await sql`drop function slow_crm_enqueue()`.execute(db);
    }
    const rows = await db.selectFrom('appointments').selectAll().where('call_id', '=', callId).execute();
    expect(rows).toHaveLength(1);
    const messages = await db
      .selectFrom('outbox')
      .select('kind')
      .where('appointment_id', '=', rows[0]!.id)
      .where('kind', 'in', ['sms', 'email', 'crm_sync'])
      .execute();
    const tasks = await db.selectFrom('callback_tasks').select(['id', 'appointment_id', 'note']).where('call_id', '=', callId).execute();
    // The deadline came first and closed the call's commit gate: on PostgreSQL its settle step took the row before
    // the booking's status flip and released the hold; on PGlite (one connection) the booking's transaction got to
    // the row first, found the gate closed and rolled back. Either way the hold is released, nothing the booking
    // queued survives, and the event it made goes.
    expect(result).toMatchObject({ ok: false, fallback: true });
    expect(rows[0]).toMatchObject({ status: 'released' });
    expect(messages).toEqual([]);
    expect(tasks).toEqual([expect.objectContaining({ appointment_id: rows[0]!.id })]);
    // The booking's own transaction ends around the caller's answer; finding the hold gone (or the gate closed), it
    // settles its event as a late one: the deletion is queued and the callback task says so.
    const noteOf = async () => (await db.selectFrom('callback_tasks').select('note').where('id', '=', tasks[0]!.id).executeTakeFirstOrThrow()).note;
    await expect.poll(noteOf, { timeout: 5_000, interval: 20 }).toContain('A late calendar event was removed');
    await app.switchboard.worker.drain();
    expect(eventsOn('2026-02-06').filter((event) => event.description?.includes(rows[0]!.booking_id))).toEqual([]);
    const again = await callFunction(app, 'check_calendar_availability', { date: '2026-02-06', time: '11:00 AM' });
    expect(again.body.slots.map((slot: { start: string }) => slot.start)).toContain('2026-02-06T11:00:00-05:00');
  });

  it('a reschedule still being written when the caller is offered a callback does not happen', async () => {
    const db = context().db;
    const from = '+12125550168';
    const booked = await bookAppointment(context(), {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-10T13:00:00-05:00',
      name: 'Noa Berg',
      callerNumber: from,
    });
    expect(booked.ok).toBe(true);
    // The new time checks out in Zoho, but claiming its slot takes longer than the deadline.
    await sql`create function slow_slot_lock() returns trigger language plpgsql as $$
      begin perform pg_sleep(1.2); return new; end $$`.execute(db);
    await sql`create trigger slot_lock_slow before insert on appointment_slot_locks for each statement execute function slow_slot_lock()`.execute(db);
    const client = withBudget(1500);
    const callId = aCallId();
    let result;
    try {
      result = await rescheduleAppointmentFunction.handle({
        context: context(),
        client,
        call: { callId, agentId: 'agent_stn_demo_0001', fromNumber: from, toNumber: undefined },
        args: { new_start: '2026-02-10T15:30:00-05:00', booking_id: booked.booking_id },
        signal: new AbortController().signal,
        gate: new CommitGate(),
      });
    } finally {
      await sql`drop trigger slot_lock_slow on appointment_slot_locks`.execute(db);
      await sql`drop function slow_slot_lock()`.execute(db);
    }
    // Whichever side got there first, what the caller heard is what is true.
    const row = await appointment(booked.booking_id!);
    const moved = await db.selectFrom('outbox').select('kind').where('appointment_id', '=', row.id).where('dedupe_key', 'like', '%rescheduled%').execute();
    const tasks = await db.selectFrom('callback_tasks').select('id').where('call_id', '=', callId).execute();
    // The deadline came first (PGlite too runs its statements off the event loop, on its own thread): the move
    // rolled back once it held the appointment's lock, and the caller was offered the callback.
    expect(result).toMatchObject({ ok: false, fallback: true });
    expect(new Date(row.start_at).toISOString()).toBe('2026-02-10T18:00:00.000Z');
    expect(moved).toEqual([]);
    expect(tasks).toHaveLength(1);
  });

  it('find, reschedule and cancel: our records change at once and Zoho follows through the outbox', async () => {
    const from = '+12125550155';
    const callId = aCallId();
    const booked = await callFunction(
      app,
      'book_appointment',
      { start: '2026-02-05T10:30:00-05:00', name: 'Ari Cohen', appointment_type: 'tax consultation' },
      callId,
      from,
    );
    expect(booked.body.ok).toBe(true);
    const found = await callFunction(app, 'find_appointment', {}, callId, from);
    expect(found.body.appointments).toEqual([expect.objectContaining({ booking_id: booked.body.booking_id, spoken: 'Thursday, February 5 at 10:30 AM' })]);
    expect(found.body.message).toBe('I see a tax consultation on Thursday, February 5 at 10:30 AM.');

    const moved = await callFunction(app, 'reschedule_appointment', { new_start: '2026-02-05T16:00:00-05:00' }, callId, from);
    expect(moved.body).toMatchObject({ ok: true, start: '2026-02-05T16:00:00-05:00' });
    expect(moved.body.message).toContain('moved from Thursday, February 5 at 10:30 AM to Thursday, February 5 at 4:00 PM');
    await app.switchboard.worker.drain();
    const event = zohoOf(app)
      .events(CALENDAR)
      .find((candidate) => candidate.description?.includes(booked.body.booking_id));
    expect(event).toMatchObject({ start: '2026-02-05T21:00:00.000Z', end: '2026-02-05T21:30:00.000Z' });

    const cancelled = await callFunction(app, 'cancel_appointment', {}, callId, from);
    expect(cancelled.body).toMatchObject({ ok: true });
    expect(cancelled.body.message).toContain('The appointment on Thursday, February 5 at 4:00 PM is cancelled.');
    await app.switchboard.worker.drain();
    expect(
      zohoOf(app)
        .events(CALENDAR)
        .some((candidate) => candidate.description?.includes(booked.body.booking_id)),
    ).toBe(false);
    expect((await appointment(booked.body.booking_id)).status).toBe('cancelled');
    const free = await callFunction(app, 'check_calendar_availability', { date: '2026-02-05', time: '4:00 PM', appointment_type: 'tax-consultation' });
    expect(free.body.slots.map((slot: { start: string }) => slot.start)).toContain('2026-02-05T16:00:00-05:00');
  });

  it('the reconcile job flags events deleted or moved in Zoho to staff, once each', async () => {
    const first = await bookAppointment(context(), {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-06T09:00:00-05:00',
      name: 'Kim Lo',
      callerNumber: '+12125550144',
    });
    const second = await bookAppointment(context(), {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-06T14:00:00-05:00',
      name: 'Jo Ray',
      callerNumber: '+12125550145',
    });
    const zoho = zohoOf(app);
    zoho.deleteEventDirectly((await appointment(first.booking_id!)).calendar_event_id!);
    zoho.moveEventDirectly((await appointment(second.booking_id!)).calendar_event_id!, '2026-02-06T16:00:00-05:00');
    const report = await reconcileAppointments(context(), CLIENT);
    expect(report.missing).toEqual([first.booking_id]);
    expect(report.moved).toEqual([second.booking_id]);
    expect((await appointment(first.booking_id!)).drift).toBe('event_missing');
    const alerts = await context().db.selectFrom('errors').selectAll().where('source', '=', 'booking.reconcile').execute();
    expect(alerts).toHaveLength(2);
    expect(alerts.map((alert) => alert.message).join(' ')).toContain('was moved in Zoho to Friday, February 6 at 4:00 PM');
    await reconcileAppointments(context(), CLIENT);
    const after = await context().db.selectFrom('errors').select(['count']).where('source', '=', 'booking.reconcile').execute();
    expect(after.map((row) => row.count)).toEqual([1, 1]);
  });

  it('the reconcile job removes an event of ours whose appointment was released before the event was recorded', async () => {
    const booked = await bookAppointment(context(), {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-11T10:00:00-05:00',
      name: 'Ola Dahl',
      callerNumber: '+12125550146',
    });
    expect(booked.ok).toBe(true);
    const row = await appointment(booked.booking_id!);
    // As after a create that timed out but landed once the caller had been offered a callback: released, no event id.
    await context().db.updateTable('appointments').set({ status: 'released', calendar_event_id: null }).where('id', '=', row.id).execute();
    const report = await reconcileAppointments(context(), CLIENT);
    expect(report.orphans).toEqual([booked.booking_id]);
    expect((await reconcileAppointments(context(), CLIENT)).orphans).toEqual([]);
    await app.switchboard.worker.drain();
    expect(eventsOn('2026-02-11').filter((event) => event.description?.includes(booked.booking_id!))).toEqual([]);
    expect((await appointment(booked.booking_id!)).status).toBe('released');
  });

  it("a slot someone holds is refused from one read before any transaction, which also finds the call's own appointment; an expired hold, another person or the same call does not count", async () => {
    const db = context().db;
    const now = context().clock.now();
    const startMs = Date.parse('2026-02-13T10:00:00-05:00');
    const blockEndMs = startMs + 60 * 60_000;
    const other = { clientId: CLIENT, start: '2026-02-13T10:00:00-05:00', name: 'Ruth Vance', callerNumber: '+12125550131' };
    // Someone else's live hold (their call is still making the event).
    const key = `${CLIENT}:call_someone_else:${new Date(startMs).toISOString()}:tax-consultation`;
    const hold = await db
      .insertInto('appointments')
      .values({
        booking_id: 'bk_precheck_hold',
        client_id: CLIENT,
        customer_id: null,
        call_id: null,
        appointment_type: 'tax-consultation',
        start_at: new Date(startMs),
        end_at: new Date(startMs + 30 * 60_000),
        block_end_at: new Date(startMs + 45 * 60_000),
        status: 'held',
        idempotency_key: key,
        hold_expires_at: new Date(now.getTime() + 60_000),
        claimed_until: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await insertLocks(db, CLIENT, hold.id, startMs, startMs + 45 * 60_000);

    const look = (slot: { startMs?: number; blockEndMs?: number; staffId?: string; idempotencyKey?: string } = {}) =>
      lookBeforeHold(db, { clientId: CLIENT, startMs, blockEndMs, now, ...slot });
    expect(await look()).toEqual({ ours: undefined, taken: true });
    expect(await look({ startMs: startMs + 45 * 60_000, blockEndMs: blockEndMs + 45 * 60_000 })).toEqual({ ours: undefined, taken: false });
    expect(await look({ staffId: 'someone-else' })).toEqual({ ours: undefined, taken: false });
    // The call that owns the hold is not refused by its own hold: the same read finds it as its own appointment.
    const own = await look({ idempotencyKey: key });
    expect(own).toMatchObject({ ours: { id: hold.id, booking_id: 'bk_precheck_hold', status: 'held' }, taken: false });
    expect(own.ours!.start_at).toEqual(new Date(startMs));
    expect(await look({ idempotencyKey: `${CLIENT}:call_another:${new Date(startMs).toISOString()}:tax-consultation` })).toEqual({
      ours: undefined,
      taken: true,
    });

    const refused = await bookAppointment(context(), { ...other, callId: aCallId() });
    expect(refused).toMatchObject({ ok: false, reason: 'slot_taken' });
    expect(refused.alternatives!.length).toBeGreaterThan(0);
    expect(refused.alternatives!.some((slot) => slot.start === '2026-02-13T10:00:00-05:00')).toBe(false);
    const rowsAt = () => db.selectFrom('appointments').select(['status', 'booking_id']).where('start_at', '=', new Date(startMs)).execute();
    expect(await rowsAt()).toEqual([{ status: 'held', booking_id: 'bk_precheck_hold' }]);

    // The hold expires (its caller hung up): the slot is free again, and the booking sweeps the old hold away.
    await db
      .updateTable('appointments')
      .set({ hold_expires_at: new Date(now.getTime() - 1) })
      .where('id', '=', hold.id)
      .execute();
    expect((await look()).taken).toBe(false);
    const booked = await bookAppointment(context(), { ...other, callId: aCallId() });
    expect(booked).toMatchObject({ ok: true, start: '2026-02-13T10:00:00-05:00' });
    expect((await rowsAt()).map((row) => row.status).sort()).toEqual(['booked', 'released']);
    expect((await look()).taken).toBe(true);
    expect(eventsOn('2026-02-13')).toHaveLength(1);
  });
});
