/**
 * Zoho Calendar API v1 as the emulator plays it (base `/api/v1`): calendars, events with etags, and free/busy.
 * Events are kept in UTC; answers carry the offset form in the event's own zone, as Zoho's do.
 *
 * Errors (Zoho's exact shape is unconfirmed, so this is the emulator's choice): a non-2xx status with
 * `{ "error": [ { "code": "…", "message": "…" } ] }`. Codes: INVALID_OAUTHTOKEN (401, missing/expired/unknown
 * token), OAUTH_SCOPE_MISMATCH (401), INVALID_EVENTDATA, INVALID_DATETIME, INVALID_TIMEZONE, INVALID_TIME_RANGE,
 * INVALID_RANGE, RANGE_TOO_LONG (over 31 days), INVALID_UEMAIL, ETAG_MISMATCH (stale or missing etag) — all 400;
 * CALENDAR_NOT_FOUND, EVENT_NOT_FOUND, URL_NOT_FOUND (404); TOO_MANY_REQUESTS (429) and INTERNAL_ERROR (500)
 * through the fault helpers.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DateTime, IANAZone } from 'luxon';
import { authenticate, hasScope } from './accounts.js';
import type { CalendarRecord, EventRecord, ZohoState } from './state.js';

const MAX_SPAN_DAYS = 31;
const LOCAL_FORMAT = "yyyyMMdd'T'HHmmss";
const OFFSET_FORMAT = "yyyyMMdd'T'HHmmssZZZ";
const UTC_FORMAT = "yyyyMMdd'T'HHmmss'Z'";

/** What tests see of an event: instants as UTC ISO strings. */
export interface EmulatedEvent {
  uid: string;
  calendarUid: string;
  title: string;
  start: string;
  end: string;
  timezone: string;
  isallday: boolean;
  etag: string;
  description?: string;
  location?: string;
  attendees?: unknown[];
  source: 'api' | 'direct';
}

export function calendarErrorBody(code: string, message: string): { error: { code: string; message: string }[] } {
  return { error: [{ code, message }] };
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send(calendarErrorBody(code, message));
}

/**
 * Parses Zoho's date-times: `yyyyMMdd'T'HHmmss` read in `zone`, the same with a literal `Z` (UTC), or with an
 * offset such as `-0500`. Returns undefined for anything else.
 */
export function parseZohoDateTime(text: unknown, zone: string): DateTime | undefined {
  if (typeof text !== 'string') return undefined;
  let parsed: DateTime | undefined;
  if (/^\d{8}T\d{6}$/.test(text)) parsed = DateTime.fromFormat(text, LOCAL_FORMAT, { zone });
  else if (/^\d{8}T\d{6}Z$/.test(text)) parsed = DateTime.fromFormat(text.slice(0, -1), LOCAL_FORMAT, { zone: 'utc' });
  else if (/^\d{8}T\d{6}[+-]\d{4}$/.test(text)) parsed = DateTime.fromFormat(text, OFFSET_FORMAT, { setZone: true });
  else if (/^\d{8}Z?$/.test(text)) {
    parsed = DateTime.fromFormat(text.slice(0, 8), 'yyyyMMdd', { zone: text.endsWith('Z') ? 'utc' : zone });
  }
  return parsed?.isValid ? parsed : undefined;
}

export function formatOffset(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat(OFFSET_FORMAT);
}

export function formatUtc(ms: number): string {
  return DateTime.fromMillis(ms, { zone: 'utc' }).toFormat(UTC_FORMAT);
}

export function ensureCalendar(
  state: ZohoState,
  uid: string,
  options: { name?: string; timezone?: string; ownerEmail?: string; color?: string; privilege?: CalendarRecord['privilege'] } = {},
): CalendarRecord {
  const existing = state.calendars.get(uid);
  const privilege = options.privilege ?? existing?.privilege ?? 'owner';
  const calendar: CalendarRecord = {
    uid,
    name: options.name ?? existing?.name ?? 'My Calendar',
    timezone: options.timezone ?? existing?.timezone ?? 'America/New_York',
    ownerEmail: options.ownerEmail ?? existing?.ownerEmail ?? state.user.email,
    color: options.color ?? existing?.color ?? '#8cbf40',
    // The default calendar is the user's own first one; a calendar shared with them never is.
    isdefault: existing?.isdefault ?? (privilege === 'owner' && ![...state.calendars.values()].some((other) => other.isdefault)),
    privilege,
  };
  if (!IANAZone.isValidZone(calendar.timezone)) throw new Error(`ensureCalendar: unknown time zone ${calendar.timezone}`);
  state.calendars.set(uid, calendar);
  return calendar;
}

/** An event someone made in Zoho directly (not through our API). Accepts ISO instants with an offset or Z. */
export function addBusy(state: ZohoState, calendarUid: string, startIso: string, endIso: string, title = 'Busy'): EmulatedEvent {
  const calendar = state.calendars.get(calendarUid);
  if (!calendar) throw new Error(`addBusy: no calendar ${calendarUid}; call ensureCalendar first`);
  const startMs = DateTime.fromISO(startIso, { zone: calendar.timezone }).toMillis();
  const endMs = DateTime.fromISO(endIso, { zone: calendar.timezone }).toMillis();
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || startMs >= endMs) {
    throw new Error(`addBusy: invalid interval ${startIso} – ${endIso}`);
  }
  const now = state.nowMs();
  const event: EventRecord = {
    uid: newEventUid(),
    calendarUid,
    title,
    startMs,
    endMs,
    timezone: calendar.timezone,
    isallday: false,
    etag: state.newEtag(),
    source: 'direct',
    createdMs: now,
    modifiedMs: now,
  };
  state.events.set(event.uid, event);
  return toEmulatedEvent(event);
}

export function moveEventDirectly(state: ZohoState, eventUid: string, newStartIso: string): EmulatedEvent {
  const event = state.events.get(eventUid);
  if (!event) throw new Error(`moveEventDirectly: no event ${eventUid}`);
  const startMs = DateTime.fromISO(newStartIso, { zone: event.timezone }).toMillis();
  if (!Number.isFinite(startMs)) throw new Error(`moveEventDirectly: invalid start ${newStartIso}`);
  event.endMs = startMs + (event.endMs - event.startMs);
  event.startMs = startMs;
  event.etag = state.newEtag();
  event.modifiedMs = state.nowMs();
  return toEmulatedEvent(event);
}

export function toEmulatedEvent(event: EventRecord): EmulatedEvent {
  return {
    uid: event.uid,
    calendarUid: event.calendarUid,
    title: event.title,
    start: new Date(event.startMs).toISOString(),
    end: new Date(event.endMs).toISOString(),
    timezone: event.timezone,
    isallday: event.isallday,
    etag: event.etag,
    ...(event.description === undefined ? {} : { description: event.description }),
    ...(event.location === undefined ? {} : { location: event.location }),
    ...(event.attendees === undefined ? {} : { attendees: event.attendees }),
    source: event.source,
  };
}

function categoryOf(calendar: CalendarRecord): 'own' | 'shared' {
  return calendar.privilege === 'owner' ? 'own' : 'shared';
}

function newEventUid(): string {
  return `${randomBytes(16).toString('hex')}@zoho.com`;
}

function eventView(state: ZohoState, event: EventRecord): Record<string, unknown> {
  const calendar = state.calendars.get(event.calendarUid);
  return {
    uid: event.uid,
    title: event.title,
    etag: event.etag,
    isallday: event.isallday,
    dateandtime: {
      timezone: event.timezone,
      start: event.allDay ? event.allDay.start : formatOffset(event.startMs, event.timezone),
      end: event.allDay ? event.allDay.end : formatOffset(event.endMs, event.timezone),
    },
    description: event.description ?? '',
    location: event.location ?? '',
    attendees: event.attendees ?? [],
    reminders: event.reminders ?? [],
    isprivate: event.isprivate ?? false,
    organizer: calendar?.ownerEmail ?? '',
    createdtime: formatOffset(event.createdMs, event.timezone),
    lastmodifiedtime: formatOffset(event.modifiedMs, event.timezone),
    viewEventURL: `${state.baseUrl}/calendar/#event/${encodeURIComponent(event.uid)}`,
  };
}

type Outcome<T> = ({ ok: true } & T) | { ok: false; code: string; message: string };

function readJsonParam(value: unknown, name: string): Outcome<{ data: Record<string, unknown> }> {
  if (typeof value !== 'string' || value.length === 0) {
    return { ok: false, code: 'INVALID_EVENTDATA', message: `query parameter ${name} (URL-encoded JSON) is required` };
  }
  try {
    const data: unknown = JSON.parse(value);
    if (data && typeof data === 'object' && !Array.isArray(data)) return { ok: true, data: data as Record<string, unknown> };
  } catch {
    // fall through to the error below
  }
  return { ok: false, code: 'INVALID_EVENTDATA', message: `query parameter ${name} is not a JSON object` };
}

/** Resolves `dateandtime` to UTC instants. Without a timezone Zoho reads the times in the calendar's zone. */
function resolveTimes(
  input: unknown,
  isallday: boolean,
  calendar: CalendarRecord,
): Outcome<{ startMs: number; endMs: number; timezone: string; allDay?: { start: string; end: string } }> {
  if (!input || typeof input !== 'object') {
    return { ok: false, code: 'INVALID_DATETIME', message: 'dateandtime with start and end is required' };
  }
  const dateandtime = input as Record<string, unknown>;
  const timezone = typeof dateandtime.timezone === 'string' ? dateandtime.timezone : calendar.timezone;
  if (!IANAZone.isValidZone(timezone)) {
    return { ok: false, code: 'INVALID_TIMEZONE', message: `unknown time zone ${String(dateandtime.timezone)}` };
  }
  if (isallday) {
    const { start, end } = dateandtime;
    if (typeof start !== 'string' || typeof end !== 'string' || !/^\d{8}$/.test(start) || !/^\d{8}$/.test(end)) {
      return { ok: false, code: 'INVALID_DATETIME', message: 'all-day events take dates as yyyyMMdd' };
    }
    const startDay = parseZohoDateTime(start, timezone);
    const endDay = parseZohoDateTime(end, timezone);
    if (!startDay || !endDay || endDay < startDay) {
      return { ok: false, code: 'INVALID_TIME_RANGE', message: 'the end date is before the start date' };
    }
    // The end date is taken as inclusive (unconfirmed), which can only make the emulator busier, never freer.
    return {
      ok: true,
      startMs: startDay.toMillis(),
      endMs: endDay.plus({ days: 1 }).toMillis(),
      timezone,
      allDay: { start, end },
    };
  }
  const start = parseZohoDateTime(dateandtime.start, timezone);
  const end = parseZohoDateTime(dateandtime.end, timezone);
  if (!start || !end || !/T/.test(String(dateandtime.start)) || !/T/.test(String(dateandtime.end))) {
    return {
      ok: false,
      code: 'INVALID_DATETIME',
      message: "dateandtime.start and end must be yyyyMMdd'T'HHmmss, optionally followed by Z or an offset like -0500",
    };
  }
  if (start.toMillis() >= end.toMillis()) {
    return { ok: false, code: 'INVALID_TIME_RANGE', message: 'the event must start before it ends' };
  }
  return { ok: true, startMs: start.toMillis(), endMs: end.toMillis(), timezone };
}

/** Checks a [start, end) window: both present, ordered, and no longer than 31 days. */
function resolveWindow(startText: unknown, endText: unknown, zone: string, code: string): Outcome<{ startMs: number; endMs: number }> {
  const start = parseZohoDateTime(startText, zone);
  const end = parseZohoDateTime(endText, zone);
  if (!start || !end) return { ok: false, code, message: "start and end must be yyyyMMdd'T'HHmmss'Z' (or with an offset)" };
  if (start >= end) return { ok: false, code, message: 'start must be before end' };
  if (end > start.plus({ days: MAX_SPAN_DAYS })) {
    return { ok: false, code: 'RANGE_TOO_LONG', message: `the range may span at most ${MAX_SPAN_DAYS} days; split it` };
  }
  return { ok: true, startMs: start.toMillis(), endMs: end.toMillis() };
}

function applyEventData(
  state: ZohoState,
  data: Record<string, unknown>,
  calendar: CalendarRecord,
  existing: EventRecord | undefined,
): Outcome<{ event: EventRecord }> {
  const isallday = typeof data.isallday === 'boolean' ? data.isallday : (existing?.isallday ?? false);
  let times: { startMs: number; endMs: number; timezone: string; allDay?: { start: string; end: string } };
  if (data.dateandtime !== undefined || !existing) {
    const resolved = resolveTimes(data.dateandtime, isallday, calendar);
    if (!resolved.ok) return resolved;
    times = resolved;
  } else {
    times = { startMs: existing.startMs, endMs: existing.endMs, timezone: existing.timezone, allDay: existing.allDay };
  }
  if (data.title !== undefined && typeof data.title !== 'string') {
    return { ok: false, code: 'INVALID_EVENTDATA', message: 'title must be a string' };
  }
  for (const list of ['attendees', 'reminders'] as const) {
    if (data[list] !== undefined && !Array.isArray(data[list])) {
      return { ok: false, code: 'INVALID_EVENTDATA', message: `${list} must be an array` };
    }
  }
  const now = state.nowMs();
  const text = (key: string, fallback: string | undefined) => (typeof data[key] === 'string' ? data[key] : fallback);
  const event: EventRecord = {
    uid: existing?.uid ?? newEventUid(),
    calendarUid: calendar.uid,
    title: text('title', existing?.title) ?? '',
    startMs: times.startMs,
    endMs: times.endMs,
    timezone: times.timezone,
    isallday,
    ...(times.allDay ? { allDay: times.allDay } : {}),
    etag: state.newEtag(),
    description: text('description', existing?.description),
    location: text('location', existing?.location),
    attendees: (data.attendees as unknown[] | undefined) ?? existing?.attendees,
    reminders: (data.reminders as unknown[] | undefined) ?? existing?.reminders,
    isprivate: typeof data.isprivate === 'boolean' ? data.isprivate : existing?.isprivate,
    source: existing?.source ?? 'api',
    createdMs: existing?.createdMs ?? now,
    modifiedMs: now,
  };
  return { ok: true, event };
}

export function registerCalendarRoutes(app: FastifyInstance, state: ZohoState): void {
  app.register(
    async (calendar) => {
      calendar.addHook('preHandler', async (request, reply) => {
        const auth = authenticate(state, request);
        if (!auth.ok) return sendError(reply, 401, 'INVALID_OAUTHTOKEN', `the OAuth token is ${auth.reason}`);
        if (!hasScope(auth.token, 'calendar')) {
          return sendError(reply, 401, 'OAUTH_SCOPE_MISMATCH', 'the token lacks a ZohoCalendar scope');
        }
      });
      calendar.setNotFoundHandler((request, reply) =>
        sendError(reply, 404, 'URL_NOT_FOUND', `no Calendar API at ${request.method} ${request.url.split('?')[0]}`),
      );
      calendar.setErrorHandler((error, _request, reply) => {
        const status = (error as { statusCode?: number }).statusCode ?? 500;
        return sendError(reply, status, status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST', (error as Error).message);
      });

      const findCalendar = (uid: string, reply: FastifyReply): CalendarRecord | undefined => {
        const found = state.calendars.get(uid);
        if (!found) sendError(reply, 404, 'CALENDAR_NOT_FOUND', `no calendar ${uid}`);
        return found;
      };
      const findEvent = (calendarUid: string, eventUid: string, reply: FastifyReply): EventRecord | undefined => {
        const found = state.events.get(eventUid);
        if (!found || found.calendarUid !== calendarUid) sendError(reply, 404, 'EVENT_NOT_FOUND', `no event ${eventUid}`);
        return found && found.calendarUid === calendarUid ? found : undefined;
      };
      const calendarView = (record: CalendarRecord) => ({
        uid: record.uid,
        name: record.name,
        timezone: record.timezone,
        color: record.color,
        isdefault: record.isdefault,
        privilege: record.privilege,
        category: categoryOf(record),
        owner: record.ownerEmail,
      });

      // `category=own` is documented; the name of the other category is the emulator's choice (unconfirmed).
      calendar.get('/calendars', async (request) => {
        const category = (request.query as Record<string, unknown>).category;
        const listed = [...state.calendars.values()].filter((record) => typeof category !== 'string' || category === 'all' || categoryOf(record) === category);
        return { calendars: listed.map(calendarView) };
      });

      calendar.get('/calendars/freebusy', async (request, reply) => {
        const query = request.query as Record<string, unknown>;
        const email = typeof query.uemail === 'string' ? query.uemail.toLowerCase() : '';
        const owned = [...state.calendars.values()].filter((record) => record.ownerEmail.toLowerCase() === email);
        if (owned.length === 0) return sendError(reply, 400, 'INVALID_UEMAIL', `no Zoho Calendar user ${String(query.uemail)}`);
        const window = resolveWindow(query.sdate, query.edate, 'utc', 'INVALID_RANGE');
        if (!window.ok) return sendError(reply, 400, window.code, window.message);
        if (state.freebusyMode === 'fb_not_enabled') return { fb_not_enabled: true };
        if (state.freebusyMode === 'nodata') return { freebusy: 'NODATA' };
        const uids = new Set(owned.map((record) => record.uid));
        const busy = [...state.events.values()]
          .filter((event) => uids.has(event.calendarUid) && event.startMs < window.endMs && event.endMs > window.startMs)
          .sort((a, b) => a.startMs - b.startMs)
          .map((event) => ({
            startTime: event.allDay ? `${event.allDay.start}Z` : formatUtc(event.startMs),
            endTime: event.allDay ? `${event.allDay.end}Z` : formatUtc(event.endMs),
            fbtype: 'busy',
          }));
        return { freebusy: busy };
      });

      calendar.get<{ Params: { calendarUid: string } }>('/calendars/:calendarUid', async (request, reply) => {
        const found = findCalendar(request.params.calendarUid, reply);
        return found ? { calendars: [calendarView(found)] } : reply;
      });

      calendar.get<{ Params: { calendarUid: string } }>('/calendars/:calendarUid/events', async (request, reply) => {
        const found = findCalendar(request.params.calendarUid, reply);
        if (!found) return reply;
        const range = readJsonParam((request.query as Record<string, unknown>).range, 'range');
        if (!range.ok) return sendError(reply, 400, 'INVALID_RANGE', range.message);
        const window = resolveWindow(range.data.start, range.data.end, found.timezone, 'INVALID_RANGE');
        if (!window.ok) return sendError(reply, 400, window.code, window.message);
        const events = [...state.events.values()]
          .filter((event) => event.calendarUid === found.uid && event.startMs < window.endMs && event.endMs > window.startMs)
          .sort((a, b) => a.startMs - b.startMs)
          .map((event) => eventView(state, event));
        return { events };
      });

      calendar.post<{ Params: { calendarUid: string } }>('/calendars/:calendarUid/events', async (request, reply) => {
        const found = findCalendar(request.params.calendarUid, reply);
        if (!found) return reply;
        const input = readJsonParam((request.query as Record<string, unknown>).eventdata, 'eventdata');
        if (!input.ok) return sendError(reply, 400, input.code, input.message);
        const applied = applyEventData(state, input.data, found, undefined);
        if (!applied.ok) return sendError(reply, 400, applied.code, applied.message);
        state.events.set(applied.event.uid, applied.event);
        return reply.code(201).send({ events: [eventView(state, applied.event)] });
      });

      type EventParams = { Params: { calendarUid: string; eventUid: string } };
      calendar.get<EventParams>('/calendars/:calendarUid/events/:eventUid', async (request, reply) => {
        const event = findEvent(request.params.calendarUid, request.params.eventUid, reply);
        return event ? { events: [eventView(state, event)] } : reply;
      });

      calendar.put<EventParams>('/calendars/:calendarUid/events/:eventUid', async (request, reply) => {
        const found = findCalendar(request.params.calendarUid, reply);
        if (!found) return reply;
        const existing = findEvent(found.uid, request.params.eventUid, reply);
        if (!existing) return reply;
        const input = readJsonParam((request.query as Record<string, unknown>).eventdata, 'eventdata');
        if (!input.ok) return sendError(reply, 400, input.code, input.message);
        if (input.data.etag === undefined || String(input.data.etag) !== existing.etag) {
          return sendError(reply, 400, 'ETAG_MISMATCH', 'the etag is missing or stale: read the event again and retry');
        }
        const applied = applyEventData(state, input.data, found, existing);
        if (!applied.ok) return sendError(reply, 400, applied.code, applied.message);
        state.events.set(applied.event.uid, applied.event);
        return { events: [eventView(state, applied.event)] };
      });

      calendar.delete<EventParams>('/calendars/:calendarUid/events/:eventUid', async (request, reply) => {
        const existing = findEvent(request.params.calendarUid, request.params.eventUid, reply);
        if (!existing) return reply;
        const etag = request.headers.etag;
        if (typeof etag !== 'string' || etag !== existing.etag) {
          return sendError(reply, 400, 'ETAG_MISMATCH', 'the etag header is missing or stale: read the event again and retry');
        }
        state.events.delete(existing.uid);
        return { events: [{ uid: existing.uid }] };
      });
    },
    { prefix: '/api/v1' },
  );
}
