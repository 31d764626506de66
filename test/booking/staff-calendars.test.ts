/**
 * Per-staff calendars (issue 20) end to end: the Smart Tax Nation office with two bookable people, each with their own
 * calendar in the Zoho emulator, over the signed Retell function endpoint, on both databases.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/booking/book.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { signRetellBody } from '../../src/providers/retell/signature.js';
import { adminCookie } from '../crm/support.js';
import { aConfigDir } from '../fixtures/config/a-client-config.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { CLIENT, aCallId, startBookingApp, zohoOf, type BookingApp } from './support.js';

const ANA = { id: 'ana', name: 'Ana Ruiz', calendarId: 'stn-ana' };
const weekday = [{ open: '11:00', close: '19:00' }];
/** Ben works 11:00 to 7 PM on weekdays (no lunch break, no Saturdays) and takes no business returns. */
const BEN = {
  id: 'ben',
  name: 'Ben Okafor',
  calendarId: 'stn-ben',
  appointmentTypes: ['individual-return', 'tax-consultation', 'document-drop-off'],
  businessHours: { monday: weekday, tuesday: weekday, wednesday: weekday, thursday: weekday, friday: weekday, saturday: [], sunday: [] },
};

type Json = Record<string, any>;

/** Smart Tax Nation with Ana and Ben, and confirmations that say who (English and Spanish). */
function staffConfigDir(assignment: 'round_robin' | 'first_listed' = 'round_robin'): string {
  const base = JSON.parse(readFileSync(new URL('../../config/clients/smart-tax-nation.json', import.meta.url), 'utf8')) as Json;
  base.staff = { assignment, people: [ANA, BEN] };
  base.templates.sms.confirmation =
    '{{office_name}}: Hi {{first_name}}, you are booked with {{staff_name}} on {{appointment_time_short}}. {{reschedule_instructions}}';
  base.templates.email.confirmation.text =
    'Hi {{first_name}},\n\nYou are booked with {{staff_name}} on {{appointment_time_spoken}}.\n\n{{office_name}}\n{{office_address}}';
  base.translations.es.templates.sms.confirmation =
    '{{office_name}}: Hola, {{first_name}}. Su cita con {{staff_name}} es el {{appointment_time_short}}. {{reschedule_instructions}}';
  base.translations.es.templates.email.confirmation.text =
    'Hola, {{first_name}}:\n\nSu cita con {{staff_name}} queda para {{appointment_time_spoken}}.\n\n{{office_name}}\n{{office_address}}';
  return aConfigDir({ 'smart-tax-nation': base });
}

const ENGLISH_AGENT = 'agent_stn_demo_0001';
const SPANISH_AGENT = 'agent_stn_demo_es_0001';

/** A Retell function call over HTTP, signed as Retell signs, from the given agent. */
async function call(app: BookingApp, name: string, args: Json, options: { callId?: string; from?: string; agent?: string } = {}) {
  const body = JSON.stringify({
    name,
    args,
    call: {
      call_id: options.callId ?? aCallId(),
      agent_id: options.agent ?? ENGLISH_AGENT,
      call_type: 'phone_call',
      direction: 'inbound',
      from_number: options.from ?? '+12125550123',
      to_number: '+12125550199',
      call_status: 'ongoing',
    },
  });
  const response = await fetch(`${app.switchboard.url}/v1/retell/${CLIENT}/functions/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const people = (slots: Json[]) => slots.map((slot) => slot.staff_id as string);

describe.each(BACKENDS)('per-staff calendars on %s', (backend) => {
  let database: TestDatabase;
  let app: BookingApp;
  const context = () => app.switchboard.context;
  const events = (calendarId: string, date: string) =>
    zohoOf(app)
      .events(calendarId)
      .filter((event) => event.start.startsWith(date));
  const row = (bookingId: string) => context().db.selectFrom('appointments').selectAll().where('booking_id', '=', bookingId).executeTakeFirstOrThrow();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    app = await startBookingApp(database, { configDir: staffConfigDir() });
  }, 60_000);
  afterAll(async () => {
    await app?.switchboard.close();
    await database?.dispose();
  });

  it('offers each slot with the first free person, round robin among equals: the one with fewer upcoming bookings gets the next slots', async () => {
    // Tuesday around 3 PM: both work and nobody has a booking, so the listed order decides (Ana).
    const first = await call(app, 'check_calendar_availability', { date: '2026-02-03', time: '3:00 PM' });
    expect(first.status).toBe(200);
    expect(first.body.ok).toBe(true);
    expect(first.body.slots[0]).toEqual({
      start: '2026-02-03T14:30:00-05:00',
      end: '2026-02-03T15:30:00-05:00',
      spoken: 'Tuesday, February 3 at 2:30 PM',
      staff_id: 'ana',
      staff_name: 'Ana Ruiz',
    });
    expect(people(first.body.slots)).toEqual(['ana', 'ana', 'ana']);
    expect(first.body.message).toContain('I have Tuesday, February 3 at 2:30 PM with Ana Ruiz');
    // At noon only Ben works (the office closes for lunch, Ben does not).
    const noon = await call(app, 'check_calendar_availability', { date: '2026-02-03', part_of_day: 'afternoon' });
    expect(noon.body.slots[0]).toMatchObject({ start: '2026-02-03T12:00:00-05:00', staff_id: 'ben' });

    // Ana now has one upcoming booking and Ben none: Ben gets the slots both have free, Ana keeps what only she has.
    const booked = await call(app, 'book_appointment', { start: '2026-02-06T09:00:00-05:00', name: 'Robin Early', staff: 'ana' }, { from: '+12125550101' });
    expect(booked.body).toMatchObject({ ok: true, staff_id: 'ana', staff_name: 'Ana Ruiz' });
    const second = await call(app, 'check_calendar_availability', { date: '2026-02-03', time: '3:00 PM' });
    expect(people(second.body.slots)).toEqual(['ben', 'ben', 'ben']);
    const morning = await call(app, 'check_calendar_availability', { date: '2026-02-03', time: '9:00 AM' });
    expect(people(morning.body.slots)).toEqual(['ana', 'ana', 'ana']);

    // Without the person's name, a booking of a slot both have free goes to the less-booked person too.
    const unnamed = await bookAppointment(context(), {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-06T14:00:00-05:00',
      name: 'Sky Late',
      callerNumber: '+12125550102',
    });
    expect(unnamed).toMatchObject({ ok: true, staff_id: 'ben' });
    expect(events(BEN.calendarId, '2026-02-06')).toHaveLength(1);
    expect(events(ANA.calendarId, '2026-02-06')).toHaveLength(1);
  });

  it('asked for a person, offers only that person, inside their own hours', async () => {
    const ben = await call(app, 'check_calendar_availability', { date: '2026-02-04', staff: 'Ben' });
    expect(ben.body.ok).toBe(true);
    expect(people(ben.body.slots)).toEqual(['ben', 'ben', 'ben']);
    expect(ben.body.slots[0].start).toBe('2026-02-04T11:00:00-05:00');
    // Ben works through lunch; the office (and Ana) do not.
    const lunch = await call(app, 'check_calendar_availability', { date: '2026-02-04', time: '12:00 PM', staff: 'ben' });
    expect(lunch.body.slots.map((slot: Json) => slot.start)).toContain('2026-02-04T12:00:00-05:00');
    const anaLunch = await call(app, 'check_calendar_availability', { date: '2026-02-04', time: '12:00 PM', staff: 'Ana Ruiz' });
    expect(anaLunch.body.slots.map((slot: Json) => slot.start)).not.toContain('2026-02-04T12:00:00-05:00');
    expect(people(anaLunch.body.slots)).toEqual(['ana', 'ana', 'ana']);
    // Saturday: the office is open, Ben is not.
    const saturday = await call(app, 'check_calendar_availability', { date: '2026-02-07', staff: 'ben' });
    expect(saturday.body).toMatchObject({ ok: true, reason: 'nothing_open', slots: [] });
    const anyone = await call(app, 'check_calendar_availability', { date: '2026-02-07' });
    expect(people(anyone.body.slots)).toEqual(['ana', 'ana', 'ana']);
    // Booking Ben outside his hours is refused with alternatives of his.
    const early = await call(app, 'book_appointment', { start: '2026-02-04T09:00:00-05:00', name: 'Pat Dawn', staff: 'ben' }, { from: '+12125550103' });
    expect(early.body).toMatchObject({ ok: false, reason: 'not_bookable' });
    expect(early.body.alternatives.every((slot: Json) => slot.staff_id === 'ben')).toBe(true);
    const nobody = await call(app, 'check_calendar_availability', { date: '2026-02-04', staff: 'Zed' });
    expect(nobody.body).toMatchObject({ ok: false, reason: 'unknown_staff' });
    expect(nobody.body.message).toContain('Appointments are with Ana Ruiz, or Ben Okafor');
  });

  it('never offers a person for an appointment type they do not take', async () => {
    const business = await call(app, 'check_calendar_availability', { start_date: '2026-02-09', end_date: '2026-02-13', appointment_type: 'business-return' });
    expect(business.body.ok).toBe(true);
    expect(business.body.slots.length).toBeGreaterThan(0);
    expect(new Set(people(business.body.slots))).toEqual(new Set(['ana']));
    const askedBen = await call(app, 'check_calendar_availability', { date: '2026-02-09', appointment_type: 'business-return', staff: 'ben' });
    expect(askedBen.body).toMatchObject({ ok: false, reason: 'staff_does_not_take_type', slots: [] });
    expect(askedBen.body.message).toBe("Ben Okafor doesn't take a business tax return. For that, appointments are with Ana Ruiz.");
    const bookBen = await call(
      app,
      'book_appointment',
      { start: '2026-02-09T14:00:00-05:00', appointment_type: 'business-return', name: 'Lou Firm', staff: 'ben' },
      { from: '+12125550104' },
    );
    expect(bookBen.body).toMatchObject({ ok: false, reason: 'staff_does_not_take_type' });
    // Ana busy at that time: nobody else takes business returns, so the booking is refused rather than given to Ben.
    await call(app, 'book_appointment', { start: '2026-02-09T14:00:00-05:00', name: 'Ana Busy', staff: 'ana' }, { from: '+12125550105' });
    const taken = await bookAppointment(context(), {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-09T14:00:00-05:00',
      appointmentType: 'business-return',
      name: 'Lou Firm',
      callerNumber: '+12125550104',
    });
    expect(taken).toMatchObject({ ok: false, reason: 'slot_taken' });
    expect(events(BEN.calendarId, '2026-02-09')).toHaveLength(0);
  });

  it('20 callers racing for 5 slots × 2 people: exactly 10 bookings, never one person twice at once, 5 events in each calendar', async () => {
    const starts = ['11:00', '13:00', '14:30', '16:00', '17:30'].map((time) => `2026-02-11T${time}:00-05:00`);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        bookAppointment(context(), {
          clientId: CLIENT,
          callId: aCallId(),
          start: starts[i % 5]!,
          name: `Racer ${i}`,
          callerNumber: `+1212556${String(1000 + i)}`,
          // A quarter ask for Ana, a quarter for Ben, half let the office choose.
          ...(i % 4 === 0 ? { staff: 'Ana' } : i % 4 === 1 ? { staff: 'ben' } : {}),
        }),
      ),
    );
    const booked = answers.filter((answer) => answer.ok);
    expect(booked).toHaveLength(10);
    expect(answers.filter((answer) => !answer.ok).every((answer) => answer.reason === 'slot_taken')).toBe(true);
    const pairs = booked.map((answer) => `${answer.start} ${answer.staff_id}`);
    expect(new Set(pairs).size).toBe(10);
    for (const start of starts)
      expect(
        booked
          .filter((answer) => answer.start === start)
          .map((answer) => answer.staff_id)
          .sort(),
      ).toEqual(['ana', 'ben']);
    for (const calendarId of [ANA.calendarId, BEN.calendarId]) {
      const held = events(calendarId, '2026-02-11');
      expect(held).toHaveLength(5);
      expect(new Set(held.map((event) => event.start)).size).toBe(5);
    }
    const rows = await context()
      .db.selectFrom('appointments')
      .select(['staff_id', 'calendar_id'])
      .where('status', '=', 'booked')
      .where('start_at', '>=', new Date('2026-02-11T05:00:00Z'))
      .where('start_at', '<', new Date('2026-02-12T05:00:00Z'))
      .execute();
    expect(rows).toHaveLength(10);
    expect(rows.filter((one) => one.staff_id === 'ana').every((one) => one.calendar_id === ANA.calendarId)).toBe(true);
    const full = await call(app, 'check_calendar_availability', { date: '2026-02-11', time: '2:30 PM' });
    expect(full.body.slots.map((slot: Json) => slot.start)).not.toContain('2026-02-11T14:30:00-05:00');
  });

  it('the confirmation names the person, in English and in Spanish (answer, text and e-mail)', async () => {
    const english = await call(
      app,
      'book_appointment',
      { start: '2026-02-12T15:00:00-05:00', name: 'Dana Smith', email: 'dana@example.com', staff: 'ben' },
      { from: '+12125550110' },
    );
    expect(english.body.message).toBe(
      "You're all set: individual tax return on Thursday, February 12 at 3:00 PM with Ben Okafor. Please bring your W-2s, 1099s, last year's tax return, a photo ID, and Social Security cards for everyone on the return. We'll send a confirmation by text.",
    );
    const spanish = await call(
      app,
      'book_appointment',
      { start: '2026-02-12T16:00:00-05:00', name: 'Carmen Díaz', email: 'carmen@example.com', staff: 'ana' },
      { from: '+12125550111', agent: SPANISH_AGENT },
    );
    expect(spanish.body).toMatchObject({ ok: true, staff_name: 'Ana Ruiz' });
    expect(spanish.body.message).toContain('con Ana Ruiz.');
    // Texts leave paced, one a second from the office's number (behind the race's confirmations): let the clock reach them.
    for (let second = 0; second < 40; second += 1) {
      await app.switchboard.worker.drain();
      app.clock.advance(1_000);
    }
    const texts = (to: string) =>
      context()
        .sandbox!.twilio.messages.filter((message) => message.to === to && message.direction === 'outbound-api')
        .map((message) => message.body);
    const emails = (to: string) =>
      context()
        .sandbox!.smtp.messages.filter((message) => message.to.includes(to))
        .map((message) => message.text);
    expect(texts('+12125550110')).toEqual([expect.stringContaining('you are booked with Ben Okafor on Thu 2/12 3:00 PM')]);
    expect(emails('dana@example.com')).toEqual([expect.stringContaining('You are booked with Ben Okafor on Thursday, February 12 at 3:00 PM.')]);
    expect(texts('+12125550111')).toEqual([expect.stringContaining('Su cita con Ana Ruiz es el')]);
    expect(emails('carmen@example.com')).toEqual([expect.stringContaining('Su cita con Ana Ruiz queda para el jueves 12 de febrero')]);
  });

  it("a returning caller's call_inbound says who their upcoming appointment is with, in the caller's language", async () => {
    // Dana (English) and Carmen (Spanish) booked with Ben and Ana in the test above.
    const inbound = async (from: string, agent: string) => {
      const body = JSON.stringify({ event: 'call_inbound', call_inbound: { agent_id: agent, from_number: from, to_number: '+12125550199' } });
      const response = await fetch(`${app.switchboard.url}/v1/retell/${CLIENT}/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-retell-signature': await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) },
        body,
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as Json).call_inbound.dynamic_variables as Record<string, string>;
    };
    expect(await inbound('+12125550110', ENGLISH_AGENT)).toMatchObject({
      upcoming_appointment: 'Thursday, February 12 at 3:00 PM with Ben Okafor',
      upcoming_appointment_type: 'Individual tax return',
    });
    expect((await inbound('+12125550111', SPANISH_AGENT)).upcoming_appointment).toMatch(/^el jueves 12 de febrero .* con Ana Ruiz$/);
  });

  it("the dashboard's appointment list says who each appointment is with", async () => {
    const cookie = await adminCookie(app.switchboard);
    const response = await fetch(`${app.switchboard.url}/v1/api/appointments?client=${CLIENT}&date=2026-02-11&days=1`, { headers: { cookie } });
    expect(response.status).toBe(200);
    const list = (await response.json()) as { days: Array<{ appointments: Json[] }> };
    const shown = list.days.flatMap((day) => day.appointments).filter((item) => item.status === 'booked');
    expect(shown).toHaveLength(10);
    expect(shown.filter((item) => item.staffName === 'Ana Ruiz')).toHaveLength(5);
    expect(shown.filter((item) => item.staffName === 'Ben Okafor')).toHaveLength(5);
  });

  it('a reschedule keeps the person unless asked otherwise; a move to another person takes the event to their calendar; a cancel frees that person', async () => {
    const from = '+12125550120';
    const booked = await call(app, 'book_appointment', { start: '2026-02-13T13:00:00-05:00', name: 'Kai Move', staff: 'ana' }, { from });
    expect(booked.body).toMatchObject({ ok: true, staff_id: 'ana' });
    const found = await call(app, 'find_appointment', {}, { from });
    expect(found.body.appointments).toEqual([expect.objectContaining({ booking_id: booked.body.booking_id, staff_name: 'Ana Ruiz' })]);

    const kept = await call(app, 'reschedule_appointment', { new_start: '2026-02-13T15:00:00-05:00' }, { from });
    expect(kept.body).toMatchObject({ ok: true, staff_id: 'ana', start: '2026-02-13T15:00:00-05:00' });
    expect(kept.body.message).toContain('to Friday, February 13 at 3:00 PM with Ana Ruiz');
    await app.switchboard.worker.drain();
    expect(events(ANA.calendarId, '2026-02-13').map((event) => event.start)).toEqual(['2026-02-13T20:00:00.000Z']);

    app.clock.advance(60_000);
    const moved = await call(app, 'reschedule_appointment', { new_start: '2026-02-13T16:00:00-05:00', staff: 'Ben Okafor' }, { from });
    expect(moved.body).toMatchObject({ ok: true, staff_id: 'ben', staff_name: 'Ben Okafor' });
    await app.switchboard.worker.drain();
    expect(events(ANA.calendarId, '2026-02-13')).toEqual([]);
    const benEvents = events(BEN.calendarId, '2026-02-13');
    expect(benEvents).toHaveLength(1);
    expect(benEvents[0]).toMatchObject({ start: '2026-02-13T21:00:00.000Z' });
    expect(benEvents[0]!.description).toContain(`Switchboard-Booking: ${booked.body.booking_id}`);
    expect(await row(booked.body.booking_id)).toMatchObject({ staff_id: 'ben', calendar_id: BEN.calendarId, calendar_event_id: benEvents[0]!.uid });
    // Ana's 4 PM was never taken; Ben's is now, until the cancel frees it.
    const benAt4 = async () =>
      (await call(app, 'check_calendar_availability', { date: '2026-02-13', time: '4:00 PM', staff: 'ben' })).body.slots.map((slot: Json) => slot.start);
    expect(await benAt4()).not.toContain('2026-02-13T16:00:00-05:00');

    const cancelled = await call(app, 'cancel_appointment', {}, { from });
    expect(cancelled.body.ok).toBe(true);
    const appointmentId = (await row(booked.body.booking_id)).id;
    expect(await context().db.selectFrom('appointment_slot_locks').select('cell_start').where('appointment_id', '=', appointmentId).execute()).toEqual([]);
    await app.switchboard.worker.drain();
    expect(events(BEN.calendarId, '2026-02-13')).toEqual([]);
    expect(await benAt4()).toContain('2026-02-13T16:00:00-05:00');
  });
});

describe('per-staff calendars, first_listed', () => {
  let database: TestDatabase;
  let app: BookingApp;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    app = await startBookingApp(database, { configDir: staffConfigDir('first_listed') });
  }, 60_000);
  afterAll(async () => {
    await app?.switchboard.close();
    await database?.dispose();
  });

  it('gives every slot both have free to the first listed person, however many bookings they have', async () => {
    for (const [index, time] of ['13:00', '14:30'].entries()) {
      const answer = await bookAppointment(app.switchboard.context, {
        clientId: CLIENT,
        callId: aCallId(),
        start: `2026-02-03T${time}:00-05:00`,
        name: `First ${index}`,
        callerNumber: `+1212557000${index}`,
      });
      expect(answer).toMatchObject({ ok: true, staff_id: 'ana' });
    }
    const offered = await call(app, 'check_calendar_availability', { date: '2026-02-04', time: '3:00 PM' });
    expect(people(offered.body.slots)).toEqual(['ana', 'ana', 'ana']);
  });

  it("when the first person's calendar turns out busy at the re-check, the booking goes to the next free person", async () => {
    // Put in Ana's calendar by hand after the caller heard the slot: the booking holds Ana, finds her busy, lets go.
    zohoOf(app).addBusy(ANA.calendarId, '2026-02-05T14:00:00-05:00', '2026-02-05T15:00:00-05:00', 'Dentist');
    const answer = await bookAppointment(app.switchboard.context, {
      clientId: CLIENT,
      callId: aCallId(),
      start: '2026-02-05T14:00:00-05:00',
      name: 'Next Person',
      callerNumber: '+12125570009',
    });
    expect(answer).toMatchObject({ ok: true, staff_id: 'ben', staff_name: 'Ben Okafor' });
    const rows = await app.switchboard.context.db
      .selectFrom('appointments')
      .select(['staff_id', 'status'])
      .where('caller_name', '=', 'Next Person')
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { staff_id: 'ana', status: 'released' },
      { staff_id: 'ben', status: 'booked' },
    ]);
    expect(
      zohoOf(app)
        .events(ANA.calendarId)
        .filter((event) => event.start.startsWith('2026-02-05'))
        .map((event) => event.title),
    ).toEqual(['Dentist']);
    expect(
      zohoOf(app)
        .events(BEN.calendarId)
        .filter((event) => event.start.startsWith('2026-02-05')),
    ).toHaveLength(1);
  });
});
