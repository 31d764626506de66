/**
 * An office's provider chains as breaker accounts (`<provider>:<account>`): the same keys for the senders
 * (chains.ts) and the Connections screen. Secrets never appear in a key (API keys and SMTP URLs are digested).
 */
import { createHash } from 'node:crypto';
import type { ClientRuntime } from '../config/registry.js';
import type { CircuitAccount } from './circuit-breaker.js';

const digest = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 12);

export interface ChainAccount extends CircuitAccount {
  /** The number or address it sends from, for people. */
  sender: string | null;
}

export function smsAccounts(runtime: ClientRuntime): ChainAccount[] {
  const sender = runtime.config.senders.sms;
  return (runtime.config.providers?.sms ?? [{ provider: 'twilio' as const }]).map((entry) =>
    entry.provider === 'twilio'
      ? { key: `twilio:${runtime.secrets.twilioAccountSid}`, channel: 'sms', provider: 'twilio', sender: sender.from ?? sender.messagingServiceSid ?? null }
      : { key: `telnyx:${entry.messagingProfileId ?? entry.from}`, channel: 'sms', provider: 'telnyx', sender: entry.from },
  );
}

export function emailAccounts(runtime: ClientRuntime): ChainAccount[] {
  const from = runtime.config.senders.email.from;
  return (runtime.config.providers?.email ?? [{ provider: 'smtp' as const }]).map((entry) => {
    if (entry.provider === 'smtp') {
      const emulated = runtime.secrets.emulatedVendors.includes('smtp');
      const url = runtime.secrets.smtpUrl ?? (emulated ? 'sandbox' : 'unset');
      return { key: `smtp:${digest(url)}`, channel: 'email', provider: 'smtp', sender: from };
    }
    return { key: `sendgrid:${digest(runtime.secrets.sendgridApiKey ?? 'unset')}`, channel: 'email', provider: 'sendgrid', sender: from };
  });
}
