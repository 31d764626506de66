/**
 * The calendar booking talks to: each call goes to the port of the office's chosen provider
 * (`context.calendars.portFor(clientId)`), so one office may book in Zoho and the next in another calendar.
 * With a `calendarId` (a bookable person's calendar, issue 20) the calls go to that calendar of the same provider.
 */
import type { AppContext } from '../app-context.js';
import { CalendarUnavailable, type CalendarPort } from './calendar-port.js';

/**
 * `findByBookingId` (optional per adapter) is not forwarded: whether it exists depends on the office, so a caller
 * that wants it asks `context.calendars.portFor(clientId).findByBookingId?.(…)` and falls back to `view`.
 */
export function calendarPortOf(context: Pick<AppContext, 'calendars' | 'calendarViews'>, calendarId?: string): CalendarPort {
  // Async wrappers: an office without a usable provider rejects (CalendarUnavailable) like any calendar failure.
  const of = async (clientId: string) => {
    const port = context.calendars.portFor(clientId);
    if (calendarId === undefined) return port;
    if (!port.forCalendar) {
      const provider = context.calendars.providerFor(clientId) ?? 'calendar';
      throw new CalendarUnavailable({
        vendor: provider,
        reason: 'not_configured',
        message: `The office ${clientId} has bookable people with their own calendars, but its calendar provider "${provider}" cannot book in a person's calendar yet.`,
      });
    }
    return port.forCalendar(calendarId);
  };
  // Reads asked at the same moment share one vendor read, never across a write (view-sharing.ts); each person's
  // calendar is its own read.
  const views = context.calendarViews;
  const calendarKey = calendarId ?? '';
  return {
    view: async (clientId, startMs, endMs, signal) => views.view(await of(clientId), clientId, startMs, endMs, signal, calendarKey),
    create: async (clientId, event, signal) => views.write(clientId, async () => (await of(clientId)).create(clientId, event, signal)),
    get: async (clientId, eventId, signal) => (await of(clientId)).get(clientId, eventId, signal),
    update: async (clientId, eventId, event, signal) => views.write(clientId, async () => (await of(clientId)).update(clientId, eventId, event, signal)),
    remove: async (clientId, eventId, signal) => views.write(clientId, async () => (await of(clientId)).remove(clientId, eventId, signal)),
    listCalendars: async (clientId, signal) => (await of(clientId)).listCalendars(clientId, signal),
  };
}

/**
 * The port of the calendar an appointment's event lives in (or is to be made in): the calendar it was made in when
 * known, else its person's, else the office's.
 */
export function calendarPortForAppointment(context: Pick<AppContext, 'calendars' | 'calendarViews'>, row: { calendar_id: string | null }): CalendarPort {
  return calendarPortOf(context, row.calendar_id ?? undefined);
}
