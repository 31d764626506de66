/**
 * Composition root: reads env and client configs, opens and migrates the database, starts the sandbox in
 * demo mode, wires ports and outbox handlers, serves HTTP and runs the outbox worker. `startSwitchboard`
 * is what `switchboard start`, the tests and the benchmarks all run.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext, FeatureModule } from './app-context.js';
import { DEMO_SECRETS, randomSandboxCredentials } from './config/demo-secrets.js';
import { loadEnv, type Env } from './config/env.js';
import { ConfigError } from './config/client-schema.js';
import { ClientRegistry } from './config/registry.js';
import { systemClock, type Clock } from './core/clock.js';
import { SecretBox, loadSecretKey } from './core/crypto.js';
import { registerTestClockRoutes, testClockFromEnv } from './core/test-clock.js';
import { PASSWORD_COST, type ScryptCost } from './dashboard/auth/password.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { EventBus } from './events/bus.js';
import { buildApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import { createLogger, type Logger } from './log/logger.js';
import { featureModules } from './modules.js';
import type { HandlerRegistry } from './outbox/handlers.js';
import { OutboxWorker } from './outbox/worker.js';
import { scheduleRollupRefresh } from './analytics/rollup.js';
import { importOfficeFiles, officeFiles } from './offices/import-files.js';
import { officesHealthCheck } from './offices/health.js';
import { OfficeLoader } from './offices/loader.js';
import { CalendarUnavailable } from './booking/calendar-port.js';
import { ProviderRegistry } from './core/provider-registry.js';
import { CrmUnavailable } from './crm/port.js';
import { ZohoTokenCache } from './zoho/connection.js';
import { REWRITE_BUDGET_MS } from './messaging/rewrite/decide.js';
import type { Rewriter } from './messaging/rewrite/apply.js';
import { anthropicRewritePort } from './providers/anthropic/rewrite.js';
import type { Sandbox } from './sandbox/index.js';
import { PermanentError } from './core/errors.js';
import { SharedCalendarViews } from './booking/view-sharing.js';
import { CallLanguageMemo } from './customers/call-language-memo.js';
import { createMessagingBatches } from './messaging/batches.js';
import { emailAccounts, smsAccounts } from './messaging/provider-accounts.js';

export interface StartOptions {
  /** Environment variables (default process.env). */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  logger?: Logger;
  /** Use this database instead of opening one from env (tests). Not closed by `close()` unless ownDatabase. */
  database?: Database;
  /** Listen on HOST:PORT (default true). */
  listen?: boolean;
  /** Run the outbox worker loop in this process (default: env WORKER !== "0"). */
  worker?: boolean;
  modules?: FeatureModule[];
  /**
   * Tests only: a cheaper scrypt cost for dashboard passwords, so suites that create and sign in many users stay
   * fast. Nothing outside tests sets it; `switchboard start` always hashes with PASSWORD_COST.
   */
  passwordCost?: ScryptCost;
}

export interface Switchboard {
  context: AppContext;
  app: FastifyInstance;
  worker: OutboxWorker;
  /** http://host:port when listening. */
  url: string | undefined;
  startedInMs: number;
  close(): Promise<void>;
}

export async function startSwitchboard(options: StartOptions = {}): Promise<Switchboard> {
  const startedAt = performance.now();
  const env: Env = loadEnv(options.env ?? process.env);
  const logger = options.logger ?? createLogger({ level: env.logLevel });
  // SWITCHBOARD_TEST_CLOCK=1 (demo only, refused in live mode): a ManualClock moved over loopback HTTP.
  const testClock = testClockFromEnv(options.env ?? process.env, env.mode);
  const clock = options.clock ?? testClock ?? systemClock;
  const demo = env.mode === 'demo';
  const dataDir = resolve(env.dataDir);
  const inMemory = env.dataDir.startsWith('memory://');

  // Emulated vendors' credentials: the public demo values in demo mode, values only this process knows in live
  // mode (SANDBOX=1), shared by every office and the in-process emulators.
  const sandboxCredentials = demo ? DEMO_SECRETS : randomSandboxCredentials();
  const clients = new ClientRegistry();
  const secretKey = inMemory && !env.secretKeyBase64 ? randomBytes(32) : loadSecretKey({ envValue: env.secretKeyBase64, dataDir, allowGenerate: demo });

  const onClose: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const close of onClose.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn({ err: error }, 'Error while shutting down');
      }
    }
  };

  try {
    const database = options.database ?? (await openDatabase({ url: env.databaseUrl, dataDir: inMemory ? undefined : dataDir, memory: inMemory, logger }));
    if (!options.database) onClose.push(() => database.close());
    const applied = await migrateToLatest(database);
    if (applied.length > 0) logger.info({ applied }, 'Database migrations applied');

    const bus = new EventBus(database, logger);
    await bus.start();
    onClose.push(() => bus.stop());

    // The emulators (and what only they use: smtp-server, mailparser …) load only when they run: a live instance
    // without SANDBOX=1 carries none of their code.
    const sandbox =
      demo || env.sandbox
        ? await (
            await import('./sandbox/index.js')
          ).startSandbox({
            clock,
            twilio: { accountSid: sandboxCredentials.TWILIO_ACCOUNT_SID, authToken: sandboxCredentials.TWILIO_AUTH_TOKEN },
            zoho: { clientId: sandboxCredentials.ZOHO_CLIENT_ID, clientSecret: sandboxCredentials.ZOHO_CLIENT_SECRET },
            hubspot: { accessToken: sandboxCredentials.HUBSPOT_ACCESS_TOKEN },
            google: { clientId: sandboxCredentials.GOOGLE_CLIENT_ID, clientSecret: sandboxCredentials.GOOGLE_CLIENT_SECRET },
            microsoft: { clientId: sandboxCredentials.MICROSOFT_CLIENT_ID, clientSecret: sandboxCredentials.MICROSOFT_CLIENT_SECRET },
            retell: { apiKey: sandboxCredentials.RETELL_API_KEY },
            anthropic: { apiKey: sandboxCredentials.ANTHROPIC_API_KEY },
          })
        : undefined;
    if (sandbox) onClose.push(() => sandbox.close());

    // Offices are data: files in CONFIG_DIR are imported when they changed, then the database is served.
    const secretBox = new SecretBox(secretKey);
    const startupNotes: string[] = [];
    const fileResults = await importOfficeFiles({ db: database.db, clock, bus }, officeFiles(resolve(env.configDir)), {
      author: 'file import',
    });
    const offices = new OfficeLoader({
      db: database.db,
      secretBox,
      env: options.env ?? process.env,
      mode: env.mode,
      registry: clients,
      logger,
      sandbox,
      sandboxCredentials,
    });
    const failures = await offices.loadAll();
    const demoSecrets = failures.flatMap((failure) =>
      failure.secretProblems.filter((problem) => problem.demo).map((problem) => ({ file: failure.slug, path: problem.path, message: problem.message })),
    );
    if (demoSecrets.length > 0) throw new ConfigError(demoSecrets, 'Live mode refuses the public demo secrets');
    for (const result of fileResults) {
      if (result.status !== 'invalid') continue;
      // A broken file never stops the other offices: the office keeps its last good version (if any) and shows as broken.
      clients.markBroken(result.file, result.problems);
      logger.warn({ file: result.file, problems: result.problems.map((p) => `${p.path}: ${p.message}`) }, 'An office file was not imported');
      startupNotes.push(
        `Not imported: ${result.file} (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}; see /readyz as an admin, or the log)`,
      );
    }
    for (const failure of failures) startupNotes.push(`Office not served: ${failure.slug} (${failure.problems[0]?.path}: ${failure.problems[0]?.message})`);
    onClose.push(offices.watch(bus));

    const handlers: HandlerRegistry = new Map();
    const callLanguages = new CallLanguageMemo();
    onClose.push(callLanguages.listen(bus));
    const context: AppContext = {
      env,
      clients,
      database,
      db: database.db,
      clock,
      logger,
      bus,
      metrics: new Metrics(database.db),
      health: [officesHealthCheck(clients)],
      handlers,
      calendarViews: new SharedCalendarViews(),
      callLanguages,
      calendars: new ProviderRegistry({
        kind: 'calendar',
        providerOf: (clientId) => clients.get(clientId)?.config.calendar.provider,
        unavailable: (_clientId, provider, message) => new CalendarUnavailable({ vendor: provider ?? 'none', reason: 'not_configured', message }),
      }),
      crms: new ProviderRegistry({
        kind: 'CRM',
        providerOf: (clientId) => clients.get(clientId)?.config.crm.provider,
        unavailable: (_clientId, provider, message) => new CrmUnavailable({ vendor: provider ?? 'none', reason: 'not_configured', message }),
      }),
      smsProviders: new ProviderRegistry({
        kind: 'SMS provider',
        providerOf: (clientId) => firstProvider(clients, clientId, smsAccounts),
        unavailable: (_clientId, provider, message) => new PermanentError(message, provider ? 'provider_not_installed' : 'unknown_client'),
      }),
      emailProviders: new ProviderRegistry({
        kind: 'e-mail provider',
        providerOf: (clientId) => firstProvider(clients, clientId, emailAccounts),
        unavailable: (_clientId, provider, message) => new PermanentError(message, provider ? 'provider_not_installed' : 'unknown_client'),
      }),
      messageBatches: createMessagingBatches({ db: database.db, bus }),
      oauthConnections: new Map(),
      zohoTokens: new ZohoTokenCache(),
      rewriter: buildRewriter(env, sandbox, sandboxCredentials.ANTHROPIC_API_KEY),
      alerts: {
        // Until the alerts module wires Slack/e-mail/errors table, alerts only reach the (masked) log.
        async raise(alert) {
          logger.warn({ alert }, alert.message);
        },
      },
      sandbox,
      secretBox,
      offices,
      publicBaseUrl: env.publicBaseUrl,
      passwordCost: options.passwordCost ?? PASSWORD_COST,
      startupNotes,
      onClose,
    };

    const modules = options.modules ?? featureModules;
    for (const module of modules) await module.setUp?.(context);

    const app = await buildApp(context, modules);
    onClose.push(() => app.close());

    const worker = new OutboxWorker({
      database,
      clock,
      logger,
      handlers,
      // PGlite is one process per data directory (lock file): rows left running were a crashed process's.
      exclusive: !options.database && database.kind === 'pglite',
      onHandlerDone: (kind, outcome, seconds) => context.metrics.handlerDuration.observe({ kind, outcome }, seconds),
      onChange: (changes) => {
        const clientIds = [...new Set(changes.map((change) => change.clientId))];
        for (const clientId of clientIds) {
          const ids = changes.filter((change) => change.clientId === clientId).map((change) => change.id);
          void bus.publish({ type: 'outbox.changed', clientId, data: { ids: ids.slice(0, 200) } });
        }
      },
    });
    if (options.worker ?? env.worker) {
      await worker.start();
      onClose.push(() => worker.stop());
      onClose.push(scheduleRollupRefresh(context));
    }

    if (testClock && !options.clock) {
      registerTestClockRoutes(app, { clock: testClock, db: database.db, drain: () => worker.drain() });
      (context.startupNotes ??= []).push('Test clock:  on (POST /__test/clock, /__test/outbox/settle; loopback only)');
    }

    let url: string | undefined;
    if (options.listen ?? true) {
      await app.listen({ port: env.port, host: env.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : env.port;
      url = `http://${env.host === '0.0.0.0' || env.host === '::' ? 'localhost' : env.host}:${port}`;
      if (!context.publicBaseUrl || context.publicBaseUrl.includes(':0')) context.publicBaseUrl = url;
    }

    return {
      context,
      app,
      worker,
      url,
      startedInMs: Math.round(performance.now() - startedAt),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The follow-up rewrite's provider, once per process (issue 17). Demo mode: always the emulator with the demo key,
 * like every vendor. Live: Anthropic with ANTHROPIC_API_KEY and ANTHROPIC_MODEL; without a key, the emulator only
 * under SANDBOX=1 (with this process's random key), else none, and offices that turned the rewrite on send templates.
 */
function buildRewriter(env: Env, sandbox: Sandbox | undefined, sandboxKey: string): Rewriter | undefined {
  const emulated = env.mode === 'demo' || (!env.anthropic.apiKey && env.sandbox);
  if (emulated && sandbox) {
    const port = anthropicRewritePort({
      apiKey: sandboxKey,
      model: env.anthropic.model ?? 'switchboard-demo-model',
      baseURL: sandbox.anthropic.url,
      timeoutMs: REWRITE_BUDGET_MS,
    });
    return { port, provider: 'emulator', budgetMs: REWRITE_BUDGET_MS };
  }
  if (!env.anthropic.apiKey || !env.anthropic.model) return undefined;
  return {
    port: anthropicRewritePort({ apiKey: env.anthropic.apiKey, model: env.anthropic.model, timeoutMs: REWRITE_BUDGET_MS }),
    provider: 'anthropic',
    budgetMs: REWRITE_BUDGET_MS,
  };
}

/** The first provider of an office's SMS or e-mail chain (its default when it lists none); undefined: unknown office. */
function firstProvider(clients: ClientRegistry, clientId: string, accounts: typeof smsAccounts): string | undefined {
  const runtime = clients.get(clientId);
  return runtime ? accounts(runtime)[0]?.provider : undefined;
}
