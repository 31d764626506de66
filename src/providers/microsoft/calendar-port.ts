/**
 * CalendarPort over Microsoft 365 / Outlook (Microsoft Graph) for any number of offices: the access token from the
 * office's Microsoft connection (refreshing once on a 401), the calendar from the office's settings. Busy times
 * come from getSchedule for the mailbox plus the booking calendar's own events; an event carrying a booking marker
 * also carries the booking id in a single-value extended property and a `transactionId`, and a create first looks
 * the booking id up, so a retried create finds the first event instead of making a second one.
 */
import { VendorError } from '../../core/errors.js';
import { calendarEventOf, markedEventInput, type CalendarPort } from '../../booking/calendar-port.js';
import type { OAuthAccess, OAuthConnections } from '../../oauth/connections.js';
import { GraphCalendarClient } from './calendar.js';

/** Per-request timeout: well inside a function's budget so a hung Graph leaves time for a fallback answer. */
const REQUEST_TIMEOUT_MS = 4_000;

export interface MicrosoftCalendarSettings {
  /** The calendar booking writes to; the mailbox's default calendar when absent. */
  calendarId?: string;
  /**
   * Whose free/busy blocks slots: the connected mailbox by default. `false` for personal (outlook.com) accounts,
   * where getSchedule is not supported; then only the booking calendar's events count.
   */
  scheduleAddress?: string | false;
}

export interface MicrosoftCalendarPortDeps {
  connections: OAuthConnections;
  settingsOf(clientId: string): MicrosoftCalendarSettings;
  timeoutMs?: number;
}

const notFound = (eventId: string) =>
  new VendorError({
    vendor: 'microsoft-graph',
    code: 'EVENT_NOT_FOUND',
    message: `The Outlook event ${eventId} no longer exists.`,
    retryable: false,
    status: 404,
  });

export function microsoftCalendarPort(deps: MicrosoftCalendarPortDeps): CalendarPort {
  async function withClient<T>(
    clientId: string,
    signal: AbortSignal | undefined,
    run: (client: GraphCalendarClient, access: OAuthAccess) => Promise<T>,
  ): Promise<T> {
    return deps.connections.withAccess(clientId, (access) =>
      run(
        new GraphCalendarClient({ accessToken: access.accessToken, baseUrl: access.apiBase, timeoutMs: deps.timeoutMs ?? REQUEST_TIMEOUT_MS, signal }),
        access,
      ),
    );
  }

  /** The booking calendar: the configured one, else the mailbox's default (looked up once per call). */
  async function calendarIdOf(client: GraphCalendarClient, clientId: string): Promise<string> {
    const configured = deps.settingsOf(clientId).calendarId;
    if (configured) return configured;
    const calendars = await client.listCalendars();
    const found = calendars.find((calendar) => calendar.isDefault) ?? calendars[0];
    if (!found)
      throw new VendorError({
        vendor: 'microsoft-graph',
        code: 'NO_CALENDAR',
        message: 'The connected Microsoft 365 mailbox has no calendar.',
        retryable: false,
      });
    return found.id;
  }

  return {
    // A bookable person's calendar (issue 20): its own events only; the mailbox's getSchedule spans all its calendars.
    forCalendar: (calendarId) => microsoftCalendarPort({ ...deps, settingsOf: () => ({ calendarId, scheduleAddress: false }) }),
    async view(clientId, startMs, endMs, signal) {
      const settings = deps.settingsOf(clientId);
      return withClient(clientId, signal, async (client, access) => {
        const calendarId = await calendarIdOf(client, clientId);
        const address = settings.scheduleAddress === false ? undefined : (settings.scheduleAddress ?? access.ownerEmail);
        const [events, schedule] = await Promise.all([
          client.calendarView(calendarId, startMs, endMs),
          address ? client.schedule(address, startMs, endMs) : Promise.resolve([]),
        ]);
        return {
          busy: [...schedule, ...events.filter((event) => event.blocks).map((event) => ({ startMs: event.startMs, endMs: event.endMs }))],
          events: events.map(calendarEventOf),
        };
      });
    },

    async create(clientId, event, signal) {
      const input = markedEventInput(event);
      return withClient(clientId, signal, async (client) => {
        const calendarId = await calendarIdOf(client, clientId);
        if (input.bookingId) {
          // A repeat of a create whose answer was lost: the event is already there under our booking id.
          const existing = await client.findByBookingId(calendarId, input.bookingId);
          if (existing) return calendarEventOf(existing);
        }
        return calendarEventOf(await client.createEvent(calendarId, input));
      });
    },

    async get(clientId, eventId, signal) {
      return withClient(clientId, signal, async (client) => {
        const event = await client.getEvent(eventId);
        return event ? calendarEventOf(event) : undefined;
      });
    },

    async update(clientId, eventId, event, signal) {
      const input = markedEventInput(event);
      return withClient(clientId, signal, async (client) => {
        for (let attempt = 1; ; attempt++) {
          const current = await client.getEvent(eventId);
          if (!current) throw notFound(eventId);
          try {
            return calendarEventOf(await client.patchEvent(eventId, current.etag, input));
          } catch (error) {
            if (attempt === 1 && error instanceof VendorError && error.status === 412) continue;
            throw error;
          }
        }
      });
    },

    async remove(clientId, eventId, signal) {
      await withClient(clientId, signal, (client) => client.deleteEvent(eventId));
    },

    async listCalendars(clientId, signal) {
      return withClient(clientId, signal, async (client) =>
        (await client.listCalendars())
          .filter((calendar) => calendar.canEdit)
          .map((calendar) => ({ id: calendar.id, name: calendar.name, isDefault: calendar.isDefault })),
      );
    },

    async findByBookingId(clientId, bookingId, signal) {
      return withClient(clientId, signal, async (client) => {
        const event = await client.findByBookingId(await calendarIdOf(client, clientId), bookingId);
        return event ? calendarEventOf(event) : undefined;
      });
    },
  };
}
