/**
 * Periodic check of each office's CRM connection as the sync sees it (each CRM's port proves its own token, scope
 * and endpoint: `checkConnection`). The result is kept in crm_connection_health (so every instance and /readyz
 * see it without calling the CRM) and a change for the worse raises one alert, before syncs start failing.
 */
import type { AppContext } from '../app-context.js';
import { errorMessage } from '../core/errors.js';
import type { CrmHealthStatus } from '../db/tables/crm.js';
import type { HealthCheck } from '../http/health.js';
import { maskText } from '../log/mask.js';
import type { CrmConnectionCheck, CrmFactory } from './port.js';

export const CRM_HEALTH_INTERVAL_MS = 15 * 60_000;

export interface CrmHealth {
  status: CrmHealthStatus;
  detail: string;
}

const SEVERITY: Record<CrmHealthStatus, number> = { ok: 0, warning: 1, broken: 2 };

async function probe(
  crmFor: CrmFactory,
  clientId: string,
  lastEndpoint: string | null,
): Promise<CrmConnectionCheck & { provider: string; vendorName: string }> {
  let port;
  try {
    port = crmFor(clientId);
  } catch (error) {
    return { status: 'broken', detail: errorMessage(error), endpoint: lastEndpoint, provider: 'crm', vendorName: 'CRM' };
  }
  const check = await port.checkConnection(lastEndpoint).catch((error: unknown): CrmConnectionCheck => ({
    status: 'warning',
    detail: errorMessage(error),
    endpoint: lastEndpoint,
  }));
  return { ...check, provider: port.provider, vendorName: port.vendorName };
}

/** Checks one client's CRM connection now, stores the result and alerts when it got worse. */
export async function checkCrmConnection(context: AppContext, crmFor: CrmFactory, clientId: string): Promise<CrmHealth> {
  const previous = await context.db.selectFrom('crm_connection_health').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  const checked = await probe(crmFor, clientId, previous?.api_domain ?? null);
  const health: CrmHealth = { status: checked.status, detail: checked.detail };
  const apiDomain = checked.endpoint;
  const notConnected = checked.notConnected === true;
  const now = context.clock.now();
  const detail = maskText(health.detail);
  const changed = previous?.status !== health.status;
  await context.db
    .insertInto('crm_connection_health')
    .values({ client_id: clientId, status: health.status, detail, api_domain: apiDomain, checked_at: now, changed_at: now })
    .onConflict((conflict) =>
      conflict.column('client_id').doUpdateSet({
        status: health.status,
        detail,
        api_domain: apiDomain,
        checked_at: now,
        ...(changed ? { changed_at: now } : {}),
      }),
    )
    .execute();
  // Not yet connected is a set-up step, not a failure; everything else that got worse warns staff once.
  const worse = SEVERITY[health.status] > SEVERITY[previous?.status ?? 'ok'];
  if (worse && !notConnected) {
    await context.alerts.raise({
      clientId,
      source: `${checked.provider}.crm.health`,
      fingerprint: `${checked.provider}.crm.health:${clientId}:${health.status}`,
      severity: health.status === 'broken' ? 'critical' : 'warning',
      message: `The ${checked.vendorName} connection for ${clientId} is ${health.status}: ${detail} CRM syncs will wait in the outbox until this is fixed.`,
    });
  }
  return { status: health.status, detail };
}

/** What /readyz shows for an office (`<provider>-crm:<slug>`): the last stored check (no CRM call on every probe). */
export function crmHealthCheck(context: AppContext, clientId: string, provider: string): HealthCheck {
  return {
    name: `${provider}-crm:${clientId}`,
    critical: false,
    async check() {
      const row = await context.db.selectFrom('crm_connection_health').selectAll().where('client_id', '=', clientId).executeTakeFirst();
      if (!row) return { status: 'ok', detail: 'not checked yet' };
      const detail = `${row.detail ?? ''} (checked ${new Date(row.checked_at).toISOString()})`;
      return { status: row.status === 'ok' ? 'ok' : row.status === 'warning' ? 'degraded' : 'down', detail };
    },
  };
}

/** Checks every CRM-enabled client now and then; the timer does not keep the process alive. */
export function scheduleCrmHealthChecks(context: AppContext, crmFor: CrmFactory, intervalMs = CRM_HEALTH_INTERVAL_MS) {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      for (const { config } of context.clients.all()) {
        if (!config.crm.enabled) continue;
        await checkCrmConnection(context, crmFor, config.slug).catch((error: unknown) =>
          context.logger.warn({ err: error, clientId: config.slug }, 'CRM health check failed to run'),
        );
      }
    })().finally(() => {
      running = false;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
