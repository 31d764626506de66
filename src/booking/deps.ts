/**
 * The calendar booking talks to: each call goes to the port of the office's chosen provider
 * (`context.calendars.portFor(clientId)`), so one office may book in Zoho and the next in another calendar.
 */
import type { AppContext } from '../app-context.js';
import type { CalendarPort } from './calendar-port.js';
import { SharedCalendarViews } from './view-sharing.js';

const sharing = new WeakMap<object, SharedCalendarViews>();

/**
 * `findByBookingId` (optional per adapter) is not forwarded: whether it exists depends on the office, so a caller
 * that wants it asks `context.calendars.portFor(clientId).findByBookingId?.(…)` and falls back to `view`.
 */
export function calendarPortOf(context: Pick<AppContext, 'calendars'>): CalendarPort {
  // Async wrappers: an office without a usable provider rejects (CalendarUnavailable) like any calendar failure.
  const of = async (clientId: string) => context.calendars.portFor(clientId);
  // Reads asked at the same moment share one vendor read, never across a write (view-sharing.ts).
  let shared = sharing.get(context.calendars);
  if (!shared) sharing.set(context.calendars, (shared = new SharedCalendarViews()));
  const views = shared;
  return {
    view: async (clientId, startMs, endMs, signal) => views.view(await of(clientId), clientId, startMs, endMs, signal),
    create: async (clientId, event, signal) => views.write(clientId, async () => (await of(clientId)).create(clientId, event, signal)),
    get: async (clientId, eventId, signal) => (await of(clientId)).get(clientId, eventId, signal),
    update: async (clientId, eventId, event, signal) => views.write(clientId, async () => (await of(clientId)).update(clientId, eventId, event, signal)),
    remove: async (clientId, eventId, signal) => views.write(clientId, async () => (await of(clientId)).remove(clientId, eventId, signal)),
    listCalendars: async (clientId, signal) => (await of(clientId)).listCalendars(clientId, signal),
  };
}
