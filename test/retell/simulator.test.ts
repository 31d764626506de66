import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { fetchSimulatedOffice, simulateCall } from '../../src/sandbox/call-simulator.js';
import { CLIENT } from './support.js';

describe.each(BACKENDS)('call simulator on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(kind);
  }, 60_000);
  afterAll(async () => {
    await app?.dispose();
  });

  const callRow = (id: string) => app.context.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('plays a caller who opts out, duplicated and reordered, into one analyzed call with outcome opted_out', async () => {
    const result = await simulateCall({
      baseUrl: app.url!,
      client: CLIENT,
      from: '+12125550131',
      scenario: 'caller-opts-out',
      duplicate: true,
      reorder: true,
      startAt: app.clock.now(),
    });
    await app.applyCallEvents();
    expect(result.problems).toEqual([]);
    expect(result.steps.filter((s) => s.name.endsWith('(duplicate)')).every((s) => (s.body as { status: string }).status === 'duplicate')).toBe(true);
    const call = await callRow(result.callId);
    expect(call).toMatchObject({ status: 'analyzed', outcome: 'opted_out', client_id: CLIENT });
    const { isOptedOut } = await import('../../src/customers/consent.js');
    expect(await isOptedOut(app.context.db, CLIENT, 'sms', '+12125550131', 'marketing')).toBe(true);
  });

  it('plays a caller who hangs up early as abandoned, and a returning caller asking a question as info only', async () => {
    const early = await simulateCall({ baseUrl: app.url!, client: CLIENT, from: '+12125550132', scenario: 'caller-hangs-up-early', startAt: app.clock.now() });
    await app.applyCallEvents();
    expect((await callRow(early.callId)).outcome).toBe('abandoned');
    const question = await simulateCall({
      baseUrl: app.url!,
      client: CLIENT,
      from: '+12125550132',
      scenario: 'returning-caller-question',
      startAt: app.clock.now(),
    });
    await app.applyCallEvents();
    expect(question.steps[0]!.body).toMatchObject({ call_inbound: { dynamic_variables: { is_returning_caller: 'true' } } });
    expect((await callRow(question.callId)).outcome).toBe('info_only');
  });

  it('plays a new caller who books: details saved, booking functions called (or their 404 reported)', async () => {
    const result = await simulateCall({ baseUrl: app.url!, client: CLIENT, from: '+12125550133', scenario: 'new-caller-books', startAt: app.clock.now() });
    await app.applyCallEvents();
    const names = result.steps.filter((s) => s.kind === 'function').map((s) => s.name);
    expect(names).toEqual(['save_caller_details', 'check_calendar_availability', 'book_appointment']);
    for (const step of result.steps.filter((s) => s.status === 404)) expect(result.problems.join('\n')).toContain(step.name);
    const customer = await app.context.db.selectFrom('customers').selectAll().where('phone', '=', '+12125550133').executeTakeFirstOrThrow();
    expect(customer.name).toBe('Jordan Rivera');
    expect((await callRow(result.callId)).status).toBe('analyzed');
  });

  it('books the nearest open day when the day it asks for is a closure (Thanksgiving), as an agent would', async () => {
    app.clock.set('2026-11-24T15:00:00Z');
    const result = await simulateCall({ baseUrl: app.url!, client: CLIENT, from: '+12125550134', scenario: 'new-caller-books', startAt: app.clock.now() });
    await app.applyCallEvents();
    expect(result.problems).toEqual([]);
    const availability = result.steps.find((step) => step.name === 'check_calendar_availability')!.body as {
      reason?: string;
      nearest_open_days: Array<{ first_slot: { start: string } }>;
    };
    expect(availability.reason).toBe('nothing_open');
    const nearest = availability.nearest_open_days[0]!.first_slot.start;
    expect(nearest.startsWith('2026-11-26')).toBe(false);
    const booking = result.steps.find((step) => step.name === 'book_appointment')!.body as { ok: boolean; start: string };
    expect(booking).toMatchObject({ ok: true, start: nearest });
    expect((await callRow(result.callId)).outcome).toBe('booked');
  });

  it("books a named person in the demo office with staff (Riverside Physio), in that person's own Google calendar", async () => {
    app.clock.set('2026-03-02T15:00:00Z');
    const office = await fetchSimulatedOffice(app.url!, 'riverside-physio');
    const result = await simulateCall({
      baseUrl: app.url!,
      client: 'riverside-physio',
      from: '+13125550135',
      scenario: 'new-caller-books',
      office,
      startAt: app.clock.now(),
    });
    await app.applyCallEvents();
    expect(result.problems).toEqual([]);
    const offered = result.steps.find((step) => step.name === 'check_calendar_availability')!.body as {
      slots: Array<{ staff_id: string; staff_name: string }>;
    };
    expect(offered.slots[0]).toMatchObject({ staff_id: expect.any(String), staff_name: expect.any(String) });
    const booking = result.steps.find((step) => step.name === 'book_appointment')!.body as {
      ok: boolean;
      booking_id: string;
      staff_id: string;
      staff_name: string;
      message: string;
    };
    // The simulator books the offered slot with its person, as an agent does; the answer says who.
    expect(booking).toMatchObject({ ok: true, staff_id: offered.slots[0]!.staff_id, staff_name: offered.slots[0]!.staff_name });
    expect(['Maya Chen', 'Luis Ortega']).toContain(booking.staff_name);
    expect(booking.message).toContain(`with ${booking.staff_name}`);
    const shipped = app.context.clients.get('riverside-physio')!.config.staff!.people;
    const person = shipped.find((candidate) => candidate.id === booking.staff_id)!;
    const other = shipped.find((candidate) => candidate.id !== booking.staff_id)!;
    await app.worker.drain();
    const marked = (calendarId: string) =>
      app.context.sandbox!.google.events(calendarId).filter((event) => event.description?.includes(`Switchboard-Booking: ${booking.booking_id}`));
    expect(marked(person.calendarId)).toHaveLength(1);
    expect(marked(other.calendarId)).toEqual([]);
    for (let second = 0; second < 3; second += 1) {
      app.clock.advance(1_000);
      await app.worker.drain();
    }
    const texts = app.context.sandbox!.twilio.messages.filter((message) => message.to === '+13125550135' && message.direction === 'outbound-api');
    expect(texts.map((message) => message.body)).toEqual([expect.stringContaining(`with ${booking.staff_name} is set for`)]);
  });
});
