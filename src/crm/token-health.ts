/**
 * Periodic check of each client's Zoho connection as the CRM sees it: the token refreshes, the CRM scope is
 * granted, the API domain has not moved. The result is kept in crm_connection_health (so every instance and
 * /readyz see it without calling Zoho) and a change for the worse raises one alert, before syncs start failing.
 */
import type { AppContext } from '../app-context.js';
import { VendorError, errorMessage } from '../core/errors.js';
import type { CrmHealthStatus } from '../db/tables/crm.js';
import type { HealthCheck } from '../http/health.js';
import { maskText } from '../log/mask.js';
import { ZohoConnectionBroken, getZohoAccess } from '../zoho/connection.js';
import type { CrmFactory } from './port.js';

export const CRM_HEALTH_INTERVAL_MS = 15 * 60_000;

export interface CrmHealth {
  status: CrmHealthStatus;
  detail: string;
}

const SEVERITY: Record<CrmHealthStatus, number> = { ok: 0, warning: 1, broken: 2 };
const BROKEN_CODES = new Set(['OAUTH_SCOPE_MISMATCH', 'AUTHENTICATION_FAILURE', 'INVALID_TOKEN']);

async function probe(context: AppContext, crmFor: CrmFactory, clientId: string, lastDomain: string | null) {
  let apiDomain: string;
  try {
    apiDomain = (await getZohoAccess(context, clientId)).apiDomain;
  } catch (error) {
    if (error instanceof ZohoConnectionBroken) {
      return {
        health: { status: 'broken', detail: error.message } as CrmHealth,
        apiDomain: lastDomain,
        notConnected: error.reason === 'not_connected',
      };
    }
    return {
      health: { status: 'warning', detail: `Refreshing the Zoho token failed: ${errorMessage(error)}` } as CrmHealth,
      apiDomain: lastDomain,
    };
  }
  try {
    // The cheapest call that proves token, scope and domain together (one API credit per check).
    await crmFor(clientId).searchLeads({ word: 'switchboard-health-check' });
  } catch (error) {
    const code = error instanceof VendorError ? error.code : 'unknown';
    return {
      health: { status: BROKEN_CODES.has(code) ? 'broken' : 'warning', detail: errorMessage(error) } as CrmHealth,
      apiDomain,
    };
  }
  if (lastDomain && lastDomain !== apiDomain) {
    return {
      health: {
        status: 'warning',
        detail: `Zoho now answers from ${apiDomain} instead of ${lastDomain}; check that the account did not move data center and that the connection belongs to the right Zoho account.`,
      } as CrmHealth,
      apiDomain,
    };
  }
  return { health: { status: 'ok', detail: `Zoho CRM reachable at ${apiDomain}` } as CrmHealth, apiDomain };
}

/** Checks one client's CRM connection now, stores the result and alerts when it got worse. */
export async function checkCrmConnection(context: AppContext, crmFor: CrmFactory, clientId: string): Promise<CrmHealth> {
  const previous = await context.db
    .selectFrom('crm_connection_health')
    .selectAll()
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  const { health, apiDomain, notConnected } = await probe(context, crmFor, clientId, previous?.api_domain ?? null);
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
      source: 'zoho.crm.health',
      fingerprint: `zoho.crm.health:${clientId}:${health.status}`,
      severity: health.status === 'broken' ? 'critical' : 'warning',
      message: `The Zoho CRM connection for ${clientId} is ${health.status}: ${detail} CRM syncs will wait in the outbox until this is fixed.`,
    });
  }
  return { status: health.status, detail };
}

/** What /readyz shows for a client: the last stored check (no Zoho call on every probe). */
export function crmHealthCheck(context: AppContext, clientId: string): HealthCheck {
  return {
    name: `zoho-crm:${clientId}`,
    critical: false,
    async check() {
      const row = await context.db
        .selectFrom('crm_connection_health')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
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
        if (!config.zoho.crm.enabled) continue;
        await checkCrmConnection(context, crmFor, config.slug).catch((error: unknown) =>
          context.logger.warn({ err: error, clientId: config.slug }, 'Zoho CRM health check failed to run'),
        );
      }
    })().finally(() => {
      running = false;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
