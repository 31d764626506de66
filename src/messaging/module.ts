/**
 * The messaging feature: `sms` and `email` outbox handlers (send-time consent, quiet hours, pacing, provider chains),
 * and the unsubscribe link. The providers themselves are vendor modules (src/twilio, src/telnyx, src/smtp,
 * src/sendgrid) that register on `context.smsProviders` / `context.emailProviders` and own their webhooks. Planning
 * (plan.ts) and the staff API (api.ts) are called by other modules directly.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { messagingChains, type MessagingVendors } from './chains.js';
import { SenderPacer } from './pacer.js';
import { messagingRoutes } from './routes.js';
import { setUpMissedSweeps } from './missed-sweep.js';
import { REBOOK_OFFER_KIND } from './plan-follow-ups.js';
import { rebookOfferHandler } from './rebook-offer.js';
import { emailHandler } from './send-email.js';
import { smsHandler } from './send-sms.js';

export interface MessagingModuleOptions {
  /** Per-sender pacing (default on); the benchmark turns it off to measure raw dispatch. */
  rateLimit?: boolean;
  /** Replace the providers the handlers see (tests). */
  vendors?: (context: AppContext) => MessagingVendors;
}

export function createMessagingModule(options: MessagingModuleOptions = {}): FeatureModule {
  return {
    name: 'messaging',
    async setUp(context) {
      const vendors = options.vendors?.(context) ?? messagingChains(context);
      const pacer = new SenderPacer(options.rateLimit ?? true);
      // The coalesced statements (batches.ts) are the context's, shared with the providers' webhooks.
      const batches = context.messageBatches;
      context.handlers.set('sms', smsHandler(context, vendors, pacer, batches));
      context.handlers.set('email', emailHandler(context, vendors, batches));
      context.handlers.set(REBOOK_OFFER_KIND, rebookOfferHandler(context));
      await setUpMissedSweeps(context);
    },
    routes(app, context) {
      messagingRoutes(app, context);
    },
  };
}

export const messagingModule = createMessagingModule();
