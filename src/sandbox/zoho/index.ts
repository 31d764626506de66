/**
 * One local server that plays Zoho Accounts, Calendar v1 and CRM v8 for tests and demo mode. It answers for
 * every data center: the `api_domain` and `accounts-server` it hands out are its own base URL, so a client that
 * follows what Zoho tells it (rather than a DC table) needs no special casing.
 */
import { Emulator } from '../emulator.js';
import { ALL_SCOPES, issueAccessToken, issueRefreshToken, issueSelfClientCode, registerAccountsRoutes, revokeRefreshToken } from './accounts.js';
import { addBusy, calendarErrorBody, ensureCalendar, moveEventDirectly, registerCalendarRoutes, toEmulatedEvent, type EmulatedEvent } from './calendar.js';
import { INTERNAL_ERROR_BODY, INVALID_TOKEN_BODY, TOO_MANY_REQUESTS_BODY, leadView, registerCrmRoutes, type EmulatedLead, type EmulatedNote } from './crm.js';
import { ZohoState, type CalendarRecord, type ZohoEmulatorOptions } from './state.js';

export type { ZohoEmulatorOptions, OAuthLimits, ZohoUser, CalendarRecord } from './state.js';
export type { EmulatedEvent } from './calendar.js';
export type { EmulatedLead, EmulatedNote, CrmErrorBody } from './crm.js';
export { ALL_SCOPES, THROTTLED_BODY } from './accounts.js';
export { INVALID_TOKEN_BODY, TOO_MANY_REQUESTS_BODY, INTERNAL_ERROR_BODY, crmErrorBody } from './crm.js';
export { calendarErrorBody, parseZohoDateTime } from './calendar.js';

export interface StartZohoEmulatorOptions extends ZohoEmulatorOptions {
  /** Calendars to create at start, as `ensureCalendar` would. */
  calendars?: { uid: string; name?: string; timezone?: string; ownerEmail?: string }[];
}

const CALENDAR_PATH = '/api/v1/';
const CRM_PATH = '/crm/v8/';

export const CALENDAR_DOWN_BODY = calendarErrorBody('INTERNAL_ERROR', 'Zoho Calendar is temporarily unavailable');
export const CALENDAR_RATE_LIMIT_BODY = calendarErrorBody('TOO_MANY_REQUESTS', 'too many requests; slow down');
export const CALENDAR_INVALID_TOKEN_BODY = calendarErrorBody('INVALID_OAUTHTOKEN', 'the OAuth token is invalid');

export async function startZohoEmulator(options: StartZohoEmulatorOptions): Promise<ZohoEmulator> {
  const state = new ZohoState(options);
  const emulator = await Emulator.start({
    name: 'zoho',
    port: options.port,
    routes: (app) => {
      registerAccountsRoutes(app, state);
      registerCalendarRoutes(app, state);
      registerCrmRoutes(app, state);
      // Read-only, for another process (an end-to-end test) to see the calendar as Zoho holds it.
      app.get('/__sandbox/zoho/events', async () => ({
        events: [...state.events.values()].sort((a, b) => a.startMs - b.startMs).map(toEmulatedEvent),
      }));
    },
  });
  state.baseUrl = emulator.url;
  const zoho = new ZohoEmulator(emulator, state);
  for (const calendar of options.calendars ?? []) zoho.ensureCalendar(calendar.uid, calendar);
  return zoho;
}

export class ZohoEmulator {
  constructor(
    readonly emulator: Emulator,
    readonly state: ZohoState,
  ) {}

  /** Base URL; also the accounts server, the CRM `api_domain` and the Calendar domain. */
  get url(): string {
    return this.emulator.url;
  }

  get calendarApiUrl(): string {
    return `${this.url}/api/v1`;
  }

  get crmApiUrl(): string {
    return `${this.url}/crm/v8`;
  }

  // Accounts

  /** Like a Self Client in Zoho's console: a refresh token for tests and demo, no browser needed. */
  issueRefreshToken(scopes: string[] = ALL_SCOPES): string {
    return issueRefreshToken(this.state, scopes).token;
  }

  /** A grant code as the Self Client console makes it (no redirect URI, valid 10 minutes by the clock). */
  issueSelfClientCode(scopes: string[] = ALL_SCOPES): string {
    return issueSelfClientCode(this.state, scopes);
  }

  /** A refresh token and an access token for it, for tests that only need to call the APIs. */
  issueTokens(scopes: string[] = ALL_SCOPES): { refreshToken: string; accessToken: string } {
    const refresh = issueRefreshToken(this.state, scopes);
    return { refreshToken: refresh.token, accessToken: issueAccessToken(this.state, refresh.token, scopes).token };
  }

  denyNextAuthorization(): void {
    this.state.denyNextAuthorization = true;
  }

  /** As if the user removed the app: every refresh and access token dies. */
  revokeAll(): void {
    for (const token of [...this.state.refreshTokens.keys()]) revokeRefreshToken(this.state, token);
    this.state.accessTokens.clear();
  }

  /** Every access token issued so far is expired from now on (refresh tokens stay valid). */
  expireAccessTokens(): void {
    const now = this.state.nowMs();
    for (const token of this.state.accessTokens.values()) token.expiresAt = Math.min(token.expiresAt, now);
  }

  /** Calls to the token endpoint by grant type, e.g. `{ authorization_code: 1, refresh_token: 2 }`. */
  get tokenRequests(): Readonly<Record<string, number>> {
    return { ...this.state.tokenRequests };
  }

  /** Refresh tokens currently valid, oldest first. */
  refreshTokens(): string[] {
    return [...this.state.refreshTokens.keys()];
  }

  /** Access tokens currently valid by the clock (for one refresh token, or all). */
  liveAccessTokens(refreshToken?: string): string[] {
    const now = this.state.nowMs();
    return [...this.state.accessTokens.values()]
      .filter((token) => token.expiresAt > now && (refreshToken === undefined || token.refreshToken === refreshToken))
      .map((token) => token.token);
  }

  // Calendar

  ensureCalendar(
    uid: string,
    options: { name?: string; timezone?: string; ownerEmail?: string; privilege?: CalendarRecord['privilege'] } = {},
  ): CalendarRecord {
    return { ...ensureCalendar(this.state, uid, options) };
  }

  /** An event someone made in Zoho directly; ISO instants (with offset or Z, else read in the calendar's zone). */
  addBusy(calendarUid: string, startIso: string, endIso: string, title?: string): EmulatedEvent {
    return addBusy(this.state, calendarUid, startIso, endIso, title);
  }

  events(calendarUid?: string): EmulatedEvent[] {
    return [...this.state.events.values()]
      .filter((event) => calendarUid === undefined || event.calendarUid === calendarUid)
      .sort((a, b) => a.startMs - b.startMs)
      .map(toEmulatedEvent);
  }

  deleteEventDirectly(uid: string): boolean {
    return this.state.events.delete(uid);
  }

  /** Moves an event as a person would in Zoho: same duration, new etag. */
  moveEventDirectly(uid: string, newStartIso: string): EmulatedEvent {
    return moveEventDirectly(this.state, uid, newStartIso);
  }

  /** What free/busy answers: the list (default), `{ fb_not_enabled: true }` or `{ freebusy: "NODATA" }`. */
  setFreebusyMode(mode: 'list' | 'fb_not_enabled' | 'nodata'): void {
    this.state.freebusyMode = mode;
  }

  calendarDown(times = 1): void {
    this.emulator.faults.failNext(times, 500, CALENDAR_DOWN_BODY, { match: CALENDAR_PATH });
  }

  rateLimitCalendar(times = 1): void {
    this.emulator.faults.failNext(times, 429, CALENDAR_RATE_LIMIT_BODY, { match: CALENDAR_PATH });
  }

  calendarInvalidTokenOnce(): void {
    this.emulator.faults.failNext(1, 401, CALENDAR_INVALID_TOKEN_BODY, { match: CALENDAR_PATH });
  }

  // CRM

  /** Extra mandatory Leads fields beyond Last_Name (e.g. `['Company']`, as many layouts have). */
  requireFields(fields: string[]): void {
    this.state.requiredLeadFields = [...fields];
  }

  /** Whether Phone is a unique field (then a second lead with the same phone gets DUPLICATE_DATA). */
  uniquePhone(enabled = true): void {
    this.state.uniquePhone = enabled;
  }

  /** Leads created from now on are not found by the next `searches` searches. */
  setSearchLag(searches: number): void {
    this.state.searchLag = searches;
  }

  /** Leads are not found by search until this long (by the clock) after creation. */
  setSearchLagMs(ms: number): void {
    this.state.searchLagMs = ms;
  }

  /** API credits used in the rolling 24 hours, and the limit (undefined = unlimited). */
  get credits(): { used: number; limit: number | undefined } {
    return { used: this.state.creditsUsed(), limit: this.state.creditLimit };
  }

  setCreditLimit(limit: number | undefined): void {
    this.state.creditLimit = limit;
  }

  /** The next CRM call answers 401 INVALID_TOKEN even with a valid token, to force a refresh. */
  crmInvalidTokenOnce(): void {
    this.emulator.faults.failNext(1, 401, INVALID_TOKEN_BODY, { match: CRM_PATH });
  }

  crmRateLimit(times = 1): void {
    this.emulator.faults.failNext(times, 429, TOO_MANY_REQUESTS_BODY, { match: CRM_PATH });
  }

  crmDown(times = 1): void {
    this.emulator.faults.failNext(times, 500, INTERNAL_ERROR_BODY, { match: CRM_PATH });
  }

  /**
   * The next lead inserted gets DUPLICATE_DATA on Phone, as when a parallel writer created it a moment earlier.
   * The answer names `existingId`, else an existing lead with the same phone, else the record is stored as that
   * parallel writer's lead and its id is named.
   */
  crmDuplicateNext(existingId?: string): void {
    this.state.duplicateNext = existingId === undefined ? {} : { existingId };
  }

  /** The next lead written (insert, update or upsert) gets MANDATORY_NOT_FOUND for `field`. */
  crmMandatoryMissingNext(field: string): void {
    this.state.mandatoryMissingNext = field;
  }

  leads(): EmulatedLead[] {
    return [...this.state.leads.values()].map((lead) => leadView(this.state, lead));
  }

  notes(leadId?: string): EmulatedNote[] {
    return [...this.state.notes.values()]
      .filter((note) => leadId === undefined || note.parentId === leadId)
      .map((note) => ({
        id: note.id,
        leadId: note.parentId,
        Note_Title: note.title,
        Note_Content: note.content,
        Created_Time: new Date(note.createdMs).toISOString(),
      }));
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }
}
