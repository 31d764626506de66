/**
 * Picks each client's SMS and e-mail provider: the real Twilio / SMTP server, or the sandbox emulators for
 * vendors that run emulated (demo mode, SANDBOX=1). Clients are built once and reused (pooled SMTP).
 */
import type { AppContext } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import { createMailer } from '../providers/smtp/mailer.js';
import { EmulatorHttpClient } from '../providers/twilio/http-client.js';
import { createTwilioSms } from '../providers/twilio/sms.js';
import type { EmailPort, SmsPort } from './ports.js';

export interface MessagingVendors {
  smsFor(clientId: string): SmsPort;
  emailFor(clientId: string): EmailPort;
  close(): Promise<void>;
}

/** Where emulated vendors listen when not in this process's sandbox (benchmarks run them in another process). */
export interface EmulatorEndpoints {
  twilioUrl?: string;
  smtpUrl?: string;
}

export function createMessagingVendors(context: AppContext, endpoints: EmulatorEndpoints = {}, options: { smtpConnections?: number } = {}): MessagingVendors {
  const sms = new Map<string, SmsPort>();
  const mailers = new Map<string, EmailPort>();
  const emulatorClients: EmulatorHttpClient[] = [];
  // A changed office (new Twilio token, another number) gets a fresh client on its next text.
  const unsubscribe = context.clients.subscribe((slug) => {
    sms.delete(slug);
  });
  return {
    smsFor(clientId) {
      const existing = sms.get(clientId);
      if (existing) return existing;
      const client = context.clients.get(clientId);
      if (!client) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
      const emulated = client.secrets.emulatedVendors.includes('twilio') && context.sandbox;
      const emulatorClient = (baseUrl: string) => {
        const httpClient = new EmulatorHttpClient({ baseUrl });
        emulatorClients.push(httpClient);
        return httpClient.asRequestClient();
      };
      const port = createTwilioSms({
        accountSid: client.secrets.twilioAccountSid,
        authToken: client.secrets.twilioAuthToken,
        httpClient: emulated ? emulatorClient(endpoints.twilioUrl ?? context.env.sandboxTwilioUrl ?? context.sandbox!.twilio.url) : undefined,
      });
      sms.set(clientId, port);
      return port;
    },
    emailFor(clientId) {
      const client = context.clients.get(clientId);
      if (!client) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
      const emulated = client.secrets.emulatedVendors.includes('smtp');
      const url = (emulated ? endpoints.smtpUrl : undefined) ?? client.secrets.smtpUrl ?? (emulated ? context.sandbox?.smtp.url : undefined);
      if (!url) throw new PermanentError('No SMTP server is configured for this client (set its SMTP_URL).', 'smtp_not_configured');
      const existing = mailers.get(url);
      if (existing) return existing;
      const mailer = createMailer(url, { maxConnections: options.smtpConnections });
      mailers.set(url, mailer);
      return mailer;
    },
    async close() {
      unsubscribe();
      for (const mailer of mailers.values()) await mailer.close();
      mailers.clear();
      sms.clear();
      for (const client of emulatorClients.splice(0)) client.close();
    },
  };
}
