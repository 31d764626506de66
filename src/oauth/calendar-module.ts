/**
 * What the Google and Microsoft 365 modules share: a calendar provider reached through the deployment's OAuth app and
 * an office's own grant (`OAuthConnections`). `oauthCalendarModule` registers the provider's CalendarPort with
 * `context.calendars`, keeps its connection store on `context.oauthConnections` (the Connections screen reads it),
 * adds a `<provider>:<slug>` readiness check per office that books there (also what `switchboard doctor` runs),
 * mounts the connect routes and, in demo mode, connects each such office to the emulator with no clicks.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext, FeatureModule } from '../app-context.js';
import { CalendarUnavailable, type CalendarPort } from '../booking/calendar-port.js';
import type { ClientRuntime } from '../config/registry.js';
import { perOffice, perOfficeHealthCheck, preloadForOffices } from '../offices/per-office.js';
import { OAuthConnectionBroken, OAuthConnections, type OAuthProviderSpec } from './connections.js';

export interface OAuthCalendarDefinition<App> {
  /** `calendar.provider` and `oauth_connections.provider`: `google`, `microsoft`. */
  provider: 'google' | 'microsoft';
  label: string;
  /** The variables that hold the deployment's OAuth app, for messages. */
  appVariables: string;
  /** The deployment's OAuth app: the emulator's in demo mode (or SANDBOX=1 without the variables), else from the environment. */
  appOf(context: AppContext): { app: App; emulated: boolean } | undefined;
  connectionSpec(app: App): OAuthProviderSpec;
  port(connections: OAuthConnections, context: AppContext): CalendarPort;
  routes(app: FastifyInstance, context: AppContext, connections: OAuthConnections, oauthApp: App, emulated: boolean): void;
  /** Loads the vendor SDKs the port and the token refresh use (they load on first use otherwise). */
  loadSdk(): Promise<unknown>;
  /** Demo: connects the office to the emulator (and creates its booking calendar there) unless a usable grant is stored. */
  connectDemo(context: AppContext, runtime: ClientRuntime, connections: OAuthConnections, oauthApp: App): Promise<void>;
}

/** Where the office's connect flow starts (the Connections screen's button, the error messages). */
export function connectPathFor(provider: string, clientId: string): string {
  return `/v1/oauth/${provider}/start?client=${encodeURIComponent(clientId)}`;
}

/** A connection nobody can use until a person (re)connects is, to booking, a calendar that is unavailable. */
export function unavailableWhenDisconnected(port: CalendarPort): CalendarPort {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof OAuthConnectionBroken)) throw error;
      throw new CalendarUnavailable({ vendor: error.vendor, reason: error.reason, code: error.code, message: error.message, cause: error });
    }
  };
  const guarded: CalendarPort = {
    view: (clientId, startMs, endMs, signal) => guard(() => port.view(clientId, startMs, endMs, signal)),
    create: (clientId, event, signal) => guard(() => port.create(clientId, event, signal)),
    get: (clientId, eventId, signal) => guard(() => port.get(clientId, eventId, signal)),
    update: (clientId, eventId, event, signal) => guard(() => port.update(clientId, eventId, event, signal)),
    remove: (clientId, eventId, signal) => guard(() => port.remove(clientId, eventId, signal)),
    listCalendars: (clientId, signal) => guard(() => port.listCalendars(clientId, signal)),
  };
  const find = port.findByBookingId?.bind(port);
  if (find) guarded.findByBookingId = (clientId, bookingId, signal) => guard(() => find(clientId, bookingId, signal));
  // A person's own calendar (per-staff offices) goes through the same connection, so the same mapping.
  const forCalendar = port.forCalendar?.bind(port);
  if (forCalendar) guarded.forCalendar = (calendarId) => unavailableWhenDisconnected(forCalendar(calendarId));
  return guarded;
}

/** The office's settings block for the provider, or CalendarUnavailable naming what to add. */
export function settingsFor<Settings>(context: AppContext, provider: 'google' | 'microsoft', label: string, clientId: string): Settings {
  const runtime = context.clients.get(clientId);
  if (!runtime) throw new CalendarUnavailable({ vendor: provider, reason: 'not_configured', message: `No office "${clientId}" is served.` });
  const settings = runtime.config[provider];
  if (!settings) {
    throw new CalendarUnavailable({
      vendor: provider,
      reason: 'not_configured',
      message: `The office ${clientId} has no "${provider}" settings for its ${label} calendar; add "${provider}": {} to the office document.`,
    });
  }
  return settings as Settings;
}

export function oauthCalendarModule<App>(definition: OAuthCalendarDefinition<App>): FeatureModule {
  const { provider, label } = definition;
  const booksHere = (runtime: ClientRuntime) => runtime.config.calendar.provider === provider;

  return {
    name: provider,
    async setUp(context) {
      const resolved = definition.appOf(context);
      if (!resolved) {
        // Live mode without the deployment's app: offices that chose this provider were refused at load (secrets.ts).
        context.calendars.register(provider, (clientId) => {
          throw new CalendarUnavailable({
            vendor: provider,
            reason: 'not_configured',
            message: `${label} is not set up on this server (${definition.appVariables}); ${clientId} cannot book until an operator sets them.`,
          });
        });
        return;
      }
      const connections = new OAuthConnections(context, definition.connectionSpec(resolved.app));
      context.oauthConnections.set(provider, connections);
      const port = unavailableWhenDisconnected(definition.port(connections, context));
      context.calendars.register(provider, () => port);

      // An office that books here will read its calendar on its next call: load the SDKs now rather than in that call's
      // time budget (importing them takes 0.1–0.5 s). A server none of whose offices books here never loads them.
      await preloadForOffices(context, booksHere, definition.loadSdk, label);

      await perOfficeHealthCheck(context, (runtime) => {
        if (!booksHere(runtime)) return undefined;
        const clientId = runtime.config.slug;
        return {
          name: `${provider}:${clientId}`,
          critical: false,
          async check() {
            const summary = await connections.describe(clientId);
            if (summary.status === 'not_connected') {
              return {
                status: 'degraded',
                detail: `not connected; connect ${label} from Connections in the dashboard (${connectPathFor(provider, clientId)})`,
              };
            }
            if (summary.status === 'broken') return { status: 'down', detail: `broken: ${summary.lastError ?? `reconnect ${label}`}` };
            const account = summary.ownerEmail ? ` as ${summary.ownerEmail}` : '';
            return {
              status: 'ok',
              detail: `connected${account}${resolved.emulated ? ' (emulator)' : ''}${summary.lastError ? `; last problem: ${summary.lastError}` : ''}`,
            };
          },
        };
      });

      // Demo: offices added or changed on a running server are connected to the emulator too.
      if (context.sandbox && resolved.emulated) {
        await perOffice(context, async (runtime) => {
          if (booksHere(runtime) && runtime.secrets.emulatedVendors.includes(provider)) {
            await definition
              .connectDemo(context, runtime, connections, resolved.app)
              .catch((error: unknown) => context.logger.warn({ err: error, clientId: runtime.config.slug }, `Could not connect the ${label} emulator`));
          }
        });
      }
    },
    routes(app, context) {
      const connections = context.oauthConnections.get(provider);
      const resolved = definition.appOf(context);
      if (!connections || !resolved) return;
      definition.routes(app, context, connections, resolved.app, resolved.emulated);
    },
  };
}

/**
 * Demo connect helper: whether the office already has a grant worth keeping — one from this run's emulator, from the
 * real vendor, or from an emulator that still answers (another instance's, sharing this database). One left pointing
 * at a previous run's emulator (a dead port after a restart) is replaced, as Zoho's demo connect does.
 */
export async function keepsStoredGrant(context: AppContext, provider: string, clientId: string, emulatorUrl: string, realAccounts: string): Promise<boolean> {
  const existing = await context.db
    .selectFrom('oauth_connections')
    .select(['accounts_server', 'status'])
    .where('client_id', '=', clientId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  if (!existing || existing.status === 'broken') return false;
  if (existing.accounts_server === emulatorUrl || existing.accounts_server === realAccounts) return true;
  return answers(existing.accounts_server);
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(500) });
    return true;
  } catch {
    return false;
  }
}
