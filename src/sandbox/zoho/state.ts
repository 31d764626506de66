/**
 * The in-memory world the Zoho emulator serves: one Zoho user (one org) with OAuth grants, calendars and events,
 * and CRM leads and notes. Accounts, Calendar and CRM routes share it, as the real services share one account.
 * Every time-dependent rule reads the injected clock so tests can expire tokens and codes without sleeping.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';

export interface ZohoEmulatorOptions {
  clock?: Clock;
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs. When omitted any http(s) redirect URI is accepted. */
  redirectUris?: string[];
  accessTokenTtlSeconds?: number;
  /** The `location` code handed out on the authorization redirect (default `us`). */
  location?: string;
  /** The Zoho user behind every grant (answers `/oauth/user/info`, owns the default calendar). */
  user?: Partial<ZohoUser>;
  /** The CRM org's time zone, used for `Created_Time` / `Modified_Time` (default America/New_York). */
  crmTimezone?: string;
  /** Leads created less than this long ago (by the clock) are not yet found by search (default 0). */
  searchLagMs?: number;
  /** Zoho's numbers are unconfirmed, so every OAuth limit can be changed. */
  limits?: Partial<OAuthLimits>;
  port?: number;
}

export interface OAuthLimits {
  /** Refreshes allowed per refresh token within `refreshWindowMs` (the 11th is throttled by default). */
  refreshesPerWindow: number;
  refreshWindowMs: number;
  accessTokensPerRefreshToken: number;
  refreshTokensPerClient: number;
  /** Lifetime of a code from the consent redirect. */
  authorizationCodeTtlMs: number;
  /** Lifetime of a code made as in the Self Client console. */
  selfClientCodeTtlMs: number;
}

export const defaultOAuthLimits: OAuthLimits = {
  refreshesPerWindow: 10,
  refreshWindowMs: 10 * 60_000,
  accessTokensPerRefreshToken: 15,
  refreshTokensPerClient: 20,
  authorizationCodeTtlMs: 2 * 60_000,
  selfClientCodeTtlMs: 10 * 60_000,
};

export interface ZohoUser {
  email: string;
  firstName: string;
  lastName: string;
  zuid: string;
  displayName: string;
}

export interface AuthorizationCode {
  code: string;
  scopes: string[];
  /** undefined for Self Client codes, which are exchanged without a redirect URI. */
  redirectUri: string | undefined;
  /** Whether the exchange hands out a refresh token (access_type=offline, and consent was given). */
  grantsRefreshToken: boolean;
  expiresAt: number;
  used: boolean;
}

export interface RefreshTokenRecord {
  token: string;
  scopes: string[];
  createdAt: number;
  /** Times (ms) of successful refreshes, for the throttle. */
  refreshes: number[];
}

export interface AccessTokenRecord {
  token: string;
  refreshToken: string | undefined;
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
}

export interface CalendarRecord {
  uid: string;
  name: string;
  timezone: string;
  ownerEmail: string;
  color: string;
  isdefault: boolean;
  /** `owner` for the user's own calendars; `read` / `write` for one another user shared with them. */
  privilege: 'owner' | 'read' | 'write';
}

export interface EventRecord {
  uid: string;
  calendarUid: string;
  title: string;
  /** Instants in UTC milliseconds; the busy interval is [startMs, endMs). */
  startMs: number;
  endMs: number;
  timezone: string;
  isallday: boolean;
  /** All-day events keep their dates as sent (`yyyyMMdd`). */
  allDay?: { start: string; end: string };
  etag: string;
  description?: string;
  location?: string;
  attendees?: unknown[];
  reminders?: unknown[];
  isprivate?: boolean;
  /** `api` when made through the API, `direct` when a person made it in Zoho (test helpers). */
  source: 'api' | 'direct';
  createdMs: number;
  modifiedMs: number;
}

export interface LeadRecord {
  id: string;
  fields: Record<string, unknown>;
  createdMs: number;
  modifiedMs: number;
  /** Value of the search counter when the lead was created (for count-based index lag). */
  createdAtSearch: number;
  /** Count-based lag in force when the lead was created. */
  searchLag: number;
}

export interface NoteRecord {
  id: string;
  parentModule: string;
  parentId: string;
  title: string | undefined;
  content: string;
  createdMs: number;
}

export class ZohoState {
  readonly clock: Clock;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: string[] | undefined;
  readonly accessTokenTtlMs: number;
  readonly location: string;
  readonly user: ZohoUser;
  readonly crmTimezone: string;
  readonly limits: OAuthLimits;
  /** Own base URL; set once the server listens. Every data center's domains point here. */
  baseUrl = '';

  readonly codes = new Map<string, AuthorizationCode>();
  /** Insertion order is age order, which the 20-per-client eviction relies on. */
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  /** Calls to POST /oauth/v2/token by grant_type (failed ones included). */
  readonly tokenRequests: Record<string, number> = {};
  denyNextAuthorization = false;

  readonly calendars = new Map<string, CalendarRecord>();
  readonly events = new Map<string, EventRecord>();
  freebusyMode: 'list' | 'fb_not_enabled' | 'nodata' = 'list';

  readonly leads = new Map<string, LeadRecord>();
  readonly notes = new Map<string, NoteRecord>();
  requiredLeadFields: string[] = [];
  uniquePhone = false;
  searchLag = 0;
  searchLagMs: number;
  searchCount = 0;
  creditLimit: number | undefined;
  /** Times (ms) of the CRM calls that used a credit; the window is a rolling 24 hours. */
  readonly creditUses: number[] = [];
  duplicateNext: { existingId?: string } | undefined;
  mandatoryMissingNext: string | undefined;

  private sequence = 0;

  constructor(options: ZohoEmulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.redirectUris = options.redirectUris;
    this.accessTokenTtlMs = (options.accessTokenTtlSeconds ?? 3600) * 1000;
    this.location = options.location ?? 'us';
    this.crmTimezone = options.crmTimezone ?? 'America/New_York';
    this.searchLagMs = options.searchLagMs ?? 0;
    this.limits = { ...defaultOAuthLimits, ...options.limits };
    const firstName = options.user?.firstName ?? 'Office';
    const lastName = options.user?.lastName ?? 'Owner';
    this.user = {
      email: options.user?.email ?? 'owner@office.example',
      firstName,
      lastName,
      zuid: options.user?.zuid ?? '700000001',
      displayName: options.user?.displayName ?? `${firstName} ${lastName}`,
    };
  }

  nowMs(): number {
    return this.clock.now().getTime();
  }

  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** Zoho's tokens and codes look like `1000.<hex>.<hex>`. */
  newToken(): string {
    return `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
  }

  /** Zoho CRM ids are 19-digit strings. */
  newCrmId(): string {
    return `5725767000000${String(524157 + this.nextSequence()).padStart(6, '0')}`;
  }

  newEtag(): string {
    return String(this.nowMs() * 1000 + this.nextSequence());
  }

  creditsUsed(): number {
    const since = this.nowMs() - 24 * 60 * 60_000;
    while (this.creditUses.length > 0 && (this.creditUses[0] ?? 0) <= since) this.creditUses.shift();
    return this.creditUses.length;
  }
}
