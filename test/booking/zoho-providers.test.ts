import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { VendorError } from '../../src/core/errors.js';
import { authorizeUrl, calendarBaseUrl, exchangeCode, refreshAccessToken } from '../../src/providers/zoho/accounts.js';
import { ZohoCalendarClient } from '../../src/providers/zoho/calendar.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/sandbox/zoho/index.js';

const app = { clientId: '1000.TEST', clientSecret: 'secret' };

describe('Zoho Accounts and Calendar clients against the emulator', () => {
  let zoho: ZohoEmulator;
  const clock = new ManualClock('2026-02-02T14:00:00Z');
  beforeAll(async () => {
    zoho = await startZohoEmulator({ ...app, clock, limits: { refreshesPerWindow: 2 } });
    zoho.ensureCalendar('cal', { timezone: 'America/Chicago' });
  });
  afterAll(async () => zoho?.close());

  it('treats an HTTP 200 answer carrying {error} as a failure that needs a new grant', async () => {
    const error = await exchangeCode(zoho.url, app, 'not-a-code').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VendorError);
    expect(error).toMatchObject({ code: 'invalid_code', retryable: false });
  });

  it('recognises the throttle body as retryable', async () => {
    const refreshToken = zoho.issueRefreshToken();
    await refreshAccessToken(zoho.url, app, refreshToken);
    await refreshAccessToken(zoho.url, app, refreshToken);
    await expect(refreshAccessToken(zoho.url, app, refreshToken)).rejects.toMatchObject({ code: 'throttled', retryable: true });
  });

  it('asks for offline access with forced consent, and finds Calendar at the real DC domain or the sandbox', () => {
    const url = new URL(authorizeUrl('https://accounts.zoho.eu', { ...app, redirectUri: 'https://sb.example/cb' }, { state: 's' }));
    expect(url.origin).toBe('https://accounts.zoho.eu');
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(calendarBaseUrl('https://www.zohoapis.eu')).toBe('https://calendar.zoho.eu/api/v1');
    expect(calendarBaseUrl(zoho.url)).toBe(`${zoho.url}/api/v1`);
  });

  it('creates with eventdata in the office zone, updates with the etag, and refuses a stale etag', async () => {
    const calendar = new ZohoCalendarClient({ baseUrl: zoho.calendarApiUrl, accessToken: zoho.issueTokens().accessToken });
    const start = Date.parse('2026-03-08T09:00:00-05:00');
    const created = await calendar.createEvent('cal', { title: 'T', timezone: 'America/Chicago', startMs: start, endMs: start + 3_600_000 });
    expect(zoho.events('cal')[0]).toMatchObject({ start: '2026-03-08T14:00:00.000Z', timezone: 'America/Chicago' });
    const moved = await calendar.updateEvent('cal', created.uid, created.etag, {
      title: 'T',
      timezone: 'America/Chicago',
      startMs: start + 3_600_000,
      endMs: start + 7_200_000,
    });
    expect(moved.startMs).toBe(start + 3_600_000);
    await expect(
      calendar.updateEvent('cal', created.uid, created.etag, { title: 'T', timezone: 'America/Chicago', startMs: start, endMs: start + 3_600_000 }),
    ).rejects.toMatchObject({ code: 'ETAG_MISMATCH', retryable: false });
    const busy = await calendar.freeBusy('owner@office.example', start - 86_400_000, start + 40 * 86_400_000);
    expect(busy).toEqual([{ startMs: start + 3_600_000, endMs: start + 7_200_000 }]);
  });

  it('classifies 429 and 5xx as retryable and gives up on a hung request at its timeout', async () => {
    const calendar = new ZohoCalendarClient({ baseUrl: zoho.calendarApiUrl, accessToken: zoho.issueTokens().accessToken, timeoutMs: 200 });
    zoho.rateLimitCalendar();
    await expect(calendar.listCalendars()).rejects.toMatchObject({ status: 429, retryable: true });
    zoho.calendarDown();
    await expect(calendar.listCalendars()).rejects.toMatchObject({ status: 500, retryable: true });
    zoho.emulator.faults.latency(1000, { times: 1 });
    await expect(calendar.listCalendars()).rejects.toMatchObject({ code: 'timeout', retryable: true });
  });
});
