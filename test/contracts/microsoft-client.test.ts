/** The Graph calendar client (the SDK pointed at the emulator through `baseUrl`) on what the contract does not reach. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { BOOKING_PROPERTY_ID, GraphCalendarClient } from '../../src/providers/microsoft/calendar.js';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '../../src/sandbox/microsoft/index.js';

const input = (startIso: string, bookingId?: string) => {
  const startMs = Date.parse(startIso);
  return {
    title: 'Visit',
    description: `Booked by phone.\nSwitchboard-Booking: ${bookingId ?? 'bk_none'}`,
    timezone: 'America/Chicago',
    startMs,
    endMs: startMs + 3_600_000,
    ...(bookingId ? { bookingId } : {}),
  };
};

describe('Graph calendar client against the emulator', () => {
  let microsoft: MicrosoftEmulator;
  let client: GraphCalendarClient;
  let calendarId: string;
  beforeAll(async () => {
    microsoft = await startMicrosoftEmulator({ clientId: 'id', clientSecret: 'secret', clock: new ManualClock('2026-02-02T14:00:00Z') });
    client = new GraphCalendarClient({ accessToken: microsoft.issueAccessToken(), baseUrl: microsoft.graphBase, timeoutMs: 3_000 });
    calendarId = microsoft.defaultCalendarId;
  });
  afterAll(async () => microsoft?.close());

  it('writes the Windows zone name, a transactionId and the extended property, and asks for UTC answers', async () => {
    const created = await client.createEvent(calendarId, input('2026-03-09T14:00:00Z', 'bk_ms1'));
    const stored = microsoft.events(calendarId).find((event) => event.id === created.id)!;
    expect(stored.originalStartTimeZone).toBe('Central Standard Time');
    expect(stored.transactionId).toBe('sb-bk_ms1');
    expect(stored.extendedProperties.get(BOOKING_PROPERTY_ID)).toBe('bk_ms1');
    // Extended properties come back only when expanded (a GET does; the POST's answer does not).
    expect((await client.getEvent(created.id))?.bookingId).toBe('bk_ms1');
    const request = microsoft.emulator.received('/events', 'POST').at(-1)!;
    expect(request.headers.prefer).toBe('outlook.timezone="UTC"');
    expect(request.headers.authorization).toMatch(/^Bearer /);
  });

  it('a POST repeated with the same transactionId gets the first event back', async () => {
    const again = await client.createEvent(calendarId, input('2026-03-09T14:00:00Z', 'bk_ms1'));
    expect(microsoft.events(calendarId).filter((event) => event.transactionId === 'sb-bk_ms1')).toHaveLength(1);
    expect(again.description).toContain('Switchboard-Booking: bk_ms1');
    expect((await client.findByBookingId(calendarId, 'bk_ms1'))?.id).toBe(again.id);
  });

  it('reads every page of calendarView (Graph pages by 10 by default, we ask 100)', async () => {
    for (let hour = 0; hour < 130; hour++)
      microsoft.addBusy(
        calendarId,
        new Date(Date.parse('2027-01-04T00:00:00Z') + hour * 3_600_000).toISOString(),
        new Date(Date.parse('2027-01-04T00:30:00Z') + hour * 3_600_000).toISOString(),
      );
    const events = await client.calendarView(calendarId, Date.parse('2027-01-04T00:00:00Z'), Date.parse('2027-01-10T00:00:00Z'));
    expect(events).toHaveLength(130);
    expect(microsoft.emulator.received('/calendarView', 'GET').some((request) => request.query.$skip === '100')).toBe(true);
  });

  it('a schedule Graph answers with an error inside the 200 is never read as free', async () => {
    await expect(client.schedule('someone@else.example', Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-02T00:00:00Z'))).rejects.toMatchObject({
      code: 'ErrorMailRecipientNotFound',
      retryable: false,
    });
  });

  it('keeps Retry-After on a throttled answer and classifies 429/503 as retryable, 404 as a missing event', async () => {
    microsoft.throttle(1, 7);
    const throttled = await client.listCalendars().catch((caught: unknown) => caught);
    expect(throttled).toMatchObject({ status: 429, code: 'TooManyRequests', retryable: true, response: { retryAfter: '7' } });
    microsoft.down(1);
    await expect(client.listCalendars()).rejects.toMatchObject({ status: 503, retryable: true });
    expect(await client.getEvent('AAMkAGnosuchevent=')).toBeUndefined();
    await expect(client.deleteEvent('AAMkAGnosuchevent=')).resolves.toBeUndefined();
    microsoft.emulator.faults.latency(3_500, { times: 1 });
    await expect(client.listCalendars()).rejects.toMatchObject({ code: 'timeout', retryable: true });
  });

  it('refuses a zone Graph does not know, and a stale etag', async () => {
    const detroit = await client.createEvent(calendarId, { ...input('2026-03-11T14:00:00Z'), timezone: 'America/Detroit' });
    // America/Detroit is not in Graph's IANA list: the adapter writes the Windows name instead.
    expect(microsoft.events(calendarId).find((event) => event.id === detroit.id)?.originalStartTimeZone).toBe('Eastern Standard Time');
    await client.patchEvent(detroit.id, detroit.etag, input('2026-03-11T15:00:00Z'));
    await expect(client.patchEvent(detroit.id, detroit.etag, input('2026-03-11T16:00:00Z'))).rejects.toMatchObject({ status: 412, retryable: false });
  });
});
