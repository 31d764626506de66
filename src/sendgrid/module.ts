/**
 * The SendGrid module (issue 19's second e-mail provider): SendGrid as an e-mail provider for offices whose chain
 * lists it (`context.emailProviders`), the real API or the sandbox emulator, and its signed event webhook.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { EmailPort, EmailRoute } from '../messaging/ports.js';
import { createSendgridMail } from '../providers/sendgrid/mail.js';
import { sendgridRoutes } from './routes.js';

export const SENDGRID_PROVIDER_NAME = 'sendgrid';

export interface SendgridModuleOptions {
  /** An emulated SendGrid listens here instead of in this process's sandbox. */
  emulatorUrl?: string;
}

/** Each office's SendGrid client, built on its first e-mail and again after the office changes. */
function sendgridRoutesFor(context: AppContext, options: SendgridModuleOptions): { routeFor(clientId: string): EmailRoute; close(): void } {
  const ports = new Map<string, EmailPort>();
  const unsubscribe = context.clients.subscribe((slug) => {
    ports.delete(slug);
  });
  return {
    routeFor(clientId) {
      const client = context.clients.get(clientId);
      if (!client) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
      const apiKey = client.secrets.sendgridApiKey;
      if (!apiKey) throw new PermanentError('No SendGrid API key is configured for this office.', 'sendgrid_not_configured');
      let port = ports.get(clientId);
      if (!port) {
        const emulated = client.secrets.emulatedVendors.includes('sendgrid') && context.sandbox;
        port = createSendgridMail({ apiKey, baseUrl: emulated ? (options.emulatorUrl ?? context.sandbox!.sendgrid.url) : undefined });
        // Demo: point the emulated account's event webhook at this office, as its setup in SendGrid's UI would.
        if (emulated && !options.emulatorUrl) context.sandbox!.sendgrid.setEventWebhook(apiKey, `${context.publicBaseUrl}/v1/sendgrid/${clientId}/events`);
        ports.set(clientId, port);
      }
      return { port };
    },
    close() {
      unsubscribe();
      ports.clear();
    },
  };
}

export function createSendgridModule(options: SendgridModuleOptions = {}): FeatureModule {
  return {
    name: 'sendgrid',
    setUp(context) {
      const routes = sendgridRoutesFor(context, options);
      context.onClose.push(() => routes.close());
      context.emailProviders.register(SENDGRID_PROVIDER_NAME, (clientId) => routes.routeFor(clientId));
    },
    routes(app, context) {
      sendgridRoutes(app, context);
    },
  };
}

export const sendgridModule = createSendgridModule();
