/**
 * Picks each client's SMS and e-mail providers: the real Twilio / Telnyx / SMTP server / SendGrid, or the sandbox
 * emulators for vendors that run emulated (demo mode, SANDBOX=1). Clients are built once and reused (pooled SMTP).
 * An office's chain (`providers.sms` / `providers.email`, issue 19) lists them in order; without one it is Twilio /
 * SMTP alone, as before chains, and `explicit` is false (no breaker, no failover).
 */
import type { AppContext } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import { createMailer } from '../providers/smtp/mailer.js';
import { EmulatorHttpClient } from '../providers/twilio/http-client.js';
import { createTwilioSms } from '../providers/twilio/sms.js';
import { createTelnyxSms } from '../providers/telnyx/sms.js';
import { createSendgridMail } from '../providers/sendgrid/mail.js';
import type { CircuitAccount } from './circuit-breaker.js';
import type { EmailPort, SmsPort } from './ports.js';
import { emailAccounts, smsAccounts } from './provider-accounts.js';

/** One provider of an office's SMS chain. */
export interface SmsLink {
  provider: 'twilio' | 'telnyx';
  account: CircuitAccount;
  port: SmsPort;
  from?: string;
  messagingServiceSid?: string;
  /** Where the provider reports this queue item's delivery status. */
  statusCallback(outboxId: number): string;
}

/** One provider of an office's e-mail chain. */
export interface EmailLink {
  provider: 'smtp' | 'sendgrid';
  account: CircuitAccount;
  port: EmailPort;
}

export interface ProviderChain<T> {
  links: T[];
  /** The office lists a chain: breakers and failover apply. False: Twilio / SMTP alone, exactly as before. */
  explicit: boolean;
}

export interface MessagingVendors {
  smsFor(clientId: string): SmsPort;
  emailFor(clientId: string): EmailPort;
  smsChainFor(clientId: string): ProviderChain<SmsLink>;
  emailChainFor(clientId: string): ProviderChain<EmailLink>;
  close(): Promise<void>;
}

/** Where emulated vendors listen when not in this process's sandbox (benchmarks run them in another process). */
export interface EmulatorEndpoints {
  twilioUrl?: string;
  smtpUrl?: string;
  telnyxUrl?: string;
  sendgridUrl?: string;
}


export function createMessagingVendors(context: AppContext, endpoints: EmulatorEndpoints = {}, options: { smtpConnections?: number } = {}): MessagingVendors {
  const sms = new Map<string, SmsPort>();
  const mailers = new Map<string, EmailPort>();
  const emulatorClients: EmulatorHttpClient[] = [];
  // A changed office (new Twilio token, another number) gets a fresh client on its next text.
  const unsubscribe = context.clients.subscribe((slug) => {
    sms.delete(slug);
  });
  const telnyx = new Map<string, SmsPort>();
  const sendgrid = new Map<string, EmailPort>();
  const unsubscribeChains = context.clients.subscribe((slug) => {
    telnyx.delete(slug);
    sendgrid.delete(slug);
  });
  const runtimeOf = (clientId: string) => {
    const client = context.clients.get(clientId);
    if (!client) throw new PermanentError(`No client "${clientId}" is configured.`, 'unknown_client');
    return client;
  };
  const vendors: MessagingVendors = {
    smsChainFor(clientId) {
      const client = runtimeOf(clientId);
      const sender = client.config.senders.sms;
      const chain = client.config.providers?.sms ?? [{ provider: 'twilio' as const }];
      const links = chain.map((entry, index): SmsLink => {
        if (entry.provider === 'twilio') {
          return {
            provider: 'twilio',
            account: smsAccounts(client)[index]!,
            port: vendors.smsFor(clientId),
            from: sender.from,
            messagingServiceSid: sender.messagingServiceSid,
            statusCallback: (outboxId) => `${context.publicBaseUrl}/v1/twilio/${clientId}/status?outbox=${outboxId}`,
          };
        }
        let port = telnyx.get(clientId);
        if (!port) {
          const emulated = client.secrets.emulatedVendors.includes('telnyx') && context.sandbox;
          const apiKey = client.secrets.telnyxApiKey;
          if (!apiKey) throw new PermanentError('No Telnyx API key is configured for this office.', 'telnyx_not_configured');
          port = createTelnyxSms({
            apiKey,
            messagingProfileId: entry.messagingProfileId,
            baseURL: emulated ? `${endpoints.telnyxUrl ?? context.sandbox!.telnyx.url}/v2` : undefined,
          });
          telnyx.set(clientId, port);
        }
        return {
          provider: 'telnyx',
          account: smsAccounts(client)[index]!,
          port,
          from: entry.from,
          statusCallback: (outboxId) => `${context.publicBaseUrl}/v1/telnyx/${clientId}/webhook?outbox=${outboxId}`,
        };
      });
      return { links, explicit: client.config.providers?.sms !== undefined };
    },
    emailChainFor(clientId) {
      const client = runtimeOf(clientId);
      const chain = client.config.providers?.email ?? [{ provider: 'smtp' as const }];
      const links = chain.map((entry, index): EmailLink => {
        if (entry.provider === 'smtp') {
          return { provider: 'smtp', account: emailAccounts(client)[index]!, port: vendors.emailFor(clientId) };
        }
        const apiKey = client.secrets.sendgridApiKey;
        if (!apiKey) throw new PermanentError('No SendGrid API key is configured for this office.', 'sendgrid_not_configured');
        let port = sendgrid.get(clientId);
        if (!port) {
          const emulated = client.secrets.emulatedVendors.includes('sendgrid') && context.sandbox;
          port = createSendgridMail({ apiKey, baseUrl: emulated ? (endpoints.sendgridUrl ?? context.sandbox!.sendgrid.url) : undefined });
          // Demo: point the emulated account's event webhook at this office, as its setup in SendGrid's UI would.
          if (emulated && !endpoints.sendgridUrl) context.sandbox!.sendgrid.setEventWebhook(apiKey, `${context.publicBaseUrl}/v1/sendgrid/${clientId}/events`);
          sendgrid.set(clientId, port);
        }
        return { provider: 'sendgrid', account: emailAccounts(client)[index]!, port };
      });
      return { links, explicit: client.config.providers?.email !== undefined };
    },
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
      unsubscribeChains();
      telnyx.clear();
      sendgrid.clear();
      for (const mailer of mailers.values()) await mailer.close();
      mailers.clear();
      sms.clear();
      for (const client of emulatorClients.splice(0)) client.close();
    },
  };
  return vendors;
}
