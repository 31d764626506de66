/** The CRM feature: the `crm_sync` outbox handler, the periodic connection check and the demo lead listing. */
import type { FeatureModule } from '../app-context.js';
import { perOfficeHealthCheck } from '../offices/per-office.js';
import { CRM_SYNC_KIND, crmSyncHandler } from './handler.js';
import { zohoCrmFactory } from './port.js';
import { sandboxLeadRoutes } from './sandbox-routes.js';
import { crmHealthCheck, scheduleCrmHealthChecks } from './token-health.js';

export const crmModule: FeatureModule = {
  name: 'crm',
  async setUp(context) {
    const crmFor = zohoCrmFactory(context);
    context.handlers.set(CRM_SYNC_KIND, crmSyncHandler(context, crmFor));
    await perOfficeHealthCheck(context, ({ config }) => (config.zoho.crm.enabled ? crmHealthCheck(context, config.slug) : undefined));
    context.onClose.push(scheduleCrmHealthChecks(context, crmFor));
  },
  routes: sandboxLeadRoutes,
};
