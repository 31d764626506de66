/**
 * Google Calendar API v3 as the emulator plays it, under `/calendar/v3`: calendarList, freeBusy (per-calendar
 * `errors` inside the 200), events insert (client-chosen base32hex ids, 409 `duplicate`), get (deleted events come
 * back `cancelled`), patch (If-Match → 412, private extended properties merge, null deletes), delete (204, then
 * 410 `deleted`), list (window on end/start, `privateExtendedProperty`, paging). Errors in Google's JSON shape.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { authenticate } from './accounts.js';
import type { EventTime, GoogleCalendarRecord, GoogleEventRecord, GoogleState } from './state.js';

export const API_PREFIX = '/calendar/v3';
const MAX_FREEBUSY_MS = 92 * 24 * 60 * 60_000;
const EVENT_ID = /^[a-v0-9]{5,1024}$/;

export function googleErrorBody(status: number, reason: string, message: string, domain = 'global') {
  return { error: { errors: [{ domain, reason, message }], code: status, message } };
}

export const AUTH_ERROR_BODY = {
  error: {
    errors: [{ domain: 'global', reason: 'authError', message: 'Invalid Credentials', locationType: 'header', location: 'Authorization' }],
    code: 401,
    message: 'Invalid Credentials',
  },
};
export const RATE_LIMIT_BODY = googleErrorBody(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits');
export const USER_RATE_LIMIT_BODY = googleErrorBody(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', 'usageLimits');
export const QUOTA_EXCEEDED_BODY = googleErrorBody(403, 'quotaExceeded', 'Calendar usage limits exceeded.', 'usageLimits');
export const BACKEND_ERROR_BODY = googleErrorBody(500, 'backendError', 'Backend Error');
const INSUFFICIENT_SCOPE_BODY = googleErrorBody(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');

const SCOPE = 'https://www.googleapis.com/auth/';
/** Which scopes each family of methods accepts (from the SDK's per-method lists). */
const ACCEPTS: Record<'calendarList' | 'freeBusy' | 'read' | 'write', string[]> = {
  calendarList: ['calendar', 'calendar.readonly', 'calendar.calendarlist', 'calendar.calendarlist.readonly'],
  freeBusy: ['calendar', 'calendar.readonly', 'calendar.freebusy', 'calendar.events.freebusy'],
  read: ['calendar', 'calendar.readonly', 'calendar.events', 'calendar.events.readonly', 'calendar.events.owned', 'calendar.events.owned.readonly'],
  write: ['calendar', 'calendar.events', 'calendar.events.owned'],
};

export function toApiEvent(state: GoogleState, event: GoogleEventRecord): Record<string, unknown> {
  const calendar = state.calendars.get(event.calendarId);
  const zone = calendar?.timeZone ?? 'UTC';
  // Google writes times in the event's (or calendar's) zone with that offset.
  const write = (time: EventTime, ms: number) =>
    time.date
      ? { date: time.date }
      : {
          dateTime: DateTime.fromMillis(ms, { zone: time.timeZone ?? zone }).toISO({ suppressMilliseconds: true }),
          ...(time.timeZone ? { timeZone: time.timeZone } : {}),
        };
  return {
    kind: 'calendar#event',
    etag: event.etag,
    id: event.id,
    status: event.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${event.id}`,
    created: new Date(event.created).toISOString(),
    updated: new Date(event.updated).toISOString(),
    summary: event.summary,
    ...(event.description ? { description: event.description } : {}),
    ...(event.location ? { location: event.location } : {}),
    start: write(event.start, event.startMs),
    end: write(event.end, event.endMs),
    iCalUID: `${event.id}@google.com`,
    sequence: event.sequence,
    ...(event.attendees.length ? { attendees: event.attendees } : {}),
    ...(event.transparency === 'transparent' ? { transparency: 'transparent' } : {}),
    ...(Object.keys(event.privateProperties).length || Object.keys(event.sharedProperties).length
      ? {
          extendedProperties: {
            ...(Object.keys(event.privateProperties).length ? { private: event.privateProperties } : {}),
            ...(Object.keys(event.sharedProperties).length ? { shared: event.sharedProperties } : {}),
          },
        }
      : {}),
  };
}

/** Extended-property maps as Google stores them: keys over 44 characters dropped, values cut at 1024, null deletes. */
function mergeProperties(current: Record<string, string>, given: unknown): Record<string, string> {
  const next = { ...current };
  if (!given || typeof given !== 'object') return next;
  for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
    if (key.length > 44) continue;
    if (value === null) delete next[key];
    else next[key] = String(value).slice(0, 1024);
  }
  return next;
}

type Body = Record<string, unknown>;

export function registerCalendarRoutes(app: FastifyInstance, state: GoogleState): void {
  app.register(
    async (api) => {
      // Every route needs a live bearer token with a scope the method accepts.
      const guard = (family: keyof typeof ACCEPTS) => async (request: FastifyRequest, reply: FastifyReply) => {
        const auth = authenticate(state, request);
        if (!auth.ok) return reply.code(401).header('www-authenticate', 'Bearer realm="https://accounts.google.com/"').send(AUTH_ERROR_BODY);
        if (!auth.token.scopes.some((scope) => ACCEPTS[family].includes(scope.replace(SCOPE, '')))) return reply.code(403).send(INSUFFICIENT_SCOPE_BODY);
        return undefined;
      };
      const calendarOr404 = (id: string, reply: FastifyReply): GoogleCalendarRecord | undefined => {
        const calendar = state.resolveCalendar(decodeURIComponent(id));
        if (!calendar) void reply.code(404).send(googleErrorBody(404, 'notFound', 'Not Found'));
        return calendar;
      };

      api.get('/users/me/calendarList', { preHandler: guard('calendarList') }, async (request) => {
        const query = request.query as Record<string, string | undefined>;
        const ranks = ['freeBusyReader', 'reader', 'writer', 'owner'];
        const min = ranks.indexOf(query.minAccessRole ?? 'freeBusyReader');
        const all = [...state.calendars.values()].filter((calendar) => ranks.indexOf(calendar.accessRole) >= min);
        const size = Math.min(250, Number(query.maxResults ?? 100) || 100);
        const offset = Number(query.pageToken ?? 0) || 0;
        const page = all.slice(offset, offset + size);
        return {
          kind: 'calendar#calendarList',
          etag: state.nextEtag(),
          items: page.map((calendar) => ({
            kind: 'calendar#calendarListEntry',
            id: calendar.id,
            summary: calendar.summary,
            timeZone: calendar.timeZone,
            accessRole: calendar.accessRole,
            ...(calendar.primary ? { primary: true } : {}),
          })),
          ...(offset + size < all.length ? { nextPageToken: String(offset + size) } : { nextSyncToken: `sync${state.nextEtag()}` }),
        };
      });

      api.post('/freeBusy', { preHandler: guard('freeBusy') }, async (request, reply) => {
        const body = (request.body ?? {}) as Body;
        const timeMin = Date.parse(String(body.timeMin ?? ''));
        const timeMax = Date.parse(String(body.timeMax ?? ''));
        if (!Number.isFinite(timeMin) || !Number.isFinite(timeMax))
          return reply.code(400).send(googleErrorBody(400, 'required', 'Missing timeMin or timeMax.'));
        if (timeMax <= timeMin) return reply.code(400).send(googleErrorBody(400, 'timeRangeEmpty', 'The specified time range is empty.'));
        if (timeMax - timeMin > MAX_FREEBUSY_MS) return reply.code(400).send(googleErrorBody(400, 'timeRangeTooLong', 'The requested time range is too long.'));
        const items = Array.isArray(body.items) ? (body.items as { id?: unknown }[]) : [];
        const calendars: Record<string, unknown> = {};
        for (const item of items) {
          const id = String(item.id ?? '');
          const calendar = state.resolveCalendar(id);
          if (!calendar) {
            calendars[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
            continue;
          }
          const blocks = [...state.events.values()]
            .filter((event) => event.calendarId === calendar.id && event.status !== 'cancelled' && event.transparency === 'opaque')
            .filter((event) => event.startMs < timeMax && event.endMs > timeMin)
            .map((event) => [Math.max(event.startMs, timeMin), Math.min(event.endMs, timeMax)] as const)
            .sort((a, b) => a[0] - b[0]);
          const merged: [number, number][] = [];
          for (const [start, end] of blocks) {
            const last = merged[merged.length - 1];
            if (last && start <= last[1]) last[1] = Math.max(last[1], end);
            else merged.push([start, end]);
          }
          calendars[id] = {
            busy: merged.map(([start, end]) => ({
              start: new Date(start).toISOString().replace('.000', ''),
              end: new Date(end).toISOString().replace('.000', ''),
            })),
          };
        }
        return { kind: 'calendar#freeBusy', timeMin: new Date(timeMin).toISOString(), timeMax: new Date(timeMax).toISOString(), calendars };
      });

      api.get<{ Params: { calendarId: string } }>('/calendars/:calendarId/events', { preHandler: guard('read') }, async (request, reply) => {
        const calendar = calendarOr404(request.params.calendarId, reply);
        if (!calendar) return reply;
        const query = request.query as Record<string, string | string[] | undefined>;
        const one = (name: string) => (Array.isArray(query[name]) ? query[name][0] : query[name]);
        const timeMin = one('timeMin') ? Date.parse(one('timeMin')!) : undefined;
        const timeMax = one('timeMax') ? Date.parse(one('timeMax')!) : undefined;
        for (const [name, value] of [
          ['timeMin', timeMin],
          ['timeMax', timeMax],
        ] as const) {
          if (value !== undefined && !Number.isFinite(value))
            return reply.code(400).send(googleErrorBody(400, 'invalid', `Bad Request: ${name} needs an offset`));
        }
        if (one('orderBy') === 'startTime' && one('singleEvents') !== 'true')
          return reply.code(400).send(googleErrorBody(400, 'invalid', 'The requested ordering is not available for the particular query.'));
        const constraints = ([] as string[]).concat(query.privateExtendedProperty ?? []).map((pair) => {
          const at = pair.indexOf('=');
          return [pair.slice(0, at), pair.slice(at + 1)] as const;
        });
        const showDeleted = one('showDeleted') === 'true';
        const matching = [...state.events.values()]
          .filter((event) => event.calendarId === calendar.id && (showDeleted || event.status !== 'cancelled'))
          // timeMin bounds the event's end, timeMax its start, both exclusive.
          .filter((event) => (timeMin === undefined || event.endMs > timeMin) && (timeMax === undefined || event.startMs < timeMax))
          .filter((event) => constraints.every(([key, value]) => event.privateProperties[key] === value))
          .sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
        const size = Math.min(2500, Number(one('maxResults') ?? 250) || 250);
        const offset = Number(one('pageToken') ?? 0) || 0;
        return {
          kind: 'calendar#events',
          summary: calendar.summary,
          timeZone: calendar.timeZone,
          accessRole: calendar.accessRole,
          updated: new Date(state.nowMs()).toISOString(),
          items: matching.slice(offset, offset + size).map((event) => toApiEvent(state, event)),
          ...(offset + size < matching.length ? { nextPageToken: String(offset + size) } : { nextSyncToken: `sync${state.nextEtag()}` }),
        };
      });

      api.post<{ Params: { calendarId: string } }>('/calendars/:calendarId/events', { preHandler: guard('write') }, async (request, reply) => {
        const calendar = calendarOr404(request.params.calendarId, reply);
        if (!calendar) return reply;
        const body = (request.body ?? {}) as Body;
        const id =
          body.id === undefined
            ? state
                .newToken('')
                .toLowerCase()
                .replace(/[^a-v0-9]/g, '')
                .slice(0, 26)
                .padEnd(26, '0')
            : String(body.id);
        if (!EVENT_ID.test(id)) return reply.code(400).send(googleErrorBody(400, 'invalid', 'Invalid resource id value.'));
        if (state.events.has(state.eventKey(calendar.id, id)))
          return reply.code(409).send(googleErrorBody(409, 'duplicate', 'The requested identifier already exists.'));
        const start = body.start as EventTime | undefined;
        const end = body.end as EventTime | undefined;
        const startMs = state.instantOf(start, calendar.timeZone);
        const endMs = state.instantOf(end, calendar.timeZone);
        if (startMs === undefined || endMs === undefined)
          return reply.code(400).send(googleErrorBody(400, 'required', 'Missing time zone definition for start time.'));
        if (endMs < startMs) return reply.code(400).send(googleErrorBody(400, 'timeRangeEmpty', 'The specified time range is empty.'));
        const now = state.nowMs();
        const properties = (body.extendedProperties ?? {}) as Body;
        const event: GoogleEventRecord = {
          id,
          calendarId: calendar.id,
          status: body.status === 'tentative' ? 'tentative' : 'confirmed',
          summary: String(body.summary ?? ''),
          description: String(body.description ?? ''),
          location: typeof body.location === 'string' ? body.location : undefined,
          start: start!,
          end: end!,
          startMs,
          endMs,
          transparency: body.transparency === 'transparent' ? 'transparent' : 'opaque',
          attendees: Array.isArray(body.attendees) ? (body.attendees as { email: string }[]).map((a) => ({ ...a, responseStatus: 'needsAction' })) : [],
          privateProperties: mergeProperties({}, properties.private),
          sharedProperties: mergeProperties({}, properties.shared),
          etag: state.nextEtag(),
          sequence: 0,
          created: now,
          updated: now,
        };
        state.events.set(state.eventKey(calendar.id, id), event);
        return reply.code(200).send(toApiEvent(state, event));
      });

      type EventParams = { Params: { calendarId: string; eventId: string } };
      const eventOr404 = (request: FastifyRequest<EventParams>, reply: FastifyReply): GoogleEventRecord | undefined => {
        const calendar = calendarOr404(request.params.calendarId, reply);
        if (!calendar) return undefined;
        const event = state.events.get(state.eventKey(calendar.id, decodeURIComponent(request.params.eventId)));
        if (!event) void reply.code(404).send(googleErrorBody(404, 'notFound', 'Not Found'));
        return event;
      };

      api.get<EventParams>('/calendars/:calendarId/events/:eventId', { preHandler: guard('read') }, async (request, reply) => {
        const event = eventOr404(request, reply);
        return event ? toApiEvent(state, event) : reply;
      });

      api.patch<EventParams>('/calendars/:calendarId/events/:eventId', { preHandler: guard('write') }, async (request, reply) => {
        const event = eventOr404(request, reply);
        if (!event) return reply;
        const ifMatch = request.headers['if-match'];
        if (typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch !== event.etag) {
          return reply.code(412).send(googleErrorBody(412, 'conditionNotMet', 'Precondition Failed'));
        }
        const body = (request.body ?? {}) as Body;
        const zone = state.calendars.get(event.calendarId)?.timeZone ?? 'UTC';
        const start = (body.start as EventTime | undefined) ?? event.start;
        const end = (body.end as EventTime | undefined) ?? event.end;
        const startMs = state.instantOf(start, zone);
        const endMs = state.instantOf(end, zone);
        if (startMs === undefined || endMs === undefined)
          return reply.code(400).send(googleErrorBody(400, 'required', 'Missing time zone definition for start time.'));
        if (endMs < startMs) return reply.code(400).send(googleErrorBody(400, 'timeRangeEmpty', 'The specified time range is empty.'));
        const properties = (body.extendedProperties ?? {}) as Body;
        Object.assign(event, {
          ...(typeof body.summary === 'string' ? { summary: body.summary } : {}),
          ...(typeof body.description === 'string' ? { description: body.description } : {}),
          ...(typeof body.location === 'string' ? { location: body.location } : {}),
          ...(body.status === 'confirmed' || body.status === 'tentative' || body.status === 'cancelled' ? { status: body.status } : {}),
          ...(body.transparency === 'transparent' || body.transparency === 'opaque' ? { transparency: body.transparency } : {}),
          start,
          end,
          startMs,
          endMs,
          privateProperties: mergeProperties(event.privateProperties, properties.private),
          sharedProperties: mergeProperties(event.sharedProperties, properties.shared),
          etag: state.nextEtag(),
          sequence: event.sequence + 1,
          updated: state.nowMs(),
        });
        return toApiEvent(state, event);
      });

      api.delete<EventParams>('/calendars/:calendarId/events/:eventId', { preHandler: guard('write') }, async (request, reply) => {
        const event = eventOr404(request, reply);
        if (!event) return reply;
        if (event.status === 'cancelled') return reply.code(410).send(googleErrorBody(410, 'deleted', 'Resource has been deleted'));
        // Google keeps a deleted event (status cancelled) under its id.
        Object.assign(event, { status: 'cancelled', etag: state.nextEtag(), updated: state.nowMs() });
        return reply.code(204).send();
      });
    },
    { prefix: API_PREFIX },
  );
}
