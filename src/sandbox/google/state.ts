/**
 * The in-memory world the Google emulator serves: one Google user with OAuth grants (codes, refresh and access
 * tokens with their scopes), calendars and events. Every time rule reads the injected clock.
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { systemClock, type Clock } from '../../core/clock.js';

export interface GoogleEmulatorOptions {
  clock?: Clock;
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs; when omitted any http(s) URI is accepted. */
  redirectUris?: string[];
  accessTokenTtlSeconds?: number;
  /** The signed-in user (primary calendar id, `email` claim of the ID token). */
  userEmail?: string;
  /** The primary calendar's zone (default America/New_York). */
  timezone?: string;
  /** An External app in "Testing" status: refresh tokens die 7 days after issue. */
  testingApp?: boolean;
  port?: number;
}

export interface GoogleGrantCode {
  scopes: string[];
  redirectUri: string;
  grantsRefreshToken: boolean;
  expiresAt: number;
  used: boolean;
}

export interface GoogleRefreshToken {
  token: string;
  scopes: string[];
  createdAt: number;
}

export interface GoogleAccessToken {
  token: string;
  refreshToken: string | undefined;
  scopes: string[];
  expiresAt: number;
}

export interface GoogleCalendarRecord {
  id: string;
  summary: string;
  timeZone: string;
  accessRole: 'owner' | 'writer' | 'reader' | 'freeBusyReader';
  primary: boolean;
}

export interface EventTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}

export interface GoogleEventRecord {
  id: string;
  calendarId: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  summary: string;
  description: string;
  location: string | undefined;
  start: EventTime;
  end: EventTime;
  startMs: number;
  endMs: number;
  transparency: 'opaque' | 'transparent';
  attendees: { email: string; displayName?: string; responseStatus: string }[];
  privateProperties: Record<string, string>;
  sharedProperties: Record<string, string>;
  etag: string;
  sequence: number;
  created: number;
  updated: number;
}

export const ACCESS_TOKEN_TTL_SECONDS = 3599;
export const TESTING_REFRESH_TTL_MS = 7 * 24 * 60 * 60_000;

export class GoogleState {
  readonly clock: Clock;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: string[] | undefined;
  readonly accessTokenTtlMs: number;
  readonly userEmail: string;
  readonly testingApp: boolean;
  readonly codes = new Map<string, GoogleGrantCode>();
  readonly refreshTokens = new Map<string, GoogleRefreshToken>();
  readonly accessTokens = new Map<string, GoogleAccessToken>();
  readonly calendars = new Map<string, GoogleCalendarRecord>();
  /** Keyed by `calendarId` + NUL + event id. */
  readonly events = new Map<string, GoogleEventRecord>();
  readonly tokenRequests: Record<string, number> = {};
  /** Clients that already consented: without `prompt=consent` they get no new refresh token. */
  readonly consented = new Set<string>();
  denyNextAuthorization = false;
  baseUrl = '';
  private etagCounter = 1_000_000;

  constructor(options: GoogleEmulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.redirectUris = options.redirectUris;
    this.accessTokenTtlMs = (options.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS) * 1000;
    this.userEmail = options.userEmail ?? 'frontdesk@office.example';
    this.testingApp = options.testingApp ?? false;
    this.ensureCalendar(this.userEmail, { summary: this.userEmail, timeZone: options.timezone ?? 'America/New_York', primary: true });
  }

  nowMs(): number {
    return this.clock.now().getTime();
  }

  newToken(prefix: string): string {
    return `${prefix}${randomBytes(24).toString('base64url')}`;
  }

  nextEtag(): string {
    this.etagCounter += 1;
    return `"${this.etagCounter}"`;
  }

  ensureCalendar(id: string, options: Partial<Omit<GoogleCalendarRecord, 'id'>> = {}): GoogleCalendarRecord {
    const existing = this.calendars.get(id);
    const record: GoogleCalendarRecord = {
      id,
      summary: options.summary ?? existing?.summary ?? id,
      timeZone: options.timeZone ?? existing?.timeZone ?? 'America/New_York',
      accessRole: options.accessRole ?? existing?.accessRole ?? 'owner',
      primary: options.primary ?? existing?.primary ?? false,
    };
    this.calendars.set(id, record);
    return record;
  }

  /** `primary` names the user's own calendar. */
  resolveCalendar(id: string): GoogleCalendarRecord | undefined {
    return this.calendars.get(id === 'primary' ? this.userEmail : id);
  }

  eventKey(calendarId: string, eventId: string): string {
    return `${calendarId}\u0000${eventId}`;
  }

  /** An instant from Google's `{dateTime, timeZone}` / `{date}`; undefined when unreadable. */
  instantOf(time: EventTime | undefined, calendarZone: string): number | undefined {
    if (!time) return undefined;
    const zone = time.timeZone ?? calendarZone;
    if (time.dateTime) {
      const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(time.dateTime);
      if (!hasOffset && !time.timeZone) return undefined;
      const parsed = DateTime.fromISO(time.dateTime, hasOffset ? { setZone: true } : { zone });
      return parsed.isValid ? parsed.toMillis() : undefined;
    }
    if (time.date) {
      const parsed = DateTime.fromISO(time.date, { zone });
      return parsed.isValid && /^\d{4}-\d{2}-\d{2}$/.test(time.date) ? parsed.toMillis() : undefined;
    }
    return undefined;
  }
}
