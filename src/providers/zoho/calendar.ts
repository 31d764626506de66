/**
 * Zoho Calendar API v1: calendars, events (create/update take the event as the `eventdata` query parameter),
 * and free/busy. Every request has its own timeout and honours the caller's AbortSignal; failures become
 * VendorError with `retryable` set from the status (401 → code INVALID_OAUTHTOKEN so the caller refreshes once).
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { VendorError } from '../../core/errors.js';

const MAX_SPAN_MS = 31 * 24 * 60 * 60_000;
const LOCAL_FORMAT = "yyyyMMdd'T'HHmmss";

export interface CalendarClientOptions {
  /** e.g. https://calendar.zoho.com/api/v1 */
  baseUrl: string;
  accessToken: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export interface ZohoEvent {
  uid: string;
  etag: string;
  title: string;
  description: string;
  /** UTC instants in ms; all-day events cover whole days in their zone. */
  startMs: number;
  endMs: number;
  isAllDay: boolean;
  recurring: boolean;
  timezone: string | undefined;
}

export interface ZohoCalendar {
  uid: string;
  name: string;
  /** IANA zone of the calendar, when Zoho says. */
  timezone: string | undefined;
  color: string | undefined;
  isDefault: boolean;
  /** `owner` for the user's own calendars. */
  privilege: string | undefined;
  owner: string | undefined;
}

/** Zoho sends more fields than these; only what onboarding shows is read, and loosely (shape unconfirmed). */
const calendarEntrySchema = z.looseObject({
  uid: z.string().min(1),
  name: z.string().optional().catch(undefined),
  timezone: z.string().optional().catch(undefined),
  color: z.string().optional().catch(undefined),
  isdefault: z.union([z.boolean(), z.string()]).optional().catch(undefined),
  privilege: z.string().optional().catch(undefined),
  owner: z.string().optional().catch(undefined),
});

export type FreeBusyCheck = { status: 'ok'; busy: BusyInterval[] } | { status: 'not_enabled' } | { status: 'no_data' };

export interface BusyInterval {
  startMs: number;
  endMs: number;
}

export interface EventInput {
  title: string;
  /** IANA zone the local times are written in. */
  timezone: string;
  startMs: number;
  endMs: number;
  description?: string;
  location?: string;
  attendeeEmail?: string;
}

/** Zoho's `yyyyMMdd'T'HHmmss` with Z, an offset, or none (read in `zone`); `yyyyMMdd` for all-day. */
const FIXED_OFFSET_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z|[+-]\d{4})$/;

/**
 * `20260203T140000Z` and `20260203T140000-0500` name an instant by themselves: read with plain arithmetic (every
 * busy-time answer carries dozens, and a slot search reads them all). Impossible dates and times are undefined.
 */
function parseFixedOffset(text: string): number | undefined {
  const match = FIXED_OFFSET_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // 24:00:00 is the end of the day (the next day's midnight), as ISO 8601 and Luxon read it.
  const endOfDay = hour === 24 && minute === 0 && second === 0;
  const wall = Date.UTC(year, month - 1, day, endOfDay ? 0 : hour, minute, second) + (endOfDay ? 86_400_000 : 0);
  const check = new Date(wall - (endOfDay ? 86_400_000 : 0));
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== (endOfDay ? 0 : hour) ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  const offset = match[7]!;
  if (offset === 'Z') return wall;
  const offsetMinutes = Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5));
  if (Number(offset.slice(3, 5)) > 59) return undefined;
  return wall - (offset[0] === '-' ? -1 : 1) * offsetMinutes * 60_000;
}

export function parseZohoTime(text: unknown, zone = 'utc'): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (FIXED_OFFSET_TIME.test(text)) return parseFixedOffset(text);
  let parsed: DateTime | undefined;
  if (/^\d{8}T\d{6}$/.test(text)) parsed = DateTime.fromFormat(text, LOCAL_FORMAT, { zone });
  else if (/^\d{8}Z?$/.test(text)) parsed = DateTime.fromFormat(text.slice(0, 8), 'yyyyMMdd', { zone: text.endsWith('Z') ? 'utc' : zone });
  return parsed?.isValid ? parsed.toMillis() : undefined;
}

/** `20260203T140000Z`: the ISO form without separators or milliseconds. */
export function formatZohoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

export class ZohoCalendarClient {
  constructor(private readonly options: CalendarClientOptions) {}

  /** The user's calendars (only their own with `category: 'own'`); entries without a uid are skipped. */
  async listCalendars(options: { category?: 'own' } = {}): Promise<ZohoCalendar[]> {
    const body = await this.request('GET', '/calendars', options.category ? { category: options.category } : undefined);
    const calendars: ZohoCalendar[] = [];
    for (const raw of Array.isArray(body?.calendars) ? body.calendars : []) {
      const parsed = calendarEntrySchema.safeParse(raw);
      if (!parsed.success) continue;
      const entry = parsed.data;
      calendars.push({
        uid: entry.uid,
        name: entry.name ?? entry.uid,
        timezone: entry.timezone,
        color: entry.color,
        isDefault: entry.isdefault === true || entry.isdefault === 'true',
        privilege: entry.privilege,
        owner: entry.owner,
      });
    }
    return calendars;
  }

  /** Events overlapping [startMs, endMs), split into Zoho's 31-day windows. */
  async listEvents(calendarUid: string, startMs: number, endMs: number): Promise<ZohoEvent[]> {
    const events = new Map<string, ZohoEvent>();
    for (const [from, to] of windows(startMs, endMs)) {
      const range = JSON.stringify({ start: formatZohoUtc(from), end: formatZohoUtc(to) });
      const body = await this.request('GET', `/calendars/${encodeURIComponent(calendarUid)}/events`, { range });
      for (const raw of Array.isArray(body?.events) ? body.events : []) {
        const event = toEvent(raw);
        if (event) events.set(event.uid, event);
      }
    }
    return [...events.values()].sort((a, b) => a.startMs - b.startMs);
  }

  /** Busy intervals of the calendar owner; `fb_not_enabled` / `NODATA` count as none. */
  async freeBusy(ownerEmail: string, startMs: number, endMs: number): Promise<BusyInterval[]> {
    return (await this.readFreeBusy(ownerEmail, startMs, endMs)).busy;
  }

  /**
   * Whether free/busy works for `ownerEmail` over [startMs, endMs): `not_enabled` (the user turned it off) and
   * `no_data` mean Zoho told us nothing, so only the booking calendar's own events can show busy times. For
   * onboarding, where "no busy times" and "cannot see busy times" must not look alike.
   */
  async checkFreeBusy(ownerEmail: string, startMs: number, endMs: number): Promise<FreeBusyCheck> {
    const { busy, answers } = await this.readFreeBusy(ownerEmail, startMs, endMs);
    if (answers.includes('not_enabled')) return { status: 'not_enabled' };
    if (answers.includes('no_data')) return { status: 'no_data' };
    return { status: 'ok', busy };
  }

  private async readFreeBusy(
    ownerEmail: string,
    startMs: number,
    endMs: number,
  ): Promise<{ busy: BusyInterval[]; answers: Array<'list' | 'not_enabled' | 'no_data'> }> {
    const busy: BusyInterval[] = [];
    const answers: Array<'list' | 'not_enabled' | 'no_data'> = [];
    for (const [from, to] of windows(startMs, endMs)) {
      const body = await this.request('GET', '/calendars/freebusy', {
        uemail: ownerEmail,
        sdate: formatZohoUtc(from),
        edate: formatZohoUtc(to),
        ftype: 'eventbased',
      });
      const list = body?.freebusy;
      if (!Array.isArray(list)) {
        answers.push(body?.fb_not_enabled !== undefined && body.fb_not_enabled !== false ? 'not_enabled' : 'no_data');
        continue;
      }
      answers.push('list');
      for (const entry of list as Record<string, unknown>[]) {
        if (entry.fbtype !== undefined && entry.fbtype !== 'busy') continue;
        const start = parseZohoTime(entry.startTime);
        let end = parseZohoTime(entry.endTime);
        if (start === undefined || end === undefined) continue;
        // Date-only (all-day) entries name the last day itself; count the whole of it as busy.
        if (typeof entry.endTime === 'string' && /^\d{8}Z?$/.test(entry.endTime)) end += 24 * 60 * 60_000;
        busy.push({ startMs: start, endMs: end });
      }
    }
    return { busy, answers };
  }

  async createEvent(calendarUid: string, input: EventInput): Promise<ZohoEvent> {
    const body = await this.request('POST', `/calendars/${encodeURIComponent(calendarUid)}/events`, {
      eventdata: JSON.stringify(eventData(input)),
    });
    return firstEvent(body, 'create');
  }

  async getEvent(calendarUid: string, eventUid: string): Promise<ZohoEvent | undefined> {
    try {
      const body = await this.request('GET', `/calendars/${encodeURIComponent(calendarUid)}/events/${encodeURIComponent(eventUid)}`);
      return firstEvent(body, 'get');
    } catch (error) {
      if (error instanceof VendorError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Needs the event's current etag; a stale one is refused (code ETAG_MISMATCH): re-read and retry. */
  async updateEvent(calendarUid: string, eventUid: string, etag: string, input: EventInput): Promise<ZohoEvent> {
    const body = await this.request('PUT', `/calendars/${encodeURIComponent(calendarUid)}/events/${encodeURIComponent(eventUid)}`, {
      eventdata: JSON.stringify({ ...eventData(input), etag }),
    });
    return firstEvent(body, 'update');
  }

  /** Deleting an event that is already gone counts as done. */
  async deleteEvent(calendarUid: string, eventUid: string, etag: string): Promise<void> {
    try {
      await this.request('DELETE', `/calendars/${encodeURIComponent(calendarUid)}/events/${encodeURIComponent(eventUid)}`, undefined, {
        etag,
      });
    } catch (error) {
      if (error instanceof VendorError && error.status === 404) return;
      throw error;
    }
  }

  private async request(
    method: string,
    path: string,
    query?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Record<string, unknown> | undefined> {
    const url = new URL(`${this.options.baseUrl.replace(/\/+$/, '')}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 5_000);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method,
        headers: { authorization: `Zoho-oauthtoken ${this.options.accessToken}`, ...headers },
        signal,
      });
    } catch (error) {
      const code = timeout.aborted ? 'timeout' : this.options.signal?.aborted ? 'aborted' : 'network_error';
      throw new VendorError({
        vendor: 'zoho-calendar',
        code,
        message:
          code === 'timeout'
            ? `Zoho Calendar did not answer ${method} ${path} in time.`
            : code === 'aborted'
              ? 'The Zoho Calendar request was abandoned (time budget spent).'
              : `Could not reach Zoho Calendar: ${(error as Error).message}`,
        retryable: true,
        cause: error,
      });
    }
    const text = await response.text().catch(() => '');
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    if (response.ok) return body;
    throw calendarError(response.status, body, `${method} ${path}`);
  }
}

export function calendarError(status: number, body: Record<string, unknown> | undefined, what: string): VendorError {
  const detail = Array.isArray(body?.error) ? (body.error[0] as Record<string, unknown> | undefined) : (body?.error as Record<string, unknown> | undefined);
  const code = typeof detail?.code === 'string' ? detail.code : status === 401 ? 'INVALID_OAUTHTOKEN' : status === 429 ? 'TOO_MANY_REQUESTS' : `HTTP_${status}`;
  const message = typeof detail?.message === 'string' ? detail.message : `status ${status}`;
  return new VendorError({
    vendor: 'zoho-calendar',
    code,
    message: `Zoho Calendar refused ${what}: ${code} (${message}).`,
    retryable: status === 429 || status >= 500 || (status === 401 && code === 'INVALID_OAUTHTOKEN'),
    status,
    response: body,
  });
}

function windows(startMs: number, endMs: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = startMs; from < endMs; from += MAX_SPAN_MS) out.push([from, Math.min(endMs, from + MAX_SPAN_MS)]);
  return out;
}

/**
 * Local wall time in the event's zone (`20260203T143000`), as Zoho's own clients write it. A wall time that happens
 * twice (1:30 AM on fall-back day) cannot say which one it is, and Zoho reads the later: those carry their offset
 * (`20261101T013000-0400`), which Zoho accepts together with `timezone`.
 */
function zohoLocalTime(ms: number, zone: string): string {
  const local = DateTime.fromMillis(ms, { zone });
  const text = local.toFormat(LOCAL_FORMAT);
  // The twin instant with the same wall time is as far away as the clock change is long; clock changes are hours apart.
  for (const probeMs of [ms - 3 * 60 * 60_000, ms + 3 * 60 * 60_000]) {
    const offset = DateTime.fromMillis(probeMs, { zone }).offset;
    if (offset === local.offset) continue;
    const twin = DateTime.fromMillis(ms + (local.offset - offset) * 60_000, { zone });
    if (twin.toFormat(LOCAL_FORMAT) === text) return local.toFormat(`${LOCAL_FORMAT}ZZZ`);
  }
  return text;
}

function eventData(input: EventInput): Record<string, unknown> {
  const local = (ms: number) => zohoLocalTime(ms, input.timezone);
  return {
    title: input.title,
    dateandtime: { timezone: input.timezone, start: local(input.startMs), end: local(input.endMs) },
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.location === undefined ? {} : { location: input.location }),
    ...(input.attendeeEmail ? { attendees: [{ email: input.attendeeEmail, permission: 0, attendance: 1 }] } : {}),
    isprivate: false,
  };
}

function toEvent(raw: unknown): ZohoEvent | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const record = raw as Record<string, unknown>;
  const when = (record.dateandtime ?? {}) as Record<string, unknown>;
  const zone = typeof when.timezone === 'string' ? when.timezone : 'utc';
  const isAllDay = record.isallday === true;
  const start = parseZohoTime(when.start, zone);
  let end = parseZohoTime(when.end, zone);
  if (typeof record.uid !== 'string' || start === undefined || end === undefined) return undefined;
  if (isAllDay) end = DateTime.fromMillis(end, { zone }).plus({ days: 1 }).toMillis();
  return {
    uid: record.uid,
    etag: String(record.etag ?? ''),
    title: typeof record.title === 'string' ? record.title : '',
    description: typeof record.description === 'string' ? record.description : '',
    startMs: start,
    endMs: end,
    isAllDay,
    recurring: record.rrule !== undefined || record.recurrenceid !== undefined,
    timezone: typeof when.timezone === 'string' ? when.timezone : undefined,
  };
}

function firstEvent(body: Record<string, unknown> | undefined, what: string): ZohoEvent {
  const event = Array.isArray(body?.events) ? toEvent(body.events[0]) : undefined;
  if (!event) {
    throw new VendorError({
      vendor: 'zoho-calendar',
      code: 'UNEXPECTED_ANSWER',
      message: `Zoho Calendar's answer to ${what} carried no event.`,
      retryable: true,
      response: body,
    });
  }
  return event;
}
