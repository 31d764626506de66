/**
 * Starts every vendor emulator for demo mode and tests. Each listens on an ephemeral loopback port;
 * main.ts points the vendor ports of emulated vendors at these URLs instead of the real vendors.
 */
import type { Clock } from '../core/clock.js';
import { DEMO_SECRETS } from '../config/demo-secrets.js';
import { startSlackEmulator, type SlackEmulator } from './slack.js';
import { startSmtpReceiver, type SmtpReceiver } from './smtp.js';
import { startTwilioEmulator, type TwilioEmulator } from './twilio.js';
import { startZohoEmulator, type ZohoEmulator } from './zoho/index.js';

export interface SandboxEndpoint {
  name: string;
  url: string;
}

export interface Sandbox {
  twilio: TwilioEmulator;
  smtp: SmtpReceiver;
  slack: SlackEmulator;
  zoho: ZohoEmulator;
  endpoints(): SandboxEndpoint[];
  close(): Promise<void>;
}

export interface SandboxOptions {
  clock: Clock;
  twilio?: { accountSid: string; authToken: string };
  zoho?: { clientId: string; clientSecret: string };
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const twilio = await startTwilioEmulator({
      accountSid: options.twilio?.accountSid ?? DEMO_SECRETS.TWILIO_ACCOUNT_SID,
      authToken: options.twilio?.authToken ?? DEMO_SECRETS.TWILIO_AUTH_TOKEN,
      clock: options.clock,
    });
    started.push(twilio);
    const smtp = await startSmtpReceiver({ clock: options.clock, httpInbox: true });
    started.push(smtp);
    const slack = await startSlackEmulator({ clock: options.clock, acceptUnknownHooks: true });
    started.push(slack);
    const zoho = await startZohoEmulator({
      clientId: options.zoho?.clientId ?? DEMO_SECRETS.ZOHO_CLIENT_ID,
      clientSecret: options.zoho?.clientSecret ?? DEMO_SECRETS.ZOHO_CLIENT_SECRET,
      clock: options.clock,
    });
    started.push(zoho);
    return {
      twilio,
      smtp,
      slack,
      zoho,
      endpoints: () => [
        { name: 'Twilio', url: twilio.url },
        { name: 'SMTP', url: smtp.url },
        ...(smtp.inboxUrl ? [{ name: 'SMTP inbox', url: smtp.inboxUrl }] : []),
        { name: 'Slack', url: slack.url },
        { name: 'Zoho', url: zoho.url },
      ],
      async close() {
        for (const emulator of started.reverse()) await emulator.close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const emulator of started.reverse()) await emulator.close().catch(() => undefined);
    throw error;
  }
}
