/**
 * Each office's Twilio client for texts: the real Twilio, or the sandbox emulator when the office's Twilio runs
 * emulated (demo mode, SANDBOX=1). Built once per office and reused; a changed office (new token, another number)
 * gets a fresh client on its next text.
 */
import type { AppContext } from '../app-context.js';
import { PermanentError } from '../core/errors.js';
import type { SmsPort, SmsRoute } from '../messaging/ports.js';
import { EmulatorHttpClient } from '../providers/twilio/http-client.js';
import { createTwilioSms } from '../providers/twilio/sms.js';

export interface TwilioSenders {
  routeFor(clientId: string): SmsRoute;
  close(): void;
}

/** `emulatorUrl`: where an emulated Twilio listens when not in this process's sandbox (the benchmarks' vendor process). */
export function createTwilioSenders(context: AppContext, emulatorUrl?: string): TwilioSenders {
  const ports = new Map<string, SmsPort>();
  const emulatorClients: EmulatorHttpClient[] = [];
  const unsubscribe = context.clients.subscribe((slug) => {
    ports.delete(slug);
  });
  const portFor = (clientId: string): SmsPort => {
    const existing = ports.get(clientId);
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
      httpClient: emulated ? emulatorClient(emulatorUrl ?? context.env.sandboxTwilioUrl ?? context.sandbox!.twilio.url) : undefined,
    });
    ports.set(clientId, port);
    return port;
  };
  return {
    routeFor(clientId) {
      const port = portFor(clientId);
      const sender = context.clients.get(clientId)!.config.senders.sms;
      return {
        port,
        from: sender.from,
        messagingServiceSid: sender.messagingServiceSid,
        statusCallback: (outboxId) => `${context.publicBaseUrl}/v1/twilio/${clientId}/status?outbox=${outboxId}`,
      };
    },
    close() {
      unsubscribe();
      ports.clear();
      for (const client of emulatorClients.splice(0)) client.close();
    },
  };
}
