/**
 * `CalendarPort.forCalendar` (per-staff calendars, issue 20) on the Google and Microsoft adapters and their emulators:
 * the bound port reads and writes the person's calendar only, through the office's one connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarContractHarness } from './calendar-port.contract.js';
import { googleHarness } from './google-harness.js';
import { microsoftHarness } from './microsoft-harness.js';

const FROM = Date.parse('2026-03-10T13:00:00Z');
const anEvent = (title: string) => ({
  title,
  description: `A person's appointment\nSwitchboard-Booking: bk_${title.toLowerCase()}0000`,
  timezone: 'America/New_York',
  startMs: FROM + 60 * 60_000,
  endMs: FROM + 2 * 60 * 60_000,
});

describe.each([
  ['Google Calendar', () => googleHarness({ ownCalendars: ['staff-ana@group.calendar.google.com'] })],
  ['Microsoft 365', () => microsoftHarness()],
] as const)("%s: a port bound to a person's calendar", (_name, makeHarness) => {
  let harness: CalendarContractHarness;
  let personCalendarId: string;

  beforeAll(async () => {
    harness = await makeHarness();
    // A person's calendar is one the account owns besides the office's (Google's harness also has a read-only one).
    const other = (await harness.port.listCalendars(harness.clientId)).find(
      (calendar) => calendar.id !== harness.calendarId && !calendar.id.includes('holidays'),
    );
    expect(other).toBeDefined();
    personCalendarId = other!.id;
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("creates, finds and removes events in the person's calendar, and the office's calendar stays untouched", async () => {
    expect(harness.port.forCalendar).toBeTypeOf('function');
    const person = harness.port.forCalendar!(personCalendarId);
    const made = await person.create(harness.clientId, anEvent('Person'));
    const view = await person.view(harness.clientId, FROM, FROM + 4 * 60 * 60_000);
    expect(view.events.map((event) => event.id)).toContain(made.id);
    expect(view.busy).toEqual(expect.arrayContaining([{ startMs: FROM + 60 * 60_000, endMs: FROM + 2 * 60 * 60_000 }]));
    expect((await harness.vendorEvents()).map((event) => event.id)).not.toContain(made.id);
    // Busy time in the office's calendar is not the person's.
    await harness.addForeignBusy('2026-03-10T11:00:00-04:00', '2026-03-10T12:00:00-04:00');
    const again = await person.view(harness.clientId, FROM, FROM + 4 * 60 * 60_000);
    expect(again.busy.some((busy) => busy.startMs === Date.parse('2026-03-10T15:00:00Z'))).toBe(false);
    expect(
      (await harness.port.view(harness.clientId, FROM, FROM + 4 * 60 * 60_000)).busy.some((busy) => busy.startMs === Date.parse('2026-03-10T15:00:00Z')),
    ).toBe(true);
    await person.remove(harness.clientId, made.id);
    expect(await person.get(harness.clientId, made.id)).toBeUndefined();
  });
});
