/**
 * Issue 20: booking takes whichever calendar the office's document chose, through `context.calendars`. An office on
 * a provider no module offers gets the honest spoken fallback (a callback task, a critical alert) instead of a
 * crash; once a module registers that provider, the same booking goes to its port and never to Zoho.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarEvent, CalendarPort } from '../../src/booking/calendar-port.js';
import { featureModules } from '../../src/modules.js';
import { aConfigDir } from '../fixtures/config/a-client-config.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { CLIENT, aCallId, callFunction, startBookingApp, zohoOf, type BookingApp } from './support.js';

/** A calendar held in memory, standing in for a provider module (Google, Microsoft) that is not merged yet. */
function anInMemoryCalendar(): CalendarPort & { events: Map<string, CalendarEvent> } {
  const events = new Map<string, CalendarEvent>();
  let sequence = 0;
  return {
    events,
    async view(_clientId, startMs, endMs) {
      const inWindow = [...events.values()].filter((event) => event.startMs < endMs && event.endMs > startMs);
      return { busy: inWindow.map(({ startMs: s, endMs: e }) => ({ startMs: s, endMs: e })), events: inWindow };
    },
    async create(_clientId, event) {
      sequence += 1;
      const created = { id: `mem_${sequence}`, etag: '1', title: event.title, description: event.description, startMs: event.startMs, endMs: event.endMs };
      events.set(created.id, created);
      return created;
    },
    async get(_clientId, eventId) {
      return events.get(eventId);
    },
    async update(_clientId, eventId, event) {
      const updated = {
        id: eventId,
        etag: String(Number(events.get(eventId)?.etag ?? 0) + 1),
        title: event.title,
        description: event.description,
        startMs: event.startMs,
        endMs: event.endMs,
      };
      events.set(eventId, updated);
      return updated;
    },
    async remove(_clientId, eventId) {
      events.delete(eventId);
    },
    async listCalendars() {
      return [{ id: 'primary', name: 'Office', isDefault: true }];
    },
  };
}

describe('booking on the calendar provider the office chose', () => {
  let database: TestDatabase;
  let app: BookingApp;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    const document = JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8')) as Record<string, unknown>;
    // Without a Google module (none is wired today; once one is, it is left out here), so the office's choice is one
    // that no module offers until the second test registers a port for it.
    app = await startBookingApp(database, {
      configDir: aConfigDir({ [CLIENT]: { ...document, calendar: { provider: 'google' }, google: {} } }),
      modules: featureModules.filter((module) => module.name !== 'google'),
    });
  });
  afterAll(async () => {
    await app?.switchboard.close();
    await database?.dispose();
  });

  it('a provider no module offers: the caller hears the fallback, staff get a callback task and a critical alert naming it', async () => {
    const context = app.switchboard.context;
    expect(context.calendars.providers()).not.toContain('google');
    const callId = aCallId();
    const { status, body } = await callFunction(app, 'book_appointment', { start: '2026-02-03T15:00:00-05:00', name: 'Dana Smith' }, callId);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: false, fallback: true });
    expect(body.message).toContain("I couldn't reach the calendar just now");
    const task = await context.db.selectFrom('callback_tasks').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(task.reason).toContain('(CALENDAR_NOT_CONFIGURED)');
    const alerts = await context.db.selectFrom('errors').selectAll().where('source', '=', 'booking.calendar').where('call_id', '=', callId).execute();
    expect(alerts).toEqual([expect.objectContaining({ severity: 'critical', fingerprint: `booking.calendar:CALENDAR_NOT_CONFIGURED:${CLIENT}` })]);
  });

  it('once a module registers the provider, availability and booking use its port and never Zoho Calendar', async () => {
    const context = app.switchboard.context;
    const calendar = anInMemoryCalendar();
    context.calendars.register('google', () => calendar);
    const zohoCalendarCalls = () => zohoOf(app).emulator.received('/api/v1/').length;
    const before = zohoCalendarCalls();

    const slots = await callFunction(app, 'check_calendar_availability', { date: '2026-02-03', time: '3:00 PM' });
    expect(slots.body.slots.map((slot: { start: string }) => slot.start)).toContain('2026-02-03T15:00:00-05:00');
    const { body } = await callFunction(app, 'book_appointment', { start: '2026-02-03T15:00:00-05:00', name: 'Dana Smith' }, aCallId());
    expect(body.ok).toBe(true);
    expect([...calendar.events.values()]).toEqual([
      expect.objectContaining({ description: expect.stringContaining(`Switchboard-Booking: ${body.booking_id}`) }),
    ]);
    const again = await callFunction(app, 'check_calendar_availability', { date: '2026-02-03', time: '3:00 PM' });
    expect(again.body.slots.map((slot: { start: string }) => slot.start)).not.toContain('2026-02-03T15:00:00-05:00');
    expect(zohoCalendarCalls()).toBe(before);
  });
});
