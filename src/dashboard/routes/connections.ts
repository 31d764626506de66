/**
 * Connections per client: the office's calendar provider (Zoho, Google or Microsoft 365: state, account, expiry,
 * connect/reconnect link), its CRM provider (Zoho's connection, HubSpot's token health) with the last sync results,
 * each SMS/e-mail provider of its chains with its circuit-breaker state, the alert sinks, and a button that sends a
 * test alert through every sink.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { emailAccounts, smsAccounts } from '../../messaging/provider-accounts.js';
import { describeConnection } from '../../zoho/connection.js';
import { connectPathFor } from '../../oauth/calendar-module.js';
import { writeAudit } from '../audit.js';
import { clientFilter, currentUser, parseInput, requireClient } from '../http.js';
import { outboxView } from '../views.js';

const CALENDAR_LABELS: Record<string, string> = { zoho: 'Zoho Calendar', google: 'Google Calendar', microsoft: 'Microsoft 365 (Outlook)' };
const CRM_LABELS: Record<string, string> = { zoho: 'Zoho CRM', hubspot: 'HubSpot', none: 'none' };

interface ConnectionView {
  status: 'ok' | 'refreshing' | 'broken' | 'not_connected';
  ownerEmail: string | null;
  accessExpiresAt: string | null;
  refreshedAt: string | null;
  lastError: string | null;
  emulated: boolean;
  connectPath: string;
}

const listQuery = z.object({ client: z.string().optional() });
const clientParam = z.object({ client: z.string().min(1).max(100) });

export function connectionRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/v1/api/connections', async (request) => {
    const user = currentUser(request);
    const query = parseInput(listQuery, request.query);
    const connections = [];
    const circuits = new Map(
      (await context.db.selectFrom('provider_circuits').select(['key', 'state', 'opened_at', 'updated_at']).execute()).map((row) => [row.key, row]),
    );
    for (const clientId of clientFilter(user, query.client)) {
      const runtime = context.clients.get(clientId);
      if (!runtime) continue;
      const [zoho, crmHealth, lastSyncs] = await Promise.all([
        describeConnection(context, clientId),
        context.db.selectFrom('crm_connection_health').selectAll().where('client_id', '=', clientId).executeTakeFirst(),
        context.db
          .selectFrom('outbox')
          .selectAll()
          .where('client_id', '=', clientId)
          .where('kind', '=', 'crm_sync')
          .where('status', 'in', ['done', 'failed', 'dead'])
          .orderBy('updated_at', 'desc')
          .limit(5)
          .execute(),
      ]);
      const { config, secrets } = runtime;
      const usesZoho = config.calendar.provider === 'zoho' || config.crm.provider === 'zoho';
      const zohoView: ConnectionView = {
        status: zoho.status,
        ownerEmail: zoho.ownerEmail ?? null,
        accessExpiresAt: zoho.accessExpiresAt?.toISOString() ?? null,
        refreshedAt: zoho.refreshedAt?.toISOString() ?? null,
        lastError: zoho.lastError ?? null,
        emulated: secrets.emulatedVendors.includes('zoho'),
        connectPath: connectPathFor('zoho', clientId),
      };
      // Google and Microsoft connections live in their module's store; an office on them has no Zoho to show.
      const calendarProvider = config.calendar.provider;
      let calendarConnection: ConnectionView | null = calendarProvider === 'zoho' ? zohoView : null;
      const store = context.oauthConnections.get(calendarProvider);
      if (store) {
        const summary = await store.describe(clientId);
        calendarConnection = {
          status: summary.status,
          ownerEmail: summary.ownerEmail ?? null,
          accessExpiresAt: summary.accessExpiresAt?.toISOString() ?? null,
          refreshedAt: summary.refreshedAt?.toISOString() ?? null,
          lastError: summary.lastError ?? null,
          emulated: secrets.emulatedVendors.includes(calendarProvider),
          connectPath: connectPathFor(calendarProvider, clientId),
        };
      }
      const connectUrl = new URL('/v1/oauth/zoho/start', context.publicBaseUrl);
      connectUrl.searchParams.set('client', clientId);
      connections.push({
        clientId,
        name: runtime.config.name,
        timezone: runtime.config.timezone,
        /** The office's calendar: its provider and, for the OAuth ones, the connection (null: the provider is not installed). */
        calendar: { provider: calendarProvider, label: CALENDAR_LABELS[calendarProvider] ?? calendarProvider, connection: calendarConnection },
        /** Zoho's connection, for offices that use Zoho for their calendar or CRM (else null). */
        zoho: !usesZoho
          ? null
          : {
              status: zoho.status,
              dataCenter: zoho.dataCenter ?? runtime.config.zoho?.dataCenter ?? 'us',
              ownerEmail: zoho.ownerEmail ?? null,
              accessExpiresAt: zoho.accessExpiresAt?.toISOString() ?? null,
              connectedAt: zoho.connectedAt?.toISOString() ?? null,
              refreshedAt: zoho.refreshedAt?.toISOString() ?? null,
              lastError: zoho.lastError ?? null,
              emulated: runtime.secrets.emulatedVendors.includes('zoho'),
              connectPath: `${connectUrl.pathname}${connectUrl.search}`,
            },
        crm: {
          enabled: runtime.config.crm.enabled,
          provider: runtime.config.crm.provider,
          label: CRM_LABELS[runtime.config.crm.provider] ?? runtime.config.crm.provider,
          emulated: config.crm.provider !== 'none' && secrets.emulatedVendors.includes(config.crm.provider),
          /** Zoho CRM shares the office's Zoho connection; HubSpot uses a private app token (its health is below). */
          connection: config.crm.provider === 'zoho' ? zohoView : null,
          health: crmHealth ? { status: crmHealth.status, detail: crmHealth.detail, checkedAt: crmHealth.checked_at.toISOString() } : null,
          lastSyncs: lastSyncs
            .map(outboxView)
            .map((row) => ({ id: row.id, status: row.status, lastError: row.lastError, at: row.updatedAt, callId: row.callId })),
        },
        // Each provider of the office's chains, in order, with its shared circuit breaker (issue 19).
        providers: [...smsAccounts(runtime), ...emailAccounts(runtime)].map((account, index, all) => {
          const circuit = circuits.get(account.key);
          return {
            channel: account.channel,
            provider: account.provider,
            position: all.slice(0, index).filter((other) => other.channel === account.channel).length + 1,
            sender: account.sender,
            state: circuit?.state ?? 'closed',
            since: (circuit?.state === 'closed' ? circuit.updated_at : (circuit?.opened_at ?? circuit?.updated_at))?.toISOString() ?? null,
            emulated: runtime.secrets.emulatedVendors.includes(account.provider as never),
          };
        }),
        alerts: {
          slack: Boolean(runtime.secrets.slackWebhookUrl),
          emails: runtime.config.alerts.emails,
        },
      });
    }
    return { connections };
  });

  app.post('/v1/api/connections/:client/alert-test', async (request) => {
    const user = currentUser(request);
    const clientId = requireClient(user, parseInput(clientParam, request.params).client);
    const at = context.clock.now();
    await context.alerts.raise({
      clientId,
      source: 'dashboard.alert_test',
      // One fingerprint per press, so a second test is not folded into the first by de-duplication.
      fingerprint: `dashboard.alert_test:${at.getTime()}`,
      message: `Test alert sent by ${user.email} from the dashboard. If you can read this, alerts reach you.`,
      severity: 'warning',
    });
    await writeAudit(context.db, context.clock, { actor: user.email, clientId, action: 'alerts.test', target: `client:${clientId}` });
    return { ok: true, message: 'A test alert was sent to Slack, e-mail and the error log.' };
  });
}
