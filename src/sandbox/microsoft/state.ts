/**
 * The in-memory world the Microsoft emulator serves: one Entra tenant with one user (mailbox), the app's OAuth
 * grants (codes, rotating refresh tokens, access tokens), the user's calendars and events with their
 * single-value extended properties. Every time rule reads the injected clock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../core/clock.js';

export interface MicrosoftEmulatorOptions {
  clock?: Clock;
  clientId: string;
  clientSecret: string;
  redirectUris?: string[];
  accessTokenTtlSeconds?: number;
  userEmail?: string;
  /** The mailbox's zone as Outlook names it (a Windows name), default Eastern Standard Time. */
  mailboxTimeZone?: string;
  /** A personal (outlook.com) account: getSchedule is not supported for it. */
  personalAccount?: boolean;
  /** Answer times in the mailbox's zone whatever `Prefer: outlook.timezone` says (some clients see this). */
  ignorePreferTimeZone?: boolean;
  port?: number;
}

export interface MicrosoftCode {
  scopes: string[];
  redirectUri: string;
  expiresAt: number;
  used: boolean;
}

export interface MicrosoftRefreshToken {
  token: string;
  scopes: string[];
  /** Refresh tokens are replaced on every use; the old one stays valid (Learn: "Refresh tokens"). */
  createdAt: number;
}

export interface MicrosoftAccessToken {
  token: string;
  refreshToken: string | undefined;
  scopes: string[];
  expiresAt: number;
}

export interface GraphCalendarRecord {
  id: string;
  name: string;
  isDefaultCalendar: boolean;
  canEdit: boolean;
}

export interface GraphEventRecord {
  id: string;
  calendarId: string;
  subject: string;
  body: { contentType: string; content: string };
  startMs: number;
  endMs: number;
  /** The zone names the event was written in (Windows or IANA), as Graph keeps them. */
  originalStartTimeZone: string;
  originalEndTimeZone: string;
  location: string | undefined;
  showAs: string;
  isAllDay: boolean;
  attendees: unknown[];
  transactionId: string | undefined;
  extendedProperties: Map<string, string>;
  changeKey: string;
  created: number;
  modified: number;
}

export const TENANT_ID = '72f988bf-0000-4000-8000-0000000000aa';
export const USER_OID = '00000000-0000-0000-66f3-3332eca7ea81';

export class MicrosoftState {
  readonly clock: Clock;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: string[] | undefined;
  readonly accessTokenTtlMs: number;
  readonly userEmail: string;
  readonly mailboxTimeZone: string;
  readonly personalAccount: boolean;
  readonly ignorePreferTimeZone: boolean;
  readonly codes = new Map<string, MicrosoftCode>();
  readonly refreshTokens = new Map<string, MicrosoftRefreshToken>();
  readonly accessTokens = new Map<string, MicrosoftAccessToken>();
  readonly calendars = new Map<string, GraphCalendarRecord>();
  readonly events = new Map<string, GraphEventRecord>();
  readonly tokenRequests: Record<string, number> = {};
  denyNextAuthorization = false;
  baseUrl = '';
  private changeCounter = 0;

  constructor(options: MicrosoftEmulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.redirectUris = options.redirectUris;
    this.accessTokenTtlMs = (options.accessTokenTtlSeconds ?? 3599) * 1000;
    this.userEmail = options.userEmail ?? 'frontdesk@contoso.example';
    this.mailboxTimeZone = options.mailboxTimeZone ?? 'Eastern Standard Time';
    this.personalAccount = options.personalAccount ?? false;
    this.ignorePreferTimeZone = options.ignorePreferTimeZone ?? false;
    this.addCalendar('Calendar', true);
  }

  nowMs(): number {
    return this.clock.now().getTime();
  }

  newToken(prefix = ''): string {
    return `${prefix}${randomBytes(32).toString('base64url')}`;
  }

  /** Graph ids are long base64 strings (URL-safe, with `=` padding at times); any opaque id does here. */
  newId(): string {
    return `AAMkAG${randomBytes(30).toString('base64url')}=`;
  }

  nextChangeKey(): string {
    this.changeCounter += 1;
    return `DwAAABYAAAA${this.changeCounter.toString(36).padStart(6, '0')}`;
  }

  addCalendar(name: string, isDefault = false): GraphCalendarRecord {
    const record: GraphCalendarRecord = {
      id: isDefault ? `AAMkAGdefault${randomUUID().replace(/-/g, '')}=` : this.newId(),
      name,
      isDefaultCalendar: isDefault,
      canEdit: true,
    };
    this.calendars.set(record.id, record);
    return record;
  }

  defaultCalendar(): GraphCalendarRecord {
    return [...this.calendars.values()].find((calendar) => calendar.isDefaultCalendar)!;
  }
}
