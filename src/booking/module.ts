/**
 * Booking feature module: Zoho connection health, the connect-flow routes, the calendar-sync, late-event check
 * and reconcile outbox handlers, and — in demo mode — an automatic connection to the sandbox's Zoho emulator so a
 * simulated call can book with no set-up.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { zohoOAuthRoutes } from '../zoho/routes.js';
import { connectSandboxZoho } from '../zoho/sandbox-connect.js';
import { describeConnection } from '../zoho/connection.js';
import { CALENDAR_SYNC_KIND, calendarSyncHandler } from './calendar-sync.js';
import { LATE_EVENT_CHECK_KIND, lateEventCheckHandler } from './late-event.js';
import { RECONCILE_KIND, reconcileHandler, scheduleReconcile } from './reconcile.js';

function addHealthChecks(context: AppContext): void {
  for (const clientId of context.clients.slugs()) {
    context.health.push({
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
    });
  }
}

export const bookingModule: FeatureModule = {
  name: 'booking',
  async setUp(context) {
    context.handlers.set(CALENDAR_SYNC_KIND, calendarSyncHandler(context));
    context.handlers.set(RECONCILE_KIND, reconcileHandler(context));
    context.handlers.set(LATE_EVENT_CHECK_KIND, lateEventCheckHandler(context));
    addHealthChecks(context);
    if (context.sandbox) await connectSandboxZoho(context);
    for (const clientId of context.clients.slugs()) await scheduleReconcile(context, clientId);
  },
  routes(app, context) {
    zohoOAuthRoutes(app, context);
  },
};
