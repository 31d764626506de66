/**
 * The calendar booking talks to, per running app: Zoho (through the client's connection) unless a test or
 * another integration sets its own port with `useCalendarPort`.
 */
import type { AppContext } from '../app-context.js';
import { zohoCalendarPort } from '../zoho/calendar-port.js';
import type { CalendarPort } from './calendar-port.js';

const ports = new WeakMap<AppContext, CalendarPort>();

export function calendarPortOf(context: AppContext): CalendarPort {
  let port = ports.get(context);
  if (!port) {
    port = zohoCalendarPort(context);
    ports.set(context, port);
  }
  return port;
}

export function useCalendarPort(context: AppContext, port: CalendarPort): void {
  ports.set(context, port);
}
