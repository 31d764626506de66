/**
 * Starts every vendor emulator for demo mode and tests. Each listens on an ephemeral loopback port;
 * main.ts points the vendor ports of emulated vendors at these URLs instead of the real vendors.
 */
import type { Clock } from '../core/clock.js';
import { DEMO_SECRETS } from '../config/demo-secrets.js';
import { startRetellEmulator, type RetellEmulator } from './retell.js';
import { startSendgridEmulator, type SendgridEmulator } from './sendgrid.js';
import { startSlackEmulator, type SlackEmulator } from './slack.js';
import { startTelnyxEmulator, type TelnyxEmulator } from './telnyx.js';
import { startSmtpReceiver, type SmtpReceiver } from './smtp.js';
import { DEFAULT_INCOMING_NUMBER, startTwilioEmulator, type TwilioEmulator } from './twilio.js';
import { startZohoEmulator, type ZohoEmulator } from './zoho/index.js';
import { startHubSpotEmulator, type HubSpotEmulator } from './hubspot/index.js';
import { startGoogleEmulator, type GoogleEmulator } from './google/index.js';
import { startMicrosoftEmulator, type MicrosoftEmulator } from './microsoft/index.js';
import { AnthropicEmulator } from './anthropic.js';

export interface SandboxEndpoint {
  name: string;
  url: string;
}

export interface Sandbox {
  twilio: TwilioEmulator;
  smtp: SmtpReceiver;
  /** The second SMS and e-mail providers of offices with a chain (issue 19). */
  telnyx: TelnyxEmulator;
  sendgrid: SendgridEmulator;
  slack: SlackEmulator;
  zoho: ZohoEmulator;
  hubspot: HubSpotEmulator;
  /** Google's OAuth endpoints and Calendar API (offices with `calendar.provider: "google"`). */
  google: GoogleEmulator;
  /** Microsoft's identity platform and Graph calendar (offices with `calendar.provider: "microsoft"`). */
  microsoft: MicrosoftEmulator;
  retell: RetellEmulator;
  /** The Messages API for the optional follow-up rewrite (issue 17). */
  anthropic: AnthropicEmulator;
  /**
   * Makes an office exist at the emulated vendors as it would before onboarding: its number in the Twilio account,
   * its agents (+ LLM) at Retell with the first one answering the number. Idempotent; call it whenever an office loads.
   */
  seedOffice(office: SandboxOffice): void;
  endpoints(): SandboxEndpoint[];
  close(): Promise<void>;
}

/** An office as the vendors know it before onboarding: its Retell agents and the number callers dial and texts come from. */
export interface SandboxOffice {
  name: string;
  retellAgentIds: string[];
  /** Each agent's Retell language, as the office lists it (`retell.agentLanguages`). */
  agentLanguages?: Record<string, string | string[]>;
  /** E.164; owned by the Twilio account and imported into Retell. */
  phoneNumber?: string;
}

export interface SandboxOptions {
  clock: Clock;
  twilio?: { accountSid: string; authToken: string };
  zoho?: { clientId: string; clientSecret: string };
  hubspot?: { accessToken: string };
  google?: { clientId: string; clientSecret: string };
  microsoft?: { clientId: string; clientSecret: string };
  retell?: { apiKey: string };
  anthropic?: { apiKey: string };
  /** Seeds each office's agent + LLM + number in the Retell emulator and its number in the Twilio account. */
  offices?: SandboxOffice[];
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const twilio = await startTwilioEmulator({
      accountSid: options.twilio?.accountSid ?? DEMO_SECRETS.TWILIO_ACCOUNT_SID,
      authToken: options.twilio?.authToken ?? DEMO_SECRETS.TWILIO_AUTH_TOKEN,
      clock: options.clock,
      incomingNumbers: [{ phoneNumber: DEFAULT_INCOMING_NUMBER }],
    });
    started.push(twilio);
    const smtp = await startSmtpReceiver({ clock: options.clock, httpInbox: true });
    started.push(smtp);
    const telnyx = await startTelnyxEmulator({ apiKey: DEMO_SECRETS.TELNYX_API_KEY, clock: options.clock });
    started.push(telnyx);
    const sendgrid = await startSendgridEmulator({ apiKey: DEMO_SECRETS.SENDGRID_API_KEY, clock: options.clock });
    started.push(sendgrid);
    const slack = await startSlackEmulator({ clock: options.clock, acceptUnknownHooks: true });
    started.push(slack);
    const zoho = await startZohoEmulator({
      clientId: options.zoho?.clientId ?? DEMO_SECRETS.ZOHO_CLIENT_ID,
      clientSecret: options.zoho?.clientSecret ?? DEMO_SECRETS.ZOHO_CLIENT_SECRET,
      clock: options.clock,
    });
    started.push(zoho);
    const hubspot = await startHubSpotEmulator({
      accessTokens: [options.hubspot?.accessToken ?? DEMO_SECRETS.HUBSPOT_ACCESS_TOKEN],
      clock: options.clock,
      // HubSpot's index shows a write after a few seconds.
      searchLagMs: 3_000,
    });
    started.push(hubspot);
    const google = await startGoogleEmulator({
      clientId: options.google?.clientId ?? DEMO_SECRETS.GOOGLE_CLIENT_ID,
      clientSecret: options.google?.clientSecret ?? DEMO_SECRETS.GOOGLE_CLIENT_SECRET,
      clock: options.clock,
    });
    started.push(google);
    const microsoft = await startMicrosoftEmulator({
      clientId: options.microsoft?.clientId ?? DEMO_SECRETS.MICROSOFT_CLIENT_ID,
      clientSecret: options.microsoft?.clientSecret ?? DEMO_SECRETS.MICROSOFT_CLIENT_SECRET,
      clock: options.clock,
    });
    started.push(microsoft);
    const retell = await startRetellEmulator({ apiKey: options.retell?.apiKey ?? DEMO_SECRETS.RETELL_API_KEY, clock: options.clock });
    started.push(retell);
    const anthropic = await AnthropicEmulator.start({ apiKey: options.anthropic?.apiKey ?? DEMO_SECRETS.ANTHROPIC_API_KEY });
    started.push(anthropic);
    const seedOffice = (office: SandboxOffice) => {
      if (office.phoneNumber) twilio.addIncomingNumber({ phoneNumber: office.phoneNumber });
      // The first agent answers the office's number; any others exist for the office to switch to.
      office.retellAgentIds.forEach((agentId, index) =>
        retell.seedOffice({
          agentId,
          agentName: office.name,
          ...(office.agentLanguages?.[agentId] ? { language: office.agentLanguages[agentId] } : {}),
          ...(index === 0 && office.phoneNumber ? { phoneNumber: office.phoneNumber } : {}),
        }),
      );
    };
    for (const office of options.offices ?? []) seedOffice(office);
    return {
      twilio,
      smtp,
      telnyx,
      sendgrid,
      slack,
      zoho,
      hubspot,
      google,
      microsoft,
      retell,
      anthropic,
      seedOffice,
      endpoints: () => [
        { name: 'Twilio', url: twilio.url },
        { name: 'SMTP', url: smtp.url },
        ...(smtp.inboxUrl ? [{ name: 'SMTP inbox', url: smtp.inboxUrl }] : []),
        { name: 'Telnyx', url: telnyx.url },
        { name: 'SendGrid', url: sendgrid.url },
        { name: 'Slack', url: slack.url },
        { name: 'Zoho', url: zoho.url },
        { name: 'HubSpot', url: hubspot.url },
        { name: 'Google', url: google.url },
        { name: 'Microsoft', url: microsoft.url },
        { name: 'Retell', url: retell.url },
        { name: 'Anthropic', url: anthropic.url },
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
