/**
 * CalendarPort over Google Calendar for any number of offices: the access token from the office's Google
 * connection (refreshing once on a 401), the calendar from the office's settings. An event that carries a booking
 * marker gets an id derived from the booking id and the booking id in `extendedProperties.private`, so a retried
 * create finds the first event (409 `duplicate`) instead of making a second one.
 */
import { VendorError } from '../../core/errors.js';
import { calendarEventOf, markedEventInput, type CalendarPort } from '../../booking/calendar-port.js';
import type { OAuthAccess, OAuthConnections } from '../../oauth/connections.js';
import { GoogleCalendarClient, type GoogleEvent, type GoogleEventInput } from './calendar.js';

/** Per-request timeout: well inside a function's budget so a hung Google leaves time for a fallback answer. */
const REQUEST_TIMEOUT_MS = 4_000;

export interface GoogleCalendarSettings {
  /** The calendar booking writes to: `primary` or an id from the picker. */
  calendarId: string;
  /** Further calendars whose busy times block slots (e.g. the owner's personal calendar). */
  freeBusyCalendarIds?: string[];
}

export interface GoogleCalendarPortDeps {
  connections: OAuthConnections;
  settingsOf(clientId: string): GoogleCalendarSettings;
  timeoutMs?: number;
}

/**
 * Google event ids are base32hex (`a-v`, `0-9`), 5–1024 characters, unique per calendar: `sb` plus the booking
 * id's bytes in hex stays inside that alphabet and is the same on every retry.
 */
export function googleEventIdFor(bookingId: string): string {
  return `sb${Buffer.from(bookingId, 'utf8').toString('hex')}`;
}

const notFound = (eventId: string) =>
  new VendorError({
    vendor: 'google-calendar',
    code: 'EVENT_NOT_FOUND',
    message: `The Google Calendar event ${eventId} no longer exists.`,
    retryable: false,
    status: 404,
  });

export function googleCalendarPort(deps: GoogleCalendarPortDeps): CalendarPort {
  async function withClient<T>(
    clientId: string,
    signal: AbortSignal | undefined,
    run: (client: GoogleCalendarClient, access: OAuthAccess) => Promise<T>,
  ): Promise<T> {
    return deps.connections.withAccess(clientId, (access) =>
      run(
        new GoogleCalendarClient({ accessToken: access.accessToken, rootUrl: access.apiBase, timeoutMs: deps.timeoutMs ?? REQUEST_TIMEOUT_MS, signal }),
        access,
      ),
    );
  }

  /** Reads the live event, then writes with its etag; a stale etag (412) re-reads and tries once more. */
  async function rewrite(client: GoogleCalendarClient, calendarId: string, eventId: string, input: GoogleEventInput): Promise<GoogleEvent> {
    for (let attempt = 1; ; attempt++) {
      const current = await client.getEvent(calendarId, eventId);
      if (!current || current.status === 'cancelled') throw notFound(eventId);
      try {
        return await client.patchEvent(calendarId, eventId, current.etag, input);
      } catch (error) {
        if (attempt === 1 && error instanceof VendorError && error.status === 412) continue;
        throw error;
      }
    }
  }

  return {
    // A bookable person's calendar (issue 20): its own busy time and events, no further free/busy calendars.
    forCalendar: (calendarId) => googleCalendarPort({ ...deps, settingsOf: () => ({ calendarId }) }),
    async view(clientId, startMs, endMs, signal) {
      const settings = deps.settingsOf(clientId);
      return withClient(clientId, signal, async (client) => {
        const [events, busy] = await Promise.all([
          client.listEvents(settings.calendarId, { startMs, endMs }),
          client.freeBusy([settings.calendarId, ...(settings.freeBusyCalendarIds ?? [])], startMs, endMs),
        ]);
        return {
          busy: [...busy, ...events.filter((event) => !event.transparent).map((event) => ({ startMs: event.startMs, endMs: event.endMs }))],
          events: events.map(calendarEventOf),
        };
      });
    },

    async create(clientId, event, signal) {
      const { calendarId } = deps.settingsOf(clientId);
      const input = markedEventInput(event);
      return withClient(clientId, signal, async (client) => {
        if (!input.bookingId) return calendarEventOf(await client.insertEvent(calendarId, input));
        const eventId = googleEventIdFor(input.bookingId);
        try {
          return calendarEventOf(await client.insertEvent(calendarId, input, eventId));
        } catch (error) {
          if (!(error instanceof VendorError && error.status === 409)) throw error;
        }
        // 409 duplicate: an earlier try of this booking's create landed. Use that event (revive it if deleted since).
        const existing = await client.getEvent(calendarId, eventId);
        if (!existing) throw notFound(eventId);
        if (existing.status !== 'cancelled') return calendarEventOf(existing);
        return calendarEventOf(await client.patchEvent(calendarId, eventId, existing.etag, input, 'confirmed'));
      });
    },

    async get(clientId, eventId, signal) {
      const { calendarId } = deps.settingsOf(clientId);
      return withClient(clientId, signal, async (client) => {
        const event = await client.getEvent(calendarId, eventId);
        return event && event.status !== 'cancelled' ? calendarEventOf(event) : undefined;
      });
    },

    async update(clientId, eventId, event, signal) {
      const { calendarId } = deps.settingsOf(clientId);
      return withClient(clientId, signal, async (client) => calendarEventOf(await rewrite(client, calendarId, eventId, markedEventInput(event))));
    },

    async remove(clientId, eventId, signal) {
      const { calendarId } = deps.settingsOf(clientId);
      await withClient(clientId, signal, (client) => client.deleteEvent(calendarId, eventId));
    },

    async listCalendars(clientId, signal) {
      return withClient(clientId, signal, async (client) =>
        (await client.listCalendars()).map((calendar) => ({
          id: calendar.id,
          name: calendar.name,
          ...(calendar.timezone ? { timezone: calendar.timezone } : {}),
          isDefault: calendar.primary,
        })),
      );
    },

    async findByBookingId(clientId, bookingId, signal) {
      const { calendarId } = deps.settingsOf(clientId);
      return withClient(clientId, signal, async (client) => {
        const [event] = await client.listEvents(calendarId, { bookingId });
        return event ? calendarEventOf(event) : undefined;
      });
    },
  };
}
