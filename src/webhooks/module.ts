/**
 * The Retell feature module: wires the alert port (first, so later modules raise through it), the alert and
 * call-event outbox handlers, and the Retell routes.
 */
import type { FeatureModule } from '../app-context.js';
import { createAlertPort, ALERT_EMAIL_KIND, ALERT_SLACK_KIND } from '../alerts/raise.js';
import { emailAlertHandler, slackAlertHandler } from '../alerts/handlers.js';
import { PermanentError } from '../core/errors.js';
import { processStoredEvent, processStoredEvents, RETELL_EVENT_KIND } from './intake.js';

/** Stored call events applied per transaction by the outbox worker (issue 21). */
const RETELL_EVENT_BATCH = 10;
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
      // Stored events applied several to a transaction (processStoredEvents): one commit for the batch.
      batchSize: RETELL_EVENT_BATCH,
      async runBatch(rows) {
        const ids = rows.map((row) => Number(row.payload.webhookEventId));
        const good = ids.filter((id) => Number.isSafeInteger(id));
        const applied = (await processStoredEvents(context, good)).values();
        return ids.map((id): PromiseSettledResult<unknown> => {
          if (!Number.isSafeInteger(id)) return { status: 'rejected', reason: new PermanentError('The retry row names no webhook event.', 'bad_payload') };
          const outcome = applied.next().value!;
          return outcome.status === 'fulfilled' ? { status: 'fulfilled', value: { result: outcome.value } } : outcome;
        });
      },
    });
  },
  async routes(app, context) {
    await retellRoutes(app, context);
    simulatorRoute(app, context);
  },
};
