/**
 * What the caller heard is what stands (session 10). The function router's budget and the booking's own deadline
 * used to decide apart: the router answered the fallback at its budget while the booking's settle step still waited
 * for the database, and the booking committed (or was found committed) afterwards. Each test makes the database slow
 * at one point of that race, calls `book_appointment` (or `reschedule_appointment`) over the signed function
 * endpoint, and checks the answer the caller got against what is left behind: the appointment, its texts and
 * e-mails, its calendar event, the callback task, and the answer a repeat of the call would replay.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/booking/book.js';
import { CALENDAR_SYNC_KIND } from '../../src/booking/calendar-sync.js';
import { COMMIT_GRACE_MS } from '../../src/functions/router.js';
import type { FunctionResult } from '../../src/functions/types.js';
import { en } from '../../src/i18n/phrases/en.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { CALENDAR, CLIENT, aCallId, callFunction, configDir, startBookingApp, zohoOf, type BookingApp } from './support.js';

const EVENTS_PATH = `/calendars/${CALENDAR}/events`;
/** The function budget of these tests: the booking's deadline is 500 ms inside it. */
const BUDGET_MS = 2000;

describe.each(BACKENDS)('the answer the caller hears and the booking that stands agree, on %s', (backend) => {
  let database: TestDatabase;
  let app: BookingApp;
  const db = () => app.switchboard.context.db;
  const eventsOf = (bookingId: string) =>
    zohoOf(app)
      .events(CALENDAR)
      .filter((event) => event.description?.includes(`Switchboard-Booking: ${bookingId}`));
  const appointmentOf = (callId: string) => db().selectFrom('appointments').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
  /** The answer stored for the call's function, which a repeat of the same request replays. */
  const storedAnswer = (callId: string, name: string) =>
    db().selectFrom('function_invocations').select(['status', 'result']).where('call_id', '=', callId).where('name', '=', name).executeTakeFirst();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    app = await startBookingApp(database, { configDir: configDir({ functionBudgetMs: BUDGET_MS }) });
  }, 120_000);
  afterAll(async () => {
    await app?.switchboard.close();
    await database?.dispose();
  });

  /**
   * Takes the appointment's row lock in a transaction of its own and keeps it until `release`. On PostgreSQL that is
   * a second connection; on PGlite the transaction also holds the one connection, as a busy worker's would.
   */
  async function holdAppointmentRow(callId: string): Promise<{ status: string; release(): Promise<void> }> {
    if (backend === 'postgres') {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('begin');
      const { rows } = await client.query<{ status: string }>('select status from appointments where call_id = $1 for update', [callId]);
      return {
        status: rows[0]!.status,
        async release() {
          await client.query('commit');
          await client.end();
        },
      };
    }
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: (status: string) => void;
    const status = new Promise<string>((resolve) => (locked = resolve));
    const transaction = db()
      .transaction()
      .execute(async (trx) => {
        const row = await trx.selectFrom('appointments').select('status').where('call_id', '=', callId).forUpdate().executeTakeFirstOrThrow();
        locked(row.status);
        await released;
      });
    return {
      status: await status,
      async release() {
        release();
        await transaction;
      },
    };
  }

  /**
   * The caller's answer against everything the booking left once it is settled: booked with its event and
   * confirmation, or nothing booked, no event, no confirmation and a callback task for staff. A repeat replays the
   * same outcome.
   */
  async function expectAgreement(heard: FunctionResult, callId: string) {
    await expect.poll(async () => (await storedAnswer(callId, 'book_appointment'))?.status, { timeout: 10_000, interval: 20 }).toBe('done');
    // The calendar event was made in every case here: settled means booked with it, or released with it recorded.
    await expect
      .poll(
        async () => {
          const row = await appointmentOf(callId);
          return row.status === 'booked' || (row.status === 'released' && row.calendar_event_id !== null);
        },
        { timeout: 10_000, interval: 20 },
      )
      .toBe(true);
    const appointment = await appointmentOf(callId);
    const replay = (await storedAnswer(callId, 'book_appointment'))!.result as FunctionResult;
    const messages = await db()
      .selectFrom('outbox')
      .select('dedupe_key')
      .where('appointment_id', '=', appointment.id)
      .where('kind', 'in', ['sms', 'email'])
      .execute();
    await app.switchboard.worker.drain({ kinds: [CALENDAR_SYNC_KIND] });
    if (heard.ok) {
      expect(heard).toMatchObject({ booking_id: appointment.booking_id });
      expect(appointment.status).toBe('booked');
      expect(eventsOf(appointment.booking_id)).toHaveLength(1);
      expect(messages.map((row) => row.dedupe_key).join(' ')).toContain('confirmation');
    } else {
      expect(heard.message).toMatch(/call you back|follow up/);
      expect(appointment.status).toBe('released');
      expect(messages).toEqual([]);
      expect(eventsOf(appointment.booking_id)).toEqual([]);
      await expect
        .poll(() => db().selectFrom('callback_tasks').select('id').where('call_id', '=', callId).execute(), { timeout: 10_000, interval: 20 })
        .toHaveLength(1);
    }
    expect(replay.ok).toBe(heard.ok);
  }

  it('a booking whose commit waits behind the appointment row past the budget does not stand once the caller heard the fallback', async () => {
    const zoho = zohoOf(app);
    // The create answers half a second after it arrives: time for the test to take the appointment's row first.
    zoho.emulator.faults.add({ type: 'latency', latencyMs: 500, match: EVENTS_PATH, method: 'POST', times: 1 });
    const callId = aCallId();
    const answering = callFunction(app, 'book_appointment', { start: '2026-02-05T13:00:00-05:00', name: 'Robin Diaz' }, callId, '+12125550181');
    await zoho.emulator.waitFor((request) => request.method === 'POST' && request.path.includes(EVENTS_PATH));
    // The booking's commit queues behind this before the deadline; the deadline's settle step queues behind both.
    const lock = await holdAppointmentRow(callId);
    expect(lock.status).toBe('held');
    let answer;
    try {
      answer = await answering;
    } finally {
      await lock.release();
    }
    expect(answer.status).toBe(200);
    expect(answer.body.ok).toBe(false);
    await expectAgreement(answer.body as FunctionResult, callId);
  });

  it('a booking whose commit is under way at the deadline is the answer, however long the commit takes', async () => {
    // The booking's transaction has flipped the row to booked before the deadline; its COMMIT then takes 2.5 s.
    await sql`create function slow_booking_commit() returns trigger language plpgsql as $$
      begin perform pg_sleep(2.5); return null; end $$`.execute(db());
    await sql`create constraint trigger appointments_slow_commit after update on appointments deferrable initially deferred
      for each row when (old.status = 'held' and new.status = 'booked') execute function slow_booking_commit()`.execute(db());
    const callId = aCallId();
    let answer;
    try {
      answer = await callFunction(app, 'book_appointment', { start: '2026-02-06T11:00:00-05:00', name: 'Kim Alvarez' }, callId, '+12125550182');
    } finally {
      await sql`drop trigger appointments_slow_commit on appointments`.execute(db());
      await sql`drop function slow_booking_commit()`.execute(db());
    }
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true });
    await expectAgreement(answer.body as FunctionResult, callId);
  });

  it('a commit that outlasts the budget and its grace is answered as still being processed, and a repeat hears the booking', async () => {
    // As above, but the COMMIT takes longer than the budget plus the router's grace for a commit under way.
    const commitMs = BUDGET_MS + COMMIT_GRACE_MS + 500;
    await sql`create function slow_booking_commit() returns trigger language plpgsql as $$
      begin perform pg_sleep(${sql.lit(commitMs / 1000)}); return null; end $$`.execute(db());
    await sql`create constraint trigger appointments_slow_commit after update on appointments deferrable initially deferred
      for each row when (old.status = 'held' and new.status = 'booked') execute function slow_booking_commit()`.execute(db());
    const callId = aCallId();
    const args = { start: '2026-02-09T11:00:00-05:00', name: 'Ada Park' };
    let answer;
    try {
      answer = await callFunction(app, 'book_appointment', args, callId, '+12125550184');
    } finally {
      await sql`drop trigger appointments_slow_commit on appointments`.execute(db());
      await sql`drop function slow_booking_commit()`.execute(db());
    }
    // Neither booked nor not: true whichever way the commit ends.
    expect(answer.body).toEqual({ ok: false, pending: true, message: en.functions.stillProcessing });
    await expect.poll(async () => (await storedAnswer(callId, 'book_appointment'))?.status, { timeout: 10_000, interval: 20 }).toBe('done');
    const repeat = await callFunction(app, 'book_appointment', args, callId, '+12125550184');
    const appointment = await appointmentOf(callId);
    expect(repeat.body).toMatchObject({ ok: true, booking_id: appointment.booking_id });
    expect(appointment.status).toBe('booked');
  });

  it('a reschedule whose commit is under way at the deadline is the answer, however long the commit takes', async () => {
    const from = '+12125550183';
    const booked = await bookAppointment(app.switchboard.context, {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-10T13:00:00-05:00',
      name: 'Noa Berg',
      callerNumber: from,
    });
    expect(booked.ok).toBe(true);
    await sql`create function slow_move_commit() returns trigger language plpgsql as $$
      begin perform pg_sleep(2.5); return null; end $$`.execute(db());
    await sql`create constraint trigger appointments_slow_move after update on appointments deferrable initially deferred
      for each row when (old.start_at is distinct from new.start_at) execute function slow_move_commit()`.execute(db());
    const callId = aCallId();
    let answer;
    try {
      answer = await callFunction(app, 'reschedule_appointment', { new_start: '2026-02-10T15:30:00-05:00', booking_id: booked.booking_id }, callId, from);
    } finally {
      await sql`drop trigger appointments_slow_move on appointments`.execute(db());
      await sql`drop function slow_move_commit()`.execute(db());
    }
    expect(answer.status).toBe(200);
    const row = await db().selectFrom('appointments').selectAll().where('booking_id', '=', booked.booking_id!).executeTakeFirstOrThrow();
    const moved = await db().selectFrom('outbox').select('id').where('appointment_id', '=', row.id).where('dedupe_key', 'like', '%rescheduled%').execute();
    await expect.poll(async () => (await storedAnswer(callId, 'reschedule_appointment'))?.status, { timeout: 10_000, interval: 20 }).toBe('done');
    const replay = (await storedAnswer(callId, 'reschedule_appointment'))!.result as FunctionResult;
    // The move was written before the deadline: the caller hears it, and a repeat replays the same.
    expect(answer.body).toMatchObject({ ok: true, booking_id: booked.booking_id });
    expect(new Date(row.start_at).toISOString()).toBe('2026-02-10T20:30:00.000Z');
    expect(moved.length).toBeGreaterThan(0);
    expect(replay.ok).toBe(true);
  });
});
