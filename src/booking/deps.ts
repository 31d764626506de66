/**
 * The calendar booking talks to: each call goes to the port of the office's chosen provider
 * (`context.calendars.portFor(clientId)`), so one office may book in Zoho and the next in another calendar.
 */
import type { AppContext } from '../app-context.js';
import type { CalendarPort } from './calendar-port.js';

/**
 * `findByBookingId` (optional per adapter) is not forwarded: whether it exists depends on the office, so a caller
 * that wants it asks `context.calendars.portFor(clientId).findByBookingId?.(…)` and falls back to `view`.
 */
export function calendarPortOf(context: Pick<AppContext, 'calendars'>): CalendarPort {
  // Async wrappers: an office without a usable provider rejects (CalendarUnavailable) like any calendar failure.
  const of = async (clientId: string) => context.calendars.portFor(clientId);
  return {
    view: async (clientId, startMs, endMs, signal) => (await of(clientId)).view(clientId, startMs, endMs, signal),
    create: async (clientId, event, signal) => (await of(clientId)).create(clientId, event, signal),
    get: async (clientId, eventId, signal) => (await of(clientId)).get(clientId, eventId, signal),
    update: async (clientId, eventId, event, signal) => (await of(clientId)).update(clientId, eventId, event, signal),
    remove: async (clientId, eventId, signal) => (await of(clientId)).remove(clientId, eventId, signal),
    listCalendars: async (clientId, signal) => (await of(clientId)).listCalendars(clientId, signal),
  };
}
