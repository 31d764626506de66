/**
 * The Retell feature module: wires the alert port (first, so later modules raise through it), the alert and
 * call-event outbox handlers, and the Retell routes.
 */
import type { FeatureModule } from '../app-context.js';
import { createAlertPort, ALERT_EMAIL_KIND, ALERT_SLACK_KIND } from '../alerts/raise.js';
import { emailAlertHandler, slackAlertHandler } from '../alerts/handlers.js';
import { PermanentError } from '../core/errors.js';
import { processStoredEvent, RETELL_EVENT_KIND } from './intake.js';
import { retellRoutes } from './routes.js';
import { simulatorRoute } from './simulator-route.js';

export const retellModule: FeatureModule = {
  name: 'retell',
  setUp(context) {
    context.alerts = createAlertPort(context);
    context.handlers.set(ALERT_SLACK_KIND, slackAlertHandler(context));
    context.handlers.set(ALERT_EMAIL_KIND, emailAlertHandler(context));
    context.handlers.set(RETELL_EVENT_KIND, {
      safeToRepeat: true,
      async run(row) {
        const id = Number(row.payload.webhookEventId);
        if (!Number.isSafeInteger(id)) throw new PermanentError('The retry row names no webhook event.', 'bad_payload');
        return { result: await processStoredEvent(context, id) };
      },
    });
  },
  async routes(app, context) {
    await retellRoutes(app, context);
    simulatorRoute(app, context);
  },
};
