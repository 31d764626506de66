/**
 * Each office's Twilio client for texts: the real Twilio, or the sandbox emulator when the office's Twilio runs
 * emulated (demo mode, SANDBOX=1). Built once per office and reused; a changed office (new token, another number)
 * gets a fresh client on its next text.
 */
import type { AppContext } from '../app-context.js';
import type { SmsRoute } from '../messaging/ports.js';
import { perOfficeCache } from '../offices/per-office.js';
import { EmulatorHttpClient } from '../providers/twilio/http-client.js';
import { createTwilioSms } from '../providers/twilio/sms.js';

export interface TwilioSenders {
  routeFor(clientId: string): SmsRoute;
  close(): void;
}

/** `emulatorUrl`: where an emulated Twilio listens when not in this process's sandbox (the benchmarks' vendor process). */
export function createTwilioSenders(context: AppContext, emulatorUrl?: string): TwilioSenders {
  const emulatorClients: EmulatorHttpClient[] = [];
  const emulatorClient = (baseUrl: string) => {
    const httpClient = new EmulatorHttpClient({ baseUrl });
    emulatorClients.push(httpClient);
    return httpClient.asRequestClient();
  };
  const routes = perOfficeCache(context, (client): SmsRoute => {
    const clientId = client.config.slug;
    const emulated = client.secrets.emulatedVendors.includes('twilio') && context.sandbox;
    const port = createTwilioSms({
      accountSid: client.secrets.twilioAccountSid,
      authToken: client.secrets.twilioAuthToken,
      httpClient: emulated ? emulatorClient(emulatorUrl ?? context.env.sandboxTwilioUrl ?? context.sandbox!.twilio.url) : undefined,
    });
    const sender = client.config.senders.sms;
    return {
      port,
      from: sender.from,
      messagingServiceSid: sender.messagingServiceSid,
      statusCallback: (outboxId) => `${context.publicBaseUrl}/v1/twilio/${clientId}/status?outbox=${outboxId}`,
    };
  });
  return {
    routeFor: (clientId) => routes.get(clientId),
    close() {
      routes.close();
      for (const client of emulatorClients.splice(0)) client.close();
    },
  };
}
