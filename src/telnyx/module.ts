/**
 * The Telnyx module (issue 19's second SMS provider): Telnyx as an SMS provider for offices whose chain lists it
 * (`context.smsProviders`), the real API or the sandbox emulator, and its signed message webhooks.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { ClientRuntime } from '../config/registry.js';
import type { SmsRoute } from '../messaging/ports.js';
import { perOfficeCache } from '../offices/per-office.js';
import { createTelnyxSms } from '../providers/telnyx/sms.js';
import { telnyxRoutes } from './routes.js';

export const TELNYX_PROVIDER_NAME = 'telnyx';

export interface TelnyxModuleOptions {
  /** An emulated Telnyx listens here instead of in this process's sandbox. */
  emulatorUrl?: string;
}

/** An office's Telnyx client and sender (built once per office and again after the office changes: perOfficeCache). */
function telnyxRoute(context: AppContext, options: TelnyxModuleOptions, client: ClientRuntime): SmsRoute {
  const clientId = client.config.slug;
  const entry = client.config.providers?.sms?.find((candidate) => candidate.provider === TELNYX_PROVIDER_NAME);
  if (!entry || entry.provider !== TELNYX_PROVIDER_NAME)
    throw new PermanentError(`The office ${clientId} does not list Telnyx in its SMS chain.`, 'telnyx_not_configured');
  const emulated = client.secrets.emulatedVendors.includes('telnyx') && context.sandbox;
  const apiKey = client.secrets.telnyxApiKey;
  if (!apiKey) throw new PermanentError('No Telnyx API key is configured for this office.', 'telnyx_not_configured');
  const port = createTelnyxSms({
    apiKey,
    messagingProfileId: entry.messagingProfileId,
    baseURL: emulated ? `${options.emulatorUrl ?? context.sandbox!.telnyx.url}/v2` : undefined,
  });
  return {
    port,
    from: entry.from,
    statusCallback: (outboxId) => `${context.publicBaseUrl}/v1/telnyx/${clientId}/webhook?outbox=${outboxId}`,
  };
}

export function createTelnyxModule(options: TelnyxModuleOptions = {}): FeatureModule {
  return {
    name: 'telnyx',
    setUp(context) {
      const routes = perOfficeCache(context, (client) => telnyxRoute(context, options, client));
      context.onClose.push(() => routes.close());
      context.smsProviders.register(TELNYX_PROVIDER_NAME, (clientId) => routes.get(clientId));
    },
    routes(app, context) {
      telnyxRoutes(app, context);
    },
  };
}

export const telnyxModule = createTelnyxModule();
