import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { calendarPortOf } from '../../src/booking/deps.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/sandbox/zoho/index.js';
import { ZohoConnectionBroken, getZohoAccess, importRefreshToken } from '../../src/zoho/connection.js';
import { connectLink } from '../../src/zoho/oauth-state.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { CALENDAR, CLIENT, MONDAY_9AM, startBookingApp, zohoOf, type BookingApp } from './support.js';

const HOUR = 60 * 60_000;
const refreshes = (zoho: ZohoEmulator) => zoho.tokenRequests.refresh_token ?? 0;

describe.each(BACKENDS)('the Zoho connection on %s', (backend) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let external: ZohoEmulator;
  const apps: BookingApp[] = [];
  const start = async () => {
    const app = await startBookingApp(database, { clock });
    apps.push(app);
    return app;
  };
  /** Connect the client to the test's own emulator, which outlives app restarts. */
  const connectExternal = async (app: BookingApp) => {
    external.ensureCalendar(CALENDAR, { timezone: 'America/New_York', ownerEmail: 'owner@smarttaxnation.example' });
    await importRefreshToken(app.switchboard.context, {
      clientId: CLIENT,
      dataCenter: 'us',
      refreshToken: external.issueRefreshToken(),
      accountsServer: external.url,
    });
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    clock = new ManualClock(MONDAY_9AM);
    external = await startZohoEmulator({ clientId: DEMO_SECRETS.ZOHO_CLIENT_ID, clientSecret: DEMO_SECRETS.ZOHO_CLIENT_SECRET, clock });
  }, 60_000);
  afterAll(async () => {
    for (const app of apps) await app.switchboard.close();
    await external?.close();
    await database?.dispose();
  });

  it('demo mode connects to the sandbox emulator by itself and refreshes ahead of expiry, once', async () => {
    const app = await start();
    const zoho = zohoOf(app);
    const first = await getZohoAccess(app.switchboard.context, CLIENT);
    const before = refreshes(zoho);
    clock.advance(56 * 60_000);
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => getZohoAccess(app.switchboard.context, CLIENT)));
    expect(refreshes(zoho)).toBe(before + 1);
    expect(new Set([a!.accessToken, b!.accessToken, c!.accessToken]).size).toBe(1);
    expect(a!.accessToken).not.toBe(first.accessToken);
    const view = await calendarPortOf(app.switchboard.context).view(CLIENT, clock.now().getTime(), clock.now().getTime() + HOUR);
    expect(view.busy).toEqual([]);
    await app.switchboard.close();
  });

  it('a 401 from Zoho Calendar makes one refresh and one retry', async () => {
    const app = await start();
    const zoho = zohoOf(app);
    await getZohoAccess(app.switchboard.context, CLIENT);
    const before = refreshes(zoho);
    zoho.calendarInvalidTokenOnce();
    await calendarPortOf(app.switchboard.context).view(CLIENT, clock.now().getTime(), clock.now().getTime() + HOUR);
    expect(refreshes(zoho)).toBe(before + 1);
    await app.switchboard.close();
  });

  it('tokens survive a restart between refreshes, sealed at rest', async () => {
    const first = await start();
    await connectExternal(first);
    const access = await getZohoAccess(first.switchboard.context, CLIENT);
    const row = await database.db.selectFrom('oauth_connections').selectAll().where('client_id', '=', CLIENT).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(access.accessToken);
    expect(row.refresh_token_sealed).toMatch(/^v1\./);
    await first.switchboard.close();
    const countBefore = refreshes(external);

    const second = await start();
    const again = await getZohoAccess(second.switchboard.context, CLIENT);
    expect(again.accessToken).toBe(access.accessToken);
    expect(refreshes(external)).toBe(countBefore);
    clock.advance(HOUR);
    const refreshed = await getZohoAccess(second.switchboard.context, CLIENT);
    expect(refreshed.accessToken).not.toBe(access.accessToken);
    expect(refreshes(external)).toBe(countBefore + 1);
    await calendarPortOf(second.switchboard.context).view(CLIENT, clock.now().getTime(), clock.now().getTime() + HOUR);
    await second.switchboard.close();
  });

  it('two instances needing a refresh at once make exactly one refresh and share its token', async () => {
    const one = await start();
    const two = await start();
    await getZohoAccess(one.switchboard.context, CLIENT);
    await getZohoAccess(two.switchboard.context, CLIENT);
    clock.advance(HOUR);
    const before = refreshes(external);
    const tokens = await Promise.all([one, two, one, two].map((app) => getZohoAccess(app.switchboard.context, CLIENT)));
    expect(refreshes(external)).toBe(before + 1);
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    await one.switchboard.close();
    await two.switchboard.close();
  });

  it('a revoked refresh token marks the connection broken, alerts once, and later calls fail fast', async () => {
    const app = await start();
    await getZohoAccess(app.switchboard.context, CLIENT);
    external.revokeAll();
    clock.advance(HOUR);
    await expect(getZohoAccess(app.switchboard.context, CLIENT)).rejects.toBeInstanceOf(ZohoConnectionBroken);
    const after = { ...external.tokenRequests };
    await expect(getZohoAccess(app.switchboard.context, CLIENT)).rejects.toThrow(/broken/);
    expect(external.tokenRequests).toEqual(after);
    const alerts = await database.db.selectFrom('errors').selectAll().where('source', '=', 'zoho.oauth').execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.count).toBe(1);
    const ready = await fetch(`${app.switchboard.url}/readyz`).then((response) => response.json() as Promise<{ checks: { name: string; status: string }[] }>);
    expect(ready.checks.find((check) => check.name === `zoho:${CLIENT}`)?.status).toBe('down');
    await app.switchboard.close();
  });

  it('the connect flow: a CLI link starts it, Zoho redirects back with a data-center hint, the tokens are stored', async () => {
    const app = await start();
    const context = app.switchboard.context;
    const bare = await fetch(`${app.switchboard.url}/v1/oauth/zoho/start?client=${CLIENT}`, { redirect: 'manual' });
    expect(bare.status).toBe(401);
    const link = connectLink(app.switchboard.url!, context.secretBox, CLIENT, clock.now().getTime());
    const started = await fetch(link, { redirect: 'manual' });
    expect(started.status).toBe(302);
    const authorize = new URL(started.headers.get('location')!);
    expect(authorize.origin).toBe(zohoOf(app).url);
    expect(authorize.searchParams.get('access_type')).toBe('offline');
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    expect(callback.searchParams.get('accounts-server')).toBe(zohoOf(app).url);

    const forged = new URL(callback);
    forged.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    expect((await fetch(forged)).status).toBe(400);
    const untrusted = new URL(callback);
    untrusted.searchParams.set('accounts-server', 'https://accounts.evil.example');
    expect((await fetch(untrusted)).status).toBe(400);

    const done = await fetch(callback);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Zoho is connected');
    const row = await database.db.selectFrom('oauth_connections').selectAll().where('client_id', '=', CLIENT).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'ok', accounts_server: zohoOf(app).url, owner_email: 'owner@office.example' });
    await getZohoAccess(context, CLIENT);
    await app.switchboard.close();
  });
});
