/**
 * CalendarPort over Zoho Calendar v1 for one deployment: takes the client's access token from the connection
 * (refreshing once on a 401), the calendar id from the client's config, and the owner's email for free/busy.
 */
import type { AppContext } from '../app-context.js';
import { VendorError } from '../core/errors.js';
import { CalendarUnavailable, bookingIdIn, hasBookingMarker, type CalendarEvent, type CalendarPort, type NewCalendarEvent } from '../booking/calendar-port.js';
import { calendarBaseUrl } from '../providers/zoho/accounts.js';
import { ZohoCalendarClient, type ZohoEvent } from '../providers/zoho/calendar.js';
import { ZohoConnectionBroken, getZohoAccess, invalidateZohoAccess, type ZohoAccess } from './connection.js';

/** Per-request timeout: well inside a function's budget so a hung Zoho leaves time for a fallback answer. */
const REQUEST_TIMEOUT_MS = 4_000;

function toCalendarEvent(event: ZohoEvent): CalendarEvent {
  return {
    id: event.uid,
    etag: event.etag,
    title: event.title,
    description: event.description,
    startMs: event.startMs,
    endMs: event.endMs,
  };
}

/** `personCalendarId`: bound to a bookable person's calendar (issue 20) instead of the office's `zoho.calendarId`. */
export function zohoCalendarPort(context: AppContext, personCalendarId?: string): CalendarPort {
  const settings = (clientId: string) => {
    const client = context.clients.get(clientId);
    if (!client) throw new Error(`Unknown client ${clientId}`);
    if (!client.config.zoho) {
      throw new CalendarUnavailable({
        vendor: 'zoho',
        reason: 'not_configured',
        message: `The office ${clientId} has no "zoho" settings (calendarId) for its Zoho calendar.`,
      });
    }
    return personCalendarId === undefined ? client.config.zoho : { ...client.config.zoho, calendarId: personCalendarId };
  };

  /** A connection nobody can use until a person reconnects is, to booking, a calendar that is unavailable. */
  async function accessFor(clientId: string): Promise<ZohoAccess> {
    try {
      return await getZohoAccess(context, clientId);
    } catch (error) {
      if (!(error instanceof ZohoConnectionBroken)) throw error;
      throw new CalendarUnavailable({ vendor: 'zoho', reason: error.reason, code: error.code, message: error.message, cause: error });
    }
  }

  async function withClient<T>(
    clientId: string,
    signal: AbortSignal | undefined,
    run: (client: ZohoCalendarClient, access: ZohoAccess) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const access = await accessFor(clientId);
      const client = new ZohoCalendarClient({
        baseUrl: calendarBaseUrl(access.apiDomain),
        accessToken: access.accessToken,
        timeoutMs: REQUEST_TIMEOUT_MS,
        signal,
      });
      try {
        return await run(client, access);
      } catch (error) {
        // An expired or revoked access token: refresh once and try once more.
        if (attempt === 1 && error instanceof VendorError && error.status === 401 && error.code === 'INVALID_OAUTHTOKEN') {
          await invalidateZohoAccess(context, clientId, access.accessToken);
          continue;
        }
        throw error;
      }
    }
  }

  return {
    forCalendar: (calendarId) => zohoCalendarPort(context, calendarId),
    async view(clientId, startMs, endMs, signal) {
      const zoho = settings(clientId);
      return withClient(clientId, signal, async (client, access) => {
        // A person's calendar is read on its own: the owner's free/busy covers every calendar of the account.
        const owner = personCalendarId === undefined ? (zoho.calendarOwnerEmail ?? access.ownerEmail) : undefined;
        const [events, freeBusy] = await Promise.all([
          client.listEvents(zoho.calendarId, startMs, endMs),
          owner ? client.freeBusy(owner, startMs, endMs) : Promise.resolve([]),
        ]);
        return {
          busy: [...freeBusy, ...events.map((event) => ({ startMs: event.startMs, endMs: event.endMs }))],
          events: events.map(toCalendarEvent),
        };
      });
    },
    async create(clientId, event: NewCalendarEvent, signal) {
      const zoho = settings(clientId);
      const bookingId = bookingIdIn(event.description);
      return withClient(clientId, signal, async (client) => {
        // Zoho has no client-chosen event id and no index on our marker, so a create repeated after a lost answer
        // would make a second event: the booking's own slot is read first and an event with its marker is the answer
        // (reference/zoho.md, "No idempotency key exists"). One more request per create, inside the same time-out.
        if (bookingId) {
          const ours = (await client.listEvents(zoho.calendarId, event.startMs, event.endMs)).find((candidate) =>
            hasBookingMarker(candidate.description, bookingId),
          );
          if (ours) return toCalendarEvent(ours);
        }
        return toCalendarEvent(await client.createEvent(zoho.calendarId, event));
      });
    },
    async get(clientId, eventId, signal) {
      const zoho = settings(clientId);
      return withClient(clientId, signal, async (client) => {
        const event = await client.getEvent(zoho.calendarId, eventId);
        return event ? toCalendarEvent(event) : undefined;
      });
    },
    async update(clientId, eventId, event, signal) {
      const zoho = settings(clientId);
      return withClient(clientId, signal, async (client) => {
        for (let attempt = 1; ; attempt++) {
          const current = await client.getEvent(zoho.calendarId, eventId);
          if (!current) {
            throw new VendorError({
              vendor: 'zoho-calendar',
              code: 'EVENT_NOT_FOUND',
              message: `The Zoho event ${eventId} no longer exists.`,
              retryable: false,
              status: 404,
            });
          }
          try {
            return toCalendarEvent(await client.updateEvent(zoho.calendarId, eventId, current.etag, event));
          } catch (error) {
            if (attempt === 1 && error instanceof VendorError && error.code === 'ETAG_MISMATCH') continue;
            throw error;
          }
        }
      });
    },
    async listCalendars(clientId, signal) {
      return withClient(clientId, signal, async (client) =>
        (await client.listCalendars({ category: 'own' })).map((calendar) => ({
          id: calendar.uid,
          name: calendar.name,
          ...(calendar.timezone ? { timezone: calendar.timezone } : {}),
          isDefault: calendar.isDefault,
        })),
      );
    },
    async remove(clientId, eventId, signal) {
      const zoho = settings(clientId);
      await withClient(clientId, signal, async (client) => {
        for (let attempt = 1; ; attempt++) {
          const current = await client.getEvent(zoho.calendarId, eventId);
          if (!current) return;
          try {
            await client.deleteEvent(zoho.calendarId, eventId, current.etag);
            return;
          } catch (error) {
            if (attempt === 1 && error instanceof VendorError && error.code === 'ETAG_MISMATCH') continue;
            throw error;
          }
        }
      });
    },
  };
}
