/**
 * The Twilio module: Twilio as an SMS provider (`context.smsProviders`, the default of every office without an SMS
 * chain), its signed inbound-text and delivery-status webhooks, and the meaning of its codes. Messaging never
 * imports from here; it asks the registry for the providers an office lists.
 */
import type { FeatureModule } from '../app-context.js';
import { twilioRoutes } from './routes.js';
import { createTwilioSenders } from './senders.js';

export const TWILIO_PROVIDER_NAME = 'twilio';

export interface TwilioModuleOptions {
  /** An emulated Twilio listens here instead of in this process's sandbox (the benchmarks' vendor process). */
  emulatorUrl?: string;
}

export function createTwilioModule(options: TwilioModuleOptions = {}): FeatureModule {
  return {
    name: 'twilio',
    setUp(context) {
      const senders = createTwilioSenders(context, options.emulatorUrl);
      context.onClose.push(() => senders.close());
      context.smsProviders.register(TWILIO_PROVIDER_NAME, (clientId) => senders.routeFor(clientId));
    },
    routes(app, context) {
      twilioRoutes(app, context);
    },
  };
}

export const twilioModule = createTwilioModule();
