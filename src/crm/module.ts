/** The CRM feature: the `crm_sync` outbox handler, the periodic connection check and the demo lead listing. */
import type { FeatureModule } from '../app-context.js';
import { CRM_SYNC_KIND, crmSyncHandler } from './handler.js';
import { zohoCrmFactory } from './port.js';
import { sandboxLeadRoutes } from './sandbox-routes.js';
import { crmHealthCheck, scheduleCrmHealthChecks } from './token-health.js';

export const crmModule: FeatureModule = {
  name: 'crm',
  setUp(context) {
    const crmFor = zohoCrmFactory(context);
    context.handlers.set(CRM_SYNC_KIND, crmSyncHandler(context, crmFor));
    for (const { config } of context.clients.all()) {
      if (config.zoho.crm.enabled) context.health.push(crmHealthCheck(context, config.slug));
    }
    context.onClose.push(scheduleCrmHealthChecks(context, crmFor));
  },
  routes: sandboxLeadRoutes,
};
