import { describe, expect, it } from 'vitest';
import { VendorError } from '../../../src/core/errors.js';
import { ZohoCalendarClient } from '../../../src/providers/zoho/calendar.js';
import { aZohoEmulator, api } from './support.js';

const OWNER = 'owner@office.example';

/** An office owner with two calendars of their own and one a colleague shared with them. */
async function anOffice() {
  const started = await aZohoEmulator({ user: { email: OWNER } });
  started.zoho.ensureCalendar('cal-personal', { name: 'Personal', timezone: 'America/Phoenix' });
  started.zoho.ensureCalendar('cal-appointments', { name: 'Appointments', timezone: 'America/Phoenix' });
  started.zoho.ensureCalendar('cal-colleague', { name: 'Colleague', timezone: 'America/Denver', ownerEmail: 'colleague@office.example', privilege: 'read' });
  const { accessToken } = started.zoho.issueTokens();
  const client = new ZohoCalendarClient({ baseUrl: started.zoho.calendarApiUrl, accessToken });
  return { ...started, token: accessToken, client };
}

describe('Zoho emulator: calendar list', () => {
  it('lists every calendar with uid, name, zone, default flag, privilege and category', async () => {
    const { zoho, token } = await anOffice();
    const answer = await api(zoho, token, 'GET', '/api/v1/calendars');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      calendars: [
        {
          uid: 'cal-personal',
          name: 'Personal',
          timezone: 'America/Phoenix',
          color: '#8cbf40',
          isdefault: true,
          privilege: 'owner',
          category: 'own',
          owner: OWNER,
        },
        {
          uid: 'cal-appointments',
          name: 'Appointments',
          timezone: 'America/Phoenix',
          color: '#8cbf40',
          isdefault: false,
          privilege: 'owner',
          category: 'own',
          owner: OWNER,
        },
        {
          uid: 'cal-colleague',
          name: 'Colleague',
          timezone: 'America/Denver',
          color: '#8cbf40',
          isdefault: false,
          privilege: 'read',
          category: 'shared',
          owner: 'colleague@office.example',
        },
      ],
    });
  });

  it('answers only the user’s own calendars for category=own', async () => {
    const { zoho, token } = await anOffice();
    const answer = await api(zoho, token, 'GET', '/api/v1/calendars?category=own');
    expect(answer.json.calendars.map((calendar: { uid: string }) => calendar.uid)).toEqual(['cal-personal', 'cal-appointments']);
  });

  it('refuses a missing or unknown token with 401 INVALID_OAUTHTOKEN', async () => {
    const { zoho } = await anOffice();
    const answer = await api(zoho, '1000.not.a-token', 'GET', '/api/v1/calendars');
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ error: [{ code: 'INVALID_OAUTHTOKEN', message: expect.any(String) }] });
  });
});

describe('Zoho Calendar client: calendars and free/busy for onboarding', () => {
  it('lists calendars as typed values, all or only the user’s own', async () => {
    const { client } = await anOffice();
    expect(await client.listCalendars()).toEqual([
      { uid: 'cal-personal', name: 'Personal', timezone: 'America/Phoenix', color: '#8cbf40', isDefault: true, privilege: 'owner', owner: OWNER },
      { uid: 'cal-appointments', name: 'Appointments', timezone: 'America/Phoenix', color: '#8cbf40', isDefault: false, privilege: 'owner', owner: OWNER },
      expect.objectContaining({ uid: 'cal-colleague', privilege: 'read', isDefault: false }),
    ]);
    expect((await client.listCalendars({ category: 'own' })).map((calendar) => calendar.uid)).toEqual(['cal-personal', 'cal-appointments']);
  });

  it('tells "free/busy works" apart from "free/busy is off" and "no data", which the booking read treats alike', async () => {
    const { zoho, client } = await anOffice();
    zoho.addBusy('cal-appointments', '2026-10-21T09:00:00', '2026-10-21T10:00:00');
    const start = Date.parse('2026-10-21T00:00:00Z');
    const end = start + 2 * 86_400_000;
    expect(await client.checkFreeBusy(OWNER, start, end)).toEqual({
      status: 'ok',
      busy: [{ startMs: Date.parse('2026-10-21T16:00:00Z'), endMs: Date.parse('2026-10-21T17:00:00Z') }],
    });
    zoho.setFreebusyMode('fb_not_enabled');
    expect(await client.checkFreeBusy(OWNER, start, end)).toEqual({ status: 'not_enabled' });
    expect(await client.freeBusy(OWNER, start, end)).toEqual([]);
    zoho.setFreebusyMode('nodata');
    expect(await client.checkFreeBusy(OWNER, start, end)).toEqual({ status: 'no_data' });
  });

  it('surfaces a transient failure of the list as a retryable VendorError and then answers', async () => {
    const { zoho, client } = await anOffice();
    zoho.calendarDown(1);
    const error = await client.listCalendars().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VendorError);
    expect(error).toMatchObject({ vendor: 'zoho-calendar', status: 500, retryable: true });
    expect(await client.listCalendars()).toHaveLength(3);
  });

  it('skips a calendar entry without a uid instead of failing the whole list', async () => {
    const { zoho, token } = await anOffice();
    const withBadEntry = new ZohoCalendarClient({
      baseUrl: zoho.calendarApiUrl,
      accessToken: token,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const body = (await response.json()) as { calendars: unknown[] };
        return Response.json({ calendars: [{ name: 'No uid' }, ...body.calendars] }, { status: response.status });
      },
    });
    expect((await withBadEntry.listCalendars()).map((calendar) => calendar.uid)).toEqual(['cal-personal', 'cal-appointments', 'cal-colleague']);
  });
});
