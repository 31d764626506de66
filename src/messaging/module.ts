/**
 * The messaging feature: `sms` and `email` outbox handlers (send-time consent, quiet hours, pacing), the
 * Twilio webhooks and the unsubscribe link. Planning (plan.ts) and the staff API (api.ts) are called by
 * other modules directly.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { SenderPacer } from './pacer.js';
import { messagingRoutes } from './routes.js';
import { emailHandler } from './send-email.js';
import { smsHandler } from './send-sms.js';
import { createMessagingVendors, type MessagingVendors } from './vendors.js';

export interface MessagingModuleOptions {
  /** Per-sender pacing (default on); the benchmark turns it off to measure raw dispatch. */
  rateLimit?: boolean;
  /** Replace the vendor wiring (tests). */
  vendors?: (context: AppContext) => MessagingVendors;
}

export function createMessagingModule(options: MessagingModuleOptions = {}): FeatureModule {
  return {
    name: 'messaging',
    setUp(context) {
      const vendors = options.vendors?.(context) ?? createMessagingVendors(context);
      context.onClose.push(() => vendors.close());
      const pacer = new SenderPacer(options.rateLimit ?? true);
      context.handlers.set('sms', smsHandler(context, vendors, pacer));
      context.handlers.set('email', emailHandler(context, vendors));
    },
    routes(app, context) {
      messagingRoutes(app, context);
    },
  };
}

export const messagingModule = createMessagingModule();
