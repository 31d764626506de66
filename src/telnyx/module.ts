/**
 * The Telnyx module (issue 19's second SMS provider): Telnyx as an SMS provider for offices whose chain lists it
 * (`context.smsProviders`), the real API or the sandbox emulator, and its signed message webhooks.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { SmsPort, SmsRoute } from '../messaging/ports.js';
import { createTelnyxSms } from '../providers/telnyx/sms.js';
import { telnyxRoutes } from './routes.js';

export const TELNYX_PROVIDER_NAME = 'telnyx';

export interface TelnyxModuleOptions {
  /** An emulated Telnyx listens here instead of in this process's sandbox. */
  emulatorUrl?: string;
}

/** Each office's Telnyx client, built on its first text and again after the office changes. */
function telnyxRoutesFor(context: AppContext, options: TelnyxModuleOptions): { routeFor(clientId: string): SmsRoute; close(): void } {
  const ports = new Map<string, SmsPort>();
  const unsubscribe = context.clients.subscribe((slug) => {
    ports.delete(slug);
  });
  return {
    routeFor(clientId) {
      const client = context.clients.get(clientId);
      if (!client) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
      const entry = client.config.providers?.sms?.find((candidate) => candidate.provider === TELNYX_PROVIDER_NAME);
      if (!entry || entry.provider !== TELNYX_PROVIDER_NAME)
        throw new PermanentError(`The office ${clientId} does not list Telnyx in its SMS chain.`, 'telnyx_not_configured');
      let port = ports.get(clientId);
      if (!port) {
        const emulated = client.secrets.emulatedVendors.includes('telnyx') && context.sandbox;
        const apiKey = client.secrets.telnyxApiKey;
        if (!apiKey) throw new PermanentError('No Telnyx API key is configured for this office.', 'telnyx_not_configured');
        port = createTelnyxSms({
          apiKey,
          messagingProfileId: entry.messagingProfileId,
          baseURL: emulated ? `${options.emulatorUrl ?? context.sandbox!.telnyx.url}/v2` : undefined,
        });
        ports.set(clientId, port);
      }
      return {
        port,
        from: entry.from,
        statusCallback: (outboxId) => `${context.publicBaseUrl}/v1/telnyx/${clientId}/webhook?outbox=${outboxId}`,
      };
    },
    close() {
      unsubscribe();
      ports.clear();
    },
  };
}

export function createTelnyxModule(options: TelnyxModuleOptions = {}): FeatureModule {
  return {
    name: 'telnyx',
    setUp(context) {
      const routes = telnyxRoutesFor(context, options);
      context.onClose.push(() => routes.close());
      context.smsProviders.register(TELNYX_PROVIDER_NAME, (clientId) => routes.routeFor(clientId));
    },
    routes(app, context) {
      telnyxRoutes(app, context);
    },
  };
}

export const telnyxModule = createTelnyxModule();
