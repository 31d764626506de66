/** The CalendarPort contract against the Google Calendar adapter and its emulator. */
import { OAuthConnections } from '../../src/oauth/connections.js';
import { googleCalendarPort } from '../../src/providers/google/calendar-port.js';
import { googleConnectionSpec } from '../../src/providers/google/connection.js';
import { startGoogleEmulator } from '../../src/sandbox/google/index.js';
import type { CalendarContractHarness } from './calendar-port.contract.js';
import { OFFICE, aConnectionWorld } from './support.js';

const app = { clientId: 'google-client.apps.googleusercontent.com', clientSecret: 'google-secret' };

/** `ownCalendars`: further calendars the account owns (a bookable person's, for `forCalendar`). */
export async function googleHarness(options: { ownCalendars?: string[] } = {}): Promise<CalendarContractHarness> {
  const world = await aConnectionWorld();
  const google = await startGoogleEmulator({ ...app, clock: world.clock, timezone: 'America/New_York' });
  const calendarId = google.userEmail;
  google.ensureCalendar('team-holidays@group.calendar.google.com', { summary: 'Team holidays', accessRole: 'reader' });
  for (const id of options.ownCalendars ?? []) google.ensureCalendar(id, { summary: id, accessRole: 'owner' });
  const connections = new OAuthConnections(world.deps, googleConnectionSpec(app));
  const tokens = google.issueTokens();
  await connections.store({
    clientId: OFFICE,
    accountsServer: google.url,
    apiBase: google.apiRoot,
    realm: 'global',
    grant: tokens.refreshToken,
    accessToken: tokens.accessToken,
    expiresInSeconds: 3599,
  });
  return {
    port: googleCalendarPort({ connections, settingsOf: () => ({ calendarId }) }),
    clientId: OFFICE,
    zone: 'America/New_York',
    calendarId,
    addForeignBusy: (startIso, endIso) => void google.addBusy(calendarId, startIso, endIso),
    vendorEvents: () =>
      google.events(calendarId).map((event) => ({ id: event.id, startMs: event.startMs, endMs: event.endMs, description: event.description })),
    failNext(kind) {
      if (kind === 'unauthorized') google.invalidTokenOnce();
      else if (kind === 'rate_limited') google.rateLimit(1);
      else google.down(1);
    },
    refreshCount: () => google.tokenRequests.refresh_token ?? 0,
    async close() {
      await google.close();
      await world.database.dispose();
    },
  };
}
