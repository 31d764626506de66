/**
 * Google Calendar API v3 through `@googleapis/calendar`: calendar list, freeBusy, events insert/get/patch/delete
 * and list by our private extended property. One instance per access token. Every request has its own timeout
 * and honours the caller's AbortSignal; the SDK's own retries are off (a live call has a budget; the outbox
 * retries), and failures become VendorError with `retryable` set from Google's status and reason. Both libraries are
 * loaded by a client's first request, so a server whose offices use no Google calendar never loads them.
 */
import type { calendar_v3 } from '@googleapis/calendar';
import { DateTime } from 'luxon';
import { VendorError } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';
import { loadOAuth2Client } from './oauth.js';

export const GOOGLE_API_ROOT = 'https://www.googleapis.com/';
/** Our key in `extendedProperties.private` (≤ 44 characters, or Google drops it silently). */
export const BOOKING_PROPERTY = 'switchboardBookingId';
/** Windows of at most 31 days: Google's freeBusy refuses long ranges (`timeRangeTooLong`, limit undocumented). */
const MAX_SPAN_MS = 31 * 24 * 60 * 60_000;
const VENDOR = 'google-calendar';

export interface GoogleCalendarClientOptions {
  accessToken: string;
  /** `https://www.googleapis.com/` or the emulator's base URL with a trailing slash. */
  rootUrl?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GoogleEvent {
  id: string;
  etag: string;
  status: string;
  title: string;
  description: string;
  startMs: number;
  endMs: number;
  /** Transparent events do not block time. */
  transparent: boolean;
  bookingId: string | undefined;
}

export interface GoogleEventInput {
  title: string;
  description: string;
  timezone: string;
  startMs: number;
  endMs: number;
  location?: string;
  attendeeEmail?: string;
  bookingId?: string;
}

export interface GoogleCalendarEntry {
  id: string;
  name: string;
  timezone: string | undefined;
  primary: boolean;
  accessRole: string | undefined;
}

export interface BusyInterval {
  startMs: number;
  endMs: number;
}

/** `@googleapis/calendar` and google-auth-library, loaded by the first request (or ahead of it: oauth/calendar-module.ts). */
export const loadGoogleCalendarSdk = lazy(() => Promise.all([import('@googleapis/calendar').then(({ calendar }) => calendar), loadOAuth2Client()]));

export class GoogleCalendarClient {
  private readonly apiOf = lazy(() =>
    loadGoogleCalendarSdk().then(([googleCalendar, OAuth2Client]): calendar_v3.Calendar => {
      const auth = new OAuth2Client();
      // No expiry and no refresh token: the library only attaches the header; refreshing is the connection's job.
      auth.setCredentials({ access_token: this.options.accessToken });
      return googleCalendar({ version: 'v3', auth, ...(this.options.rootUrl ? { rootUrl: this.options.rootUrl } : {}) });
    }),
  );

  constructor(private readonly options: GoogleCalendarClientOptions) {}

  /** Calendars the user may write to (owner/writer), for the picker. */
  async listCalendars(): Promise<GoogleCalendarEntry[]> {
    const out: GoogleCalendarEntry[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call('list calendars', (api, options) =>
        api.calendarList.list({ minAccessRole: 'writer', maxResults: 250, ...(pageToken ? { pageToken } : {}) }, options),
      );
      for (const item of page.items ?? []) {
        if (!item.id) continue;
        out.push({
          id: item.id,
          name: item.summaryOverride ?? item.summary ?? item.id,
          timezone: item.timeZone ?? undefined,
          primary: item.primary === true,
          accessRole: item.accessRole ?? undefined,
        });
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  /**
   * Busy intervals of `calendarIds` over [startMs, endMs), in windows of ≤ 31 days. A calendar Google answers
   * with `errors` inside the 200 is never read as free: that throws.
   */
  async freeBusy(calendarIds: string[], startMs: number, endMs: number): Promise<BusyInterval[]> {
    const busy: BusyInterval[] = [];
    for (const [from, to] of windows(startMs, endMs)) {
      const answer = await this.call('read free/busy', (api, options) =>
        api.freebusy.query(
          {
            requestBody: {
              timeMin: new Date(from).toISOString(),
              timeMax: new Date(to).toISOString(),
              items: calendarIds.map((id) => ({ id })),
            },
          },
          options,
        ),
      );
      for (const id of calendarIds) {
        const entry = answer.calendars?.[id];
        const reason = entry?.errors?.[0]?.reason ?? (entry ? undefined : 'missing');
        if (reason) {
          throw new VendorError({
            vendor: VENDOR,
            code: reason,
            message: `Google Calendar could not give the busy times of calendar ${id} (${reason}).`,
            // A calendar that is not there (or not shared) stays so; anything else may pass.
            retryable: reason !== 'notFound',
            status: reason === 'notFound' ? 404 : undefined,
            response: entry,
          });
        }
        for (const block of entry?.busy ?? []) {
          const start = block.start ? Date.parse(block.start) : NaN;
          const end = block.end ? Date.parse(block.end) : NaN;
          if (Number.isFinite(start) && Number.isFinite(end)) busy.push({ startMs: start, endMs: end });
        }
      }
    }
    return busy;
  }

  /** Events overlapping [startMs, endMs) (recurring ones expanded), or every event carrying our booking id. */
  async listEvents(calendarId: string, range: { startMs: number; endMs: number } | { bookingId: string }): Promise<GoogleEvent[]> {
    const events = new Map<string, GoogleEvent>();
    const spans = 'bookingId' in range ? [undefined] : windows(range.startMs, range.endMs);
    for (const span of spans) {
      let pageToken: string | undefined;
      do {
        const page = await this.call('list events', (api, options) =>
          api.events.list(
            {
              calendarId,
              singleEvents: true,
              maxResults: 250,
              ...(span ? { timeMin: new Date(span[0]).toISOString(), timeMax: new Date(span[1]).toISOString(), orderBy: 'startTime' } : {}),
              // One constraint per query: Google's docs disagree on whether repeats are AND-ed or OR-ed.
              ...('bookingId' in range ? { privateExtendedProperty: [`${BOOKING_PROPERTY}=${range.bookingId}`] } : {}),
              ...(pageToken ? { pageToken } : {}),
            },
            options,
          ),
        );
        for (const raw of page.items ?? []) {
          const event = toEvent(raw, page.timeZone ?? 'UTC');
          if (event && event.status !== 'cancelled') events.set(event.id, event);
        }
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
    }
    return [...events.values()].sort((a, b) => a.startMs - b.startMs);
  }

  /**
   * Inserts with our own event id when given: a retry of the same insert then gets 409 `duplicate` (the first one
   * landed) instead of making a second event; the caller reads the existing one.
   */
  async insertEvent(calendarId: string, input: GoogleEventInput, eventId?: string): Promise<GoogleEvent> {
    const created = await this.call('create the event', (api, options) =>
      api.events.insert({ calendarId, sendUpdates: 'none', requestBody: { ...(eventId ? { id: eventId } : {}), ...eventBody(input) } }, options),
    );
    return this.mustBeEvent(created, input.timezone, 'create');
  }

  /** The event, or undefined when Google does not know it. Cancelled (deleted) events come back with that status. */
  async getEvent(calendarId: string, eventId: string): Promise<GoogleEvent | undefined> {
    try {
      const event = await this.call('read the event', (api, options) => api.events.get({ calendarId, eventId }, options));
      return this.mustBeEvent(event, 'UTC', 'get');
    } catch (error) {
      if (error instanceof VendorError && (error.status === 404 || error.status === 410)) return undefined;
      throw error;
    }
  }

  /** Rewrites the event if its etag is still `etag` (412 `conditionNotMet` otherwise); `status` revives a cancelled one. */
  async patchEvent(calendarId: string, eventId: string, etag: string, input: GoogleEventInput, status?: 'confirmed'): Promise<GoogleEvent> {
    const patched = await this.call('update the event', (api, options) =>
      api.events.patch(
        { calendarId, eventId, sendUpdates: 'none', requestBody: { ...eventBody(input), ...(status ? { status } : {}) } },
        { ...options, headers: { 'If-Match': etag } },
      ),
    );
    return this.mustBeEvent(patched, input.timezone, 'update');
  }

  /** Deleting an event that is already gone (404, or 410 `deleted`) counts as done. */
  async deleteEvent(calendarId: string, eventId: string): Promise<void> {
    try {
      await this.call('delete the event', (api, options) => api.events.delete({ calendarId, eventId, sendUpdates: 'none' }, options));
    } catch (error) {
      if (error instanceof VendorError && (error.status === 404 || error.status === 410)) return;
      throw error;
    }
  }

  private mustBeEvent(raw: calendar_v3.Schema$Event, zone: string, what: string): GoogleEvent {
    const event = toEvent(raw, zone);
    if (!event) {
      throw new VendorError({
        vendor: VENDOR,
        code: 'UNEXPECTED_ANSWER',
        message: `Google Calendar's answer to ${what} carried no event.`,
        retryable: true,
        response: raw,
      });
    }
    return event;
  }

  private async call<T>(
    what: string,
    run: (api: calendar_v3.Calendar, options: { timeout: number; signal: AbortSignal; retry: false }) => Promise<{ data: T }>,
  ): Promise<T> {
    const api = await this.apiOf();
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 5_000);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    try {
      return (await run(api, { timeout: this.options.timeoutMs ?? 5_000, signal, retry: false })).data;
    } catch (error) {
      throw googleCalendarError(error, what, { timedOut: timeout.aborted, aborted: this.options.signal?.aborted === true });
    }
  }
}

/**
 * Google's error body is `{error:{errors:[{domain,reason,message}],code,message}}`. Retryable: 429, 5xx, the
 * `usageLimits` rate limits behind a 403, and 401 (the caller refreshes once). Not: other 403s (no access, scope,
 * the daily Calendar usage limit `quotaExceeded`), 400, 404, 409, 410, 412.
 */
export function googleCalendarError(error: unknown, what: string, flags: { timedOut?: boolean; aborted?: boolean } = {}): VendorError {
  if (error instanceof VendorError) return error;
  const response = (error as { response?: { status?: number; data?: unknown; headers?: unknown } }).response;
  const status = response?.status;
  if (status === undefined) {
    const code = flags.aborted ? 'aborted' : flags.timedOut ? 'timeout' : 'network_error';
    return new VendorError({
      vendor: VENDOR,
      code,
      message:
        code === 'timeout'
          ? `Google Calendar did not answer in time (${what}).`
          : code === 'aborted'
            ? 'The Google Calendar request was abandoned (time budget spent).'
            : `Could not reach Google Calendar to ${what}: ${(error as Error).message}`,
      retryable: true,
      cause: error,
    });
  }
  const body = (response?.data ?? {}) as { error?: { errors?: { domain?: string; reason?: string }[]; message?: string } };
  const first = body.error?.errors?.[0];
  const reason = first?.reason ?? `HTTP_${status}`;
  const rateLimited = status === 429 || (status === 403 && first?.domain === 'usageLimits' && reason !== 'quotaExceeded');
  return new VendorError({
    vendor: VENDOR,
    code: status === 401 ? 'authError' : reason,
    message: `Google Calendar refused to ${what}: ${reason} (${body.error?.message ?? `status ${status}`}).`,
    retryable: rateLimited || status >= 500 || status === 401,
    status,
    response: response?.data,
    cause: error,
  });
}

function windows(startMs: number, endMs: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = startMs; from < endMs; from += MAX_SPAN_MS) out.push([from, Math.min(endMs, from + MAX_SPAN_MS)]);
  return out;
}

/** Local wall time in the office's zone plus the zone name: Google keeps the event in that zone across DST. */
function eventBody(input: GoogleEventInput): calendar_v3.Schema$Event {
  const local = (ms: number) => DateTime.fromMillis(ms, { zone: input.timezone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
  return {
    summary: input.title,
    description: input.description,
    start: { dateTime: local(input.startMs), timeZone: input.timezone },
    end: { dateTime: local(input.endMs), timeZone: input.timezone },
    ...(input.location ? { location: input.location } : {}),
    ...(input.attendeeEmail ? { attendees: [{ email: input.attendeeEmail }] } : {}),
    ...(input.bookingId ? { extendedProperties: { private: { [BOOKING_PROPERTY]: input.bookingId } } } : {}),
    transparency: 'opaque',
  };
}

/** Instants from `dateTime` (carries an offset) or all-day `date` (local midnight in the event's or calendar's zone). */
function timeOf(value: calendar_v3.Schema$EventDateTime | undefined, zone: string): number | undefined {
  if (value?.dateTime) {
    const ms = Date.parse(value.dateTime);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (value?.date) {
    const day = DateTime.fromISO(value.date, { zone: value.timeZone ?? zone });
    return day.isValid ? day.toMillis() : undefined;
  }
  return undefined;
}

function toEvent(raw: calendar_v3.Schema$Event, zone: string): GoogleEvent | undefined {
  const start = timeOf(raw.start, zone);
  const end = timeOf(raw.end, zone);
  if (!raw.id || start === undefined || end === undefined) return undefined;
  return {
    id: raw.id,
    etag: raw.etag ?? '',
    status: raw.status ?? 'confirmed',
    title: raw.summary ?? '',
    description: raw.description ?? '',
    startMs: start,
    endMs: end,
    transparent: raw.transparency === 'transparent',
    bookingId: raw.extendedProperties?.private?.[BOOKING_PROPERTY] ?? undefined,
  };
}
