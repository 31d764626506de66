/**
 * Graph's Windows zone names end to end: what the adapter writes ("Eastern Standard Time", "US Mountain Standard
 * Time" for Phoenix, which keeps standard time all year) and what it reads when Graph answers in the mailbox's
 * Windows zone. Shared by the normal run and the run with the server in Asia/Tokyo (microsoft-zones.tokyo.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingMarker } from '../../src/booking/calendar-port.js';
import { microsoftCalendarPort } from '../../src/providers/microsoft/calendar-port.js';
import { OFFICE } from './support.js';
import { aMicrosoftWorld, type MicrosoftWorld } from './microsoft-harness.js';

export function defineGraphZoneCases(): void {
  describe.each([
    { zone: 'America/Phoenix', windows: 'US Mountain Standard Time', localNine: { spring: '2026-03-09T16:00:00Z', summer: '2026-07-06T16:00:00Z' } },
    { zone: 'America/New_York', windows: 'Eastern Standard Time', localNine: { spring: '2026-03-09T13:00:00Z', summer: '2026-07-06T13:00:00Z' } },
  ])('Graph zones for an office in $zone', ({ zone, windows, localNine }) => {
    let ms: MicrosoftWorld;
    beforeAll(async () => {
      // The mailbox answers in its own Windows zone whatever we prefer, the harder case for reading.
      ms = await aMicrosoftWorld({ mailboxTimeZone: windows, ignorePreferTimeZone: true });
    }, 120_000);
    afterAll(async () => {
      await ms?.microsoft.close();
      await ms?.world.database.dispose();
    });
    const port = () => microsoftCalendarPort({ connections: ms.connections, settingsOf: () => ({ calendarId: ms.microsoft.defaultCalendarId }) });

    it(`writes 9:00 local under "${windows}" on both sides of the spring clock change`, async () => {
      for (const [season, iso] of Object.entries(localNine)) {
        const startMs = Date.parse(iso);
        const created = await port().create(OFFICE, {
          title: `Check-in ${season}`,
          description: bookingMarker(`bk_zone${season}${zone.replace(/\W/g, '')}`),
          timezone: zone,
          startMs,
          endMs: startMs + 30 * 60_000,
        });
        const stored = ms.microsoft.events().find((event) => event.id === created.id)!;
        expect(stored.originalStartTimeZone).toBe(windows);
        expect(new Date(stored.startMs).toISOString()).toBe(new Date(startMs).toISOString());
        expect(new Date(created.startMs).toISOString()).toBe(new Date(startMs).toISOString());
        expect((await port().get(OFFICE, created.id))?.startMs).toBe(startMs);
      }
    });

    it('reads busy times Graph writes in the Windows zone as the right instants', async () => {
      ms.microsoft.addBusy(ms.microsoft.defaultCalendarId, '2026-03-10T17:00:00Z', '2026-03-10T18:00:00Z', { timeZone: windows });
      const view = await port().view(OFFICE, Date.parse('2026-03-10T00:00:00Z'), Date.parse('2026-03-11T00:00:00Z'));
      expect(view.busy).toContainEqual({ startMs: Date.parse('2026-03-10T17:00:00Z'), endMs: Date.parse('2026-03-10T18:00:00Z') });
      const schedule = await ms.microsoft.emulator.waitFor((request) => request.path.endsWith('/getSchedule'));
      expect(schedule.body).toMatchObject({ schedules: [ms.microsoft.userEmail] });
    });
  });
}
