/**
 * The Microsoft 365 module: offices whose document says `"calendar": { "provider": "microsoft" }` book in Outlook
 * through Microsoft Graph. It builds one Microsoft connection store per app with the deployment's Entra app
 * (MICROSOFT_CLIENT_ID / _SECRET / _TENANT, or the emulator's in demo mode), offers the calendar port to
 * `context.calendars`, mounts `/v1/oauth/microsoft/start` and `/callback`, checks each such office's connection in
 * `/readyz` (`microsoft:<slug>`) and connects demo offices to the emulator through MSAL's real code flow.
 */
import type { AppContext } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import type { ClientRuntime } from '../config/registry.js';
import { keepsStoredGrant, oauthCalendarModule, settingsFor } from '../oauth/calendar-module.js';
import { connectCallbackUrl } from '../oauth/connect-routes.js';
import type { OAuthConnections } from '../oauth/connections.js';
import { loadGraphSdk } from '../providers/microsoft/calendar.js';
import { microsoftCalendarPort, type MicrosoftCalendarSettings } from '../providers/microsoft/calendar-port.js';
import { MICROSOFT_PROVIDER, microsoftConnectionSpec } from '../providers/microsoft/connection.js';
import { MICROSOFT_LOGIN, exchangeMicrosoftCode, loadMsal, microsoftAuthorizeUrl, type MicrosoftOAuthApp } from '../providers/microsoft/oauth.js';
import { microsoftOAuthRoutes } from '../providers/microsoft/routes.js';

type MicrosoftOfficeSettings = NonNullable<ClientConfig['microsoft']>;

/** The deployment's Entra app, or the emulator's when Microsoft is emulated (demo, or SANDBOX=1 without the variables). */
function microsoftAppOf(context: AppContext): { app: MicrosoftOAuthApp; emulated: boolean } | undefined {
  const emulator = context.sandbox?.microsoft;
  if (emulator && (context.env.mode === 'demo' || !context.env.microsoft)) {
    return { app: { clientId: emulator.state.clientId, clientSecret: emulator.state.clientSecret, tenant: 'common' }, emulated: true };
  }
  return context.env.microsoft ? { app: context.env.microsoft, emulated: false } : undefined;
}

/** Signs in at the emulator as an office admin would: the authorize redirect (consent is automatic there), then MSAL's code exchange. */
async function connectDemoMicrosoft(context: AppContext, runtime: ClientRuntime, connections: OAuthConnections, app: MicrosoftOAuthApp): Promise<void> {
  const microsoft = context.sandbox!.microsoft;
  const { config } = runtime;
  if (config.microsoft?.calendarId) microsoft.ensureCalendar(config.microsoft.calendarId, `${config.name} appointments`);
  // Each bookable person's own calendar (per-staff offices), in the connected mailbox.
  for (const person of config.staff?.people ?? []) microsoft.ensureCalendar(person.calendarId, person.name);
  if (await keepsStoredGrant(context, MICROSOFT_PROVIDER, config.slug, microsoft.url, MICROSOFT_LOGIN)) return;
  const redirectUri = connectCallbackUrl(context.publicBaseUrl, MICROSOFT_PROVIDER);
  const authorize = await microsoftAuthorizeUrl(app, { redirectUri, state: 'demo', loginBase: microsoft.url });
  const redirect = await fetch(authorize, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
  const code = new URL(redirect.headers.get('location') ?? redirectUri).searchParams.get('code');
  if (!code) throw new Error(`the Microsoft emulator gave no authorization code (${redirect.status})`);
  const grant = await exchangeMicrosoftCode(app, { code, redirectUri, loginBase: microsoft.url });
  await connections.store({
    clientId: config.slug,
    accountsServer: microsoft.url,
    apiBase: microsoft.graphBase,
    realm: grant.tenantId ?? app.tenant,
    grant: grant.cache,
    accessToken: grant.accessToken,
    expiresInSeconds: grant.expiresInSeconds,
    ...(grant.username ? { ownerEmail: grant.username } : {}),
    scopes: grant.scopes.join(' '),
  });
}

export const microsoftModule = oauthCalendarModule<MicrosoftOAuthApp>({
  provider: MICROSOFT_PROVIDER,
  label: 'Microsoft 365',
  appVariables: 'MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET',
  appOf: microsoftAppOf,
  connectionSpec: microsoftConnectionSpec,
  port: (connections, context) =>
    microsoftCalendarPort({
      connections,
      settingsOf: (clientId): MicrosoftCalendarSettings => settingsFor<MicrosoftOfficeSettings>(context, MICROSOFT_PROVIDER, 'Microsoft 365', clientId),
    }),
  routes(app, context, connections, oauthApp, emulated) {
    const microsoft = emulated ? context.sandbox?.microsoft : undefined;
    microsoftOAuthRoutes(app, context, connections, { app: oauthApp, ...(microsoft ? { loginBase: microsoft.url, graphBase: microsoft.graphBase } : {}) });
  },
  loadSdk: () => Promise.all([loadGraphSdk(), loadMsal()]),
  connectDemo: connectDemoMicrosoft,
});
