/** The Google Calendar client (the SDK pointed at the emulator through `rootUrl`) on what the contract does not reach. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { VendorError } from '../../src/core/errors.js';
import { GoogleCalendarClient } from '../../src/providers/google/calendar.js';
import { googleEventIdFor } from '../../src/providers/google/calendar-port.js';
import { startGoogleEmulator, type GoogleEmulator } from '../../src/sandbox/google/index.js';

const input = (startIso: string, bookingId?: string) => {
  const startMs = Date.parse(startIso);
  return { title: 'Visit', description: 'x', timezone: 'America/Chicago', startMs, endMs: startMs + 3_600_000, ...(bookingId ? { bookingId } : {}) };
};

describe('Google Calendar client against the emulator', () => {
  let google: GoogleEmulator;
  let client: GoogleCalendarClient;
  const calendarId = 'frontdesk@office.example';
  beforeAll(async () => {
    google = await startGoogleEmulator({ clientId: 'id', clientSecret: 'secret', clock: new ManualClock('2026-02-02T14:00:00Z'), timezone: 'America/Chicago' });
    client = new GoogleCalendarClient({ accessToken: google.issueTokens().accessToken, rootUrl: google.apiRoot, timeoutMs: 3_000 });
  });
  afterAll(async () => google?.close());

  it('writes local time with the zone and the booking id as a private extended property', async () => {
    const created = await client.insertEvent(calendarId, input('2026-03-09T14:00:00Z', 'bk_abc1'), googleEventIdFor('bk_abc1'));
    const stored = google.events(calendarId).find((event) => event.id === created.id)!;
    expect(stored.start).toEqual({ dateTime: '2026-03-09T09:00:00-05:00', timeZone: 'America/Chicago' });
    expect(stored.privateProperties).toEqual({ switchboardBookingId: 'bk_abc1' });
    expect(created.id).toMatch(/^[a-v0-9]{5,1024}$/);
    const request = google.emulator.received('/events', 'POST').at(-1)!;
    expect(request.query).toMatchObject({ sendUpdates: 'none' });
  });

  it('a repeated insert with the same id is refused as duplicate (409), not stored twice', async () => {
    const error = await client
      .insertEvent(calendarId, input('2026-03-09T14:00:00Z', 'bk_abc1'), googleEventIdFor('bk_abc1'))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 409, code: 'duplicate', retryable: false });
    expect(google.events(calendarId).filter((event) => event.id === googleEventIdFor('bk_abc1'))).toHaveLength(1);
  });

  it('reads every page of a long event list', async () => {
    for (let day = 0; day < 260; day++)
      google.addBusy(
        calendarId,
        new Date(Date.parse('2027-01-01T15:00:00Z') + day * 3_600_000).toISOString(),
        new Date(Date.parse('2027-01-01T15:30:00Z') + day * 3_600_000).toISOString(),
      );
    const events = await client.listEvents(calendarId, { startMs: Date.parse('2027-01-01T00:00:00Z'), endMs: Date.parse('2027-02-01T00:00:00Z') });
    expect(events).toHaveLength(260);
    expect(google.emulator.received('/events', 'GET').filter((request) => request.query.pageToken !== undefined).length).toBeGreaterThan(0);
  });

  it('never reads a calendar Google could not answer for as free', async () => {
    const error = await client
      .freeBusy([calendarId, 'nobody@office.example'], Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-02T00:00:00Z'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VendorError);
    expect(error).toMatchObject({ code: 'notFound', retryable: false });
  });

  it('classifies rate limits (403 usageLimits, 429) as retryable and the daily usage limit as not', async () => {
    google.rateLimit(1, '403');
    await expect(client.listCalendars()).rejects.toMatchObject({ status: 403, code: 'userRateLimitExceeded', retryable: true });
    google.quotaExceeded(1);
    await expect(client.listCalendars()).rejects.toMatchObject({ status: 403, code: 'quotaExceeded', retryable: false });
    google.down(1);
    // The SDK's own retries are off: one 500 is one failure, and the outbox decides.
    await expect(client.listCalendars()).rejects.toMatchObject({ status: 500, retryable: true });
    google.emulator.faults.latency(3_500, { times: 1 });
    await expect(client.listCalendars()).rejects.toMatchObject({ code: 'timeout', retryable: true });
  });

  it('deleting twice succeeds; the deleted event reads as cancelled; a stale etag is refused', async () => {
    const created = await client.insertEvent(calendarId, input('2026-03-10T14:00:00Z'));
    await client.patchEvent(calendarId, created.id, created.etag, input('2026-03-10T15:00:00Z'));
    await expect(client.patchEvent(calendarId, created.id, created.etag, input('2026-03-10T16:00:00Z'))).rejects.toMatchObject({
      status: 412,
      retryable: false,
    });
    await client.deleteEvent(calendarId, created.id);
    await expect(client.deleteEvent(calendarId, created.id)).resolves.toBeUndefined();
    expect((await client.getEvent(calendarId, created.id))?.status).toBe('cancelled');
  });
});
