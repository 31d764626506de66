/**
 * The feature modules, in the order their `setUp` runs. A module may use what an earlier one put in the
 * context (e.g. booking uses the alerts module's port).
 */
import type { FeatureModule } from './app-context.js';
import { analyticsModule } from './analytics/module.js';
import { crmModule } from './crm/module.js';
import { dashboardModule } from './dashboard/module.js';
import { messagingModule } from './messaging/module.js';
import { retellModule } from './webhooks/module.js';
import { bookingModule } from './booking/module.js';
import { zohoModule } from './zoho/module.js';
import { hubspotModule } from './hubspot/module.js';
import { googleModule } from './google/module.js';
import { microsoftModule } from './microsoft/module.js';
import { twilioModule } from './twilio/module.js';
import { telnyxModule } from './telnyx/module.js';
import { smtpModule } from './smtp/module.js';
import { sendgridModule } from './sendgrid/module.js';
import { outboxModule } from './outbox/module.js';

/**
 * Vendor modules (zoho, google, microsoft, hubspot, the messaging providers) come before the feature modules that use their ports, and after retell, whose alert port
 * they raise through.
 */
export const featureModules: FeatureModule[] = [
  retellModule,
  zohoModule,
  googleModule,
  microsoftModule,
  hubspotModule,
  bookingModule,
  crmModule,
  // SMS and e-mail providers (context.smsProviders / emailProviders) and their webhooks; messaging sees only ports.
  twilioModule,
  telnyxModule,
  smtpModule,
  sendgridModule,
  messagingModule,
  analyticsModule,
  dashboardModule,
  // Last: the prune reads what every module's handlers declare (housekeeping, keepFinished).
  outboxModule,
];
