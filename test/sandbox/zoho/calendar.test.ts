import { describe, expect, it } from 'vitest';
import { aZohoEmulator, api } from './support.js';

const CALENDAR = 'cal-office';
const OWNER = 'owner@office.example';

async function aCalendar() {
  const started = await aZohoEmulator();
  started.zoho.ensureCalendar(CALENDAR, { name: 'Office', timezone: 'America/New_York', ownerEmail: OWNER });
  const { accessToken } = started.zoho.issueTokens();
  return { ...started, token: accessToken };
}

type Started = Awaited<ReturnType<typeof aCalendar>>;

function createEvent({ zoho, token }: Started, eventdata: unknown) {
  return api(zoho, token, 'POST', `/api/v1/calendars/${CALENDAR}/events?eventdata=${encodeURIComponent(JSON.stringify(eventdata))}`);
}

function listEvents({ zoho, token }: Started, start: string, end: string) {
  const range = encodeURIComponent(JSON.stringify({ start, end }));
  return api(zoho, token, 'GET', `/api/v1/calendars/${CALENDAR}/events?range=${range}`);
}

function freebusy({ zoho, token }: Started, sdate: string, edate: string, uemail = OWNER) {
  const query = new URLSearchParams({ uemail, sdate, edate, ftype: 'eventbased' });
  return api(zoho, token, 'GET', `/api/v1/calendars/freebusy?${query.toString()}`);
}

function updateEvent({ zoho, token }: Started, uid: string, eventdata: unknown) {
  return api(zoho, token, 'PUT', `/api/v1/calendars/${CALENDAR}/events/${encodeURIComponent(uid)}?eventdata=${encodeURIComponent(JSON.stringify(eventdata))}`);
}

const newYork = (start: string, end: string) => ({ timezone: 'America/New_York', start, end });

describe('Zoho emulator: Calendar', () => {
  it('lists the calendars it was seeded with', async () => {
    const started = await aCalendar();
    const answer = await api(started.zoho, started.token, 'GET', '/api/v1/calendars');
    expect(answer.status).toBe(200);
    expect(answer.json.calendars).toEqual([expect.objectContaining({ uid: CALENDAR, name: 'Office', timezone: 'America/New_York', isdefault: true })]);
  });

  it('creates events in local time and answers with the right offset on each side of the November DST change', async () => {
    const started = await aCalendar();
    const before = await createEvent(started, {
      title: 'Before',
      dateandtime: newYork('20261030T093000', '20261030T100000'),
    });
    expect(before.status).toBe(201);
    expect(before.json.events[0]).toMatchObject({
      uid: expect.any(String),
      etag: expect.any(String),
      title: 'Before',
      dateandtime: { timezone: 'America/New_York', start: '20261030T093000-0400', end: '20261030T100000-0400' },
    });
    await createEvent(started, { title: 'Change day', dateandtime: newYork('20261101T100000', '20261101T103000') });
    await createEvent(started, { title: 'After', dateandtime: newYork('20261102T093000', '20261102T100000') });

    const listed = await listEvents(started, '20261029T000000Z', '20261103T000000Z');
    expect(listed.json.events.map((event: { title: string; dateandtime: { start: string } }) => [event.title, event.dateandtime.start])).toEqual([
      ['Before', '20261030T093000-0400'],
      ['Change day', '20261101T100000-0500'],
      ['After', '20261102T093000-0500'],
    ]);

    const busy = await freebusy(started, '20261029T000000Z', '20261103T000000Z');
    expect(busy.json).toEqual({
      freebusy: [
        { startTime: '20261030T133000Z', endTime: '20261030T140000Z', fbtype: 'busy' },
        { startTime: '20261101T150000Z', endTime: '20261101T153000Z', fbtype: 'busy' },
        { startTime: '20261102T143000Z', endTime: '20261102T150000Z', fbtype: 'busy' },
      ],
    });
    expect(started.zoho.events(CALENDAR).map((event) => event.start)).toEqual([
      '2026-10-30T13:30:00.000Z',
      '2026-11-01T15:00:00.000Z',
      '2026-11-02T14:30:00.000Z',
    ]);
  });

  it('reads Z and offset date-times as instants and answers in the event zone', async () => {
    const started = await aCalendar();
    const utc = await createEvent(started, {
      title: 'UTC',
      dateandtime: newYork('20261102T143000Z', '20261102T150000Z'),
    });
    expect(utc.json.events[0].dateandtime.start).toBe('20261102T093000-0500');
    const offset = await createEvent(started, {
      title: 'Offset',
      dateandtime: newYork('20261102T120000-0800', '20261102T123000-0800'),
    });
    expect(offset.json.events[0].dateandtime.start).toBe('20261102T150000-0500');
    const westCoast = await createEvent(started, {
      title: 'LA',
      dateandtime: { timezone: 'America/Los_Angeles', start: '20261102T090000', end: '20261102T093000' },
    });
    expect(westCoast.json.events[0].dateandtime).toEqual({
      timezone: 'America/Los_Angeles',
      start: '20261102T090000-0800',
      end: '20261102T093000-0800',
    });
  });

  it('reads times sent without a zone in the calendar owner zone', async () => {
    const started = await aCalendar();
    const answer = await createEvent(started, {
      title: 'No zone',
      dateandtime: { start: '20260203T143000', end: '20260203T150000' },
    });
    expect(answer.json.events[0].dateandtime).toEqual({
      timezone: 'America/New_York',
      start: '20260203T143000-0500',
      end: '20260203T150000-0500',
    });
  });

  it('refuses an event that ends before it starts, a malformed time and an unknown zone', async () => {
    const started = await aCalendar();
    const backwards = await createEvent(started, {
      title: 'x',
      dateandtime: newYork('20261102T100000', '20261102T093000'),
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json).toEqual({ error: [{ code: 'INVALID_TIME_RANGE', message: expect.any(String) }] });
    const malformed = await createEvent(started, {
      title: 'x',
      dateandtime: newYork('2026-11-02T09:30', '2026-11-02T10:00'),
    });
    expect(malformed.json.error[0].code).toBe('INVALID_DATETIME');
    const badZone = await createEvent(started, {
      title: 'x',
      dateandtime: { timezone: 'Mars/Olympus', start: '20261102T093000', end: '20261102T100000' },
    });
    expect(badZone.json.error[0].code).toBe('INVALID_TIMEZONE');
    expect(started.zoho.events()).toEqual([]);
  });

  it('limits event listing and free/busy to 31 days', async () => {
    const started = await aCalendar();
    expect((await listEvents(started, '20261001T000000Z', '20261101T000000Z')).status).toBe(200);
    const tooLong = await listEvents(started, '20261001T000000Z', '20261101T000001Z');
    expect([tooLong.status, tooLong.json.error[0].code]).toEqual([400, 'RANGE_TOO_LONG']);
    const freebusyTooLong = await freebusy(started, '20261001T000000Z', '20261102T000000Z');
    expect([freebusyTooLong.status, freebusyTooLong.json.error[0].code]).toEqual([400, 'RANGE_TOO_LONG']);
  });

  it('refuses an update or a delete with a stale etag and bumps the etag on each update', async () => {
    const started = await aCalendar();
    const created = (await createEvent(started, { title: 'Consult', dateandtime: newYork('20261102T093000', '20261102T100000') })).json.events[0];

    const updated = await updateEvent(started, created.uid, {
      title: 'Consult (moved)',
      etag: created.etag,
      dateandtime: newYork('20261102T110000', '20261102T113000'),
    });
    expect(updated.status).toBe(200);
    const current = updated.json.events[0];
    expect(current.etag).not.toBe(created.etag);
    expect(current.dateandtime.start).toBe('20261102T110000-0500');

    const stale = await updateEvent(started, created.uid, { title: 'Lost update', etag: created.etag });
    expect(stale.status).toBe(400);
    expect(stale.json).toEqual({ error: [{ code: 'ETAG_MISMATCH', message: expect.any(String) }] });
    expect((await updateEvent(started, created.uid, { title: 'No etag' })).json.error[0].code).toBe('ETAG_MISMATCH');
    expect(started.zoho.events()[0]?.title).toBe('Consult (moved)');

    const path = `/api/v1/calendars/${CALENDAR}/events/${encodeURIComponent(created.uid)}`;
    const staleDelete = await api(started.zoho, started.token, 'DELETE', path, undefined, { etag: created.etag });
    expect(staleDelete.json.error[0].code).toBe('ETAG_MISMATCH');
    expect((await api(started.zoho, started.token, 'DELETE', path, undefined, { etag: current.etag })).status).toBe(200);
    const gone = await api(started.zoho, started.token, 'GET', path);
    expect([gone.status, gone.json.error[0].code]).toEqual([404, 'EVENT_NOT_FOUND']);
  });

  it('shows events made or changed directly in Zoho, so drift is visible to our client', async () => {
    const started = await aCalendar();
    const lunch = started.zoho.addBusy(CALENDAR, '2026-11-02T12:00:00-05:00', '2026-11-02T13:00:00-05:00', 'Lunch');
    expect((await freebusy(started, '20261102T000000Z', '20261103T000000Z')).json.freebusy).toEqual([
      { startTime: '20261102T170000Z', endTime: '20261102T180000Z', fbtype: 'busy' },
    ]);

    const moved = started.zoho.moveEventDirectly(lunch.uid, '2026-11-02T14:00:00-05:00');
    expect(moved.etag).not.toBe(lunch.etag);
    const path = `/api/v1/calendars/${CALENDAR}/events/${encodeURIComponent(lunch.uid)}`;
    const read = await api(started.zoho, started.token, 'GET', path);
    expect(read.json.events[0].dateandtime).toMatchObject({
      start: '20261102T140000-0500',
      end: '20261102T150000-0500',
    });
    expect((await updateEvent(started, lunch.uid, { title: 'Stale', etag: lunch.etag })).json.error[0].code).toBe('ETAG_MISMATCH');

    expect(started.zoho.deleteEventDirectly(lunch.uid)).toBe(true);
    expect((await api(started.zoho, started.token, 'GET', path)).status).toBe(404);
    expect((await freebusy(started, '20261102T000000Z', '20261103T000000Z')).json).toEqual({ freebusy: [] });
  });

  it('refuses free/busy for an email that owns no calendar', async () => {
    const started = await aCalendar();
    const answer = await freebusy(started, '20261102T000000Z', '20261103T000000Z', 'someone@else.example');
    expect([answer.status, answer.json.error[0].code]).toEqual([400, 'INVALID_UEMAIL']);
  });

  it('answers 401 with a calendar error for an expired token and for a token without calendar scope', async () => {
    const started = await aCalendar();
    started.clock.advance(3600 * 1000);
    const expired = await api(started.zoho, started.token, 'GET', '/api/v1/calendars');
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual({ error: [{ code: 'INVALID_OAUTHTOKEN', message: 'the OAuth token is expired' }] });
    const crmOnly = started.zoho.issueTokens(['ZohoCRM.modules.ALL']).accessToken;
    const scoped = await api(started.zoho, crmOnly, 'GET', '/api/v1/calendars');
    expect([scoped.status, scoped.json.error[0].code]).toEqual([401, 'OAUTH_SCOPE_MISMATCH']);
  });

  it('fails the next calls as told: down with 500, rate limited with 429, then recovers', async () => {
    const started = await aCalendar();
    started.zoho.calendarDown(1);
    const down = await api(started.zoho, started.token, 'GET', '/api/v1/calendars');
    expect(down.status).toBe(500);
    expect(down.json).toEqual({
      error: [{ code: 'INTERNAL_ERROR', message: 'Zoho Calendar is temporarily unavailable' }],
    });

    started.zoho.rateLimitCalendar(2);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const limited = await api(started.zoho, started.token, 'GET', '/api/v1/calendars');
      expect(limited.status).toBe(429);
      expect(limited.json).toEqual({ error: [{ code: 'TOO_MANY_REQUESTS', message: 'too many requests; slow down' }] });
    }
    expect((await api(started.zoho, started.token, 'GET', '/api/v1/calendars')).status).toBe(200);
    // A failed create committed nothing.
    started.zoho.calendarDown(1);
    await createEvent(started, { title: 'x', dateandtime: newYork('20261102T093000', '20261102T100000') });
    expect(started.zoho.events()).toEqual([]);
  });
});
