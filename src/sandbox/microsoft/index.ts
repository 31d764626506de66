/**
 * One local server that plays the Microsoft identity platform and Microsoft Graph's calendar endpoints for tests
 * and demo mode. MSAL reaches it through `redirectingNetworkClient(url)` (its authority stays
 * https://login.microsoftonline.com/…), the Graph client with `baseUrl: <url>/`.
 */
import { DateTime } from 'luxon';
import { Emulator } from '../emulator.js';
import { GRAPH_PREFIX, INVALID_TOKEN_BODY, THROTTLED_BODY, UNAVAILABLE_BODY, acceptedZone, registerGraphRoutes, toGraphEvent } from './graph.js';
import { issueAccessToken, issueRefreshToken, registerIdentityRoutes, revokeAll } from './identity.js';
import { MicrosoftState, type GraphCalendarRecord, type GraphEventRecord, type MicrosoftEmulatorOptions } from './state.js';

export type { MicrosoftEmulatorOptions, GraphCalendarRecord, GraphEventRecord } from './state.js';
export { graphErrorBody } from './graph.js';

export const ALL_MICROSOFT_SCOPES = ['Calendars.ReadWrite', 'User.Read'];

export async function startMicrosoftEmulator(options: MicrosoftEmulatorOptions): Promise<MicrosoftEmulator> {
  const state = new MicrosoftState(options);
  const emulator = await Emulator.start({
    name: 'microsoft',
    port: options.port,
    routes: (app) => {
      registerIdentityRoutes(app, state);
      registerGraphRoutes(app, state);
      app.get('/__sandbox/microsoft/events', async () => ({ events: [...state.events.values()].map((event) => toGraphEvent(state, event, 'UTC')) }));
    },
  });
  state.baseUrl = emulator.url;
  return new MicrosoftEmulator(emulator, state);
}

export class MicrosoftEmulator {
  constructor(
    readonly emulator: Emulator,
    readonly state: MicrosoftState,
  ) {}

  /** Stands in for https://login.microsoftonline.com (identity) and https://graph.microsoft.com (Graph). */
  get url(): string {
    return this.emulator.url;
  }

  /** `baseUrl` for the Graph client (paths continue with `v1.0/…`). */
  get graphBase(): string {
    return `${this.emulator.url}/`;
  }

  get userEmail(): string {
    return this.state.userEmail;
  }

  get defaultCalendarId(): string {
    return this.state.defaultCalendar().id;
  }

  addCalendar(name: string): GraphCalendarRecord {
    return { ...this.state.addCalendar(name) };
  }

  /** A calendar with a known id (demo offices name theirs in the office document); kept if it exists. */
  ensureCalendar(id: string, name: string): GraphCalendarRecord {
    const existing = this.state.calendars.get(id);
    if (existing) return { ...existing };
    const record: GraphCalendarRecord = { id, name, isDefaultCalendar: false, canEdit: true };
    this.state.calendars.set(id, record);
    return { ...record };
  }

  /** An access token for the Graph routes alone (no MSAL cache): for tests of the API client. */
  issueAccessToken(scopes: string[] = ALL_MICROSOFT_SCOPES): string {
    return issueAccessToken(this.state, issueRefreshToken(this.state, scopes), scopes).token;
  }

  revokeAll(): void {
    revokeAll(this.state);
  }

  denyNextAuthorization(): void {
    this.state.denyNextAuthorization = true;
  }

  get tokenRequests(): Readonly<Record<string, number>> {
    return { ...this.state.tokenRequests };
  }

  /** An event someone made in Outlook directly: ISO instants with offsets, written in `timeZone` (Windows or IANA). */
  addBusy(calendarId: string, startIso: string, endIso: string, options: { subject?: string; showAs?: string; timeZone?: string } = {}): GraphEventRecord {
    const zone = options.timeZone ?? this.state.mailboxTimeZone;
    if (!acceptedZone(zone)) throw new Error(`addBusy: Graph does not accept the zone ${zone}`);
    const now = this.state.nowMs();
    const event: GraphEventRecord = {
      id: this.state.newId(),
      calendarId,
      subject: options.subject ?? 'Busy',
      body: { contentType: 'text', content: '' },
      startMs: DateTime.fromISO(startIso).toMillis(),
      endMs: DateTime.fromISO(endIso).toMillis(),
      originalStartTimeZone: zone,
      originalEndTimeZone: zone,
      location: undefined,
      showAs: options.showAs ?? 'busy',
      isAllDay: false,
      attendees: [],
      transactionId: undefined,
      extendedProperties: new Map(),
      changeKey: this.state.nextChangeKey(),
      created: now,
      modified: now,
    };
    this.state.events.set(event.id, event);
    return { ...event };
  }

  events(calendarId?: string): GraphEventRecord[] {
    return [...this.state.events.values()]
      .filter((event) => calendarId === undefined || event.calendarId === calendarId)
      .sort((a, b) => a.startMs - b.startMs)
      .map((event) => ({ ...event, extendedProperties: new Map(event.extendedProperties) }));
  }

  invalidTokenOnce(): void {
    this.emulator.faults.failNext(1, 401, INVALID_TOKEN_BODY, { match: GRAPH_PREFIX });
  }

  throttle(times = 1, retryAfterSeconds = 1): void {
    this.emulator.faults.failNext(times, 429, THROTTLED_BODY, { match: GRAPH_PREFIX, headers: { 'retry-after': String(retryAfterSeconds) } });
  }

  down(times = 1): void {
    this.emulator.faults.failNext(times, 503, UNAVAILABLE_BODY, { match: GRAPH_PREFIX });
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }
}
