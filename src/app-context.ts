/**
 * What every feature module receives from the composition root (main.ts): configuration, the database,
 * time, logging, live events, metrics, health checks, the outbox handler registry and the vendor ports.
 */
import type { SharedCalendarViews } from './booking/view-sharing.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { AlertPort } from './alerts/types.js';
import type { CalendarPort } from './booking/calendar-port.js';
import type { ProviderRegistry } from './core/provider-registry.js';
import type { CrmPort } from './crm/port.js';
import type { ClientRegistry } from './config/registry.js';
import type { Env } from './config/env.js';
import type { Clock } from './core/clock.js';
import type { SecretBox } from './core/crypto.js';
import type { ScryptCost } from './dashboard/auth/password.js';
import type { Database } from './db/database.js';
import type { DB } from './db/schema.js';
import type { EventBus } from './events/bus.js';
import type { CallLanguageMemo } from './customers/call-language-memo.js';
import type { HealthCheck } from './http/health.js';
import type { Metrics } from './http/metrics.js';
import type { OfficeLoader } from './offices/loader.js';
import type { Logger } from './log/logger.js';
import type { MessagingBatches } from './messaging/batches.js';
import type { EmailRoute, SmsRoute } from './messaging/ports.js';
import type { HandlerRegistry } from './outbox/handlers.js';
import type { Sandbox } from './sandbox/index.js';
import type { ZohoTokenCache } from './zoho/connection.js';
import type { OAuthConnections } from './oauth/connections.js';
import type { Rewriter } from './messaging/rewrite/apply.js';

export interface AppContext {
  env: Env;
  clients: ClientRegistry;
  database: Database;
  db: Kysely<DB>;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  metrics: Metrics;
  /** Readiness checks feature modules add (vendor connections). */
  health: HealthCheck[];
  /** Outbox handlers by kind; feature modules register theirs. */
  handlers: HandlerRegistry;
  /**
   * Calendar ports by provider: vendor modules register theirs (`calendars.register('zoho', …)`), booking asks
   * `calendars.portFor(clientId)` and gets the one the office's document chose (`calendar.provider`).
   */
  calendars: ProviderRegistry<CalendarPort>;
  /** Calendar reads asked at the same moment for the same office, calendar and window share one vendor read (issue 21). */
  calendarViews: SharedCalendarViews;
  /** The customer row's language per call, so a call's later function requests skip that read (issue 21). */
  callLanguages: CallLanguageMemo;
  /** CRM ports by provider, chosen per office by `crm.provider` (none: no sync). */
  crms: ProviderRegistry<CrmPort>;
  /**
   * SMS and e-mail providers by name (`twilio`, `telnyx`, `smtp`, `sendgrid`): vendor modules register theirs;
   * messaging asks `portOf(provider, clientId)` for each provider the office's chain lists (messaging/chains.ts).
   */
  smsProviders: ProviderRegistry<SmsRoute>;
  emailProviders: ProviderRegistry<EmailRoute>;
  /**
   * Messaging's coalesced per-message statements (consent checks, delivery records, status callbacks and their live
   * events; messaging/batches.ts), one per app: the `sms`/`email` handlers and every provider's webhooks share it.
   */
  messageBatches: MessagingBatches;
  /**
   * Each OAuth calendar provider's connection store (`google`, `microsoft`), set by its module in setUp: one per app,
   * shared by the provider's calendar port, its connect routes and the Connections screen.
   */
  oauthConnections: Map<string, OAuthConnections>;
  /** The Zoho module's per-app state: access tokens cached in this process and refreshes in flight. */
  zohoTokens: ZohoTokenCache;
  /**
   * The optional follow-up rewrite's LLM (issue 17), built once per process by main.ts from ANTHROPIC_API_KEY (the
   * emulator in demo mode); undefined when none is configured. Offices opt in with `insights.rewrite.enabled`.
   */
  rewriter: Rewriter | undefined;
  /** Raise problems for staff (errors table, Slack, e-mail); replaced by the alerts module in setUp. */
  alerts: AlertPort;
  /** Running emulators in demo mode (or SANDBOX=1), else undefined. */
  sandbox: Sandbox | undefined;
  /** Seals tokens at rest and signs short-lived links (key from SWITCHBOARD_SECRET_KEY). */
  secretBox: SecretBox;
  /** Reloads an office from the database after a change (the registry follows every instance's changes). */
  offices?: OfficeLoader;
  /** Base URL the outside world reaches us at (links in e-mails, callback URLs). */
  publicBaseUrl: string;
  /** scrypt cost for new and re-hashed dashboard passwords: always PASSWORD_COST outside tests. */
  passwordCost: ScryptCost;
  /**
   * The signed-in dashboard user behind a request, if any. Set by the dashboard module; routes outside it
   * (readiness details, the demo's sandbox views) use it to keep their answers for staff. Absent: nobody is.
   */
  signedInUser?(request: FastifyRequest): Promise<SignedInUser | undefined>;
  /** Lines for the start-up banner (e.g. the first admin's one-time password). */
  startupNotes?: string[];
  /** Functions run on shutdown, last registered first. */
  onClose: Array<() => Promise<void> | void>;
}

/** Who is signed in, as routes outside the dashboard need to know it. */
export interface SignedInUser {
  role: 'admin' | 'staff';
  /** Every configured client for admins. */
  clientIds: string[];
}

/**
 * A feature folder's entry point: `setUp` wires its ports and handlers into the context (in the order
 * main.ts lists the modules), `routes` adds its HTTP routes.
 */
export interface FeatureModule {
  name: string;
  setUp?(context: AppContext): Promise<void> | void;
  routes?(app: FastifyInstance, context: AppContext): Promise<void> | void;
}
