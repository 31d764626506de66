/**
 * The CRM feature: the `crm_sync` outbox handler and the periodic connection check, against whichever CRM the
 * office chose (`context.crms.portFor`, registered by the vendor modules).
 */
import type { FeatureModule } from '../app-context.js';
import { perOfficeHealthCheck } from '../offices/per-office.js';
import { CRM_SYNC_KIND, crmSyncHandler } from './handler.js';
import type { CrmFactory } from './port.js';
import { crmHealthCheck, scheduleCrmHealthChecks } from './token-health.js';

export const crmModule: FeatureModule = {
  name: 'crm',
  async setUp(context) {
    const crmFor: CrmFactory = (clientId) => context.crms.portFor(clientId);
    context.handlers.set(CRM_SYNC_KIND, crmSyncHandler(context, crmFor));
    await perOfficeHealthCheck(context, ({ config }) => (config.crm.enabled ? crmHealthCheck(context, config.slug, config.crm.provider) : undefined));
    context.onClose.push(scheduleCrmHealthChecks(context, crmFor));
  },
};
