/**
 * Microsoft Graph v1.0 calendar endpoints as the emulator plays them: /me, /me/calendars, getSchedule (per
 * schedule `error` inside the 200), calendarView (default page of 10 with `@odata.nextLink`), events create (201,
 * `transactionId` de-duplication, single-value extended properties), get/patch/delete, and `$filter` on an extended
 * property. Times are written in the zone of `Prefer: outlook.timezone` (Windows or IANA name), else UTC; the
 * zones accepted on input are Windows names and the IANA names CLDR lists first for a Windows zone (so
 * America/New_York is accepted and America/Detroit is not, as at Graph).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime, IANAZone } from 'luxon';
import { findIana, findWindows } from 'windows-iana';
import { authenticate } from './identity.js';
import type { GraphCalendarRecord, GraphEventRecord, MicrosoftState } from './state.js';

export const GRAPH_PREFIX = '/v1.0';
const MAX_SCHEDULE_SPAN_MS = 62 * 24 * 60 * 60_000;

export function graphErrorBody(code: string, message: string) {
  return {
    error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } },
  };
}

export const INVALID_TOKEN_BODY = graphErrorBody('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
export const THROTTLED_BODY = graphErrorBody('TooManyRequests', 'Application is over its MailboxConcurrency limit.');
export const UNAVAILABLE_BODY = graphErrorBody('ServiceUnavailable', 'Service Unavailable');

/** The IANA zone for a zone name Graph accepts, or undefined (Graph: TimeZoneNotSupportedException). */
export function acceptedZone(name: string | undefined): string | undefined {
  if (!name) return undefined;
  if (name === 'UTC') return 'UTC';
  const windows = findIana(name)[0];
  if (windows) return windows;
  if (IANAZone.isValidZone(name)) {
    const windowsName = findWindows(name)[0];
    return windowsName && findIana(windowsName)[0] === name ? name : undefined;
  }
  return undefined;
}

function readInstant(value: unknown): number | 'bad_zone' | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { dateTime, timeZone } = value as { dateTime?: unknown; timeZone?: unknown };
  if (typeof dateTime !== 'string') return undefined;
  const zone = acceptedZone(typeof timeZone === 'string' ? timeZone : 'UTC');
  if (!zone) return 'bad_zone';
  const parsed = DateTime.fromISO(dateTime.replace(/(\.\d{3})\d+/, '$1'), { zone });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

/** The zone answers are written in: `Prefer: outlook.timezone="…"` (or the mailbox's, when told to ignore it), else UTC. */
function answerZone(state: MicrosoftState, request: FastifyRequest): string {
  if (state.ignorePreferTimeZone) return state.mailboxTimeZone;
  const prefer = String(request.headers.prefer ?? '');
  const match = /outlook\.timezone\s*=\s*"([^"]+)"/i.exec(prefer);
  return match?.[1] && acceptedZone(match[1]) ? match[1] : 'UTC';
}

function writeTime(ms: number, zoneName: string) {
  const zone = acceptedZone(zoneName) ?? 'UTC';
  return { dateTime: `${DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`, timeZone: zoneName };
}

const EXPAND = /^singleValueExtendedProperties\(\$filter=(.+)\)$/i;
const EXPAND_ID = /^id eq '([^']+)'$/i;

/** The property ids of `$expand=singleValueExtendedProperties($filter=id eq 'A' or id eq 'B')`. */
function expandedIds(expand: string): string[] | undefined {
  const filter = EXPAND.exec(expand.trim())?.[1];
  if (!filter) return undefined;
  const ids = filter.split(/\s+or\s+/i).map((part) => EXPAND_ID.exec(part.trim())?.[1]);
  return ids.every((id): id is string => id !== undefined) ? ids : undefined;
}
const FILTER = /^singleValueExtendedProperties\/Any\(\s*ep\s*:\s*ep\/id eq '([^']+)' and ep\/value eq '([^']*)'\s*\)$/i;

export function toGraphEvent(state: MicrosoftState, event: GraphEventRecord, zoneName: string, expandIds?: string[]): Record<string, unknown> {
  const present = (expandIds ?? []).filter((id) => event.extendedProperties.has(id));
  const expanded = present.length > 0 ? present.map((id) => ({ id, value: event.extendedProperties.get(id) })) : undefined;
  return {
    '@odata.etag': `W/"${event.changeKey}"`,
    id: event.id,
    createdDateTime: new Date(event.created).toISOString(),
    lastModifiedDateTime: new Date(event.modified).toISOString(),
    changeKey: event.changeKey,
    iCalUId: `040000008200E00074C5B7101A82E008${event.id.slice(6, 30)}`,
    subject: event.subject,
    bodyPreview: event.body.content.slice(0, 255),
    body: event.body,
    start: writeTime(event.startMs, zoneName),
    end: writeTime(event.endMs, zoneName),
    originalStartTimeZone: event.originalStartTimeZone,
    originalEndTimeZone: event.originalEndTimeZone,
    location: { displayName: event.location ?? '' },
    showAs: event.showAs,
    isAllDay: event.isAllDay,
    isCancelled: false,
    attendees: event.attendees,
    transactionId: event.transactionId ?? null,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}`,
    ...(expanded ? { singleValueExtendedProperties: expanded } : {}),
  };
}

type Body = Record<string, unknown>;

export function registerGraphRoutes(app: FastifyInstance, state: MicrosoftState): void {
  app.register(
    async (graph) => {
      graph.addHook('preHandler', async (request, reply) => {
        const token = authenticate(state, request);
        if (!token) return reply.code(401).send(INVALID_TOKEN_BODY);
        const scopes = token.scopes.map((scope) => scope.toLowerCase());
        if (!scopes.includes('calendars.readwrite') && request.url.includes('/calendar') && !request.url.endsWith('/me')) {
          return reply.code(403).send(graphErrorBody('ErrorAccessDenied', 'Access is denied. Check credentials and try again.'));
        }
        return undefined;
      });
      const calendarOr404 = (id: string, reply: FastifyReply): GraphCalendarRecord | undefined => {
        const calendar = state.calendars.get(decodeURIComponent(id));
        if (!calendar) void reply.code(404).send(graphErrorBody('ErrorItemNotFound', 'The specified object was not found in the store.'));
        return calendar;
      };
      const eventOr404 = (id: string, reply: FastifyReply): GraphEventRecord | undefined => {
        const event = state.events.get(decodeURIComponent(id));
        if (!event) void reply.code(404).send(graphErrorBody('ErrorItemNotFound', 'The specified object was not found in the store.'));
        return event;
      };
      const expandOf = (request: FastifyRequest) => expandedIds(String((request.query as Body).$expand ?? ''));
      const page = (request: FastifyRequest, items: GraphEventRecord[], defaultTop: number, expandIds?: string[]) => {
        const query = request.query as Record<string, string | undefined>;
        const top = Math.min(1000, Number(query.$top ?? defaultTop) || defaultTop);
        const skip = Number(query.$skip ?? 0) || 0;
        const zone = answerZone(state, request);
        const next = new URL(`${state.baseUrl}${request.url}`);
        next.searchParams.set('$skip', String(skip + top));
        return {
          '@odata.context': `${state.baseUrl}${GRAPH_PREFIX}/$metadata#users('${state.userEmail}')/events`,
          value: items.slice(skip, skip + top).map((event) => toGraphEvent(state, event, zone, expandIds)),
          ...(skip + top < items.length ? { '@odata.nextLink': next.toString() } : {}),
        };
      };

      graph.get('/me', async () => ({
        id: '00000000-0000-0000-66f3-3332eca7ea81',
        displayName: 'Front Desk',
        mail: state.userEmail,
        userPrincipalName: state.userEmail,
      }));

      graph.get('/me/mailboxSettings', async () => ({ timeZone: state.mailboxTimeZone }));

      graph.get('/me/calendars', async () => ({
        value: [...state.calendars.values()].map((calendar) => ({
          id: calendar.id,
          name: calendar.name,
          color: 'auto',
          isDefaultCalendar: calendar.isDefaultCalendar,
          canEdit: calendar.canEdit,
          owner: { name: 'Front Desk', address: state.userEmail },
        })),
      }));

      graph.post('/me/calendar/getSchedule', async (request, reply) => {
        const body = (request.body ?? {}) as Body;
        const schedules = Array.isArray(body.schedules) ? (body.schedules as unknown[]).map(String) : [];
        const startMs = readInstant(body.startTime);
        const endMs = readInstant(body.endTime);
        if (startMs === 'bad_zone' || endMs === 'bad_zone')
          return reply.code(400).send(graphErrorBody('TimeZoneNotSupportedException', 'A valid TimeZone value must be specified.'));
        if (!schedules.length || startMs === undefined || endMs === undefined || endMs <= startMs) {
          return reply.code(400).send(graphErrorBody('ErrorInvalidParameter', 'schedules, startTime and endTime are required.'));
        }
        if (schedules.length > 20) return reply.code(400).send(graphErrorBody('ErrorInvalidParameter', 'At most 20 schedules can be requested.'));
        if (endMs - startMs >= MAX_SCHEDULE_SPAN_MS)
          return reply.code(400).send(graphErrorBody('ErrorInvalidParameter', 'The time window must be shorter than 62 days.'));
        const interval = Math.min(1440, Math.max(5, Number(body.availabilityViewInterval ?? 30) || 30));
        const zone = answerZone(state, request);
        return {
          value: schedules.map((address) => {
            if (address.toLowerCase() !== state.userEmail.toLowerCase()) {
              return {
                scheduleId: address,
                availabilityView: '',
                scheduleItems: [],
                error: { message: 'The requested user is not found.', responseCode: 'ErrorMailRecipientNotFound' },
              };
            }
            const busy = [...state.events.values()]
              .filter((event) => event.showAs !== 'free' && event.startMs < endMs && event.endMs > startMs)
              .sort((a, b) => a.startMs - b.startMs);
            const slots = Math.ceil((endMs - startMs) / (interval * 60_000));
            const weight: Record<string, number> = { tentative: 1, busy: 2, oof: 3 };
            let view = '';
            for (let slot = 0; slot < slots; slot++) {
              const from = startMs + slot * interval * 60_000;
              const to = from + interval * 60_000;
              view += String(Math.max(0, ...busy.filter((event) => event.startMs < to && event.endMs > from).map((event) => weight[event.showAs] ?? 0)));
            }
            return {
              scheduleId: address,
              availabilityView: view,
              scheduleItems: busy.map((event) => ({
                isPrivate: false,
                status: event.showAs,
                subject: event.subject,
                start: writeTime(event.startMs, zone),
                end: writeTime(event.endMs, zone),
              })),
              workingHours: {
                daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
                startTime: '08:00:00.0000000',
                endTime: '17:00:00.0000000',
                timeZone: { name: state.mailboxTimeZone },
              },
            };
          }),
        };
      });

      graph.get<{ Params: { calendarId: string } }>('/me/calendars/:calendarId/calendarView', async (request, reply) => {
        const calendar = calendarOr404(request.params.calendarId, reply);
        if (!calendar) return reply;
        const query = request.query as Record<string, string | undefined>;
        const from = query.startDateTime ? Date.parse(query.startDateTime) : NaN;
        const to = query.endDateTime ? Date.parse(query.endDateTime) : NaN;
        if (!Number.isFinite(from) || !Number.isFinite(to)) {
          return reply
            .code(400)
            .send(
              graphErrorBody(
                'ErrorInvalidParameter',
                'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
              ),
            );
        }
        const items = [...state.events.values()]
          .filter((event) => event.calendarId === calendar.id && event.startMs < to && event.endMs > from)
          .sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
        return page(request, items, 10, expandOf(request));
      });

      const listEvents = (request: FastifyRequest, reply: FastifyReply, calendarId?: string) => {
        const filter = String((request.query as Body).$filter ?? '');
        let items = [...state.events.values()].filter((event) => calendarId === undefined || event.calendarId === calendarId);
        if (filter) {
          const match = FILTER.exec(filter.trim());
          if (!match) return reply.code(400).send(graphErrorBody('BadRequest', `Invalid filter clause: ${filter.slice(0, 80)}`));
          const [, id, value] = match;
          // The property id's Name part is case-sensitive; the value comparison is not.
          items = items.filter((event) => event.extendedProperties.get(id!)?.toLowerCase() === value!.toLowerCase());
        }
        return page(
          request,
          items.sort((a, b) => a.startMs - b.startMs),
          10,
          expandOf(request),
        );
      };
      graph.get('/me/events', async (request, reply) => listEvents(request, reply));
      graph.get<{ Params: { calendarId: string } }>('/me/calendars/:calendarId/events', async (request, reply) => {
        const calendar = calendarOr404(request.params.calendarId, reply);
        return calendar ? listEvents(request, reply, calendar.id) : reply;
      });

      const createEvent = (request: FastifyRequest, reply: FastifyReply, calendar: GraphCalendarRecord) => {
        const body = (request.body ?? {}) as Body;
        const transactionId = typeof body.transactionId === 'string' ? body.transactionId : undefined;
        const zone = answerZone(state, request);
        if (transactionId) {
          // A retried POST with the same transactionId gets the event the first one made (dedup window undocumented).
          const existing = [...state.events.values()].find((event) => event.transactionId === transactionId);
          if (existing) return reply.code(201).send(toGraphEvent(state, existing, zone));
        }
        const startMs = readInstant(body.start);
        const endMs = readInstant(body.end);
        if (startMs === 'bad_zone' || endMs === 'bad_zone') {
          return reply
            .code(400)
            .send(
              graphErrorBody(
                'TimeZoneNotSupportedException',
                `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${String((body.start as Body | undefined)?.timeZone ?? '')}'.`,
              ),
            );
        }
        if (startMs === undefined || endMs === undefined || endMs < startMs)
          return reply.code(400).send(graphErrorBody('ErrorInvalidRequest', 'Your request cannot be completed. start and end are required.'));
        const properties = new Map<string, string>();
        for (const property of Array.isArray(body.singleValueExtendedProperties) ? (body.singleValueExtendedProperties as Body[]) : []) {
          if (typeof property.id !== 'string' || !/^(String|Integer|Boolean|SystemTime) \{[0-9a-f-]{36}\} (Name \S+|Id 0x[0-9a-f]+)$/i.test(property.id)) {
            return reply.code(400).send(graphErrorBody('ErrorInvalidProperty', `The extended property id '${String(property.id)}' is not valid.`));
          }
          properties.set(property.id, String(property.value ?? ''));
        }
        const now = state.nowMs();
        const event: GraphEventRecord = {
          id: state.newId(),
          calendarId: calendar.id,
          subject: String(body.subject ?? ''),
          body: (body.body as GraphEventRecord['body'] | undefined) ?? { contentType: 'text', content: '' },
          startMs,
          endMs,
          originalStartTimeZone: String((body.start as Body).timeZone ?? 'UTC'),
          originalEndTimeZone: String((body.end as Body).timeZone ?? 'UTC'),
          location: (body.location as { displayName?: string } | undefined)?.displayName,
          showAs: typeof body.showAs === 'string' ? body.showAs : 'busy',
          isAllDay: body.isAllDay === true,
          attendees: Array.isArray(body.attendees) ? body.attendees : [],
          transactionId,
          extendedProperties: properties,
          changeKey: state.nextChangeKey(),
          created: now,
          modified: now,
        };
        state.events.set(event.id, event);
        return reply.code(201).send(toGraphEvent(state, event, zone));
      };
      graph.post('/me/events', async (request, reply) => createEvent(request, reply, state.defaultCalendar()));
      graph.post<{ Params: { calendarId: string } }>('/me/calendars/:calendarId/events', async (request, reply) => {
        const calendar = calendarOr404(request.params.calendarId, reply);
        return calendar ? createEvent(request, reply, calendar) : reply;
      });

      graph.get<{ Params: { eventId: string } }>('/me/events/:eventId', async (request, reply) => {
        const event = eventOr404(request.params.eventId, reply);
        return event ? toGraphEvent(state, event, answerZone(state, request), expandOf(request)) : reply;
      });

      graph.patch<{ Params: { eventId: string } }>('/me/events/:eventId', async (request, reply) => {
        const event = eventOr404(request.params.eventId, reply);
        if (!event) return reply;
        const ifMatch = request.headers['if-match'];
        if (typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch !== `W/"${event.changeKey}"`) {
          // Graph's answer to a stale If-Match (status and code unconfirmed; 412 as HTTP prescribes).
          return reply
            .code(412)
            .send(
              graphErrorBody(
                'ErrorIrresolvableConflict',
                'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
              ),
            );
        }
        const body = (request.body ?? {}) as Body;
        const startMs = body.start === undefined ? event.startMs : readInstant(body.start);
        const endMs = body.end === undefined ? event.endMs : readInstant(body.end);
        if (startMs === 'bad_zone' || endMs === 'bad_zone')
          return reply.code(400).send(graphErrorBody('TimeZoneNotSupportedException', 'A valid TimeZone value must be specified.'));
        if (startMs === undefined || endMs === undefined || endMs < startMs)
          return reply.code(400).send(graphErrorBody('ErrorInvalidRequest', 'Invalid start or end.'));
        Object.assign(event, {
          ...(typeof body.subject === 'string' ? { subject: body.subject } : {}),
          ...(body.body && typeof body.body === 'object' ? { body: body.body } : {}),
          ...(body.location && typeof body.location === 'object' ? { location: (body.location as { displayName?: string }).displayName } : {}),
          ...(typeof body.showAs === 'string' ? { showAs: body.showAs } : {}),
          ...(body.start ? { originalStartTimeZone: String((body.start as Body).timeZone ?? 'UTC') } : {}),
          ...(body.end ? { originalEndTimeZone: String((body.end as Body).timeZone ?? 'UTC') } : {}),
          startMs,
          endMs,
          changeKey: state.nextChangeKey(),
          modified: state.nowMs(),
        });
        for (const property of Array.isArray(body.singleValueExtendedProperties) ? (body.singleValueExtendedProperties as Body[]) : []) {
          if (typeof property.id === 'string') event.extendedProperties.set(property.id, String(property.value ?? ''));
        }
        return toGraphEvent(state, event, answerZone(state, request), expandOf(request));
      });

      graph.delete<{ Params: { eventId: string } }>('/me/events/:eventId', async (request, reply) => {
        const event = eventOr404(request.params.eventId, reply);
        if (!event) return reply;
        state.events.delete(event.id);
        return reply.code(204).send();
      });
    },
    { prefix: GRAPH_PREFIX },
  );
}
