/**
 * One local server that plays Google's OAuth endpoints and Calendar API v3 for tests and demo mode. Point
 * google-auth-library at it with `endpoints` (`/o/oauth2/v2/auth`, `/token`, `/revoke`) and `@googleapis/calendar`
 * with `rootUrl: <url>/`; paths keep `/calendar/v3/...`.
 */
import { Emulator } from '../emulator.js';
import { issueAccessToken, issueRefreshToken, registerAccountsRoutes, revokeRefreshToken } from './accounts.js';
import {
  API_PREFIX,
  AUTH_ERROR_BODY,
  BACKEND_ERROR_BODY,
  QUOTA_EXCEEDED_BODY,
  RATE_LIMIT_BODY,
  USER_RATE_LIMIT_BODY,
  registerCalendarRoutes,
  toApiEvent,
} from './calendar.js';
import { GoogleState, type GoogleCalendarRecord, type GoogleEmulatorOptions, type GoogleEventRecord } from './state.js';

export type { GoogleEmulatorOptions, GoogleCalendarRecord, GoogleEventRecord } from './state.js';
export { googleErrorBody } from './calendar.js';

export const ALL_GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.calendarlist.readonly',
  'https://www.googleapis.com/auth/calendar.freebusy',
];

export async function startGoogleEmulator(options: GoogleEmulatorOptions): Promise<GoogleEmulator> {
  const state = new GoogleState(options);
  const emulator = await Emulator.start({
    name: 'google',
    port: options.port,
    routes: (app) => {
      registerAccountsRoutes(app, state);
      registerCalendarRoutes(app, state);
      app.get('/__sandbox/google/events', async () => ({ events: [...state.events.values()].map((event) => toApiEvent(state, event)) }));
    },
  });
  state.baseUrl = emulator.url;
  return new GoogleEmulator(emulator, state);
}

export class GoogleEmulator {
  constructor(
    readonly emulator: Emulator,
    readonly state: GoogleState,
  ) {}

  /** Token endpoint base (also the `accountsBase` for google-auth-library). */
  get url(): string {
    return this.emulator.url;
  }

  /** `rootUrl` for `@googleapis/calendar`. */
  get apiRoot(): string {
    return `${this.emulator.url}/`;
  }

  get userEmail(): string {
    return this.state.userEmail;
  }

  issueRefreshToken(scopes: string[] = ALL_GOOGLE_SCOPES): string {
    return issueRefreshToken(this.state, scopes);
  }

  issueTokens(scopes: string[] = ALL_GOOGLE_SCOPES): { refreshToken: string; accessToken: string } {
    const refreshToken = issueRefreshToken(this.state, scopes);
    return { refreshToken, accessToken: issueAccessToken(this.state, refreshToken, scopes).token };
  }

  revokeAll(): void {
    for (const token of [...this.state.refreshTokens.keys()]) revokeRefreshToken(this.state, token);
    this.state.accessTokens.clear();
  }

  denyNextAuthorization(): void {
    this.state.denyNextAuthorization = true;
  }

  get tokenRequests(): Readonly<Record<string, number>> {
    return { ...this.state.tokenRequests };
  }

  ensureCalendar(id: string, options: Partial<Omit<GoogleCalendarRecord, 'id'>> = {}): GoogleCalendarRecord {
    return { ...this.state.ensureCalendar(id, options) };
  }

  /** An event someone made in Google directly (ISO instants with offsets). */
  addBusy(
    calendarId: string,
    startIso: string,
    endIso: string,
    options: { summary?: string; transparent?: boolean; allDay?: boolean } = {},
  ): GoogleEventRecord {
    const calendar = this.state.resolveCalendar(calendarId);
    if (!calendar) throw new Error(`No calendar ${calendarId}`);
    const id = `ext${this.state.nextEtag().replace(/\D/g, '')}`;
    const start = options.allDay ? { date: startIso } : { dateTime: startIso };
    const end = options.allDay ? { date: endIso } : { dateTime: endIso };
    const now = this.state.nowMs();
    const event: GoogleEventRecord = {
      id,
      calendarId: calendar.id,
      status: 'confirmed',
      summary: options.summary ?? 'Busy',
      description: '',
      location: undefined,
      start,
      end,
      startMs: this.state.instantOf(start, calendar.timeZone)!,
      endMs: this.state.instantOf(end, calendar.timeZone)!,
      transparency: options.transparent ? 'transparent' : 'opaque',
      attendees: [],
      privateProperties: {},
      sharedProperties: {},
      etag: this.state.nextEtag(),
      sequence: 0,
      created: now,
      updated: now,
    };
    this.state.events.set(this.state.eventKey(calendar.id, id), event);
    return { ...event };
  }

  /** Live (not cancelled) events of a calendar, earliest first. */
  events(calendarId?: string): GoogleEventRecord[] {
    const resolved = calendarId ? this.state.resolveCalendar(calendarId)?.id : undefined;
    return [...this.state.events.values()]
      .filter((event) => event.status !== 'cancelled' && (resolved === undefined || event.calendarId === resolved))
      .sort((a, b) => a.startMs - b.startMs)
      .map((event) => ({ ...event }));
  }

  /** As a person deleting it in Google: the event stays, cancelled. */
  deleteEventDirectly(calendarId: string, eventId: string): void {
    const event = this.state.events.get(this.state.eventKey(this.state.resolveCalendar(calendarId)?.id ?? calendarId, eventId));
    if (event) Object.assign(event, { status: 'cancelled', etag: this.state.nextEtag() });
  }

  /** The next API call answers 401 authError even with a valid token (forces one refresh). */
  invalidTokenOnce(): void {
    this.emulator.faults.failNext(1, 401, AUTH_ERROR_BODY, { match: API_PREFIX });
  }

  rateLimit(times = 1, kind: '429' | '403' = '429'): void {
    this.emulator.faults.failNext(times, kind === '429' ? 429 : 403, kind === '429' ? RATE_LIMIT_BODY : USER_RATE_LIMIT_BODY, { match: API_PREFIX });
  }

  quotaExceeded(times = 1): void {
    this.emulator.faults.failNext(times, 403, QUOTA_EXCEEDED_BODY, { match: API_PREFIX });
  }

  down(times = 1): void {
    this.emulator.faults.failNext(times, 500, BACKEND_ERROR_BODY, { match: API_PREFIX });
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }
}
