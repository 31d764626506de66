/**
 * The Microsoft 365 adapter wired for the contract: an office connected through MSAL's real code flow against
 * the emulator (authorize redirect, code exchange), the MSAL token cache sealed as the grant.
 */
import { OAuthConnections } from '../../src/oauth/connections.js';
import { microsoftCalendarPort, type MicrosoftCalendarSettings } from '../../src/providers/microsoft/calendar-port.js';
import { microsoftConnectionSpec } from '../../src/providers/microsoft/connection.js';
import { exchangeMicrosoftCode, microsoftAuthorizeUrl } from '../../src/providers/microsoft/oauth.js';
import { startMicrosoftEmulator, type MicrosoftEmulator, type MicrosoftEmulatorOptions } from '../../src/sandbox/microsoft/index.js';
import type { DatabaseKind } from '../../src/db/database.js';
import type { CalendarContractHarness } from './calendar-port.contract.js';
import { OFFICE, aConnectionWorld, type ConnectionWorld } from './support.js';

export const microsoftApp = { clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 'ms-secret', tenant: 'common' };
const REDIRECT = 'https://switchboard.example/v1/oauth/microsoft/callback';

/** Signs in as an admin would: follows the authorize redirect and exchanges the code with MSAL. */
export async function connectThroughMsal(microsoft: MicrosoftEmulator, connections: OAuthConnections): Promise<void> {
  const url = await microsoftAuthorizeUrl(microsoftApp, { redirectUri: REDIRECT, state: 'contract', loginBase: microsoft.url });
  const redirect = await fetch(url, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location')!).searchParams.get('code');
  if (!code) throw new Error(`no code in ${redirect.headers.get('location')}`);
  const grant = await exchangeMicrosoftCode(microsoftApp, { code, redirectUri: REDIRECT, loginBase: microsoft.url });
  await connections.store({
    clientId: OFFICE,
    accountsServer: microsoft.url,
    apiBase: microsoft.graphBase,
    realm: microsoftApp.tenant,
    grant: grant.cache,
    accessToken: grant.accessToken,
    expiresInSeconds: grant.expiresInSeconds,
    ...(grant.username ? { ownerEmail: grant.username } : {}),
    scopes: grant.scopes.join(' '),
  });
}

export interface MicrosoftWorld {
  world: ConnectionWorld;
  microsoft: MicrosoftEmulator;
  connections: OAuthConnections;
}

export async function aMicrosoftWorld(options: Partial<MicrosoftEmulatorOptions> = {}, backend: DatabaseKind = 'pglite'): Promise<MicrosoftWorld> {
  const world = await aConnectionWorld({ backend });
  const microsoft = await startMicrosoftEmulator({ ...microsoftApp, clock: world.clock, ...options });
  const connections = new OAuthConnections(world.deps, microsoftConnectionSpec(microsoftApp));
  await connectThroughMsal(microsoft, connections);
  return { world, microsoft, connections };
}

export async function microsoftHarness(
  options: { emulator?: Partial<MicrosoftEmulatorOptions>; settings?: MicrosoftCalendarSettings; backend?: DatabaseKind } = {},
): Promise<CalendarContractHarness> {
  const { world, microsoft, connections } = await aMicrosoftWorld(options.emulator, options.backend);
  const calendarId = microsoft.defaultCalendarId;
  microsoft.addCalendar('Birthdays');
  return {
    port: microsoftCalendarPort({ connections, settingsOf: () => ({ calendarId, ...options.settings }) }),
    clientId: OFFICE,
    zone: 'America/New_York',
    calendarId,
    addForeignBusy: (startIso, endIso) => void microsoft.addBusy(calendarId, startIso, endIso),
    vendorEvents: () =>
      microsoft.events(calendarId).map((event) => ({ id: event.id, startMs: event.startMs, endMs: event.endMs, description: event.body.content })),
    failNext(kind) {
      if (kind === 'unauthorized') microsoft.invalidTokenOnce();
      else if (kind === 'rate_limited') microsoft.throttle(1);
      else microsoft.down(1);
    },
    refreshCount: () => microsoft.tokenRequests.refresh_token ?? 0,
    async close() {
      await microsoft.close();
      await world.database.dispose();
    },
  };
}
