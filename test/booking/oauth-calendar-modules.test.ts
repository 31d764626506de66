/**
 * Issue 20: Google Calendar and Microsoft 365 as office calendar providers, wired by their modules. The shipped demo
 * offices (Riverside Physio on Google, Harbor Law Group on Microsoft 365) are connected to the emulators at start;
 * `/readyz` (and so `switchboard doctor`) checks each one's connection; an office without a usable connection gets
 * the spoken fallback with a critical alert naming the reconnect; the connect routes (start → the vendor's consent
 * → callback) store a new grant that booking uses at once; the Connections screen shows the office's own providers.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS } from '../../src/config/demo-secrets.js';
import { signRetellBody } from '../../src/providers/retell/signature.js';
import { signConnectTicket } from '../../src/oauth/signed-state.js';
import { aConfigDir } from '../fixtures/config/a-client-config.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';

const OFFICES = {
  google: { slug: 'riverside-physio', agentId: 'agent_riverside_demo_0001', number: '+13125550160', type: 'initial-assessment' },
  microsoft: { slug: 'harbor-law', agentId: 'agent_harbor_demo_0001', number: '+12135550170', type: 'consultation' },
} as const;
type Provider = keyof typeof OFFICES;

async function callFunction(app: TestApp, provider: Provider, name: string, args: Record<string, unknown>, callId: string) {
  const office = OFFICES[provider];
  const body = JSON.stringify({
    name,
    args,
    call: {
      call_id: callId,
      agent_id: office.agentId,
      call_type: 'phone_call',
      direction: 'inbound',
      from_number: '+13125550999',
      to_number: office.number,
      call_status: 'ongoing',
    },
  });
  const response = await fetch(`${app.url}/v1/retell/${office.slug}/functions/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': await signRetellBody(body, DEMO_SECRETS.RETELL_API_KEY) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function readiness(app: TestApp, name: string) {
  const check = app.context.health.find((candidate) => candidate.name === name);
  if (!check) throw new Error(`no readiness check ${name}: ${app.context.health.map((candidate) => candidate.name).join(', ')}`);
  return check.check();
}

/** As an office admin would: our start route, the vendor's consent page (the emulators consent at once), our callback. */
async function connectThroughRoutes(app: TestApp, provider: Provider): Promise<{ status: number; text: string }> {
  const slug = OFFICES[provider].slug;
  const ticket = signConnectTicket(app.context.secretBox, provider, slug, app.clock.now().getTime());
  const start = await fetch(`${app.url}/v1/oauth/${provider}/start?client=${slug}&ticket=${encodeURIComponent(ticket)}`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const back = new URL(consent.headers.get('location')!);
  expect(back.pathname).toBe(`/v1/oauth/${provider}/callback`);
  const callback = await fetch(`${app.url}${back.pathname}${back.search}`);
  return { status: callback.status, text: await callback.text() };
}

describe.each(BACKENDS)('Google Calendar and Microsoft 365 offices on %s', (kind) => {
  let app: TestApp;
  let sequence = 0;
  const aCallId = () => `call_oauth_cal_${kind}_${(sequence += 1)}`;

  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('registers both providers, connects the demo offices to the emulators at start, and reports them ready', async () => {
    expect(app.context.calendars.providers()).toEqual(expect.arrayContaining(['zoho', 'google', 'microsoft']));
    expect(await readiness(app, 'google:riverside-physio')).toEqual({
      status: 'ok',
      detail: `connected as ${app.context.sandbox!.google.userEmail} (emulator)`,
    });
    expect(await readiness(app, 'microsoft:harbor-law')).toEqual({
      status: 'ok',
      detail: `connected as ${app.context.sandbox!.microsoft.userEmail} (emulator)`,
    });
    // Only offices that book there get a check: no Zoho check for them, no Google check for Zoho offices.
    const names = app.context.health.map((check) => check.name);
    expect(names).not.toContain('zoho:riverside-physio');
    expect(names).not.toContain('google:smart-tax-nation');
  });

  it.each(['google', 'microsoft'] as const)(
    "%s: a booking lands in the calendar the office document names (the booked person's in Riverside Physio)",
    async (provider) => {
      const office = OFFICES[provider];
      const slots = await callFunction(app, provider, 'check_calendar_availability', { date: '2026-03-04', appointment_type: office.type }, aCallId());
      expect(slots.body.ok).toBe(true);
      const booked = await callFunction(
        app,
        provider,
        'book_appointment',
        { start: slots.body.slots[0].start, appointment_type: office.type, name: 'Robin Park' },
        aCallId(),
      );
      expect(booked.body).toMatchObject({ ok: true });
      const sandbox = app.context.sandbox!;
      const config = app.context.clients.get(office.slug)!.config;
      // The shipped Riverside Physio lists two people, each with their own calendar; Harbor Law books in the office's.
      const person = config.staff?.people.find((candidate) => candidate.id === booked.body.staff_id);
      expect(person !== undefined).toBe(provider === 'google');
      const calendarId = person?.calendarId ?? (provider === 'google' ? config.google!.calendarId : config.microsoft!.calendarId);
      const events =
        provider === 'google'
          ? sandbox.google.events(calendarId).map((event) => event.description)
          : sandbox.microsoft.events(calendarId).map((event) => event.body.content);
      expect(events.filter((description) => description.includes(`Switchboard-Booking: ${booked.body.booking_id}`))).toHaveLength(1);
    },
  );

  it.each(['google', 'microsoft'] as const)(
    '%s: not connected → readiness says how to connect and callers hear the fallback; the connect routes fix it',
    async (provider) => {
      const office = OFFICES[provider];
      await app.context.db.deleteFrom('oauth_connections').where('client_id', '=', office.slug).where('provider', '=', provider).execute();
      // The in-process cache still holds the old token: a new app instance would not; forget it the same way.
      const connections = app.context.oauthConnections.get(provider)!;
      const cached = await connections.getAccess(office.slug).catch(() => undefined);
      if (cached) await connections.invalidate(office.slug, cached.accessToken);

      expect(await readiness(app, `${provider}:${office.slug}`)).toEqual({
        status: 'degraded',
        detail: expect.stringContaining(
          `not connected; connect ${provider === 'google' ? 'Google Calendar' : 'Microsoft 365'} from Connections in the dashboard (/v1/oauth/${provider}/start?client=${office.slug})`,
        ),
      });
      const callId = aCallId();
      const answer = await callFunction(app, provider, 'check_calendar_availability', { date: '2026-03-05', appointment_type: office.type }, callId);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ ok: false, fallback: true, callback_task_id: expect.any(String) });
      const alerts = await app.context.db.selectFrom('errors').selectAll().where('call_id', '=', callId).execute();
      expect(alerts).toEqual([
        expect.objectContaining({ source: 'booking.calendar', severity: 'critical', fingerprint: `booking.calendar:NOT_CONNECTED:${office.slug}` }),
      ]);

      const connected = await connectThroughRoutes(app, provider);
      expect(connected.status).toBe(200);
      expect(connected.text).toContain('is connected');
      expect((await readiness(app, `${provider}:${office.slug}`)).status).toBe('ok');
      const again = await callFunction(app, provider, 'check_calendar_availability', { date: '2026-03-05', appointment_type: office.type }, aCallId());
      expect(again.body.ok).toBe(true);
    },
  );

  it('a revoked Google grant: the connection turns broken, readiness is down, and booking falls back', async () => {
    const google = app.context.sandbox!.google;
    google.revokeAll();
    // Past the access token's hour: the next use must refresh, and Google answers invalid_grant.
    app.clock.advance(2 * 60 * 60_000);
    const answer = await callFunction(app, 'google', 'check_calendar_availability', { date: '2026-03-06', appointment_type: OFFICES.google.type }, aCallId());
    expect(answer.body).toMatchObject({ ok: false, fallback: true });
    expect(await readiness(app, 'google:riverside-physio')).toEqual({
      status: 'down',
      detail: expect.stringContaining('broken: Google Calendar refused the refresh token (invalid_grant)'),
    });
    const connected = await connectThroughRoutes(app, 'google');
    expect(connected.status).toBe(200);
    expect((await readiness(app, 'google:riverside-physio')).status).toBe('ok');
  });

  it("the Connections screen lists each office's own calendar and CRM provider with the connection state and connect link", async () => {
    const cookie = await adminCookie(app);
    const response = await fetch(`${app.url}/v1/api/connections`, { headers: { cookie } });
    expect(response.status).toBe(200);
    const { connections } = (await response.json()) as { connections: Array<Record<string, any>> };
    const bySlug = new Map(connections.map((connection) => [connection.clientId, connection]));
    expect(bySlug.get('riverside-physio')).toMatchObject({
      calendar: {
        provider: 'google',
        label: 'Google Calendar',
        connection: { status: 'ok', emulated: true, connectPath: '/v1/oauth/google/start?client=riverside-physio' },
      },
      zoho: null,
      crm: { provider: 'none', label: 'none', connection: null },
    });
    expect(bySlug.get('harbor-law')).toMatchObject({
      calendar: {
        provider: 'microsoft',
        connection: { status: 'ok', ownerEmail: app.context.sandbox!.microsoft.userEmail, connectPath: '/v1/oauth/microsoft/start?client=harbor-law' },
      },
      crm: { provider: 'hubspot', label: 'HubSpot', emulated: true },
    });
    expect(bySlug.get('smart-tax-nation')).toMatchObject({
      calendar: { provider: 'zoho', connection: { status: 'ok', connectPath: '/v1/oauth/zoho/start?client=smart-tax-nation' } },
      crm: { provider: 'zoho', connection: { status: 'ok' } },
    });
  });
});

async function adminCookie(app: TestApp): Promise<string> {
  const note = app.context.startupNotes?.find((line) => line.includes('Dashboard login'));
  const login = note && /: (\S+) \/ (\S+)/.exec(note);
  if (!login) throw new Error(`no first-admin note: ${app.context.startupNotes?.join('\n')}`);
  const response = await fetch(`${app.url}/v1/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.url! },
    body: JSON.stringify({ email: login[1], password: login[2] }),
  });
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status}`);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

describe.each(BACKENDS)('a two-person office on Google Calendar and one on Microsoft 365 (%s)', (kind) => {
  let app: TestApp;
  const people = {
    google: [
      { id: 'pat', name: 'Pat Lee', calendarId: 'pat@group.calendar.google.com' },
      { id: 'sam', name: 'Sam Ortiz', calendarId: 'sam@group.calendar.google.com' },
    ],
    microsoft: [
      { id: 'ana', name: 'Ana Ruiz', calendarId: 'AAMkAGana=' },
      { id: 'ben', name: 'Ben Cole', calendarId: 'AAMkAGben=' },
    ],
  };

  beforeAll(async () => {
    const withStaff = (provider: Provider) => {
      const document = JSON.parse(readFileSync(`config/clients/${OFFICES[provider].slug}.json`, 'utf8')) as Record<string, unknown>;
      return { ...document, staff: { assignment: 'first_listed', people: people[provider] } };
    };
    app = await startTestApp(kind, {
      env: { CONFIG_DIR: aConfigDir({ 'riverside-physio': withStaff('google'), 'harbor-law': withStaff('microsoft') }) },
    });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it.each(['google', 'microsoft'] as const)("%s: a slot names its person and the booking lands in that person's own calendar", async (provider) => {
    const office = OFFICES[provider];
    const slots = await callFunction(
      app,
      provider,
      'check_calendar_availability',
      { date: '2026-03-04', appointment_type: office.type },
      `call_staff_${kind}_${provider}_1`,
    );
    expect(slots.body.ok).toBe(true);
    const second = people[provider][1]!;
    const slot = (slots.body.slots as Array<{ start: string; staff_id?: string }>).find((candidate) => candidate.staff_id !== undefined)!;
    expect(slot.staff_id).toBeDefined();
    const booked = await callFunction(
      app,
      provider,
      'book_appointment',
      { start: slot.start, appointment_type: office.type, name: 'Robin Park', staff: second.id },
      `call_staff_${kind}_${provider}_2`,
    );
    expect(booked.body).toMatchObject({ ok: true });
    const sandbox = app.context.sandbox!;
    const descriptions = (calendarId: string) =>
      provider === 'google'
        ? sandbox.google.events(calendarId).map((event) => event.description)
        : sandbox.microsoft.events(calendarId).map((event) => event.body.content);
    const marker = `Switchboard-Booking: ${booked.body.booking_id}`;
    expect(descriptions(second.calendarId).filter((text) => text.includes(marker))).toHaveLength(1);
    expect(descriptions(people[provider][0]!.calendarId).filter((text) => text.includes(marker))).toEqual([]);
  });
});
