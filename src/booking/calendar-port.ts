/**
 * What booking needs from a calendar (the office's provider: Zoho Calendar today, Google or Microsoft through the
 * same port; their emulators in tests and demo). Instants are UTC milliseconds; zone rules stay in booking.
 * Implementations throw VendorError (retryable or not), `CalendarUnavailable` when nobody can use the calendar
 * until a person acts (not connected, connection broken, no provider), and stop work when `signal` aborts.
 */
import { VendorError } from '../core/errors.js';

export type CalendarUnavailableReason = 'not_connected' | 'broken' | 'not_configured';

/**
 * The office's calendar cannot be used until someone connects or reconnects it (or picks an installed provider).
 * Not retryable: booking answers with its spoken fallback at once and alerts as critical. `code` keeps the
 * provider's own word for it (e.g. ZOHO_CONNECTION_BROKEN), which names the alert's fingerprint.
 */
export class CalendarUnavailable extends VendorError {
  readonly reason: CalendarUnavailableReason;
  constructor(init: { vendor: string; reason: CalendarUnavailableReason; code?: string; message: string; cause?: unknown }) {
    super({ vendor: init.vendor, code: init.code ?? `CALENDAR_${init.reason.toUpperCase()}`, message: init.message, retryable: false, cause: init.cause });
    this.name = 'CalendarUnavailable';
    this.reason = init.reason;
  }
}

export interface BusyInterval {
  startMs: number;
  endMs: number;
}

export interface CalendarEvent {
  id: string;
  etag: string;
  title: string;
  description: string;
  startMs: number;
  endMs: number;
}

export interface NewCalendarEvent {
  title: string;
  description: string;
  /** The office's zone: the event is written in local time there. */
  timezone: string;
  startMs: number;
  endMs: number;
  location?: string;
  attendeeEmail?: string;
}

export interface CalendarView {
  /** Everything busy in the window: the owner's free/busy plus the booking calendar's events. */
  busy: BusyInterval[];
  /** The booking calendar's events in the window (to find our own by booking id). */
  events: CalendarEvent[];
}

export interface CalendarPort {
  view(clientId: string, startMs: number, endMs: number, signal?: AbortSignal): Promise<CalendarView>;
  create(clientId: string, event: NewCalendarEvent, signal?: AbortSignal): Promise<CalendarEvent>;
  get(clientId: string, eventId: string, signal?: AbortSignal): Promise<CalendarEvent | undefined>;
  /** Moves/rewrites an event; reads the current etag first and retries once if it went stale. */
  update(clientId: string, eventId: string, event: NewCalendarEvent, signal?: AbortSignal): Promise<CalendarEvent>;
  /** Deleting an event that is already gone succeeds. */
  remove(clientId: string, eventId: string, signal?: AbortSignal): Promise<void>;
  /** The calendars the office's connected account owns, for the onboarding calendar picker. */
  listCalendars(clientId: string, signal?: AbortSignal): Promise<CalendarSummary[]>;
  /**
   * The event carrying this booking's marker, found by the vendor's own index (Google's private extended
   * property, Graph's single-value extended property) rather than a time window. Optional: adapters without such
   * an index (Zoho) leave it out and booking finds its events through `view`.
   */
  findByBookingId?(clientId: string, bookingId: string, signal?: AbortSignal): Promise<CalendarEvent | undefined>;
  /**
   * The same port bound to another calendar of the office's connected account: a bookable person's (issue 20), by the
   * provider's own id for it. Its `view` is that calendar's busy time and events only (not the account owner's
   * free/busy, which covers everyone's calendars). Optional: an adapter without it serves offices with one calendar.
   */
  forCalendar?(calendarId: string): CalendarPort;
}

export interface CalendarSummary {
  id: string;
  name: string;
  timezone?: string;
  isDefault: boolean;
}

/**
 * What an adapter whose vendor keeps the booking id in a field of its own (Google's extended properties, Graph's
 * extended property) sends: the event with the booking id read out of its marker line.
 */
export interface MarkedEventInput {
  title: string;
  description: string;
  timezone: string;
  startMs: number;
  endMs: number;
  location?: string;
  attendeeEmail?: string;
  bookingId?: string;
}

export function markedEventInput(event: NewCalendarEvent): MarkedEventInput {
  const bookingId = bookingIdIn(event.description);
  return {
    title: event.title,
    description: event.description,
    timezone: event.timezone,
    startMs: event.startMs,
    endMs: event.endMs,
    ...(event.location ? { location: event.location } : {}),
    ...(event.attendeeEmail ? { attendeeEmail: event.attendeeEmail } : {}),
    ...(bookingId ? { bookingId } : {}),
  };
}

/** The port's view of a vendor's event (which may carry more). */
export function calendarEventOf(event: CalendarEvent): CalendarEvent {
  return { id: event.id, etag: event.etag, title: event.title, description: event.description, startMs: event.startMs, endMs: event.endMs };
}

/** The line that ties a calendar event to our appointment, so a retry finds the event instead of making another. */
export function bookingMarker(bookingId: string): string {
  return `Switchboard-Booking: ${bookingId}`;
}

/** The booking id an event's description carries, if it is one of ours. */
export function bookingIdIn(description: string | undefined): string | undefined {
  return description ? /^\s*Switchboard-Booking: (bk_[A-Za-z0-9]+)\s*$/m.exec(description)?.[1] : undefined;
}

export function hasBookingMarker(description: string, bookingId: string): boolean {
  return description.split(/\r?\n/).some((line) => line.trim() === bookingMarker(bookingId));
}
