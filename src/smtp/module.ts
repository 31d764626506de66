/**
 * The SMTP module: e-mail over any SMTP server (`context.emailProviders`, the default of every office without an
 * e-mail chain), from the office's SMTP_URL or the sandbox receiver. Mailers are pooled per server URL and shared by
 * the offices that use one server.
 */
import type { AppContext, FeatureModule } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { EmailPort, EmailRoute } from '../messaging/ports.js';
import { createMailer } from '../providers/smtp/mailer.js';

export const SMTP_PROVIDER_NAME = 'smtp';

export interface SmtpModuleOptions {
  /** An emulated mail server listens here instead of in this process's sandbox (the benchmarks' vendor process). */
  emulatorUrl?: string;
  /** SMTP connections per mail server (default 5, nodemailer's; many providers cap concurrent connections). */
  connections?: number;
}

export function createSmtpMailers(context: AppContext, options: SmtpModuleOptions = {}): { routeFor(clientId: string): EmailRoute; close(): Promise<void> } {
  const mailers = new Map<string, EmailPort>();
  return {
    routeFor(clientId) {
      const client = context.clients.get(clientId);
      if (!client) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
      const emulated = client.secrets.emulatedVendors.includes('smtp');
      const url = (emulated ? options.emulatorUrl : undefined) ?? client.secrets.smtpUrl ?? (emulated ? context.sandbox?.smtp.url : undefined);
      if (!url) throw new PermanentError('No SMTP server is configured for this client (set its SMTP_URL).', 'smtp_not_configured');
      let mailer = mailers.get(url);
      if (!mailer) {
        mailer = createMailer(url, { maxConnections: options.connections });
        mailers.set(url, mailer);
      }
      return { port: mailer };
    },
    async close() {
      for (const mailer of mailers.values()) await mailer.close();
      mailers.clear();
    },
  };
}

export function createSmtpModule(options: SmtpModuleOptions = {}): FeatureModule {
  return {
    name: 'smtp',
    setUp(context) {
      const mailers = createSmtpMailers(context, options);
      context.onClose.push(() => mailers.close());
      context.emailProviders.register(SMTP_PROVIDER_NAME, (clientId) => mailers.routeFor(clientId));
    },
  };
}

export const smtpModule = createSmtpModule();
