/**
 * The messaging feature: `sms` and `email` outbox handlers (send-time consent, quiet hours, pacing), the
 * Twilio webhooks and the unsubscribe link. Planning (plan.ts) and the staff API (api.ts) are called by
 * other modules directly.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { createMessagingBatches, type MessagingBatches } from './batches.js';
import { SenderPacer } from './pacer.js';
import { providerRoutes } from './provider-routes.js';
import { messagingRoutes } from './routes.js';
import { setUpMissedSweeps } from './missed-sweep.js';
import { REBOOK_OFFER_KIND } from './plan-follow-ups.js';
import { rebookOfferHandler } from './rebook-offer.js';
import { emailHandler } from './send-email.js';
import { smsHandler } from './send-sms.js';
import { createMessagingVendors, type EmulatorEndpoints, type MessagingVendors } from './vendors.js';

export interface MessagingModuleOptions {
  /** Per-sender pacing (default on); the benchmark turns it off to measure raw dispatch. */
  rateLimit?: boolean;
  /** Replace the vendor wiring (tests). */
  vendors?: (context: AppContext) => MessagingVendors;
  /** Emulated vendors listen here instead of in this process's sandbox (the benchmark's emulator process). */
  emulators?: EmulatorEndpoints;
  /** SMTP connections per mail server (default 5, nodemailer's; many providers cap concurrent connections). */
  smtpConnections?: number;
}

export function createMessagingModule(options: MessagingModuleOptions = {}): FeatureModule {
  // One module value serves every app started in a process (tests start several): state lives per context.
  const batchesOf = new WeakMap<AppContext, MessagingBatches>();
  const batchesFor = (context: AppContext) => {
    let batches = batchesOf.get(context);
    if (!batches) {
      batches = createMessagingBatches(context);
      batchesOf.set(context, batches);
    }
    return batches;
  };
  return {
    name: 'messaging',
    async setUp(context) {
      const vendors = options.vendors?.(context) ?? createMessagingVendors(context, options.emulators, { smtpConnections: options.smtpConnections });
      context.onClose.push(() => vendors.close());
      const pacer = new SenderPacer(options.rateLimit ?? true);
      const batches = batchesFor(context);
      context.handlers.set('sms', smsHandler(context, vendors, pacer, batches));
      context.handlers.set('email', emailHandler(context, vendors, batches));
      context.handlers.set(REBOOK_OFFER_KIND, rebookOfferHandler(context));
      await setUpMissedSweeps(context);
    },
    routes(app, context) {
      messagingRoutes(app, context, batchesFor(context));
      providerRoutes(app, context, batchesFor(context));
    },
  };
}

export const messagingModule = createMessagingModule();
