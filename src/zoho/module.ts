/**
 * The Zoho module: everything Switchboard knows about Zoho is wired here. It offers Zoho Calendar and Zoho CRM as
 * providers (`context.calendars` / `context.crms`), owns the OAuth connect routes, the `zoho:<slug>` readiness of
 * each office that uses Zoho, the demo's automatic connection to the emulator and the demo's lead listing.
 * Booking and CRM never import from here; they ask the registries for the office's port.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import type { ClientConfig } from '../config/client-schema.js';
import { perOffice, perOfficeHealthCheck } from '../offices/per-office.js';
import { zohoCalendarPort } from './calendar-port.js';
import { describeConnection } from './connection.js';
import { zohoCrmPort } from './crm-port.js';
import { zohoOAuthRoutes } from './routes.js';
import { connectSandboxZoho } from './sandbox-connect.js';
import { sandboxLeadRoutes } from './sandbox-routes.js';

export const ZOHO_PROVIDER_NAME = 'zoho';

/** Whether the office books in Zoho Calendar or records leads in Zoho CRM. */
export function usesZoho(config: ClientConfig): boolean {
  return config.calendar.provider === ZOHO_PROVIDER_NAME || config.crm.provider === ZOHO_PROVIDER_NAME;
}

async function addHealthChecks(context: AppContext): Promise<void> {
  await perOfficeHealthCheck(context, ({ config }) => {
    if (!usesZoho(config)) return undefined;
    const clientId = config.slug;
    return {
      name: `zoho:${clientId}`,
      critical: false,
      async check() {
        const summary = await describeConnection(context, clientId);
        if (summary.status === 'not_connected') {
          return { status: 'degraded', detail: `not connected; run \`switchboard zoho connect --client ${clientId}\`` };
        }
        if (summary.status === 'broken') return { status: 'down', detail: `broken: ${summary.lastError ?? 'reconnect Zoho'}` };
        return { status: 'ok', detail: `connected (${summary.dataCenter})${summary.lastError ? `; last problem: ${summary.lastError}` : ''}` };
      },
    };
  });
}

export const zohoModule: FeatureModule = {
  name: 'zoho',
  async setUp(context) {
    const calendar = zohoCalendarPort(context);
    context.calendars.register(ZOHO_PROVIDER_NAME, () => calendar);
    context.crms.register(ZOHO_PROVIDER_NAME, (clientId) => zohoCrmPort(context, clientId));
    await addHealthChecks(context);
    // Offices added or changed on a running server get the same: a demo Zoho connection.
    if (context.sandbox) {
      await perOffice(context, async (runtime) => {
        if (usesZoho(runtime.config)) await connectSandboxZoho(context, runtime);
      });
    }
  },
  async routes(app, context) {
    zohoOAuthRoutes(app, context);
    // Its own scope: the sandbox views' access hook must not guard the OAuth routes.
    await app.register(async (scope) => sandboxLeadRoutes(scope, context));
  },
};
