/**
 * Microsoft Graph calendar calls through `@microsoft/microsoft-graph-client`: calendars, getSchedule,
 * calendarView, events create/get/patch/delete and find by our single-value extended property. The client is built
 * with one middleware of ours instead of the default chain: it adds the bearer token (the SDK's auth handler
 * strips it from any host that is not Graph's, so the emulator would get none), applies the per-request timeout
 * and the caller's AbortSignal, and fetches. No RetryHandler: it waits 3 s or more per 429/503 and retries POSTs,
 * which a live call's budget cannot afford; the outbox retries instead. All times are asked for in UTC
 * (`Prefer: outlook.timezone="UTC"`), since a wall time in the repeated fall-back hour names no single instant;
 * whatever zone an answer carries (Windows or IANA name) is still read through time-zones.ts. The SDK is loaded by a
 * client's first request, so a server whose offices use no Microsoft 365 calendar never loads it.
 */
import type { Client, Context, Middleware } from '@microsoft/microsoft-graph-client';
import { VendorError } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';
import { graphDateTime, instantOf, settledInstantOf } from './time-zones.js';

export const GRAPH_BASE = 'https://graph.microsoft.com/';
/** Our single-value extended property: a fixed GUID of our own and a name (the Name part is case-sensitive). */
export const BOOKING_PROPERTY_ID = 'String {6c0f3f0a-5b3e-4c59-9f0e-2a7d9b1e4c11} Name SwitchboardBookingId';
/**
 * The instants we wrote (`<start ISO>/<end ISO>`, UTC): a mailbox that answers in its own zone whatever we prefer
 * writes the repeated fall-back hour as a wall time that names two instants; this says which one we meant.
 */
export const INSTANTS_PROPERTY_ID = 'String {6c0f3f0a-5b3e-4c59-9f0e-2a7d9b1e4c11} Name SwitchboardInstants';
const EXPAND = `singleValueExtendedProperties($filter=id eq '${BOOKING_PROPERTY_ID}' or id eq '${INSTANTS_PROPERTY_ID}')`;
const UTC = 'outlook.timezone="UTC"';
/** getSchedule allows windows under 62 days (older docs: 42); 31-day chunks stay inside either. */
const MAX_SPAN_MS = 31 * 24 * 60 * 60_000;
const VENDOR = 'microsoft-graph';

export interface GraphClientOptions {
  accessToken: string;
  /** `https://graph.microsoft.com/` or the emulator's base URL with a trailing slash. */
  baseUrl?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GraphEvent {
  id: string;
  etag: string;
  title: string;
  description: string;
  startMs: number;
  endMs: number;
  /** `free` and `workingElsewhere` do not block time. */
  blocks: boolean;
  bookingId: string | undefined;
}

export interface GraphEventInput {
  title: string;
  description: string;
  timezone: string;
  startMs: number;
  endMs: number;
  location?: string;
  attendeeEmail?: string;
  bookingId?: string;
}

export interface GraphCalendar {
  id: string;
  name: string;
  isDefault: boolean;
  canEdit: boolean;
}

type Raw = Record<string, unknown>;

/** Bearer token, timeout and abort, then fetch: the whole middleware chain. */
class Transport implements Middleware {
  constructor(private readonly options: GraphClientOptions) {}

  async execute(context: Context): Promise<void> {
    const headers = new Headers(context.options?.headers);
    headers.set('authorization', `Bearer ${this.options.accessToken}`);
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 5_000);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    context.response = await fetch(context.request, { ...(context.options as RequestInit), headers, signal });
  }
}

/** The loaded SDK, once a client has asked for it: graphError reads its error class from here. */
/** Loaded by a client's first request (or ahead of it: oauth/calendar-module.ts). */
export const loadGraphSdk = lazy(() => import('@microsoft/microsoft-graph-client'));

export class GraphCalendarClient {
  private readonly clientOf = lazy(() =>
    loadGraphSdk().then(({ Client }) => Client.initWithMiddleware({ baseUrl: this.options.baseUrl ?? GRAPH_BASE, middleware: new Transport(this.options) })),
  );

  constructor(private readonly options: GraphClientOptions) {}

  async listCalendars(): Promise<GraphCalendar[]> {
    const out: GraphCalendar[] = [];
    for (const raw of await this.all('list calendars', '/me/calendars')) {
      if (typeof raw.id !== 'string') continue;
      out.push({
        id: raw.id,
        name: typeof raw.name === 'string' ? raw.name : raw.id,
        isDefault: raw.isDefaultCalendar === true,
        canEdit: raw.canEdit !== false,
      });
    }
    return out;
  }

  /** Busy intervals of a mailbox (getSchedule), in ≤ 31-day windows; a schedule answered with `error` throws. */
  async schedule(address: string, startMs: number, endMs: number): Promise<{ startMs: number; endMs: number }[]> {
    const busy: { startMs: number; endMs: number }[] = [];
    for (const [from, to] of windows(startMs, endMs)) {
      const answer = (await this.call('read free/busy', (client) =>
        client
          .api('/me/calendar/getSchedule')
          .header('Prefer', UTC)
          .post({ schedules: [address], startTime: graphDateTime(from, 'UTC'), endTime: graphDateTime(to, 'UTC'), availabilityViewInterval: 15 }),
      )) as { value?: Raw[] };
      for (const schedule of answer.value ?? []) {
        const error = schedule.error as { responseCode?: string; message?: string } | undefined;
        if (error) {
          throw new VendorError({
            vendor: VENDOR,
            code: error.responseCode ?? 'ScheduleError',
            message: `Microsoft 365 could not give the busy times of ${address} (${error.responseCode ?? error.message ?? 'error'}).`,
            retryable: error.responseCode !== 'ErrorMailRecipientNotFound',
            response: schedule,
          });
        }
        for (const item of (schedule.scheduleItems as Raw[] | undefined) ?? []) {
          if (item.status === 'free' || item.status === 'workingElsewhere') continue;
          const start = instantOf(item.start as Raw);
          const end = instantOf(item.end as Raw);
          if (start !== undefined && end !== undefined) busy.push({ startMs: start, endMs: end });
        }
      }
    }
    return busy;
  }

  /** Events of a calendar overlapping [startMs, endMs), recurring ones expanded (calendarView), every page. */
  async calendarView(calendarId: string, startMs: number, endMs: number): Promise<GraphEvent[]> {
    const events = new Map<string, GraphEvent>();
    for (const [from, to] of windows(startMs, endMs)) {
      const path = `/me/calendars/${encodeURIComponent(calendarId)}/calendarView`;
      const items = await this.all('list events', path, {
        startDateTime: new Date(from).toISOString(),
        endDateTime: new Date(to).toISOString(),
        $top: '100',
        $expand: EXPAND,
      });
      for (const raw of items) {
        const event = toEvent(raw);
        if (event && raw.isCancelled !== true) events.set(event.id, event);
      }
    }
    return [...events.values()].sort((a, b) => a.startMs - b.startMs);
  }

  async findByBookingId(calendarId: string, bookingId: string): Promise<GraphEvent | undefined> {
    const value = bookingId.replace(/'/g, "''");
    const items = await this.all('find the event', `/me/calendars/${encodeURIComponent(calendarId)}/events`, {
      $filter: `singleValueExtendedProperties/Any(ep: ep/id eq '${BOOKING_PROPERTY_ID}' and ep/value eq '${value}')`,
      $expand: EXPAND,
      $top: '5',
    });
    return items.map((raw) => toEvent(raw)).find((event) => event !== undefined);
  }

  /** `transactionId` makes Graph answer a retried POST with the event the first one made. */
  async createEvent(calendarId: string, input: GraphEventInput): Promise<GraphEvent> {
    const raw = (await this.call('create the event', (client) =>
      client
        .api(`/me/calendars/${encodeURIComponent(calendarId)}/events`)
        .header('Prefer', UTC)
        .post({ ...eventBody(input), ...(input.bookingId ? { transactionId: `sb-${input.bookingId}` } : {}) }),
    )) as Raw;
    return mustBeEvent(raw, 'create', input);
  }

  async getEvent(eventId: string): Promise<GraphEvent | undefined> {
    try {
      const raw = (await this.call('read the event', (client) =>
        client
          .api(`/me/events/${encodeURIComponent(eventId)}`)
          .header('Prefer', UTC)
          .query({ $expand: EXPAND })
          .get(),
      )) as Raw;
      return mustBeEvent(raw, 'get');
    } catch (error) {
      if (error instanceof VendorError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Rewrites the event if it is still at `etag` (`@odata.etag`); a stale one is refused (412). */
  async patchEvent(eventId: string, etag: string, input: GraphEventInput): Promise<GraphEvent> {
    const raw = (await this.call('update the event', (client) =>
      client
        .api(`/me/events/${encodeURIComponent(eventId)}`)
        .header('Prefer', UTC)
        .header('If-Match', etag)
        .query({ $expand: EXPAND })
        .patch(eventBody(input)),
    )) as Raw;
    return mustBeEvent(raw, 'update', input);
  }

  /** Deleting an event that is already gone (404) counts as done. */
  async deleteEvent(eventId: string): Promise<void> {
    try {
      await this.call('delete the event', (client) => client.api(`/me/events/${encodeURIComponent(eventId)}`).delete());
    } catch (error) {
      if (error instanceof VendorError && error.status === 404) return;
      throw error;
    }
  }

  /** Every page of a collection, following `@odata.nextLink` (Graph's default page is 10 items). */
  private async all(what: string, path: string, query: Record<string, string> = {}): Promise<Raw[]> {
    const out: Raw[] = [];
    const client = await this.clientOf();
    let request = client.api(path).header('Prefer', UTC).query(query);
    for (;;) {
      const page = (await this.call(what, () => request.get())) as { value?: Raw[]; '@odata.nextLink'?: string };
      out.push(...(page.value ?? []));
      const next = page['@odata.nextLink'];
      if (!next) return out;
      // The link is absolute; the SDK only strips https hosts, so hand it the path and query after the version.
      const url = new URL(next);
      request = client.api(`${url.pathname.replace(/^\/v1\.0/, '')}${url.search}`).header('Prefer', UTC);
    }
  }

  private async call<T>(what: string, run: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.clientOf();
    try {
      return await run(client);
    } catch (error) {
      throw graphError(error, what, { aborted: this.options.signal?.aborted === true });
    }
  }
}

/**
 * GraphError → VendorError. Retryable: 429 (throttled; `Retry-After` kept in `response`), 5xx, 401 (the caller
 * refreshes once) and no answer at all. Not: 400, 403 (scope, consent), 404, 409, 412.
 */
export function graphError(error: unknown, what: string, flags: { aborted?: boolean } = {}): VendorError {
  if (error instanceof VendorError) return error;
  // A GraphError exists only once the SDK has loaded; before that, nothing is one.
  const sdk = loadGraphSdk.value;
  const graph = sdk && error instanceof sdk.GraphError ? error : undefined;
  const status = graph && graph.statusCode > 0 ? graph.statusCode : undefined;
  if (status === undefined) {
    const timedOut = /timeout|aborted/i.test(`${graph?.code ?? ''} ${(error as Error)?.name ?? ''} ${(error as Error)?.message ?? ''}`);
    const code = flags.aborted ? 'aborted' : timedOut ? 'timeout' : 'network_error';
    return new VendorError({
      vendor: VENDOR,
      code,
      message:
        code === 'aborted'
          ? 'The Microsoft Graph request was abandoned (time budget spent).'
          : code === 'timeout'
            ? `Microsoft Graph did not answer in time (${what}).`
            : `Could not reach Microsoft Graph to ${what}: ${(error as Error)?.message ?? String(error)}`,
      retryable: true,
      cause: error,
    });
  }
  const code = graph?.code ?? `HTTP_${status}`;
  let retryAfter: string | undefined;
  try {
    retryAfter = graph?.headers?.get('retry-after') ?? undefined;
  } catch {
    retryAfter = undefined;
  }
  return new VendorError({
    vendor: VENDOR,
    code,
    message: `Microsoft Graph refused to ${what}: ${code} (${graph?.message ?? `status ${status}`}).`,
    retryable: status === 429 || status >= 500 || status === 401,
    status,
    response: { body: graph?.body, ...(retryAfter ? { retryAfter } : {}) },
    cause: error,
  });
}

function windows(startMs: number, endMs: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = startMs; from < endMs; from += MAX_SPAN_MS) out.push([from, Math.min(endMs, from + MAX_SPAN_MS)]);
  return out;
}

function eventBody(input: GraphEventInput): Raw {
  return {
    subject: input.title,
    body: { contentType: 'text', content: input.description },
    start: graphDateTime(input.startMs, input.timezone),
    end: graphDateTime(input.endMs, input.timezone),
    ...(input.location ? { location: { displayName: input.location } } : {}),
    // Attendees get Outlook's invitation (Graph has no switch to stop it), as Zoho's do.
    ...(input.attendeeEmail ? { attendees: [{ emailAddress: { address: input.attendeeEmail }, type: 'required' }] } : {}),
    showAs: 'busy',
    singleValueExtendedProperties: [
      ...(input.bookingId ? [{ id: BOOKING_PROPERTY_ID, value: input.bookingId }] : []),
      { id: INSTANTS_PROPERTY_ID, value: `${new Date(input.startMs).toISOString()}/${new Date(input.endMs).toISOString()}` },
    ],
  };
}

/** Outlook may hand a text body back as HTML: keep the lines (the booking marker is one) and drop the markup. */
function textOf(body: unknown): string {
  const { contentType, content } = (body ?? {}) as { contentType?: string; content?: string };
  if (typeof content !== 'string') return '';
  if (contentType?.toLowerCase() !== 'html') return content;
  return content
    .replace(/<(br|\/p|\/div)\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .trim();
}

/** `requested`: the instants a create or update asked for (its answer carries no extended properties). */
function toEvent(raw: Raw, requested?: { startMs: number; endMs: number }): GraphEvent | undefined {
  const properties = (raw.singleValueExtendedProperties as { id?: string; value?: string }[] | undefined) ?? [];
  const property = properties.find((entry) => entry.id === BOOKING_PROPERTY_ID);
  const stored = properties
    .find((entry) => entry.id === INSTANTS_PROPERTY_ID)
    ?.value?.split('/')
    .map((iso) => Date.parse(iso));
  const start = settledInstantOf(raw.start as Raw | undefined, [requested?.startMs, stored?.[0]]);
  const end = settledInstantOf(raw.end as Raw | undefined, [requested?.endMs, stored?.[1]]);
  if (typeof raw.id !== 'string' || start === undefined || end === undefined) return undefined;
  return {
    id: raw.id,
    etag: typeof raw['@odata.etag'] === 'string' ? raw['@odata.etag'] : '',
    title: typeof raw.subject === 'string' ? raw.subject : '',
    description: textOf(raw.body),
    startMs: start,
    endMs: end,
    blocks: raw.showAs !== 'free' && raw.showAs !== 'workingElsewhere',
    bookingId: property?.value,
  };
}

function mustBeEvent(raw: Raw, what: string, requested?: { startMs: number; endMs: number }): GraphEvent {
  const event = toEvent(raw, requested);
  if (!event) {
    throw new VendorError({
      vendor: VENDOR,
      code: 'UNEXPECTED_ANSWER',
      message: `Microsoft Graph's answer to ${what} carried no readable event.`,
      retryable: true,
      response: raw,
    });
  }
  return event;
}
