/**
 * The Google module: offices whose document says `"calendar": { "provider": "google" }` book in Google Calendar.
 * It builds one Google connection store per app with the deployment's OAuth app (GOOGLE_CLIENT_ID / _SECRET, or the
 * emulator's in demo mode), offers the calendar port to `context.calendars`, mounts `/v1/oauth/google/start` and
 * `/callback`, checks each such office's connection in `/readyz` (`google:<slug>`) and connects demo offices to the
 * emulator. Booking never imports from here.
 */
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import type { ClientRuntime } from '../config/registry.js';
import { keepsStoredGrant, oauthCalendarModule, settingsFor } from '../oauth/calendar-module.js';
import type { OAuthConnections } from '../oauth/connections.js';
import { loadGoogleCalendarSdk } from '../providers/google/calendar.js';
import { googleCalendarPort, type GoogleCalendarSettings } from '../providers/google/calendar-port.js';
import { GOOGLE_PROVIDER, googleConnectionSpec } from '../providers/google/connection.js';
import { GOOGLE_ACCOUNTS, GOOGLE_CALENDAR_SCOPES, type GoogleOAuthApp } from '../providers/google/oauth.js';
import { googleOAuthRoutes } from '../providers/google/routes.js';

type GoogleOfficeSettings = NonNullable<ClientConfig['google']>;

/** The deployment's Google OAuth app, or the emulator's when Google is emulated (demo, or SANDBOX=1 without the variables). */
function googleAppOf(context: AppContext): { app: GoogleOAuthApp; emulated: boolean } | undefined {
  const emulator = context.sandbox?.google;
  if (emulator && (context.env.mode === 'demo' || !context.env.google)) {
    return { app: { clientId: emulator.state.clientId, clientSecret: emulator.state.clientSecret }, emulated: true };
  }
  return context.env.google ? { app: context.env.google, emulated: false } : undefined;
}

async function connectDemoGoogle(context: AppContext, runtime: ClientRuntime, connections: OAuthConnections): Promise<void> {
  const google = context.sandbox!.google;
  const { config } = runtime;
  const calendarId = config.google?.calendarId ?? 'primary';
  if (calendarId !== 'primary') {
    google.ensureCalendar(calendarId, { summary: `${config.name} appointments`, timeZone: config.timezone, accessRole: 'owner', primary: false });
  }
  for (const id of config.google?.freeBusyCalendarIds ?? []) google.ensureCalendar(id, { summary: id, timeZone: config.timezone, accessRole: 'reader' });
  // Each bookable person's own calendar (per-staff offices), shared with the connected account.
  for (const person of config.staff?.people ?? []) {
    google.ensureCalendar(person.calendarId, { summary: person.name, timeZone: config.timezone, accessRole: 'writer', primary: false });
  }
  if (await keepsStoredGrant(context, GOOGLE_PROVIDER, config.slug, google.url, GOOGLE_ACCOUNTS)) return;
  const tokens = google.issueTokens();
  await connections.store({
    clientId: config.slug,
    accountsServer: google.url,
    apiBase: google.apiRoot,
    realm: 'global',
    grant: tokens.refreshToken,
    accessToken: tokens.accessToken,
    // The emulator's access tokens live an hour on the same clock.
    expiresInSeconds: 3599,
    ownerEmail: google.userEmail,
    scopes: GOOGLE_CALENDAR_SCOPES.join(' '),
  });
}

export const googleModule = oauthCalendarModule<GoogleOAuthApp>({
  provider: GOOGLE_PROVIDER,
  label: 'Google Calendar',
  appVariables: 'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET',
  appOf: googleAppOf,
  connectionSpec: googleConnectionSpec,
  port: (connections, context) =>
    googleCalendarPort({
      connections,
      settingsOf: (clientId): GoogleCalendarSettings => settingsFor<GoogleOfficeSettings>(context, GOOGLE_PROVIDER, 'Google Calendar', clientId),
    }),
  routes(app, context, connections, oauthApp, emulated) {
    const google = emulated ? context.sandbox?.google : undefined;
    googleOAuthRoutes(app, context, connections, { app: oauthApp, ...(google ? { accountsBase: google.url, apiRoot: google.apiRoot } : {}) });
  },
  loadSdk: loadGoogleCalendarSdk,
  connectDemo: (context, runtime, connections) => connectDemoGoogle(context, runtime, connections),
});
