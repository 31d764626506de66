/**
 * Booking feature module: Zoho connection health, the connect-flow routes, the calendar-sync, late-event check
 * and reconcile outbox handlers, and — in demo mode — an automatic connection to the sandbox's Zoho emulator so a
 * simulated call can book with no set-up.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { perOffice, perOfficeHealthCheck } from '../offices/per-office.js';
import { zohoOAuthRoutes } from '../zoho/routes.js';
import { connectSandboxZoho } from '../zoho/sandbox-connect.js';
import { describeConnection } from '../zoho/connection.js';
import { CALENDAR_SYNC_KIND, calendarSyncHandler } from './calendar-sync.js';
import { LATE_EVENT_CHECK_KIND, lateEventCheckHandler } from './late-event.js';
import { RECONCILE_KIND, reconcileHandler, scheduleReconcile } from './reconcile.js';

async function addHealthChecks(context: AppContext): Promise<void> {
  await perOfficeHealthCheck(context, ({ config }) => {
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

export const bookingModule: FeatureModule = {
  name: 'booking',
  async setUp(context) {
    context.handlers.set(CALENDAR_SYNC_KIND, calendarSyncHandler(context));
    context.handlers.set(RECONCILE_KIND, reconcileHandler(context));
    context.handlers.set(LATE_EVENT_CHECK_KIND, lateEventCheckHandler(context));
    await addHealthChecks(context);
    // Offices added or changed on a running server get the same: a demo Zoho connection and a reconcile chain.
    await perOffice(context, async (runtime) => {
      if (context.sandbox) await connectSandboxZoho(context, runtime);
      await scheduleReconcile(context, runtime.config.slug);
    });
  },
  routes(app, context) {
    zohoOAuthRoutes(app, context);
  },
};
