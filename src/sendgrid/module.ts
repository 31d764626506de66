/**
 * The SendGrid module (issue 19's second e-mail provider): SendGrid as an e-mail provider for offices whose chain
 * lists it (`context.emailProviders`), the real API or the sandbox emulator, and its signed event webhook.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { ClientRuntime } from '../config/registry.js';
import type { EmailRoute } from '../messaging/ports.js';
import { perOfficeCache } from '../offices/per-office.js';
import { createSendgridMail } from '../providers/sendgrid/mail.js';
import { sendgridRoutes } from './routes.js';

export const SENDGRID_PROVIDER_NAME = 'sendgrid';

export interface SendgridModuleOptions {
  /** An emulated SendGrid listens here instead of in this process's sandbox. */
  emulatorUrl?: string;
}

/** An office's SendGrid client (built once per office and again after the office changes: perOfficeCache). */
function sendgridRoute(context: AppContext, options: SendgridModuleOptions, client: ClientRuntime): EmailRoute {
  const clientId = client.config.slug;
  const apiKey = client.secrets.sendgridApiKey;
  if (!apiKey) throw new PermanentError('No SendGrid API key is configured for this office.', 'sendgrid_not_configured');
  const emulated = client.secrets.emulatedVendors.includes('sendgrid') && context.sandbox;
  const port = createSendgridMail({ apiKey, baseUrl: emulated ? (options.emulatorUrl ?? context.sandbox!.sendgrid.url) : undefined });
  // Demo: point the emulated account's event webhook at this office, as its setup in SendGrid's UI would.
  if (emulated && !options.emulatorUrl) context.sandbox!.sendgrid.setEventWebhook(apiKey, `${context.publicBaseUrl}/v1/sendgrid/${clientId}/events`);
  return { port };
}

export function createSendgridModule(options: SendgridModuleOptions = {}): FeatureModule {
  return {
    name: 'sendgrid',
    setUp(context) {
      const routes = perOfficeCache(context, (client) => sendgridRoute(context, options, client));
      context.onClose.push(() => routes.close());
      context.emailProviders.register(SENDGRID_PROVIDER_NAME, (clientId) => routes.get(clientId));
    },
    routes(app, context) {
      sendgridRoutes(app, context);
    },
  };
}

export const sendgridModule = createSendgridModule();
