/** The CalendarPort contract against the Microsoft 365 (Graph) adapter and its emulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingMarker } from '../../src/booking/calendar-port.js';
import { microsoftCalendarPort } from '../../src/providers/microsoft/calendar-port.js';
import { describeCalendarPortContract } from './calendar-port.contract.js';
import { aMicrosoftWorld, microsoftHarness, type MicrosoftWorld } from './microsoft-harness.js';
import { OFFICE } from './support.js';
import { BACKENDS } from '../support/databases.js';

const HOUR = 60 * 60_000;

describeCalendarPortContract('Microsoft 365', () => microsoftHarness());
// The mailbox answers in its own Windows zone whatever we prefer: the repeated fall-back hour is then a wall time that
// names two instants, and the adapter settles it from what it asked for and the instants it stored on the event.
for (const backend of BACKENDS) {
  describeCalendarPortContract(`Microsoft 365, answers in the mailbox zone (Eastern Standard Time; ${backend})`, () =>
    microsoftHarness({ emulator: { ignorePreferTimeZone: true }, backend }),
  );
}

describe('Microsoft 365 port without a configured calendar', () => {
  let ms: MicrosoftWorld;
  beforeAll(async () => {
    ms = await aMicrosoftWorld();
  }, 120_000);
  afterAll(async () => {
    await ms?.microsoft.close();
    await ms?.world.database.dispose();
  });

  it('books into the mailbox default calendar and lists only calendars it may write to', async () => {
    const other = ms.microsoft.addCalendar('Front desk');
    const port = microsoftCalendarPort({ connections: ms.connections, settingsOf: () => ({}) });
    const startMs = Date.parse('2026-03-09T13:00:00Z');
    const created = await port.create(OFFICE, {
      title: 'Visit',
      description: bookingMarker('bk_default1'),
      timezone: 'America/New_York',
      startMs,
      endMs: startMs + HOUR,
    });
    expect(ms.microsoft.events(ms.microsoft.defaultCalendarId).map((event) => event.id)).toContain(created.id);
    expect(ms.microsoft.events(other.id)).toHaveLength(0);
    const calendars = await port.listCalendars(OFFICE);
    expect(calendars.find((calendar) => calendar.isDefault)?.id).toBe(ms.microsoft.defaultCalendarId);
    expect(calendars.map((calendar) => calendar.id)).toContain(other.id);
  });
});
